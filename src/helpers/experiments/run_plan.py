"""One run plan from the command line to the book: :class:`RunPlan`, validated once.

The command line builds a :class:`RunPlan` from its arguments (profile, profiles file, store,
chosen notebooks, ``-p``/``-y`` parameters) with :func:`make_plan`, which checks everything
before anything is scored: the profiles file, each experiment's share of the parameters against
its schema (:func:`helpers.experiments.config.configure`), and, for an experiment given
parameters, its plan against the profile (``Experiment.check_plan``: e.g. the swap's pairs and task kinds).
Filling, the notebooks
and the book then read the same plan: the fill jobs, the work still missing, the notebooks'
fixed parameters (profile and profiles file), and the profile the book's banners describe.

:func:`plan_env` points ``$CC_PROFILES_FILE`` at the plan's profiles file for the run, as
:func:`helpers.infra.paths.results_env` points ``$CC_RESULTS`` at its store, so that every reader
of a profile in this process and its children (workers, notebook kernels, the claims evidence of
the book) reads the plan's file.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from helpers.experiments.config import ExperimentConfig, configure, load_profile
from helpers.experiments.registry import Experiment, chosen_experiments
from helpers.infra.paths import results_env
from helpers.infra.profiles import Profile, profiles_file_env


@dataclass(frozen=True)
class RunPlan:
    """What one command runs: a profile of a profiles file, chosen experiments, each one's parameters."""

    profile: str
    profiles_file: Path  # resolved
    experiments: tuple[Experiment, ...]  # in the book's order
    overrides: Mapping[str, Any]  # the -p/-y parameters as given
    per_experiment: Mapping[str, Mapping[str, Any]]  # experiment name -> its share of ``overrides``
    store: str | None = None  # local results store (None: $CC_RESULTS or results/)
    book_dir: Path | None = None  # the book the notebooks are executed into (None: the repository's book/)

    @property
    def fixed(self) -> dict[str, Any]:
        """The parameters every notebook of the run gets: the profile and the profiles file."""
        return {"profile": self.profile, "profiles_file": str(self.profiles_file)}

    @property
    def notebooks(self) -> dict[str, Path]:
        """``{experiment name: notebook file}`` of the chosen experiments."""
        return {experiment.name: experiment.notebook for experiment in self.experiments}

    @property
    def output_dir(self) -> Path:
        """Where the executed notebooks go: ``<book>/experiments``."""
        return self.book_dir / "experiments" if self.book_dir is not None else self.experiments[0].output.parent

    @property
    def outputs(self) -> dict[str, Path]:
        """``{experiment name: executed notebook}``."""
        return {experiment.name: self.output_dir / experiment.output.name for experiment in self.experiments}

    def load_profile(self) -> Profile:
        return load_profile(self.profile, self.profiles_file)

    def configs(self) -> list[ExperimentConfig]:
        """The configured run of each chosen experiment that scores models."""
        return [
            configure(self.profile, self.profiles_file, self.per_experiment[e.name], experiment=e)
            for e in self.experiments
            if e.scores
        ]


def make_plan(
    profile: str,
    profiles_file: str | Path,
    notebooks: str | None = None,
    overrides: Mapping[str, Any] | None = None,
    store: str | None = None,
    book_dir: str | Path | None = None,
) -> RunPlan:
    """The plan of a command, every parameter checked before anything is scored.

    Raises :class:`~helpers.infra.profiles.ProfileError` (unknown profile, bad file),
    :class:`~helpers.experiments.registry.UnknownExperimentError` (unknown notebook),
    :class:`~helpers.infra.run.notebooks.RunArgumentError` (a parameter no chosen notebook declares) or
    :class:`~helpers.experiments.parameters.ParameterError` (a value out of range, named with the range).
    """
    from helpers.infra.run.notebooks import split_overrides

    experiments = tuple(chosen_experiments(notebooks))
    overrides = dict(overrides or {})
    path = Path(profiles_file).expanduser().resolve()
    per_experiment = split_overrides({e.name: e.notebook for e in experiments}, overrides)
    with results_env(store), profiles_file_env(path):
        for experiment in experiments:
            config = configure(profile, path, per_experiment[experiment.name], experiment=experiment)
            if experiment.check_plan is not None and per_experiment[experiment.name]:  # the profile's own plan
                experiment.check_plan(config)  # was checked with the profiles file; the overrides may break it
    return RunPlan(
        profile,
        path,
        experiments,
        overrides,
        per_experiment,
        store,
        Path(book_dir).resolve() if book_dir is not None else None,
    )


