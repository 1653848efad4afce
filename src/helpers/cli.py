"""One command line for the project: ``python -m helpers <command>`` (the Makefile calls it).

Commands::

    run             fill the results store for a profile (one job per model), then execute the notebooks
    notebook        execute chosen notebooks only (they compute what the store lacks)
    book            verify the shipped results, execute every notebook with its defaults, build the HTML
    html            build the HTML from the executed notebooks as they are
    models          list / build / locate the offline stand-in models
    verify          re-score a sample of the shipped results with the current code
    ship            copy a profile's locally computed results into data/results (the shipped store)
    results-summary print CSV model,task,setting,n_items of what the store holds for a profile
    lm-eval-tasks   write lm-evaluation-harness task YAML files from the project's tasks
    import-lm-eval  import lm-evaluation-harness --log_samples output into the results store

Every parameter and profile entry is checked before anything is scored
(:func:`helpers.experiments.config.configure`).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any, Sequence

from helpers.experiments.registry import EXPERIMENTS, UnknownExperimentError, chosen_experiments
from helpers.infra.paths import results_env
from helpers.infra.profiles import PROFILES_FILE, ProfileError, load_profile, load_profiles

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


# ----------------------------------------------------------------------------- run / notebook / book


def _profile_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", required=True, help="profile name from the profiles file (ci, offline, small, paper)")
    parser.add_argument("--profiles-file", type=Path, default=PROFILES_FILE,
                        help="profiles YAML (default data/profiles.yml); jobs and notebooks read the same file")


def _run_arguments(parser: argparse.ArgumentParser) -> None:
    _profile_arguments(parser)
    parser.add_argument("--notebooks", default=None,
                        help=f"comma-separated notebooks (default all: {','.join(EXPERIMENTS)})")
    parser.add_argument("-p", "--parameter", nargs=2, action="append", metavar=("NAME", "VALUE"), default=[],
                        help="notebook parameter, read as papermill's -p reads it (e.g. -p limit 30)")
    parser.add_argument("-y", "--yaml-parameter", nargs=2, action="append", metavar=("NAME", "YAML"), default=[],
                        help="notebook parameter given as YAML, for lists (e.g. -y models '[offline:smollm2-135m]')")
    parser.add_argument("--store", default=None, help="local results store (default $CC_RESULTS or results/)")
    parser.add_argument("--log-dir", type=Path, default=None,
                        help="worker logs, Slurm logs and failed notebooks (default <store>/run_logs/<time>)")


def _fill_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workers", type=int, default=1,
                        help="fill with N local worker processes (one GPU each when there are GPUs)")
    parser.add_argument("--slurm", action="store_true", help="fill with one Slurm job per model (submitit)")
    parser.add_argument("--slurm-partition", default=None)
    parser.add_argument("--slurm-timeout-min", type=int, default=240)
    parser.add_argument("--slurm-gpus-per-job", type=int, default=1)
    parser.add_argument("--slurm-cpus-per-task", type=int, default=None)
    parser.add_argument("--slurm-cluster", choices=("slurm", "local", "debug"), default="slurm",
                        help="submitit backend: slurm, or its local/debug stand-ins")


def check_overrides(profile: str, profiles_file: Path, experiments, overrides: dict[str, Any]) -> dict[str, dict]:
    """Each notebook's share of ``overrides``, every one validated by ``configure`` (nothing scored)."""
    from helpers.experiments.config import configure
    from helpers.infra.run.notebooks import split_overrides

    per_notebook = split_overrides({e.name: e.notebook for e in experiments}, overrides)
    for experiment in experiments:
        configure(profile, profiles_file, per_notebook[experiment.name], experiment=experiment.name)
    return per_notebook


def fill_jobs_for(profile_name: str, profiles_file: Path, experiments, store: str | None) -> list:
    """The fill jobs of the chosen experiments for a profile, each distinct job once."""
    from helpers.infra.jobs import resolve_function

    profile = load_profile(profile_name, profiles_file)
    jobs, seen = [], set()
    for experiment in experiments:
        if experiment.fill_jobs is None:
            continue
        for job in resolve_function(experiment.fill_jobs)(profile, store=store, profiles_file=str(profiles_file)):
            if job.to_json() not in seen:
                seen.add(job.to_json())
                jobs.append(job)
    return jobs


