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
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from helpers.experiments.config import load_profile, load_profiles
from helpers.experiments.registry import EXPERIMENTS, UnknownExperimentError
from helpers.infra.paths import results_env
from helpers.infra.profiles import ProfileError, default_profiles_file, profiles_file_env

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _fail(error: Exception | str, status: int) -> int:
    """Print ``error: <error>`` (one line) to stderr and return the exit ``status``."""
    print(f"error: {error}", file=sys.stderr)
    return status


# ----------------------------------------------------------------------------- run / notebook / book


def _profile_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--profile", required=True, help="profile name from the profiles file (ci, offline, small, paper)"
    )
    parser.add_argument(
        "--profiles-file",
        type=Path,
        default=None,
        help="profiles YAML (default $CC_PROFILES_FILE, else data/profiles.yml); jobs, notebooks "
        "and the book read the same file",
    )


def _book_dir_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--book-dir",
        type=Path,
        default=None,
        help="the book folder: executed notebooks go to <book>/experiments, the HTML to <book>/_build "
        "(default: book/ of the repository)",
    )


def _run_arguments(parser: argparse.ArgumentParser) -> None:
    _profile_arguments(parser)
    _book_dir_argument(parser)
    parser.add_argument(
        "--notebooks", default=None, help=f"comma-separated notebooks (default all: {','.join(EXPERIMENTS)})"
    )
    parser.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        metavar=("NAME", "VALUE"),
        default=[],
        help="notebook parameter, read as papermill's -p reads it (e.g. -p limit 30)",
    )
    parser.add_argument(
        "-y",
        "--yaml-parameter",
        nargs=2,
        action="append",
        metavar=("NAME", "YAML"),
        default=[],
        help="notebook parameter given as YAML, for lists (e.g. -y models '[offline:smollm2-135m]')",
    )
    parser.add_argument("--store", default=None, help="local results store (default $CC_RESULTS or results/)")
    parser.add_argument(
        "--log-dir",
        type=Path,
        default=None,
        help="worker logs, Slurm logs and failed notebooks (default <store>/run_logs/<time>)",
    )


def _fill_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--workers", type=int, default=1, help="fill with N local worker processes (one GPU each when there are GPUs)"
    )
    parser.add_argument("--slurm", action="store_true", help="fill with one Slurm job per model (submitit)")
    parser.add_argument("--slurm-partition", default=None)
    parser.add_argument("--slurm-timeout-min", type=int, default=240)
    parser.add_argument("--slurm-gpus-per-job", type=int, default=1)
    parser.add_argument("--slurm-cpus-per-task", type=int, default=None)
    parser.add_argument(
        "--slurm-cluster",
        choices=("slurm", "local", "debug"),
        default="slurm",
        help="submitit backend: slurm, or its local/debug stand-ins",
    )


def _plan(args: argparse.Namespace, notebooks: str | None = None, overrides: dict[str, Any] | None = None):
    """The command's :class:`~helpers.experiments.run_plan.RunPlan`, every parameter checked (nothing scored)."""
    from helpers.experiments.run_plan import make_plan

    return make_plan(
        args.profile,
        args.profiles_file or default_profiles_file(),
        notebooks,
        overrides or {},
        getattr(args, "store", None),
        args.book_dir,
    )


def _run(args: argparse.Namespace, *, fill: bool, notebooks: bool) -> int:
    from helpers.experiments.parameters import ParameterError
    from helpers.experiments.run_command import FillOptions, run
    from helpers.infra.run.notebooks import parse_parameters
    from helpers.infra.run.workers import RunArgumentError, SlurmOptions

    try:
        overrides = parse_parameters(args.parameter, args.yaml_parameter)
        if not notebooks and overrides:
            raise RunArgumentError("-p/-y set notebook parameters; drop them or --fill-only.")
        plan = _plan(args, args.notebooks, overrides)
        workers = getattr(args, "workers", 1)
        if getattr(args, "slurm", False) and workers > 1:
            raise RunArgumentError("--slurm runs one job per model already; drop --workers.")
    except (ProfileError, RunArgumentError, ParameterError, UnknownExperimentError) as error:
        return _fail(error, EXIT_USAGE)
    slurm = None
    if fill and args.slurm:
        slurm = SlurmOptions(
            args.slurm_partition,
            args.slurm_timeout_min,
            args.slurm_gpus_per_job,
            args.slurm_cpus_per_task,
            cluster=args.slurm_cluster,
            poll_seconds=30.0 if args.slurm_cluster == "slurm" else 1.0,
        )
    try:
        ok = run(plan, fill=fill, notebooks=notebooks, options=FillOptions(workers, slurm, args.log_dir))
    except RunArgumentError as error:
        return _fail(error, EXIT_USAGE)
    return EXIT_OK if ok else EXIT_FAILED


def _html(args: argparse.Namespace, plan=None) -> int:
    from helpers.experiments.run_plan import book_only_plan, plan_env
    from helpers.report.book import BOOK_DIR, BookBuildError, UnknownProfileError, build

    plan = plan if plan is not None else book_only_plan(args.profile, args.profiles_file, book_dir=args.book_dir)
    try:
        with plan_env(plan):
            print(build(plan.profile, plan.book_dir or BOOK_DIR, strict=args.strict, profiles_file=plan.profiles_file))
    except UnknownProfileError as error:
        return _fail(error, EXIT_USAGE)
    except BookBuildError as error:
        return _fail(error, EXIT_FAILED)
    return EXIT_OK


