"""The run/notebook/book commands' work, given a validated :class:`~helpers.experiments.run_plan.RunPlan`.

:func:`run` fills the results store (``make run``), then computes what the chosen notebooks
still lack and executes them (``make notebook``, ``make book``); :func:`book` leaves out the
models without stored results (unless asked to compute them), keeps custom runs it replaces,
and the command line then verifies the shipped results, executes every notebook with its defaults
and builds the HTML for the plan's profile and profiles file. The command line (:mod:`helpers.cli`)
parses the arguments, builds the plan and prints the one-line errors; the work is here.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path

from helpers.experiments.run_plan import (
    RunPlan,
    missing_work_and_jobs,
    plan_env,
    profile_fill_jobs,
    replaced_custom_runs,
    with_models,
)


@dataclass(frozen=True)
class FillOptions:
    """How ``make run`` fills the store: local worker processes or Slurm jobs (:mod:`helpers.infra.run.workers`)."""

    workers: int = 1
    slurm: object | None = None  # a helpers.infra.run.workers.SlurmOptions, or None
    log_dir: Path | None = None  # worker and Slurm logs (None: <store>/run_logs/<time>, Slurm: <store>/slurm_logs)


def run(
    plan: RunPlan, *, fill: bool, notebooks: bool, options: FillOptions = FillOptions(), book_run: bool = False
) -> bool:
    """Fill and/or execute the plan's notebooks, print the report; True when everything ran.

    Raises :class:`~helpers.infra.run.workers.RunArgumentError` for options the runner refuses.
    """
    from helpers.infra.paths import results_dir
    from helpers.infra.run.notebooks import execute_notebooks
    from helpers.infra.run.summary import format_report
    from helpers.infra.run.workers import default_log_dir, run_jobs

    with plan_env(plan):
        log_dir = options.log_dir or default_log_dir()
        start, job_outcomes, notebook_outcomes = time.perf_counter(), [], []
        if fill:
            jobs = profile_fill_jobs(plan)
            print(f"fill: {len(jobs)} job(s) for profile {plan.profile!r} into {results_dir()}", flush=True)
            slurm_logs = options.log_dir or results_dir() / "slurm_logs"
            job_outcomes = run_jobs(
                jobs, workers=options.workers, slurm=options.slurm, log_dir=slurm_logs if options.slurm else log_dir
            )
        if notebooks:
            fill_outcomes = fill_before_notebooks(plan, log_dir)
            job_outcomes += fill_outcomes
            if any(not outcome.ok for outcome in fill_outcomes):
                print(
                    "not executing the notebooks: computing their scores failed (see the table below); they "
                    "would fail the same way.",
                    flush=True,
                )
            else:
                if not book_run:  # `make book` said so at its start, and kept a copy
                    replaced_custom_runs(plan)
                notebook_outcomes = execute_notebooks(
                    plan.notebooks, plan.output_dir, plan.fixed, plan.overrides, log_dir=log_dir, banner=not book_run
                )
        print(
            f"\n{format_report(job_outcomes, notebook_outcomes)}\nTotal {time.perf_counter() - start:.1f} s.",
            flush=True,
        )
    return all(o.ok for o in job_outcomes) and all(o.ok for o in notebook_outcomes)


def fill_before_notebooks(plan: RunPlan, log_dir) -> list:
    """Print what the notebooks will compute and an estimate, then compute it here, with progress
    lines and ETAs, so the notebooks find every score stored. Returns the jobs' outcomes."""
    from helpers.experiments.plan import describe
    from helpers.infra.run.workers import run_jobs

    work, jobs = missing_work_and_jobs(plan)
    print(describe(work), flush=True)
    return run_jobs(jobs, log_dir=log_dir) if jobs else []


def book_plan(plan: RunPlan, compute_missing: bool) -> RunPlan:
    """The plan ``make book`` executes: every notebook with its defaults, on the models with stored results
    unless ``compute_missing`` (:func:`helpers.experiments.plan.book_models`); the custom runs it
    replaces are said and copied to ``custom_runs/`` first."""
    from helpers.experiments.plan import book_models

    plan = without_unfit(plan)
    with plan_env(plan):
        kept = None if compute_missing else book_models(plan.profile, plan.profiles_file)
    chosen = plan if kept is None else with_models(plan, kept)
    replaced_custom_runs(chosen, keep=True)
    return chosen


def without_unfit(plan: RunPlan) -> RunPlan:
    """The plan without the experiments its profile cannot run (``Experiment.needs``: the swap needs a
    ``swap:`` section); each is named, and an executed notebook of it is moved to ``custom_runs/`` so
    that the book shows its "not executed" page instead of another profile's numbers."""
    import shutil

    profile = plan.load_profile()
    unfit = {e.name: e.needs(profile) for e in plan.experiments if e.needs is not None and e.needs(profile)}
    for name, lacking in unfit.items():
        output, kept = plan.outputs[name], ""
        if output.is_file():
            copy = plan.output_dir.parent.parent / "custom_runs" / f"{name}.{time.strftime('%Y%m%dT%H%M%S')}.ipynb"
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(output, copy)
            kept = f"; its earlier executed notebook is moved to {copy}"
        print(
            f"note: profile {plan.profile!r} has no {lacking}: the book leaves the {name} chapter out (its page "
            f"says it was not executed){kept}.",
            flush=True,
        )
    if not unfit:
        return plan
    return replace(
        plan,
        experiments=tuple(e for e in plan.experiments if e.name not in unfit),
        per_experiment={name: share for name, share in plan.per_experiment.items() if name not in unfit},
    )
