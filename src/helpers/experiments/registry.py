"""The experiment registry: the one list of the report's experiments, in the book's order.

Each experiment package defines one :class:`~helpers.experiments.spec.Experiment` in its
``experiment.py`` (name, notebook, chapter title, parameter schema, fill jobs, missing-work
finder, code-version rule, its own profile section if any); this module collects them. The
command line, the planner, the runner and the book ask the registry; no other module names an
experiment (a test checks the string literals).

The packages are imported by name (:func:`importlib.import_module`) rather than with an import
statement: an experiment's behaviour calls :func:`helpers.experiments.config.configure`, which
asks this registry for the experiment's schema, so a static import would close a loop that
exists only at call time. The book's ``_toc.yml`` lists the same chapters (a test checks that
they agree).
"""

from __future__ import annotations

import importlib

from helpers.experiments.spec import EVALUATION_CODE, NOTEBOOKS_DIR, OUTPUT_DIR, SWAP_CODE, Experiment
from helpers.infra.profile_schema import ProfileSection

__all__ = [
    "EVALUATION_CODE",
    "EXPERIMENTS",
    "NOTEBOOKS_DIR",
    "OUTPUT_DIR",
    "SWAP_CODE",
    "Experiment",
    "UnknownExperimentError",
    "chosen_experiments",
    "get_experiment",
    "model_list_experiments",
    "profile_sections",
]

PACKAGES = ("scaling", "task_contrast", "published_pythia", "swap", "beyond")
"""The experiment packages (``helpers.experiments.<name>``), in the book's order."""


def _registered(package: str) -> Experiment:
    experiment = importlib.import_module(f"helpers.experiments.{package}.experiment").EXPERIMENT
    if experiment.name != package:
        raise ImportError(
            f"helpers.experiments.{package}.experiment registers {experiment.name!r}; "
            f"an experiment's name is its package's ({package!r})."
        )
    return experiment


EXPERIMENTS: dict[str, Experiment] = {package: _registered(package) for package in PACKAGES}
"""Every experiment, in the book's order."""


def model_list_experiments() -> list[Experiment]:
    """The experiments that score the profile's model list (they take a ``models`` parameter): the
    models a book shows and the results it needs are theirs."""
    return [
        experiment for experiment in EXPERIMENTS.values() if experiment.scores and "models" in experiment.parameters
    ]


def profile_sections() -> dict[str, ProfileSection]:
    """``{key: section}``: the profile sections the registered experiments own (e.g. the swap's
    ``swap:``), for the project's profile loader (:func:`helpers.experiments.config.load_profiles`)."""
    return {
        experiment.profile_section.key: experiment.profile_section
        for experiment in EXPERIMENTS.values()
        if experiment.profile_section is not None
    }


class UnknownExperimentError(ValueError):
    """A name that is not in :data:`EXPERIMENTS`."""


def get_experiment(name: str) -> Experiment:
    """The experiment called ``name`` (:class:`UnknownExperimentError` listing the known ones)."""
    try:
        return EXPERIMENTS[name]
    except KeyError:
        raise UnknownExperimentError(f"unknown experiment {name!r}; known: {', '.join(EXPERIMENTS)}") from None


def chosen_experiments(names: str | None) -> list[Experiment]:
    """The experiments named in a comma-separated list (all for None), in registry order."""
    if names is None:
        return list(EXPERIMENTS.values())
    wanted = [name.strip().removesuffix(".ipynb") for name in names.split(",") if name.strip()]
    unknown = [name for name in wanted if name not in EXPERIMENTS]
    if unknown or not wanted:
        raise UnknownExperimentError(
            f"unknown notebook(s) {unknown or wanted!r}; accepted: {', '.join(EXPERIMENTS)} "
            "(comma-separated, e.g. NB=scaling,swap)"
        )
    return [experiment for experiment in EXPERIMENTS.values() if experiment.name in wanted]
