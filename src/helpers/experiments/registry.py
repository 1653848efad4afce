"""The experiment registry: the one list of the report's experiments.

Each :class:`Experiment` names its notebook (``notebooks/<name>.ipynb``, executed by papermill
into ``book/experiments/<name>.ipynb``), its chapter title, the notebook parameters it accepts,
the function that gives the runner its fill jobs for a profile, and the source files its stored
scores depend on (:func:`helpers.infra.provenance.code_version` hashes them into every local
results-store key, so an edit there recomputes exactly the results that depend on it).

The command line reads this registry and hands the runner plain jobs and notebook paths; the
book's ``_toc.yml`` lists the same chapters (a test checks that they agree).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from helpers.infra.paths import REPO_ROOT
from helpers.infra.provenance import code_version

NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
"""The experiment notebooks (inputs, committed without outputs)."""
OUTPUT_DIR = REPO_ROOT / "book" / "experiments"
"""Where executed notebooks go; the book publishes them from here."""

EVALUATION_CODE = (
    "core/requests.py",
    "core/tasks/*.py",
    "core/models/*.py",
    "core/models/offline/*.py",
    "core/scoring/*.py",
    "experiments/evaluation.py",
)
"""What a stored evaluation row depends on: the request contract, task builders, model loading
(and the offline models' conversion), the scoring engine and the step that lays out the rows."""

SWAP_CODE = (*EVALUATION_CODE, "core/attention/*.py", "experiments/swap/plan.py", "experiments/swap/compute.py")
"""Swap rows depend on the evaluation code plus the attention interventions, the lockstep
scorer (``core/attention/lockstep.py``) and the swap plan and computation."""

COMMON_PARAMETERS = ("models", "families", "task_kinds", "shots", "limit", "seed", "device", "bootstrap",
                     "compute_missing", "bootstrap_seed")
"""Notebook parameters every scoring experiment accepts (validated by
:func:`helpers.experiments.config.configure`); ``profile`` and ``profiles_file`` are set by the runner."""


@dataclass(frozen=True)
class Experiment:
    """One experiment: a notebook, a chapter, its parameters, fill jobs and code dependencies."""

    name: str  # notebook stem and chapter file name
    title: str  # chapter title (the notebook's first heading)
    parameters: tuple[str, ...]  # notebook parameters beyond profile/profiles_file
    fill_jobs: str | None  # "module:function(profile, store) -> list[Job]", or None (published data only)
    code: tuple[str, ...] = ()  # source globs under helpers/ its stored scores depend on

    @property
    def notebook(self) -> Path:
        return NOTEBOOKS_DIR / f"{self.name}.ipynb"

    @property
    def output(self) -> Path:
        return OUTPUT_DIR / f"{self.name}.ipynb"

    def code_version(self) -> str:
        """Hash of the code its stored scores depend on ("" for an experiment that scores nothing)."""
        return code_version(self.code) if self.code else ""


EXPERIMENTS: dict[str, Experiment] = {experiment.name: experiment for experiment in (
    Experiment(
        "scaling", "Scaling: loss keeps falling, accuracy may not",
        parameters=(*COMMON_PARAMETERS, "fit_bootstrap"),
        fill_jobs="helpers.experiments.evaluation:fill_jobs", code=EVALUATION_CODE),
    Experiment(
        "task_contrast", "Task contrast: knowledge, procedure and pattern matching on the same models",
        parameters=(*COMMON_PARAMETERS, "size_column", "alpha"),
        fill_jobs="helpers.experiments.evaluation:fill_jobs", code=EVALUATION_CODE),
    Experiment(
        "published_pythia", "Published Pythia: arithmetic and MMLU-math along size, training compute and shots",
        parameters=("bootstrap_seed",), fill_jobs=None, code=()),
    Experiment(
        "swap", "Attention swap: which capabilities live in the attention pattern?",
        parameters=("task_kinds", "shots", "seed", "device", "bootstrap", "compute_missing", "bootstrap_seed", "pairs",
                    "alphas", "layers", "max_layers", "swap_limit"),
        fill_jobs="helpers.experiments.swap.compute:fill_jobs", code=SWAP_CODE),
    Experiment(
        "beyond", "Beyond Pythia and OPT: is the ceiling architectural?",
        parameters=("model_families", "x_axis", "benchmark", "fit_bootstrap", "bootstrap_seed"), fill_jobs=None, code=()),
)}
"""Every experiment, in the book's order."""


class UnknownExperimentError(ValueError):
    """A name that is not in :data:`EXPERIMENTS`."""


def get_experiment(name: str) -> Experiment:
    """The experiment called ``name`` (:class:`UnknownExperimentError` listing the known ones)."""
    try:
        return EXPERIMENTS[name]
    except KeyError:
        raise UnknownExperimentError(
            f"unknown experiment {name!r}; known: {', '.join(EXPERIMENTS)}") from None


def chosen_experiments(names: str | None) -> list[Experiment]:
    """The experiments named in a comma-separated list (all for None), in registry order."""
    if names is None:
        return list(EXPERIMENTS.values())
    wanted = [name.strip().removesuffix(".ipynb") for name in names.split(",") if name.strip()]
    unknown = [name for name in wanted if name not in EXPERIMENTS]
    if unknown or not wanted:
        raise UnknownExperimentError(f"unknown notebook(s) {unknown or wanted!r}; accepted: {', '.join(EXPERIMENTS)} "
                                     "(comma-separated, e.g. NB=scaling,swap)")
    return [experiment for experiment in EXPERIMENTS.values() if experiment.name in wanted]
