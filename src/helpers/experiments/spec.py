"""What an experiment is: :class:`Experiment`, the one object each experiment package registers.

An experiment owns its name (the notebook stem and chapter file), its chapter title, its
parameter schema (:mod:`helpers.experiments.parameters`), and its behaviour as callables: the
runner's fill jobs for a profile, the finder of the work a configured run still lacks, the jobs
that compute that work, and a check of the parameters against the profile (e.g. the swap's pairs
and task kinds). An experiment with settings of its own in the profiles file owns that section
of a profile too (its schema, check and parsed settings: a
:class:`~helpers.infra.profile_schema.ProfileSection`). Its code-version rule is the list of
source globs its stored scores depend on (:func:`helpers.infra.provenance.code_version` hashes
them into every local results-store key, so an edit there recomputes exactly the results that
depend on it).

Each ``experiments/<name>/experiment.py`` defines one ``EXPERIMENT``; the registry
(:mod:`helpers.experiments.registry`) collects them in the book's order. The callables import the
experiment's compute code when called, so that reading the registry (the command line does) loads
neither torch nor the scoring code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from helpers.experiments.parameters import Parameter
from helpers.infra.paths import REPO_ROOT
from helpers.infra.profile_schema import ProfileSection
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

FillJobs = Callable[..., list]
"""``(profile, store=..., profiles_file=...) -> [Job]``: the runner's jobs for a whole profile."""


@dataclass(frozen=True)
class Experiment:
    """One experiment: a notebook, a chapter, its parameter schema, its behaviour and code rule.

    ``fill_jobs`` is None for an experiment that scores nothing (it reads published data); then
    ``missing_work`` and ``jobs_for`` are None too.
    """

    name: str  # notebook stem and chapter file name
    title: str  # chapter title (the notebook's first heading)
    parameters: Mapping[str, Parameter]  # notebook parameters beyond profile/profiles_file, each with its check
    code: tuple[str, ...] = ()  # source globs under helpers/ its stored scores depend on
    fill_jobs: FillJobs | None = None  # (profile, store, profiles_file) -> [Job] for `make run`
    missing_work: Callable[[Any], list] | None = None  # (config) -> [Work] the stores lack
    jobs_for: Callable[[Any, dict], list] | None = None  # (config, overrides) -> [Job] computing a config's work
    check_plan: Callable[[Any], None] | None = None  # (config) -> None, ParameterError for a plan the profile refuses
    needs: Callable[[Any], str] | None = None  # (profile) -> "" when it can run on the profile, else what it lacks
    profile_section: ProfileSection | None = None  # its own top-level section of a profile (e.g. swap:), if any

    @property
    def notebook(self) -> Path:
        return NOTEBOOKS_DIR / f"{self.name}.ipynb"

    @property
    def output(self) -> Path:
        return OUTPUT_DIR / f"{self.name}.ipynb"

    @property
    def scores(self) -> bool:
        """Whether it scores models (and so has fill jobs and stored results)."""
        return self.fill_jobs is not None

    def code_version(self) -> str:
        """Hash of the code its stored scores depend on ("" for an experiment that scores nothing)."""
        return code_version(self.code) if self.code else ""
