"""The experiment registry is the one list of experiments: the book's TOC and the notebooks agree."""

from __future__ import annotations

import yaml

from helpers.experiments.registry import EXPERIMENTS, NOTEBOOKS_DIR
from helpers.infra.paths import REPO_ROOT
from helpers.infra.run.notebooks import RESERVED_PARAMETERS, declared_parameters


def test_toc_lists_exactly_the_registered_experiments_in_order():
    toc = yaml.safe_load((REPO_ROOT / "book" / "_toc.yml").read_text())
    part = next(part for part in toc["parts"] if part["caption"] == "Experiments")
    assert [chapter["file"] for chapter in part["chapters"]] == [f"experiments/{name}" for name in EXPERIMENTS]


def test_every_notebook_declares_exactly_its_experiment_parameters():
    """A parameter a notebook declares but its experiment does not accept (or the reverse) would
    be validated and then ignored, or refused at run time."""
    for name, experiment in EXPERIMENTS.items():
        declared = declared_parameters(NOTEBOOKS_DIR / f"{name}.ipynb")
        assert set(declared) - set(RESERVED_PARAMETERS) == set(experiment.parameters), name
        assert set(RESERVED_PARAMETERS) <= set(declared), name


def test_no_stray_notebooks():
    assert sorted(path.stem for path in NOTEBOOKS_DIR.glob("*.ipynb")) == sorted(EXPERIMENTS)


def test_the_runner_machinery_does_not_import_the_book():
    """Workers stay light: infra imports neither the report nor Altair."""
    import subprocess
    import sys

    code = (
        "import sys, helpers.infra.run.workers, helpers.infra.run.notebooks, helpers.infra.jobs; "
        "print(any(m.startswith(('helpers.report', 'altair', 'helpers.experiments')) for m in sys.modules))"
    )
    assert (
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
        == "False"
    )


def test_papermill_recognises_every_declared_parameter():
    """papermill warns "Passed unknown parameter" for names its inspector cannot parse (it reads
    annotations with a regex that refuses ``X | None``); every parameter must be recognised."""
    import papermill

    for name in EXPERIMENTS:
        path = NOTEBOOKS_DIR / f"{name}.ipynb"
        assert set(papermill.inspect_notebook(str(path))) == set(declared_parameters(path)), name


# ----------------------------------------------------------------------------- no experiment name outside its home

SRC = REPO_ROOT / "src" / "helpers"

NAME_EXCEPTIONS = {
    "core/attention": "the condition kind 'swap' (a swapped pattern), not the experiment; named once as "
    "core/attention/lockstep.SWAP_CONDITION",
}
"""Files (or folders) under src/helpers that may hold an experiment name as a string, with the reason."""


def _name_literals() -> list[tuple[str, int, str]]:
    """``(file under src/helpers, line, name)`` of every string literal equal to an experiment name."""
    import ast

    found = []
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in EXPERIMENTS:
                found.append((path.relative_to(SRC).as_posix(), node.lineno, node.value))
    return found


def test_an_experiment_name_is_written_only_in_its_package_and_the_registry():
    """The command line, planner, runner and book ask the registry; only the experiment's own package
    (and the registry, which lists the packages) writes its name."""
    stray = [
        (file, line, name)
        for file, line, name in _name_literals()
        if not file.startswith(f"experiments/{name}/")
        and file != "experiments/registry.py"
        and not any(file == allowed or file.startswith(allowed + "/") for allowed in NAME_EXCEPTIONS)
    ]
    assert stray == []


def test_the_name_scan_sees_the_names_where_they_are_written():
    """The scan is not vacuous: it finds each package's registration."""
    files = {(file, name) for file, _, name in _name_literals()}
    assert {(f"experiments/{name}/experiment.py", name) for name in EXPERIMENTS} <= files


def test_each_experiment_is_registered_by_its_own_package():
    for name, experiment in EXPERIMENTS.items():
        assert experiment.name == name
        assert experiment.notebook == NOTEBOOKS_DIR / f"{name}.ipynb"
        assert (experiment.fill_jobs is None) == (experiment.missing_work is None) == (experiment.jobs_for is None)
        assert bool(experiment.code) == experiment.scores, name  # a code-version rule exactly when it stores scores


def test_profile_sections_are_those_the_experiments_register():
    """The project's profile loader accepts exactly the sections the registered experiments own."""
    from helpers.experiments.registry import profile_sections
    from helpers.experiments.swap.settings import SECTION

    owned = {name: e.profile_section for name, e in EXPERIMENTS.items() if e.profile_section is not None}
    assert owned == {"swap": SECTION} and profile_sections() == {"swap": SECTION}
