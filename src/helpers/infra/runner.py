"""The runner: fill the results store one model per job, then execute the experiment notebooks.

``python -m helpers.infra.runner --profile ci`` does the two steps of ``make run``:

1. **Fill.** :func:`fill_jobs` lists one :class:`~helpers.infra.jobs.Job` per model of the profile
   (score it on every task setting, :func:`fill_model`), plus any jobs the attention-swap
   experiment contributes through ``helpers.experiments.swap.compute:fill_jobs(profile)`` when that
   module exists. :func:`run_jobs` runs them in-process one after another (the default), in
   ``--workers N`` local worker processes (worker *i* sees GPU *i* through
   ``CUDA_VISIBLE_DEVICES`` when there are GPUs), or as Slurm jobs through submitit
   (``--slurm``). Every job writes to the same results store, which is safe because the store
   writes atomically; a job whose results are stored already loads no model.
2. **Notebooks.** :func:`execute_notebooks` runs each chosen notebook with papermill, with
   ``profile`` and the ``-p NAME VALUE`` overrides injected, into
   ``book/experiments/<name>.ipynb``. The output is written to a temporary file and moved in
   place only on success, so the book never publishes a half-executed notebook; a failed run
   keeps the previous output and leaves the executed copy (with its error) in the run's log
   folder.

Failures do not stop the run: every job and notebook is attempted, and a table at the end
names each failure (what, error type, message, log file); the exit status is then 1.

Examples::

    python -m helpers.infra.runner --profile ci                       # fill, then all notebooks
    python -m helpers.infra.runner --profile paper --fill-only --workers 4
    python -m helpers.infra.runner --profile paper --fill-only --slurm --slurm-partition gpu
    python -m helpers.infra.runner --profile offline --notebooks scaling --notebooks-only -p limit 30
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib.util
import os
import queue
import re
import shutil
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

import yaml

from helpers.report.book import EXPERIMENTS
from helpers.infra.jobs import Job, JobOutcome, JobSpecError, run_job_safely
from helpers.infra.paths import REPO_ROOT, results_dir
from helpers.infra.profiles import PROFILES_FILE, Profile, ProfileError, TaskSetting, load_profile

__all__ = [
    "NOTEBOOKS_DIR", "OUTPUT_DIR", "SWAP_JOBS_MODULE", "RunArgumentError", "SlurmOptions", "NotebookOutcome",
    "fill_model", "evaluation_jobs", "fill_jobs", "run_jobs", "parse_parameters", "check_notebooks",
    "execute_notebook", "execute_notebooks", "format_report", "main",
]

NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
"""The experiment notebooks (inputs, committed without outputs)."""
OUTPUT_DIR = REPO_ROOT / "book" / "experiments"
"""Where executed notebooks go; the book publishes them from here."""
SWAP_JOBS_MODULE = "helpers.experiments.swap.compute"
"""Module that may contribute fill jobs through ``fill_jobs(profile) -> list[Job]``."""
KERNEL_NAME = "python3"
FILL_FUNCTION = "helpers.infra.runner:fill_model"


class RunArgumentError(ValueError):
    """A bad runner argument: unknown notebook, malformed parameter, conflicting flags."""


# ----------------------------------------------------------------------------- fill jobs


def fill_model(source: str, settings: Sequence[Mapping[str, Any]], device: str | None = None,
               store: str | None = None, seed: int | None = None, progress: bool = False) -> dict[str, Any]:
    """Score model ``source`` on every task setting (dicts of :class:`TaskSetting` fields).

    The job function of the fill step: results go to the store at ``store`` (default
    :func:`helpers.infra.paths.results_dir`); the model is loaded only if some setting is missing
    there, and released at the end. Returns ``{"model_id", "computed": [kinds], "cached":
    [kinds], "rows": {kind: n_rows}}``.
    """
    from helpers.experiments.evaluation import ModelHandle, evaluate, result_key  # lazy: imports torch
    from helpers.infra.store import ResultStore

    result_store = ResultStore(store)
    handle = ModelHandle(source, device=device)
    computed, cached, rows = [], [], {}
    try:
        for fields in settings:
            setting = TaskSetting(**fields)
            was_stored = result_store.exists(result_key(handle, setting, seed))
            frame = evaluate(handle, setting, seed=seed, store=result_store, progress=progress)
            (cached if was_stored else computed).append(setting.kind)
            rows[setting.kind] = len(frame)
    finally:
        handle.release()
    return {"model_id": handle.model_id, "computed": computed, "cached": cached, "rows": rows}


def _profile_device(profile: Profile) -> str | None:
    """The device the notebooks use for ``profile`` (same policy as ``experiment.configure``)."""
    return None if profile.device == "auto" else profile.device


def evaluation_jobs(profile: Profile, store: str | os.PathLike[str] | None = None,
                    progress: bool = False) -> list[Job]:
    """One job per model of ``profile``: score it on every task setting of the profile."""
    settings = [asdict(setting) for setting in profile.tasks.values()]
    store_path = str(Path(store if store is not None else results_dir()).expanduser().resolve())
    return [
        Job(label=source, function=FILL_FUNCTION,
            kwargs={"source": source, "settings": settings, "device": _profile_device(profile),
                    "store": store_path, "seed": None, "progress": progress})
        for source in profile.models
    ]


def _contributed_jobs(profile: Profile) -> list[Job]:
    """Jobs from ``helpers.experiments.swap.compute:fill_jobs(profile)``, if that module exists."""
    if importlib.util.find_spec(SWAP_JOBS_MODULE) is None:
        return []
    module = importlib.import_module(SWAP_JOBS_MODULE)
    contribute = getattr(module, "fill_jobs", None)
    if contribute is None:
        print(f"note: {SWAP_JOBS_MODULE} has no fill_jobs(profile); no swap jobs queued.", flush=True)
        return []
    jobs = list(contribute(profile))
    bad = [job for job in jobs if not isinstance(job, Job)]
    if bad:
        raise JobSpecError(f"{SWAP_JOBS_MODULE}.fill_jobs returned {bad[0]!r}; it must return "
                           "helpers.infra.jobs.Job objects.")
    return jobs


def fill_jobs(profile: Profile, store: str | os.PathLike[str] | None = None, progress: bool = False) -> list[Job]:
    """Every fill job of ``profile``: evaluation jobs, then any contributed (swap) jobs."""
    return evaluation_jobs(profile, store, progress) + _contributed_jobs(profile)


# ----------------------------------------------------------------------------- running jobs


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
        params: dict[str, Any] = {"name": "cc-fill", "timeout_min": self.timeout_min,
                                  "gpus_per_node": self.gpus_per_job}
        if self.partition:
            params["slurm_partition"] = self.partition
        if self.cpus_per_task:
            params["cpus_per_task"] = self.cpus_per_task
        if self.mem_gb:
            params["mem_gb"] = self.mem_gb
        return params


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "job"


def _describe(outcome: JobOutcome) -> str:
    """One line: what a finished job did."""
    if not outcome.ok:
        return f"{outcome.error_type}: {(outcome.message or '').splitlines()[0] if outcome.message else ''}"
    result = outcome.result
    if isinstance(result, dict) and "computed" in result:
        computed, cached = result.get("computed") or [], result.get("cached") or []
        return f"computed {', '.join(computed) or 'nothing'}; cached {', '.join(cached) or 'nothing'}"
    return "done"


def _print_progress(index: int, total: int, outcome: JobOutcome) -> None:
    status = "ok" if outcome.ok else "FAILED"
    print(f"[{index}/{total}] job {outcome.label}: {status} in {outcome.seconds:.1f} s "
          f"({_first_line(_describe(outcome), 160)})", flush=True)


def _visible_gpus() -> list[str]:
    """GPU ids the workers may use: ``$CUDA_VISIBLE_DEVICES`` if set, else torch's count."""
    if "CUDA_VISIBLE_DEVICES" in os.environ:
        ids = [gpu.strip() for gpu in os.environ["CUDA_VISIBLE_DEVICES"].split(",") if gpu.strip()]
        return [] if ids in ([], ["-1"]) else ids
    try:
        import torch
    except ImportError:
        return []
    return [str(i) for i in range(torch.cuda.device_count())]


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