def _run(args: argparse.Namespace, *, fill: bool, notebooks: bool) -> int:
    from helpers.experiments.config import ParameterError
    from helpers.infra.paths import results_dir
    from helpers.infra.run.notebooks import execute_notebooks, parse_parameters
    from helpers.infra.run.summary import format_report
    from helpers.infra.run.workers import RunArgumentError, SlurmOptions, default_log_dir, run_jobs

    with results_env(args.store):
        try:
            experiments = chosen_experiments(args.notebooks)
            overrides = parse_parameters(args.parameter, args.yaml_parameter)
            if not notebooks and overrides:
                raise RunArgumentError("-p/-y set notebook parameters; drop them or --fill-only.")
            per_notebook = check_overrides(args.profile, args.profiles_file, experiments, overrides)
            workers = getattr(args, "workers", 1)
            if getattr(args, "slurm", False) and workers > 1:
                raise RunArgumentError("--slurm runs one job per model already; drop --workers.")
        except (ProfileError, RunArgumentError, ParameterError, UnknownExperimentError) as error:
            print(f"error: {error}", file=sys.stderr)
            return EXIT_USAGE
        log_dir = args.log_dir or default_log_dir()
        start, job_outcomes, notebook_outcomes = time.perf_counter(), [], []
        if fill:
            slurm = None
            if args.slurm:
                slurm = SlurmOptions(args.slurm_partition, args.slurm_timeout_min, args.slurm_gpus_per_job,
                                     args.slurm_cpus_per_task, cluster=args.slurm_cluster,
                                     poll_seconds=30.0 if args.slurm_cluster == "slurm" else 1.0)
            jobs = fill_jobs_for(args.profile, args.profiles_file, experiments, args.store)
            print(f"fill: {len(jobs)} job(s) for profile {args.profile!r} into {results_dir()}", flush=True)
            try:
                job_outcomes = run_jobs(jobs, workers=workers, slurm=slurm,
                                        log_dir=(args.log_dir or results_dir() / "slurm_logs") if slurm else log_dir)
            except RunArgumentError as error:
                print(f"error: {error}", file=sys.stderr)
                return EXIT_USAGE
        if notebooks:
            fill_outcomes = fill_before_notebooks(args, experiments, per_notebook, log_dir)
            job_outcomes += fill_outcomes
            if any(not outcome.ok for outcome in fill_outcomes):
                print("not executing the notebooks: computing their scores failed (see the table below); they "
                      "would fail the same way.", flush=True)
            else:
                fixed = {"profile": args.profile, "profiles_file": str(Path(args.profiles_file).resolve())}
                book = getattr(args, "book_run", False)
                if not book:  # `make book` said so at its start, and kept a copy
                    replaced_custom_runs(experiments, fixed, per_notebook)
                notebook_outcomes = execute_notebooks({e.name: e.notebook for e in experiments},
                                                      experiments[0].output.parent, fixed, overrides, log_dir=log_dir,
                                                      banner=not book)
        print(f"\n{format_report(job_outcomes, notebook_outcomes)}\nTotal {time.perf_counter() - start:.1f} s.",
              flush=True)
        failed = any(not o.ok for o in job_outcomes) or any(not o.ok for o in notebook_outcomes)
        return EXIT_FAILED if failed else EXIT_OK


def fill_before_notebooks(args: argparse.Namespace, experiments, per_notebook: dict[str, dict], log_dir) -> list:
    """Print what the notebooks will compute and an estimate, then compute it here, with progress
    lines and ETAs, so the notebooks find every score stored. Returns the jobs' outcomes."""
    from helpers.experiments.config import configure
    from helpers.experiments.plan import describe, missing_swap_work, missing_work
    from helpers.infra.run.workers import run_jobs

    configs = [configure(args.profile, args.profiles_file, per_notebook[e.name], experiment=e.name)
               for e in experiments if e.fill_jobs is not None]
    work, jobs, seen = [], [], set()
    for config in configs:
        found = missing_swap_work(config) if config.experiment == "swap" else missing_work(config)
        work += [w for w in found if (w.model, w.what) not in seen]
        seen |= {(w.model, w.what) for w in found}
    print(describe(work), flush=True)
    if not work:
        return []
    for config in configs:
        if config.compute_missing:
            new = config_fill_jobs(config, per_notebook[config.experiment])
            jobs += [job for job in new if job.to_json() not in {j.to_json() for j in jobs}]
    return run_jobs(jobs, log_dir=log_dir) if jobs else []


