"""Jobs: one unit of work for the runner, named by an importable function and its arguments.

A :class:`Job` says *what* to run (``"module:function"`` plus keyword arguments), not *where*:
the runner (:mod:`helpers.infra.runner`) runs the same job in-process, in a local worker subprocess
(``python -m helpers.infra.jobs JOB.json OUTCOME.json``) or as a Slurm job through submitit. Naming
the function by a string keeps a job cheap to build, to print, to pickle and to write as JSON,
and lets other modules contribute jobs without the runner importing them (the attention-swap
experiment adds its own through ``helpers.experiments.swap.compute:fill_jobs(profile)``).

:func:`run_job` runs a job and returns (or raises) whatever the function does;
:func:`run_job_safely` never raises for an error of the job itself: it returns a
:class:`JobOutcome` naming the error, so one failed model does not stop the others.

This module imports nothing heavy, so a worker starts quickly and the job's own imports
(torch, transformers) happen only where the job runs.
"""

from __future__ import annotations

import importlib
import json
import sys
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Job", "JobOutcome", "JobSpecError", "resolve_function", "run_job", "run_job_safely"]


class JobSpecError(ValueError):
    """A job whose function cannot be found or whose arguments cannot be sent to a worker."""


@dataclass(frozen=True)
class Job:
    """One unit of work: call ``function`` (``"package.module:function"``) with ``kwargs``.

    ``label`` names the job in progress lines and the failure report (e.g. the model source).
    ``kwargs`` must be plain JSON values (str, int, float, bool, None, lists, dicts) so the job
    can be sent to a worker process or a cluster node unchanged.
    """

    label: str
    function: str
    kwargs: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        """The job as JSON text (:class:`JobSpecError` if ``kwargs`` are not plain JSON values)."""
        try:
            return json.dumps(
                {"label": self.label, "function": self.function, "kwargs": dict(self.kwargs)}, allow_nan=False
            )
        except (TypeError, ValueError) as error:
            raise JobSpecError(
                f"Job {self.label!r}: kwargs {dict(self.kwargs)!r} are not plain JSON values ({error}); "
                "pass paths as str and settings as dicts so the job can be sent to a worker."
            ) from error

    @classmethod
    def from_json(cls, text: str) -> Job:
        record = json.loads(text)
        return cls(record["label"], record["function"], record.get("kwargs", {}))


@dataclass
class JobOutcome:
    """What became of one job: ``ok``, its elapsed seconds, its result or its error."""

    label: str
    ok: bool
    seconds: float
    result: Any = None  # the function's return value (plain values only from workers)
    error_type: str | None = None  # e.g. "UnknownModelError"
    message: str | None = None  # the error's message (first lines)
    traceback: str | None = None
    log_path: str | None = None  # where the job's output went (workers, Slurm), if anywhere

    def to_json(self) -> str:
        record = asdict(self)
        try:
            return json.dumps(record, default=str)
        except (TypeError, ValueError):  # a result that JSON cannot hold: keep its repr
            record["result"] = repr(record["result"])
            return json.dumps(record, default=str)

    @classmethod
    def from_json(cls, text: str) -> JobOutcome:
        return cls(**json.loads(text))


def resolve_function(spec: str) -> Callable[..., Any]:
    """The function named by ``"package.module:function"`` (imported now)."""
    module_name, sep, attribute = spec.partition(":") if isinstance(spec, str) else ("", "", "")
    if not sep or not module_name or not attribute:
        raise JobSpecError(
            f"Job function {spec!r} must look like 'package.module:function', e.g. 'helpers.infra.runner:fill_model'."
        )
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        raise JobSpecError(f"Job function {spec!r}: module {module_name!r} cannot be imported ({error}).") from error
    function = getattr(module, attribute, None)
    if not callable(function):
        raise JobSpecError(f"Job function {spec!r}: {module_name} has no function {attribute!r}.")
    return function


def run_job(job: Job) -> Any:
    """Import ``job.function`` and call it with ``job.kwargs``; return its result (errors propagate)."""
    return resolve_function(job.function)(**dict(job.kwargs))


def _short_message(error: BaseException, max_chars: int = 2000) -> str:
    text = str(error).strip() or repr(error)
    return text if len(text) <= max_chars else text[:max_chars] + " [...]"


def run_job_safely(job: Job, log_path: str | None = None) -> JobOutcome:
    """:func:`run_job`, returning a :class:`JobOutcome` instead of raising for the job's errors.

    ``KeyboardInterrupt`` and ``SystemExit`` still propagate, so Ctrl-C stops the run.
    """
    start = time.perf_counter()
    try:
        result = run_job(job)
    except Exception as error:  # noqa: BLE001 - collected and reported by the runner
        return JobOutcome(
            job.label,
            False,
            time.perf_counter() - start,
            error_type=type(error).__name__,
            message=_short_message(error),
            traceback=traceback.format_exc(),
            log_path=log_path,
        )
    return JobOutcome(job.label, True, time.perf_counter() - start, result=result, log_path=log_path)


def main(argv: Sequence[str] | None = None) -> int:
    """Worker entry point: ``python -m helpers.infra.jobs JOB.json OUTCOME.json``.

    Runs the job, writes its :class:`JobOutcome` as JSON (exit status 0 whether the job
    failed or not: the outcome says); prints the traceback of a failure to stderr (the log).
    """
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2:
        print("usage: python -m helpers.infra.jobs JOB.json OUTCOME.json", file=sys.stderr)
        return 2
    job_path, outcome_path = Path(args[0]), Path(args[1])
    job = Job.from_json(job_path.read_text(encoding="utf-8"))
    outcome = run_job_safely(job)
    if not outcome.ok:
        print(outcome.traceback, file=sys.stderr)
    temp_path = outcome_path.with_name(outcome_path.name + ".tmp")
    temp_path.write_text(outcome.to_json(), encoding="utf-8")
    temp_path.replace(outcome_path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
