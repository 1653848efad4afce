"""Notebooks are thin narratives (STYLE.md): no function, lambda or class is defined in a code cell."""

from __future__ import annotations

import ast

import nbformat
import pytest

from helpers.infra.paths import REPO_ROOT

NOTEBOOKS = sorted((REPO_ROOT / "notebooks").glob("*.ipynb"))


def definitions(source: str) -> list[str]:
    """``kind name (line)`` of every def, async def, lambda and class in ``source`` (IPython magics dropped)."""
    code = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())
    return [
        f"{type(node).__name__} {getattr(node, 'name', '')} (line {node.lineno})".replace("  ", " ")
        for node in ast.walk(ast.parse(code))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef))
    ]


def test_the_check_finds_a_def_a_lambda_and_a_class():
    found = definitions("def say(x):\n    return x\nkey = lambda t: t\nclass Row:\n    pass\n%matplotlib inline\n")
    assert sorted(entry.split()[0] for entry in found) == ["ClassDef", "FunctionDef", "Lambda"]
    assert definitions("display(Markdown(text.size_lines(final)))") == []


def test_there_are_notebooks_to_check():
    assert {path.stem for path in NOTEBOOKS} >= {"scaling", "task_contrast", "swap", "published_pythia"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def test_no_notebook_defines_code(path):
    notebook = nbformat.read(path, as_version=4)
    found = [
        f"cell {index}: {entry}"
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code"
        for entry in definitions(cell.source)
    ]
    assert not found, f"{path.name} defines code; move it into helpers.experiments.<chapter>: {found}"