def _run_in_workers(jobs: Sequence[Job], workers: int, log_dir: Path,
                    report: Callable[[JobOutcome], None]) -> list[JobOutcome]:
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
            job_file, outcome_file, log_file = (Path(f"{base}.job.json"), Path(f"{base}.outcome.json"),
                                                Path(f"{base}.log"))
            job_file.write_text(payloads[index], encoding="utf-8")
            outcome_file.unlink(missing_ok=True)
            env = _worker_env(slot, workers, gpus)
            where = f"GPU {env['CUDA_VISIBLE_DEVICES']}" if gpus else "CPU"
            print(f"job {job.label}: started on worker {slot} ({where}), log {log_file}", flush=True)
            start = time.perf_counter()
            with open(log_file, "w", encoding="utf-8") as log:
                process = subprocess.run([sys.executable, "-m", "helpers.infra.jobs", str(job_file), str(outcome_file)],
                                         env=env, stdout=log, stderr=subprocess.STDOUT, check=False)
            if outcome_file.is_file():
                outcome = JobOutcome.from_json(outcome_file.read_text(encoding="utf-8"))
            else:  # killed (out of memory, signal) before it could report
                outcome = JobOutcome(job.label, False, time.perf_counter() - start, error_type="WorkerDied",
                                     message=f"worker exited with status {process.returncode} without reporting "
                                             f"an outcome; last lines of its log:\n{_tail(log_file)}")
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


