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

    code = ("import sys, helpers.infra.run.workers, helpers.infra.run.notebooks, helpers.infra.jobs; "
            "print(any(m.startswith(('helpers.report', 'altair', 'helpers.experiments')) for m in sys.modules))")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"


def test_papermill_recognises_every_declared_parameter():
    """papermill warns "Passed unknown parameter" for names its inspector cannot parse (it reads
    annotations with a regex that refuses ``X | None``); every parameter must be recognised."""
    import papermill

    for name in EXPERIMENTS:
        path = NOTEBOOKS_DIR / f"{name}.ipynb"
        assert set(papermill.inspect_notebook(str(path))) == set(declared_parameters(path)), name
