"""Run fill jobs: in this process, in N local worker processes (one GPU each), or on Slurm.

Every job is attempted; failures are collected in :class:`~helpers.infra.jobs.JobOutcome` s and
reported at the end instead of stopping the run. Worker *i* sees GPU *i* through
``CUDA_VISIBLE_DEVICES`` when there are GPUs (round-robin when there are more workers than
GPUs), or a fair share of the CPU threads. Slurm runs through submitit (``cluster="local"`` and
``"debug"`` exercise the same path without Slurm).
"""

from __future__ import annotations

import datetime as dt
import os
import queue
import re
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from helpers.infra.jobs import Job, JobOutcome, run_job_safely
from helpers.infra.paths import results_dir
from helpers.infra.run.summary import describe, first_line

__all__ = ["RunArgumentError", "SlurmOptions", "run_jobs", "default_log_dir"]


class RunArgumentError(ValueError):
    """A bad runner argument: unknown notebook, malformed parameter, conflicting flags."""


@dataclass(frozen=True)
class SlurmOptions:
    """How :func:`run_jobs` submits jobs through submitit.

    ``cluster`` is ``"slurm"``, or submitit's stand-ins ``"local"`` (subprocesses on this
    machine) and ``"debug"`` (in this process), which run the same code path without Slurm.
    """

    partition: str | None = None
    timeout_min: int = 240
    gpus_per_job: int = 1
    cpus_per_task: int | None = None
    mem_gb: float | None = None
    cluster: str = "slurm"
    poll_seconds: float = 30.0

    def parameters(self) -> dict[str, Any]:
        """Keyword arguments for ``AutoExecutor.update_parameters``."""
        params: dict[str, Any] = {
            "name": "cc-fill",
            "timeout_min": self.timeout_min,
            "gpus_per_node": self.gpus_per_job,
        }
        if self.partition:
            params["slurm_partition"] = self.partition
        if self.cpus_per_task:
            params["cpus_per_task"] = self.cpus_per_task
        if self.mem_gb:
            params["mem_gb"] = self.mem_gb
        return params


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "job"


def _print_progress(index: int, total: int, outcome: JobOutcome) -> None:
    status = "ok" if outcome.ok else "FAILED"
    print(
        f"[{index}/{total}] job {outcome.label}: {status} in {outcome.seconds:.1f} s "
        f"({first_line(describe(outcome), 160)})",
        flush=True,
    )