def _run_on_slurm(jobs: Sequence[Job], options: SlurmOptions, folder: Path,
                  report: Callable[[JobOutcome], None]) -> list[JobOutcome]:
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
    print(f"submitted {len(submitted)} job(s) to {options.cluster}: "
          f"{', '.join(str(s.job_id) for s in submitted)}; logs in {folder}", flush=True)
    position = {id(s): index for index, s in enumerate(submitted)}
    outcomes: list[JobOutcome | None] = [None] * len(jobs)
    for handle in submitit.helpers.as_completed(submitted, poll_frequency=options.poll_seconds):
        index = position[id(handle)]
        log_path = str(handle.paths.stderr)
        try:
            outcome = handle.result()
        except Exception as error:  # noqa: BLE001 - timeout, node failure, cancelled
            message = str(error).strip()
            outcome = JobOutcome(jobs[index].label, False, 0.0, error_type=type(error).__name__,
                                 message=message[-2000:])
        outcome.log_path = log_path
        outcomes[index] = outcome
        report(outcome)
    return [outcome for outcome in outcomes if outcome is not None]


def run_jobs(jobs: Sequence[Job], *, workers: int = 1, slurm: SlurmOptions | None = None,
             log_dir: str | os.PathLike[str] | None = None) -> list[JobOutcome]:
    """Run every job and return their outcomes in job order; failures are collected, not raised.

    ``workers == 1`` and no ``slurm``: in this process, one after another. ``workers > 1``:
    that many local worker processes. ``slurm``: one submitit job each (logs in ``log_dir``).
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise RunArgumentError(f"workers={workers!r}: expected an integer >= 1.")
    if slurm is not None and workers > 1:
        raise RunArgumentError(f"workers={workers} and Slurm both asked for: Slurm runs one job per model "
                               "already; drop --workers (or --slurm).")
    jobs = list(jobs)
    counter = iter(range(1, len(jobs) + 1))

    def report(outcome: JobOutcome) -> None:
        _print_progress(next(counter), len(jobs), outcome)

    if not jobs:
        return []
    log_root = Path(log_dir) if log_dir is not None else _default_log_dir()
    if slurm is not None:
        return _run_on_slurm(jobs, slurm, log_root, report)
    if workers > 1:
        return _run_in_workers(jobs, workers, log_root, report)
    return _run_in_process(jobs, report)


def _default_log_dir() -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return results_dir() / "run_logs" / f"{stamp}-{os.getpid()}"


# ----------------------------------------------------------------------------- notebooks


@dataclass
class NotebookOutcome:
    """What became of one notebook run."""

    name: str
    ok: bool
    seconds: float
    output_path: str | None = None  # the executed notebook (on success)
    error_type: str | None = None
    message: str | None = None
    log_path: str | None = None  # the executed copy with the error (on failure)


def _parse_value(text: str) -> Any:
    """A ``-p`` value: like papermill's ``-p`` (None, True, ints, floats), plus YAML lists/dicts."""
    if text == "None":
        return None
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    if isinstance(value, str):
        try:
            return float(value)  # YAML 1.1 reads "1e-3" as a string; papermill reads a float
        except ValueError:
            return value
    return value if value is not None or text.strip() in ("null", "~", "") else text


