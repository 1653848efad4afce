"""The published Pythia chapter is wired in: registry entry, table of contents, parameters, citations.

Cheap checks that need no execution; nbval runs the notebook itself (``pytest notebooks/published_pythia.ipynb``).
"""

from __future__ import annotations

import re

import nbformat
import pytest
import yaml

from helpers.experiments.config import ParameterError, configure
from helpers.experiments.registry import EXPERIMENTS
from helpers.infra.paths import REPO_ROOT
from helpers.infra.run.notebooks import declared_parameters

NAME = "published_pythia"


@pytest.fixture(scope="module")
def notebook():
    return nbformat.read(EXPERIMENTS[NAME].notebook, as_version=4)


def test_registry_entry_sits_between_task_contrast_and_swap():
    names = list(EXPERIMENTS)
    assert names.index(NAME) == names.index("task_contrast") + 1 == names.index("swap") - 1
    experiment = EXPERIMENTS[NAME]
    assert experiment.fill_jobs is None and experiment.code_version() == ""


def test_table_of_contents_lists_the_chapter_in_registry_order():
    toc = yaml.safe_load((REPO_ROOT / "book" / "_toc.yml").read_text(encoding="utf-8"))
    part = next(part for part in toc["parts"] if part["caption"] == "Experiments")
    assert [chapter["file"] for chapter in part["chapters"]] == [f"experiments/{name}" for name in EXPERIMENTS]


def test_title_and_parameters_match_the_registry(notebook):
    experiment = EXPERIMENTS[NAME]
    assert notebook.cells[0].source.splitlines()[0] == f"# {experiment.title}"
    declared = declared_parameters(experiment.notebook)
    assert set(declared) == {"profile", "profiles_file", *experiment.parameters}
    assert declared["profile"] == "ci"


def test_configure_accepts_only_its_parameters():
    assert configure("ci", overrides={"bootstrap_seed": 3}, experiment=NAME).bootstrap_seed == 3
    with pytest.raises(ParameterError, match="not used by the 'published_pythia' experiment"):
        configure("ci", overrides={"models": ["pythia-70m"]}, experiment=NAME)


def test_notebook_is_committed_without_outputs(notebook):
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")


def test_every_citation_is_in_the_bibliography(notebook):
    keys = set(
        re.findall(
            r"^@\w+\{([^,]+),", (REPO_ROOT / "book" / "references.bib").read_text(encoding="utf-8"), flags=re.MULTILINE
        )
    )
    cited = {
        key.strip()
        for cell in notebook.cells
        if cell.cell_type == "markdown"
        for group in re.findall(r"\{cite:[tp]\}`([^`]+)`", cell.source)
        for key in group.split(",")
    }
    assert cited and cited <= keys, cited - keys


def test_figure_captions_name_the_metric(notebook):
    captions = [
        cell.metadata["mystnb"]["figure"]["caption"] for cell in notebook.cells if "mystnb" in cell.get("metadata", {})
    ]
    assert len(captions) == 8
    assert all("greedy generation" in caption for caption in captions)