def config_fill_jobs(config, overrides: dict[str, Any]) -> list:
    """The fill jobs of one configured run (its models and settings after ``overrides``), reading
    the shipped results too: only what the stack lacks is computed."""
    from dataclasses import asdict

    from helpers.experiments.swap.plan import swap_plan
    from helpers.infra.jobs import Job

    if config.experiment == "swap":
        return [Job(f"swap {donor} -> {recipient}", "helpers.experiments.swap.compute:fill_pair",
                    {"profile": config.profile.name, "donor": donor, "recipient": recipient,
                     "profiles_file": str(config.profiles_file), "overrides": dict(overrides), "shipped": True})
                for donor, recipient in swap_plan(config).pairs]
    settings = [asdict(setting) for setting in config.settings.values()]
    return [Job(source, "helpers.experiments.evaluation:fill_model",
                {"source": source, "settings": settings, "device": config.device, "seed": config.seed,
                 "progress": sys.stderr.isatty(), "shipped": True}) for source in config.models]


def replaced_custom_runs(experiments, fixed: dict[str, Any], per_notebook: dict[str, dict],
                         keep: bool = False) -> list[str]:
    """Say which executed notebooks, run with other parameters, this run replaces (``keep``: copy each to
    ``custom_runs/`` beside the book first); return their names."""
    from helpers.infra.run.notebooks import replaced_custom_runs as replaced

    outputs = {experiment.name: experiment.output for experiment in experiments}
    keep_dir = experiments[0].output.parent.parent.parent / "custom_runs" if keep and experiments else None
    return replaced(outputs, {name: {**fixed, **per_notebook.get(name, {})} for name in outputs}, keep_dir)


def _html(args: argparse.Namespace) -> int:
    from helpers.report.book import BookBuildError, build

    try:
        print(build(args.profile, strict=args.strict))
    except BookBuildError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def _verify(args: argparse.Namespace) -> int:
    from helpers.experiments.verify import VerificationError, verify

    try:
        verify(load_profile(args.profile, args.profiles_file), seed=getattr(args, "seed", None))
    except VerificationError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def _book(args: argparse.Namespace) -> int:
    from helpers.infra.run.notebooks import split_overrides

    args.notebooks, args.parameter, args.yaml_parameter, args.book_run = None, [], [], True
    kept = None
    if not args.compute_missing:
        from helpers.experiments.plan import book_models

        with results_env(args.store):
            kept = book_models(args.profile, args.profiles_file)
        if kept is not None:
            args.yaml_parameter = [["models", json.dumps(kept)]]
    experiments = chosen_experiments(None)  # first, before verification: which custom runs go, kept where
    fixed = {"profile": args.profile, "profiles_file": str(Path(args.profiles_file).resolve())}
    replaced_custom_runs(experiments, fixed, split_overrides({e.name: e.notebook for e in experiments},
                                                             {"models": kept} if kept is not None else {}), keep=True)
    status = _verify(args)
    if status != EXIT_OK:
        return status
    status = _run(args, fill=False, notebooks=True)
    if status != EXIT_OK:
        return status
    return _html(args)


def _ship(args: argparse.Namespace) -> int:
    from helpers.experiments.ship import ShipError, ship, ship_swap
    from helpers.infra.store import ResultNotFoundError, ResultStore

    profile = load_profile(args.profile, args.profiles_file)
    source = ResultStore(args.from_store) if args.from_store else None
    with results_env(args.store):
        try:
            ship(profile, from_store=source, partial=args.partial)
            ship_swap(profile, from_store=source, partial=args.partial)
        except ResultNotFoundError as error:
            print(f"error: {error}; compute it first with `make run PROFILE={args.profile}`", file=sys.stderr)
            return EXIT_FAILED
        except ShipError as error:
            print(f"error: {error}", file=sys.stderr)
            return EXIT_FAILED
    return EXIT_OK


def _results_summary(args: argparse.Namespace) -> int:
    from helpers.experiments.ship import results_summary

    with results_env(args.store):
        print(results_summary(load_profile(args.profile, args.profiles_file)).to_csv(index=False), end="")
    return EXIT_OK