def _verify(args: argparse.Namespace) -> int:
    from helpers.experiments.verify import VerificationError, verify

    try:
        verify(load_profile(args.profile, args.profiles_file), seed=getattr(args, "seed", None))
    except VerificationError as error:
        return _fail(error, EXIT_FAILED)
    return EXIT_OK


def _book(args: argparse.Namespace) -> int:
    """Verify the shipped results, execute every notebook with its defaults, build the HTML."""
    from helpers.experiments.parameters import ParameterError
    from helpers.experiments.run_command import book_plan, run

    if args.parameter or args.yaml_parameter:
        return _fail(
            "book executes every notebook with its defaults, so it takes no -p/-y; for a custom run use "
            "`make notebook NB=<name> PARAMS=...`, then `make html`.",
            EXIT_USAGE,
        )
    try:
        plan = _plan(args)
    except (ParameterError, UnknownExperimentError) as error:
        return _fail(error, EXIT_USAGE)
    plan = book_plan(plan, compute_missing=args.compute_missing)
    status = _verify(args)
    if status != EXIT_OK:
        return status
    if not run(plan, fill=False, notebooks=True, book_run=True):
        return EXIT_FAILED
    return _html(args, plan)


def _ship(args: argparse.Namespace) -> int:
    from helpers.experiments.ship import ShipError, ship
    from helpers.infra.store import ResultNotFoundError, ResultStore

    profile = load_profile(args.profile, args.profiles_file)
    source = ResultStore(args.from_store) if args.from_store else None
    with results_env(args.store):
        try:
            ship(profile, from_store=source, partial=args.partial)
        except ResultNotFoundError as error:
            return _fail(f"{error}; compute it first with `make run PROFILE={args.profile}`", EXIT_FAILED)
        except ShipError as error:
            return _fail(error, EXIT_FAILED)
    return EXIT_OK


def _results_summary(args: argparse.Namespace) -> int:
    from helpers.experiments.ship import results_summary

    with results_env(args.store):
        print(results_summary(load_profile(args.profile, args.profiles_file)).to_csv(index=False), end="")
    return EXIT_OK


# ----------------------------------------------------------------------------- the parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m helpers",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="fill the results store, then execute the notebooks")
    _run_arguments(run)
    _fill_arguments(run)
    steps = run.add_mutually_exclusive_group()
    steps.add_argument("--fill-only", action="store_true", help="fill the results store, run no notebook")
    steps.add_argument("--notebooks-only", action="store_true", help="run the notebooks only")
    notebook = commands.add_parser("notebook", help="execute chosen notebooks (they compute what is missing)")
    _run_arguments(notebook)
    for name, help_text in (
        ("book", "execute every notebook with its defaults, then build the HTML"),
        ("html", "build the HTML from the executed notebooks as they are"),
    ):
        sub = commands.add_parser(name, help=help_text)
        _run_arguments(sub) if name == "book" else (_profile_arguments(sub), _book_dir_argument(sub))
        if name == "book":
            sub.add_argument(
                "--compute-missing",
                action="store_true",
                help="compute results neither shipped nor computed (default: leave those models out)",
            )
        sub.add_argument(
            "--strict",
            action=argparse.BooleanOptionalAction,
            default=True,
            help="warnings are errors, nitpicky cross-references (default: on)",
        )
    verify = commands.add_parser("verify", help="re-score a sample of the shipped results with the current code")
    _profile_arguments(verify)
    verify.add_argument("--seed", type=int, default=None, help="sample seed (default: from the git commit)")
    ship = commands.add_parser("ship", help="copy the profile's local results into data/results (shipped)")
    _profile_arguments(ship)
    ship.add_argument("--store", default=None, help="local results store (default $CC_RESULTS or results/)")
    ship.add_argument(
        "--from-store",
        default=None,
        help="read the results from this store instead (keys of an earlier code layout are matched "
        "on model, dtype, task, shots, limit, seed)",
    )
    ship.add_argument("--partial", action="store_true", help="ship what is computed, list what is not")
    summary = commands.add_parser("results-summary", help="CSV model,task,setting,n_items of what the stores hold")
    _profile_arguments(summary)
    summary.add_argument("--store", default=None, help="local results store (default $CC_RESULTS or results/)")
    models = commands.add_parser(
        "models", help="offline stand-in models: list, build NAME..., path NAME", add_help=False
    )  # --help goes to the command's own parser
    models.add_argument("rest", nargs=argparse.REMAINDER)
    for name, help_text in (
        ("lm-eval-tasks", "write lm-evaluation-harness task YAML files (DIR ...)"),
        ("import-lm-eval", "import lm-evaluation-harness --log_samples output (DIR ...)"),
    ):
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
            return _fail(error, EXIT_USAGE)
    args = build_parser().parse_args(argv)
    if pairs is not None:
        args.parameter, args.yaml_parameter = pairs["parameter"], pairs["yaml_parameter"]
    try:
        if hasattr(args, "profiles_file"):  # every problem of the file, before any work
            args.profiles_file = args.profiles_file or default_profiles_file()
            load_profiles(args.profiles_file)
        with profiles_file_env(getattr(args, "profiles_file", None)):  # every reader of a profile reads this file
            return _dispatch(args)
    except ProfileError as error:  # an unknown profile or a bad profiles file, whatever the command
        return _fail(error, EXIT_USAGE)


PASS_THROUGH = {
    "models": "helpers.core.models.offline.build",
    "lm-eval-tasks": "helpers.experiments.lmeval_export",
    "import-lm-eval": "helpers.experiments.lmeval_import",
}
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