def parse_parameters(pairs: Sequence[Sequence[str]] | None) -> dict[str, Any]:
    """``[("limit", "30"), ("models", "[a, b]")]`` -> ``{"limit": 30, "models": ["a", "b"]}``."""
    parameters: dict[str, Any] = {}
    for pair in pairs or ():
        if len(pair) != 2:
            raise RunArgumentError(f"Parameter {list(pair)!r}: expected -p NAME VALUE.")
        name, text = pair
        if not name.isidentifier():
            raise RunArgumentError(f"Parameter name {name!r} is not a Python identifier (-p NAME VALUE).")
        if name == "profile":
            raise RunArgumentError("Set the profile with --profile, not -p profile.")
        parameters[name] = _parse_value(text)
    return parameters


def accepted_notebooks(notebooks_dir: Path = NOTEBOOKS_DIR) -> list[str]:
    """Notebook names accepted in ``notebooks_dir``: the experiments for the project's folder,
    else every ``*.ipynb`` there."""
    if Path(notebooks_dir).resolve() == NOTEBOOKS_DIR.resolve():
        return list(EXPERIMENTS)
    return sorted(path.stem for path in Path(notebooks_dir).glob("*.ipynb"))


def check_notebooks(names: Sequence[str] | str | None, notebooks_dir: Path = NOTEBOOKS_DIR) -> list[str]:
    """The chosen notebook names (all accepted ones for None), or :class:`RunArgumentError`."""
    accepted = accepted_notebooks(notebooks_dir)
    if names is None:
        return accepted
    chosen = [name.strip() for name in names.split(",")] if isinstance(names, str) else list(names)
    chosen = [name.removesuffix(".ipynb") for name in chosen if name]
    unknown = [name for name in chosen if name not in accepted]
    if unknown or not chosen:
        raise RunArgumentError(f"Unknown notebook(s) {unknown or chosen!r}; accepted: {', '.join(accepted)} "
                               "(comma-separated, e.g. --notebooks scaling,swap).")
    return list(dict.fromkeys(chosen))