def book_only_plan(
    profile: str, profiles_file: str | Path, store: str | None = None, book_dir: str | Path | None = None
) -> RunPlan:
    """The plan of ``make html``: every experiment with its defaults, nothing to validate (nothing runs;
    the book build reads the profile from ``profiles_file`` and refuses an unknown one)."""
    experiments = tuple(chosen_experiments(None))
    return RunPlan(
        profile,
        Path(profiles_file).expanduser().resolve(),
        experiments,
        {},
        {experiment.name: {} for experiment in experiments},
        store,
        Path(book_dir).resolve() if book_dir is not None else None,
    )


@contextmanager
def plan_env(plan: RunPlan) -> Iterator[None]:
    """The plan's store and profiles file as ``$CC_RESULTS`` and ``$CC_PROFILES_FILE`` for the run."""
    with results_env(plan.store), profiles_file_env(plan.profiles_file):
        yield


def profile_fill_jobs(plan: RunPlan) -> list:
    """The fill jobs of the chosen experiments for the whole profile (``make run``), each distinct job once."""
    profile = plan.load_profile()
    jobs, seen = [], set()
    for experiment in plan.experiments:
        if not experiment.scores:
            continue
        for job in experiment.fill_jobs(profile, store=plan.store, profiles_file=str(plan.profiles_file)):
            if job.to_json() not in seen:
                seen.add(job.to_json())
                jobs.append(job)
    return jobs


def missing_work_and_jobs(plan: RunPlan) -> tuple[list, list]:
    """What the plan's notebooks need that the stores lack (``[Work]``, each (model, what) once), and
    the jobs that compute it (none when nothing is missing, or a run may not compute)."""
    configs = plan.configs()
    by_name = {experiment.name: experiment for experiment in plan.experiments}
    work, seen = [], set()
    for config in configs:
        found = by_name[config.experiment].missing_work(config)
        work += [w for w in found if (w.model, w.what) not in seen]
        seen |= {(w.model, w.what) for w in found}
    jobs: list = []
    if not work:
        return work, jobs
    for config in configs:
        if config.compute_missing:
            new = by_name[config.experiment].jobs_for(config, dict(plan.per_experiment[config.experiment]))
            jobs += [job for job in new if job.to_json() not in {j.to_json() for j in jobs}]
    return work, jobs


def replaced_custom_runs(
    plan: RunPlan, per_experiment: Mapping[str, Mapping[str, Any]] | None = None, keep: bool = False
) -> list[str]:
    """Say which executed notebooks, run with other parameters, this run replaces (``keep``: copy each to
    ``custom_runs/`` beside the book first); return their names."""
    from helpers.infra.run.notebooks import replaced_custom_runs as replaced

    wanted = per_experiment if per_experiment is not None else plan.per_experiment
    keep_dir = plan.output_dir.parent.parent / "custom_runs" if keep else None
    return replaced(plan.outputs, {name: {**plan.fixed, **wanted.get(name, {})} for name in plan.outputs}, keep_dir)


def with_models(plan: RunPlan, models: Sequence[str]) -> RunPlan:
    """The plan with ``models`` given to every chosen experiment that takes a model list (``make book``
    leaving out models whose results are not stored)."""
    from helpers.infra.run.notebooks import split_overrides

    overrides = {**plan.overrides, "models": list(models)}
    return RunPlan(
        plan.profile,
        plan.profiles_file,
        plan.experiments,
        overrides,
        split_overrides(plan.notebooks, overrides),
        plan.store,
        plan.book_dir,
    )