# ----------------------------------------------------------------------------- the parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m helpers", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="fill the results store, then execute the notebooks")
    _run_arguments(run)
    _fill_arguments(run)
    steps = run.add_mutually_exclusive_group()
    steps.add_argument("--fill-only", action="store_true", help="fill the results store, run no notebook")
    steps.add_argument("--notebooks-only", action="store_true", help="run the notebooks only")
    notebook = commands.add_parser("notebook", help="execute chosen notebooks (they compute what is missing)")
    _run_arguments(notebook)
    for name, help_text in (("book", "execute every notebook with its defaults, then build the HTML"),
                            ("html", "build the HTML from the executed notebooks as they are")):
        sub = commands.add_parser(name, help=help_text)
        _run_arguments(sub) if name == "book" else _profile_arguments(sub)
        if name == "book":
            sub.add_argument("--compute-missing", action="store_true",
                             help="compute results neither shipped nor computed (default: leave those models out)")
        sub.add_argument("--strict", action=argparse.BooleanOptionalAction, default=True,
                         help="warnings are errors, nitpicky cross-references (default: on)")
    verify = commands.add_parser("verify", help="re-score a sample of the shipped results with the current code")
    _profile_arguments(verify)
    verify.add_argument("--seed", type=int, default=None, help="sample seed (default: from the git commit)")
    ship = commands.add_parser("ship", help="copy the profile's local results into data/results (shipped)")
    _profile_arguments(ship)
    ship.add_argument("--store", default=None, help="local results store (default $CC_RESULTS or results/)")
    ship.add_argument("--from-store", default=None,
                      help="read the results from this store instead (keys of an earlier code layout are matched "
                           "on model, dtype, task, shots, limit, seed)")
    ship.add_argument("--partial", action="store_true", help="ship what is computed, list what is not")
    summary = commands.add_parser("results-summary", help="CSV model,task,setting,n_items of what the stores hold")
    _profile_arguments(summary)
    summary.add_argument("--store", default=None, help="local results store (default $CC_RESULTS or results/)")
    models = commands.add_parser("models", help="offline stand-in models: list, build NAME..., path NAME",
                                 add_help=False)  # --help goes to the command's own parser
    models.add_argument("rest", nargs=argparse.REMAINDER)
    for name, help_text in (("lm-eval-tasks", "write lm-evaluation-harness task YAML files (DIR ...)"),
                            ("import-lm-eval", "import lm-evaluation-harness --log_samples output (DIR ...)")):
        sub = commands.add_parser(name, help=help_text, add_help=False)
        sub.add_argument("rest", nargs=argparse.REMAINDER)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """The command line; returns 0 when everything ran, 1 when something failed, 2 for bad arguments."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in PASS_THROUGH:  # these commands parse their own arguments, --help included
        return _pass_through(argv[0], argv[1:])
    pairs = None
    if argv and argv[0] in ("run", "notebook", "book"):  # -p/-y pairs taken as papermill takes them
        from helpers.infra.run.notebooks import RunArgumentError, take_parameter_pairs

        try:
            argv, pairs = take_parameter_pairs(argv)
        except RunArgumentError as error:
            print(f"error: {error}", file=sys.stderr)
            return EXIT_USAGE
    args = build_parser().parse_args(argv)
    if pairs is not None:
        args.parameter, args.yaml_parameter = pairs["parameter"], pairs["yaml_parameter"]
    try:
        if getattr(args, "profiles_file", None) is not None:  # every problem of the file, before any work
            from helpers.core.tasks import list_tasks
            load_profiles(args.profiles_file, list_tasks())
        return _dispatch(args)
    except ProfileError as error:  # an unknown profile or a bad profiles file, whatever the command
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE


PASS_THROUGH = {"models": "helpers.core.models.offline.build", "lm-eval-tasks": "helpers.experiments.lmeval_export",
                "import-lm-eval": "helpers.experiments.lmeval_import"}
"""Commands whose module's own ``main(argv)`` parses the rest of the command line."""


def _pass_through(command: str, rest: Sequence[str]) -> int:
    import importlib

    return importlib.import_module(PASS_THROUGH[command]).main(list(rest))


def _dispatch(args: argparse.Namespace) -> int:
    if args.command in PASS_THROUGH:
        return _pass_through(args.command, args.rest)
    if args.command == "run":
        return _run(args, fill=not args.notebooks_only, notebooks=not args.fill_only)
    if args.command == "notebook":
        return _run(args, fill=False, notebooks=True)
    if args.command == "html":
        return _html(args)
    if args.command == "book":
        return _book(args)
    if args.command == "verify":
        return _verify(args)
    if args.command == "ship":
        return _ship(args)
    if args.command == "results-summary":
        return _results_summary(args)
    raise AssertionError(f"unhandled command {args.command!r}")  # argparse refuses unknown commands