def _declared_parameters(path: Path) -> set[str] | None:
    """Names assigned in the notebook's ``parameters`` cell (None: it has none, all are injected).

    Parsed with :mod:`ast` rather than papermill's inspector, which skips annotated names whose
    annotation it cannot parse (``models: list[str] | None = None``).
    """
    import ast

    import nbformat

    notebook = nbformat.read(str(path), as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            names: set[str] = set()
            for node in ast.parse(cell.source).body:
                targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
                names |= {target.id for target in targets if isinstance(target, ast.Name)}
            return names or None
    return None


def _notebook_parameters(names: Sequence[str], overrides: Mapping[str, Any],
                         notebooks_dir: Path) -> dict[str, dict[str, Any]]:
    """The overrides each notebook declares in its ``parameters`` cell.

    A notebook without a parameters cell (or not found: reported when it is run) gets all of
    them; an override that none of the notebooks declares is a :class:`RunArgumentError`.
    """
    per_notebook: dict[str, dict[str, Any]] = {}
    used: set[str] = set()
    declared_anywhere: set[str] = set()
    for name in names:
        path = Path(notebooks_dir) / f"{name}.ipynb"
        declared = _declared_parameters(path) if path.is_file() else None
        if declared is None:
            per_notebook[name] = dict(overrides)
        else:
            per_notebook[name] = {key: value for key, value in overrides.items() if key in declared}
            declared_anywhere |= declared
        used |= set(per_notebook[name])
    unused = [key for key in overrides if key not in used]
    if unused:
        raise RunArgumentError(f"Parameter(s) {unused} are declared by none of the notebooks {list(names)}; "
                               f"their parameters: {', '.join(sorted(declared_anywhere)) or 'none'}.")
    return per_notebook


def execute_notebook(name: str, profile: str, parameters: Mapping[str, Any] | None = None, *,
                     notebooks_dir: Path = NOTEBOOKS_DIR, output_dir: Path = OUTPUT_DIR,
                     log_dir: Path | None = None) -> NotebookOutcome:
    """Execute ``<notebooks_dir>/<name>.ipynb`` with papermill into ``<output_dir>/<name>.ipynb``.

    ``profile`` and ``parameters`` are injected after the notebook's ``parameters`` cell. The
    output appears only when every cell ran; on failure the previous output (if any) stays and
    the executed copy with the error goes to ``log_dir`` (default: the run's log folder).
    """
    import papermill

    source = Path(notebooks_dir) / f"{name}.ipynb"
    target = Path(output_dir) / f"{name}.ipynb"
    start = time.perf_counter()
    if not source.is_file():
        return NotebookOutcome(name, False, 0.0, error_type="NotebookMissing",
                               message=f"{source} does not exist; restore it from git.")
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp.ipynb")
    try:
        papermill.execute_notebook(str(source), str(temp), parameters={"profile": profile, **(parameters or {})},
                                   kernel_name=KERNEL_NAME, cwd=str(source.parent), progress_bar=False)
    except Exception as error:  # noqa: BLE001 - collected and reported at the end
        return _failed_notebook(name, error, time.perf_counter() - start, temp, log_dir)
    except BaseException:  # Ctrl-C: leave nothing half-written behind
        temp.unlink(missing_ok=True)
        raise
    os.replace(temp, target)
    return NotebookOutcome(name, True, time.perf_counter() - start, output_path=str(target))


def _failed_notebook(name: str, error: Exception, seconds: float, temp: Path,
                     log_dir: Path | None) -> NotebookOutcome:
    """The outcome of a failed run; its executed copy (if any) moves from ``temp`` to ``log_dir``."""
    from papermill.exceptions import PapermillExecutionError

    kept = None
    if temp.is_file():
        failed_dir = Path(log_dir) if log_dir is not None else _default_log_dir()
        failed_dir.mkdir(parents=True, exist_ok=True)
        kept = failed_dir / f"{name}.failed.ipynb"
        shutil.move(str(temp), kept)
    if isinstance(error, PapermillExecutionError):
        message = (f"cell {error.cell_index} (In [{error.exec_count}]) of the executed notebook raised "
                   f"{error.ename}: {error.evalue}")
        error_type = error.ename
    else:
        message, error_type = str(error).strip()[:2000], type(error).__name__
    return NotebookOutcome(name, False, seconds, error_type=error_type, message=message,
                           log_path=str(kept) if kept else None)


def execute_notebooks(names: Sequence[str], profile: str, overrides: Mapping[str, Any] | None = None, *,
                      notebooks_dir: Path = NOTEBOOKS_DIR, output_dir: Path = OUTPUT_DIR,
                      log_dir: Path | None = None) -> list[NotebookOutcome]:
    """Execute each notebook in turn (see :func:`execute_notebook`); failures are collected."""
    per_notebook = _notebook_parameters(names, overrides or {}, notebooks_dir)
    log_root = Path(log_dir) if log_dir is not None else _default_log_dir()
    outcomes = []
    for index, name in enumerate(names, start=1):
        print(f"notebook {name}: started (parameters {per_notebook[name] or 'none'})", flush=True)
        outcome = execute_notebook(name, profile, per_notebook[name], notebooks_dir=notebooks_dir,
                                   output_dir=output_dir, log_dir=log_root)
        status = "ok" if outcome.ok else "FAILED"
        detail = outcome.output_path if outcome.ok else f"{outcome.error_type}: {outcome.message}"
        print(f"[{index}/{len(names)}] notebook {name}: {status} in {outcome.seconds:.1f} s ({detail})", flush=True)
        outcomes.append(outcome)
    return outcomes


# ----------------------------------------------------------------------------- report


def _first_line(text: str | None, width: int = 120) -> str:
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return line if len(line) <= width else line[: width - 3] + "..."


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows)]
    lines = ["  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip()
             for row in [header, ["-" * w for w in widths], *rows]]
    return "\n".join(lines)


