"""One lm-evaluation-harness task of a ``--log_samples`` run, checked against our items, as stored rows.

:func:`check_task` rebuilds our items of one exported ``cc_`` task for the run's shots and few-shot
seed and checks every sample against them (number of requests, context and continuation strings,
gold, doc ids a prefix of our item order, the run's ``--limit`` fully present), raising
:class:`~helpers.experiments.lmeval_samples.LmEvalImportError` (file, line, field) at the first
difference. :func:`task_rows` lays out the rows :func:`helpers.experiments.evaluation.evaluate`
stores, and :func:`run_provenance` what the store records about the harness run. Used by
:mod:`helpers.experiments.lmeval_import`, which plans and writes the settings.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

from helpers.core.requests import Item, Score
from helpers.core.tasks import DEFAULT_SEED, TaskError, arithmetic, build_items
from helpers.experiments.evaluation import ModelHandle, request_rows
from helpers.experiments.lmeval_export import FORMAT_VERSION, ZERO_SHOT_ONLY
from helpers.experiments.lmeval_samples import LmEvalImportError, RunResults, Sample, read_samples
from helpers.infra.files import file_sha256

RANDOM_FEWSHOT = (*arithmetic.FILES, "mrpc", "qqp", "qqp_sample")  # tasks whose shots are drawn at random


@dataclass
class ImportedTask:
    """One task of a run: its samples, checked, with our items in our order."""

    name: str  # lm-eval task name
    ours: str
    shots: int
    seed: int | None  # our key's seed (None = the task's default)
    path: str | None
    limit: int | None
    items: list[Item]  # the imported items, our order
    samples: list[Sample]


def check_task(run: RunResults, name: str, ours: str, meta: dict) -> ImportedTask:
    """Task ``name`` of ``run`` (our task ``ours``, its YAML ``metadata`` ``meta``), each sample checked against
    our items; :class:`~helpers.experiments.lmeval_samples.LmEvalImportError` at the first difference."""
    version = run.get(["versions", name], (int, float, str), "the task version")
    if version != FORMAT_VERSION:
        raise run.error(
            ["versions", name],
            f"task version {version!r}; this importer reads version "
            f"{FORMAT_VERSION} of the exported tasks: re-export (make lm-eval-tasks) and re-run lm_eval.",
        )
    shots = run.get(["n-shot", name], int, "the number of few-shot examples")
    if shots and ours.startswith(ZERO_SHOT_ONLY):
        raise run.error(
            ["n-shot", name],
            f"{shots}-shot: the full-text MMLU format is imported 0-shot only "
            "(its v0 few-shot sampler cannot be reproduced by an lm-eval YAML).",
        )
    fewshot_seed = run.data["config"].get("fewshot_seed", DEFAULT_SEED)
    random_shots = bool(shots) and ours in RANDOM_FEWSHOT
    if random_shots and not isinstance(fewshot_seed, int):
        raise run.error(["config", "fewshot_seed"], f"is {fewshot_seed!r}: random few-shot draws cannot be rebuilt.")
    seed = fewshot_seed if random_shots and fewshot_seed != DEFAULT_SEED else None
    path = meta.get("cc_path")
    try:
        full = build_items(ours, shots=shots, seed=seed, path=path)
    except TaskError as error:
        raise run.error(["configs", name, "metadata"], f"cannot rebuild our items of {ours!r}: {error}") from None
    samples = sorted(read_samples(run.samples_path(name)), key=lambda s: (s.doc_id, s.line))
    for sample in samples:
        if sample.doc_id >= len(full):
            raise sample.error("doc_id", f"{sample.doc_id} is out of range: {ours} has {len(full)} documents.")
    for index, sample in enumerate(samples):
        if sample.doc_id != index:
            duplicate = index and samples[index - 1].doc_id == sample.doc_id
            raise sample.error(
                "doc_id",
                f"{sample.doc_id} is a duplicate"
                if duplicate
                else f"{sample.doc_id} follows a gap (document {index} is missing): only a prefix "
                "of the documents (lm_eval --limit N) can be imported.",
            )
        _compare(sample, full[index])
    limit = _run_limit(run, name, ours, len(full), samples)
    return ImportedTask(name, ours, shots, seed, path, limit, full[: len(samples)], samples)


def _run_limit(run: RunResults, name: str, ours: str, n_full: int, samples: Sequence[Sample]) -> int | None:
    """Our ``limit`` for a task's samples, after checking the file holds every document the run scored.

    lm-eval records ``--limit`` as given, an int or (as its CLI writes it) a float such as ``6.0``;
    below 1 it is a fraction of the documents. The run scored ``min(int(limit), n_full)``
    documents (``ceil(n_full * limit)`` for a fraction; ``n_full`` with no limit), whatever the
    number's type: a samples file with fewer, e.g. cut at a line boundary, is refused naming the
    file and the missing doc ids, never imported as a smaller run.
    """
    limit_arg = run.data["config"].get("limit")
    if limit_arg is not None and (
        isinstance(limit_arg, bool) or not isinstance(limit_arg, (int, float)) or not limit_arg > 0
    ):
        raise run.error(["config", "limit"], f"is {limit_arg!r}; lm_eval records --limit as a positive number or null.")
    if limit_arg is None:
        scored = n_full
    else:
        scored = min(math.ceil(n_full * limit_arg) if limit_arg < 1 else int(limit_arg), n_full)
    n = len(samples)
    if n > scored:
        raise LmEvalImportError(
            run.samples_path(name),
            scored + 1,
            "doc_id",
            (
                f"holds {n} documents, more than the {scored} the run of {run.path.name} scored (limit {limit_arg!r}): "
                "the samples file is from another run."
            ),
        )
    if n < scored:
        missing = list(range(n, scored))
        shown = ", ".join(map(str, missing[:10])) + (f" ... ({len(missing)} in all)" if len(missing) > 10 else "")
        path = run.samples_path(name)
        raise LmEvalImportError(
            path,
            n + 1,
            "doc_id",
            (
                f"holds {n} documents, but the run scored {scored} ({ours}: {n_full} documents, limit {limit_arg!r} in "
                f"{run.path.name}): doc_id {shown} missing. The file was cut short; copy it whole, or re-run lm_eval."
            ),
        )
    if limit_arg is None or scored == n_full and limit_arg < 1:
        return None
    return int(limit_arg) if limit_arg >= 1 else scored


def _compare(sample: Sample, item: Item) -> None:
    if len(sample.requests) != len(item.requests):
        raise sample.error(
            "arguments",
            f"has {len(sample.requests)} requests; our item {item.item_id} has {len(item.requests)} (one per choice).",
        )
    for i, ((context, continuation), request) in enumerate(zip(sample.requests, item.requests)):
        for part, theirs, ours in (("arg_0", context, request.context), ("arg_1", continuation, request.continuation)):
            if theirs != ours:
                at = next((k for k, (a, b) in enumerate(zip(theirs, ours)) if a != b), min(len(theirs), len(ours)))
                raise sample.error(
                    f"arguments.gen_args_{i}.{part}",
                    f"differs from our item {item.item_id} at "
                    f"character {at}: {theirs[at : at + 40]!r} vs ours {ours[at : at + 40]!r}.",
                )
    expected = item.requests[0].continuation if len(item.requests) == 1 else str(item.gold)
    if sample.target != expected:
        raise sample.error("target", f"{sample.target!r}; our item {item.item_id} has gold {expected!r}.")


def task_rows(
    tasks: Sequence[ImportedTask], handle: ModelHandle, kind: str, params: tuple[float, float], counter
) -> list[dict]:
    """One row per (item, choice), as ``evaluate`` stores them (:func:`~helpers.experiments.evaluation.request_rows`)
    without per-token values (lm-eval samples carry none); ``params`` = (total, non-embedding) counts;
    ``n_tokens`` from ``counter(requests)``, NaN without a counter."""
    rows = []
    for task in tasks:
        requests = [r for item in task.items for r in item.requests]
        counts = iter(counter(requests) if counter else [math.nan] * len(requests))
        # the samples are in the items' order, one (logprob, is_greedy) per request (check_task)
        scores = [Score(logprob, greedy, next(counts)) for sample in task.samples for logprob, greedy in sample.scores]
        rows += request_rows(task.items, scores, model_id=handle.model_id, kind=kind, n_params=params)
    return rows


def run_provenance(
    run: RunResults, info: dict, tasks: Sequence[ImportedTask], params_origin: str, counted: bool
) -> dict:
    """What the store records under ``extra.lm_eval``: the run, its files' hashes and each task's settings."""
    date = run.data.get("date")
    iso = (
        _dt.datetime.fromtimestamp(date, _dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        if isinstance(date, (int, float)) and not isinstance(date, bool)
        else date
    )
    return {
        **info,
        "results_file": str(run.path),
        "results_sha256": file_sha256(run.path),
        "samples_files": {
            t.name: {"file": str(run.samples_path(t.name)), "sha256": file_sha256(run.samples_path(t.name))}
            for t in tasks
        },
        "lm_eval_version": run.data.get("lm_eval_version"),
        "lm_eval_git_hash": run.data.get("git_hash"),
        "transformers_version": run.data.get("transformers_version"),
        "date": iso,
        "limit": run.data["config"].get("limit"),
        "fewshot_seed": run.data["config"].get("fewshot_seed"),
        "tasks": {
            t.name: {
                "task": t.ours,
                "shots": t.shots,
                "n_docs": len(t.samples),
                "version": run.data["versions"].get(t.name),
                "generated_by": run.data["configs"][t.name].get("metadata", {}).get("generated_by"),
            }
            for t in tasks
        },
        "n_params_from": params_origin,
        "n_tokens_from": "tokenizer" if counted else "unavailable (NaN)",
    }
