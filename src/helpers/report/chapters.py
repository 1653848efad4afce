"""What the book adds to each executed chapter before it is built: stand-in labels and folded code.

:func:`prepare_chapters` edits the executed notebooks in ``book/experiments`` (build outputs, not in
git), idempotently:

* a chapter that scores models on a profile whose models are not Pythia/OPT gets the label of
  :func:`helpers.report.front.stand_in_label` after its title and an opening note saying so (a
  chapter on published Pythia data only keeps its title);
* every code cell is tagged ``hide-input``, so its code is folded by default (a click shows it)
  and the page reads as text, tables and figures;
* a figure cell whose output is a sentence instead of a chart (no fit to draw) loses its figure
  frame, so no numbered figure is empty.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

from helpers.experiments.registry import EXPERIMENTS
from helpers.report.front import stand_in_label

LABEL_MARKER = "<!-- helpers.report.chapters: stand-in label -->"
FOLD_TAG = "hide-input"


def _label_title(notebook, label: tuple[str, str]) -> bool:
    """Add the stand-in suffix to the first heading and the opening note under it; False if already there."""
    for cell in notebook.cells:
        if cell.cell_type != "markdown":
            continue
        if LABEL_MARKER in cell.source:
            return False
        lines = cell.source.split("\n")
        if not lines or not lines[0].startswith("# "):
            return False
        suffix, sentence = label
        lines[0] = f"{lines[0].rstrip()} {suffix}"
        note = f"{LABEL_MARKER}\n:::{{note}}\n{sentence}\n:::\n"
        cell.source = "\n".join([lines[0], "", note, *lines[1:]])
        return True
    return False


def _fold_code(notebook) -> bool:
    changed = False
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        tags = cell.metadata.setdefault("tags", [])
        if FOLD_TAG not in tags and "remove-input" not in tags and "remove-cell" not in tags:
            tags.append(FOLD_TAG)
            changed = True
    return changed


def _drop_empty_figures(notebook) -> bool:
    """A figure cell (``mystnb.figure`` metadata) whose output drew no chart keeps its text, not a figure frame."""
    changed = False
    for cell in notebook.cells:
        figure = cell.get("metadata", {}).get("mystnb", {}).get("figure")
        if cell.cell_type != "code" or not figure:
            continue
        drawn = any(
            "cc-altair-chart" in str(output.get("data", {}).get("text/html", ""))
            or any(key.startswith("image/") for key in output.get("data", {}))
            for output in cell.get("outputs", [])
        )
        if not drawn:
            del cell.metadata["mystnb"]["figure"]
            changed = True
    return changed


def prepare_chapters(profile: str, book_dir: Path) -> list[str]:
    """Label and fold the executed chapters of ``book_dir``; return the names of those changed."""
    label = stand_in_label(profile)
    changed = []
    for name, experiment in EXPERIMENTS.items():
        path = Path(book_dir) / "experiments" / f"{name}.ipynb"
        if not path.is_file():
            continue
        notebook = nbformat.read(str(path), as_version=4)
        edited = _fold_code(notebook)
        edited = _drop_empty_figures(notebook) or edited
        if label is not None and experiment.fill_jobs is not None:
            edited = _label_title(notebook, label) or edited
        if edited:
            nbformat.write(notebook, str(path))
            changed.append(name)
    return changed