def format_report(jobs: Sequence[JobOutcome], notebooks: Sequence[NotebookOutcome]) -> str:
    """The end-of-run summary: one row per job and notebook, then a table of the failures."""
    rows = [["job", o.label, "ok" if o.ok else "FAILED", f"{o.seconds:.1f}", _first_line(_describe(o), 70)]
            for o in jobs]
    rows += [["notebook", o.name, "ok" if o.ok else "FAILED", f"{o.seconds:.1f}",
              _first_line(o.output_path if o.ok else f"{o.error_type}: {o.message}", 70)] for o in notebooks]
    parts = ["Summary", _table(["kind", "name", "status", "seconds", "detail"], rows)] if rows else ["Nothing to do."]
    failures = [["job", o.label, o.error_type or "", _first_line(o.message), o.log_path or "-"]
                for o in jobs if not o.ok]
    failures += [["notebook", o.name, o.error_type or "", _first_line(o.message), o.log_path or "-"]
                 for o in notebooks if not o.ok]
    if failures:
        parts += ["", f"{len(failures)} failure(s)",
                  _table(["kind", "name", "error type", "message", "log"], failures)]
    else:
        parts += ["", "No failures."]
    return "\n".join(parts)


# ----------------------------------------------------------------------------- CLI


@contextlib.contextmanager
def _results_env(store: str | None) -> Iterator[None]:
    """Point ``$CC_RESULTS`` at ``store`` for this run (workers, Slurm jobs and notebook kernels
    inherit it), restoring the previous value afterwards."""
    if store is None:
        yield
        return
    previous = os.environ.get("CC_RESULTS")
    os.environ["CC_RESULTS"] = str(Path(store).expanduser().resolve())
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("CC_RESULTS", None)
        else:
            os.environ["CC_RESULTS"] = previous


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m helpers.infra.runner", description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Example: python -m helpers.infra.runner --profile offline --notebooks scaling --notebooks-only -p limit 30")
    parser.add_argument("--profile", required=True, help="profile name from data/profiles.yml (ci, offline, small, paper)")
    steps = parser.add_mutually_exclusive_group()
    steps.add_argument("--fill-only", action="store_true", help="fill the results store, run no notebook")
    steps.add_argument("--notebooks-only", action="store_true", help="run the notebooks only (they compute what is missing)")
    parser.add_argument("--notebooks", default=None,
                        help=f"comma-separated notebooks to run (default all: {','.join(EXPERIMENTS)})")
    parser.add_argument("--workers", type=int, default=1,
                        help="fill with N local worker processes (one GPU each when there are GPUs); default 1: in-process")
    parser.add_argument("--slurm", action="store_true", help="fill with one Slurm job per model (submitit)")
    parser.add_argument("--slurm-partition", default=None, help="Slurm partition")
    parser.add_argument("--slurm-timeout-min", type=int, default=240, help="time limit per job, minutes (default 240)")
    parser.add_argument("--slurm-gpus-per-job", type=int, default=1, help="GPUs per job (default 1)")
    parser.add_argument("--slurm-cpus-per-task", type=int, default=None, help="CPUs per job")
    parser.add_argument("--slurm-cluster", choices=("slurm", "local", "debug"), default="slurm",
                        help="submitit backend: slurm, or its local/debug stand-ins for trying the path without Slurm")
    parser.add_argument("-p", "--parameter", nargs=2, action="append", metavar=("NAME", "VALUE"), default=[],
                        help="notebook parameter override, as papermill's -p (e.g. -p limit 30 -p models '[a, b]')")
    parser.add_argument("--output-dir", type=Path, default=OUTPUT_DIR,
                        help="where executed notebooks go (default book/experiments)")
    parser.add_argument("--store", default=None,
                        help="results store folder (default $CC_RESULTS or results/); notebooks and workers use it too")
    parser.add_argument("--notebooks-dir", type=Path, default=NOTEBOOKS_DIR, help="input notebooks (default notebooks/)")
    parser.add_argument("--profiles-file", type=Path, default=PROFILES_FILE,
                        help="profiles YAML for the fill step (default data/profiles.yml; notebooks always read "
                             "the default)")
    parser.add_argument("--log-dir", type=Path, default=None,
                        help="worker logs, Slurm logs and failed notebooks (default <store>/run_logs/<time>)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """The CLI; returns 0 when everything ran, 1 when something failed, 2 for bad arguments."""
    args = build_parser().parse_args(argv)
    with _results_env(args.store):
        try:
            profile = load_profile(args.profile, args.profiles_file)
            names = [] if args.fill_only else check_notebooks(args.notebooks, args.notebooks_dir)
            overrides = parse_parameters(args.parameter)
            if args.fill_only and (args.notebooks or overrides):
                raise RunArgumentError("--notebooks and -p apply to notebooks; drop them or --fill-only.")
            if args.slurm and args.workers > 1:
                raise RunArgumentError("--slurm runs one job per model already; drop --workers.")
            if args.workers < 1:
                raise RunArgumentError(f"--workers {args.workers}: expected an integer >= 1.")
            log_dir = args.log_dir or _default_log_dir()
            _notebook_parameters(names, overrides, args.notebooks_dir)  # a typo fails before hours of filling
        except (ProfileError, RunArgumentError) as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        start = time.perf_counter()
        job_outcomes: list[JobOutcome] = []
        if not args.notebooks_only:
            slurm = None
            if args.slurm:
                slurm = SlurmOptions(args.slurm_partition, args.slurm_timeout_min, args.slurm_gpus_per_job,
                                     args.slurm_cpus_per_task, cluster=args.slurm_cluster,
                                     poll_seconds=30.0 if args.slurm_cluster == "slurm" else 1.0)
            progress = sys.stderr.isatty() and args.workers == 1 and not args.slurm
            jobs = fill_jobs(profile, progress=progress)
            print(f"fill: {len(jobs)} job(s) for profile {profile.name!r} into {results_dir()}", flush=True)
            try:
                slurm_dir = args.log_dir or results_dir() / "slurm_logs"
                job_outcomes = run_jobs(jobs, workers=args.workers, slurm=slurm,
                                        log_dir=slurm_dir if slurm else log_dir)
            except (RunArgumentError, JobSpecError) as error:
                print(f"error: {error}", file=sys.stderr)
                return 2
        notebook_outcomes = []
        if names:
            notebook_outcomes = execute_notebooks(names, profile.name, overrides, notebooks_dir=args.notebooks_dir,
                                                  output_dir=args.output_dir, log_dir=log_dir)
        print(f"\n{format_report(job_outcomes, notebook_outcomes)}\nTotal {time.perf_counter() - start:.1f} s.",
              flush=True)
        failed = any(not o.ok for o in job_outcomes) or any(not o.ok for o in notebook_outcomes)
        return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