def _visible_gpus() -> list[str]:
    """GPU ids the workers may use: ``$CUDA_VISIBLE_DEVICES`` if set, else torch's count."""
    if "CUDA_VISIBLE_DEVICES" in os.environ:
        ids = [gpu.strip() for gpu in os.environ["CUDA_VISIBLE_DEVICES"].split(",") if gpu.strip()]
        return [] if ids in ([], ["-1"]) else ids
    try:  # asked in a child process: the runner itself stays free of torch
        found = subprocess.run(
            [sys.executable, "-c", "import torch; print(torch.cuda.device_count())"],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return []
    return [str(i) for i in range(int(found or 0))]


def _worker_env(slot: int, workers: int, gpus: Sequence[str]) -> dict[str, str]:
    """The environment of worker ``slot``: its GPU, or a fair share of the CPU threads."""
    env = dict(os.environ)
    if gpus:
        env["CUDA_VISIBLE_DEVICES"] = gpus[slot % len(gpus)]
    elif "OMP_NUM_THREADS" not in env:
        env["OMP_NUM_THREADS"] = str(max(1, (os.cpu_count() or 1) // workers))
    return env


def _tail(path: Path, n_lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-n_lines:])
    except OSError:
        return ""


def _run_in_process(jobs: Sequence[Job], report: Callable[[JobOutcome], None]) -> list[JobOutcome]:
    outcomes = []
    for job in jobs:
        print(f"job {job.label}: started", flush=True)
        outcome = run_job_safely(job)
        report(outcome)
        outcomes.append(outcome)
    return outcomes


def _run_in_workers(
    jobs: Sequence[Job], workers: int, log_dir: Path, report: Callable[[JobOutcome], None]
) -> list[JobOutcome]:
    """Run each job in a ``python -m helpers.infra.jobs`` subprocess, at most ``workers`` at a time."""
    payloads = [job.to_json() for job in jobs]  # fail before starting anything if one cannot be sent
    gpus = _visible_gpus()
    if gpus and workers > len(gpus):
        print(f"note: {workers} workers share {len(gpus)} GPU(s) round-robin.", flush=True)
    log_dir.mkdir(parents=True, exist_ok=True)
    free_slots: queue.Queue[int] = queue.Queue()
    for slot in range(workers):
        free_slots.put(slot)

    def run_one(index: int) -> JobOutcome:
        job, slot = jobs[index], free_slots.get()
        try:
            base = log_dir / f"{index:03d}-{_safe_name(job.label)}"
            job_file, outcome_file, log_file = (
                Path(f"{base}.job.json"),
                Path(f"{base}.outcome.json"),
                Path(f"{base}.log"),
            )
            job_file.write_text(payloads[index], encoding="utf-8")
            outcome_file.unlink(missing_ok=True)
            env = _worker_env(slot, workers, gpus)
            where = f"GPU {env['CUDA_VISIBLE_DEVICES']}" if gpus else "CPU"
            print(f"job {job.label}: started on worker {slot} ({where}), log {log_file}", flush=True)
            start = time.perf_counter()
            with open(log_file, "w", encoding="utf-8") as log:
                process = subprocess.run(
                    [sys.executable, "-m", "helpers.infra.jobs", str(job_file), str(outcome_file)],
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    check=False,
                )
            if outcome_file.is_file():
                outcome = JobOutcome.from_json(outcome_file.read_text(encoding="utf-8"))
            else:  # killed (out of memory, signal) before it could report
                outcome = JobOutcome(
                    job.label,
                    False,
                    time.perf_counter() - start,
                    error_type="WorkerDied",
                    message=f"worker exited with status {process.returncode} without reporting "
                    f"an outcome; last lines of its log:\n{_tail(log_file)}",
                )
            outcome.log_path = str(log_file)
            return outcome
        finally:
            free_slots.put(slot)

    outcomes: list[JobOutcome | None] = [None] * len(jobs)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(run_one, index): index for index in range(len(jobs))}
        for future in as_completed(futures):
            outcome = future.result()
            outcomes[futures[future]] = outcome
            report(outcome)
    return [outcome for outcome in outcomes if outcome is not None]


def _run_on_slurm(
    jobs: Sequence[Job], options: SlurmOptions, folder: Path, report: Callable[[JobOutcome], None]
) -> list[JobOutcome]:
    """Submit one submitit job per job, wait for all, return their outcomes in job order."""
    import submitit

    folder.mkdir(parents=True, exist_ok=True)
    try:
        executor = submitit.AutoExecutor(folder=folder, cluster=options.cluster)
        executor.update_parameters(**options.parameters())
        with executor.batch():
            submitted = [executor.submit(run_job_safely, job) for job in jobs]
    except Exception as error:  # noqa: BLE001 - sbatch missing, partition refused, ...
        raise RunArgumentError(
            f"submitting {len(jobs)} job(s) to cluster {options.cluster!r} failed: {type(error).__name__}: {error}. "
            "Is sbatch on PATH and the partition right (--slurm-partition)? On one machine use --workers N."
        ) from error
    print(
        f"submitted {len(submitted)} job(s) to {options.cluster}: "
        f"{', '.join(str(s.job_id) for s in submitted)}; logs in {folder}",
        flush=True,
    )
    position = {id(s): index for index, s in enumerate(submitted)}
    outcomes: list[JobOutcome | None] = [None] * len(jobs)
    for handle in submitit.helpers.as_completed(submitted, poll_frequency=options.poll_seconds):
        index = position[id(handle)]
        log_path = str(handle.paths.stderr)
        try:
            outcome = handle.result()
        except Exception as error:  # noqa: BLE001 - timeout, node failure, cancelled
            message = str(error).strip()
            outcome = JobOutcome(
                jobs[index].label, False, 0.0, error_type=type(error).__name__, message=message[-2000:]
            )
        outcome.log_path = log_path
        outcomes[index] = outcome
        report(outcome)
    return [outcome for outcome in outcomes if outcome is not None]


def run_jobs(
    jobs: Sequence[Job],
    *,
    workers: int = 1,
    slurm: SlurmOptions | None = None,
    log_dir: str | os.PathLike[str] | None = None,
) -> list[JobOutcome]:
    """Run every job and return their outcomes in job order; failures are collected, not raised.

    ``workers == 1`` and no ``slurm``: in this process, one after another. ``workers > 1``:
    that many local worker processes. ``slurm``: one submitit job each (logs in ``log_dir``).
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise RunArgumentError(f"workers={workers!r}: expected an integer >= 1.")
    if slurm is not None and workers > 1:
        raise RunArgumentError(
            f"workers={workers} and Slurm both asked for: Slurm runs one job per model "
            "already; drop --workers (or --slurm)."
        )
    jobs = list(jobs)
    counter = iter(range(1, len(jobs) + 1))

    def report(outcome: JobOutcome) -> None:
        _print_progress(next(counter), len(jobs), outcome)

    if not jobs:
        return []
    log_root = Path(log_dir) if log_dir is not None else default_log_dir()
    if slurm is not None:
        return _run_on_slurm(jobs, slurm, log_root, report)
    if workers > 1:
        return _run_in_workers(jobs, workers, log_root, report)
    return _run_in_process(jobs, report)


def default_log_dir() -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return results_dir() / "run_logs" / f"{stamp}-{os.getpid()}"
