"""Score one model on one task setting, through the results store.

This is the expensive step of every experiment. :func:`evaluate` returns one row per request
(one per answer choice) with the engine's numbers, the item's gold answer and the model's
parameter counts. Rows are looked up in the store stack (:class:`helpers.infra.store.StoreStack`):
the local store under the settings plus the evaluation code version, then the shipped results
under the settings alone; only what neither holds is computed, into the local store. The model
is loaded only then, and before the store is touched, so a model that cannot be loaded leaves no
half-made entry behind.

Key fields (:func:`result_key`) hold nothing machine-specific: the model's canonical id and
revision (hub revision, offline build id, local files fingerprint), dtype, the task, shots,
limit, seed and, for a user-supplied data file, its sha256, never its path.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from helpers.infra.paths import DATA_DIR, results_dir
from helpers.infra.profiles import TaskSetting
from helpers.infra.store import ResultStore, StoreStack

log = logging.getLogger(__name__)

SHARD_SIZE = 64  # items per stored shard: the unit of resumption
ROW_COLUMNS = [
    "model_id",
    "task",
    "kind",
    "item_id",
    "subject",
    "choice",
    "label",
    "gold",
    "is_gold",
    "continuation",
    "logprob",
    "is_greedy",
    "n_tokens",
    "token_logprobs",
    "token_is_greedy",
    "n_params_total",
    "n_params_nonembedding",
]
SHIPPED_RESULTS_DIR = DATA_DIR / "results"
"""The shipped, read-only results (see :mod:`helpers.experiments.ship`)."""
FILL_FUNCTION = "helpers.experiments.evaluation:fill_model"


def evaluation_code_version() -> str:
    """The code version of evaluation rows (:data:`helpers.experiments.registry.EVALUATION_CODE`)."""
    from helpers.experiments.registry import EVALUATION_CODE
    from helpers.infra.provenance import code_version

    return code_version(EVALUATION_CODE)


def default_stack(*, shipped: bool = True, local: str | Path | None = None) -> StoreStack:
    """The local store (``$CC_RESULTS`` or ``results/``) over the shipped results (when ``shipped``)."""
    local_store = ResultStore(local if local is not None else results_dir())
    shipped_stores = [ResultStore(SHIPPED_RESULTS_DIR)] if shipped and SHIPPED_RESULTS_DIR.is_dir() else []
    return StoreStack(local_store, shipped_stores)


@dataclass
class ModelHandle:
    """A model source resolved once (id, revision, dtype, device); weights loaded on first use.

    ``facts`` is the source's :class:`~helpers.core.models.ModelFacts` (memoised per process by
    :func:`~helpers.core.models.model_facts`): ask it, not the handle's fields, for the family,
    tokenizer, parameter count or build record.
    """

    source: str
    revision: str | None = None
    dtype: str | None = None
    device: str | None = None
    loader: Callable[..., Any] | None = None
    _loaded: Any = None

    def __post_init__(self) -> None:
        from helpers.core.models import model_facts

        self.facts = model_facts(self.source, revision=self.revision, dtype=self.dtype, device=self.device)
        self.model_id, self.revision = self.facts.model_id, self.facts.revision
        self.dtype, self.device = self.facts.dtype, self.facts.device

    @property
    def is_loaded(self) -> bool:
        """Whether the weights are in memory (reading :attr:`loaded` would not load them)."""
        return self._loaded is not None

    @property
    def loaded(self):
        """The :class:`helpers.core.models.LoadedModel` (loaded now if it was not)."""
        if self._loaded is None:
            from transformers.utils import logging as hf_logging

            from helpers.core.models import load_model

            log.info("loading %s (%s, %s)", self.source, self.dtype, self.device)
            hf_logging.disable_progress_bar()  # keep "Loading weights" bars out of executed notebooks
            loader = self.loader or load_model
            # a local folder's revision is its files' fingerprint, which the loader refuses as an argument
            revision = None if self.facts.kind == "local" else self.revision
            self._loaded = loader(self.source, revision=revision, dtype=self.dtype, device=self.device)
        return self._loaded

    def release(self) -> None:
        """Drop the weights (the next use loads them again)."""
        self._loaded = None

    def key_fields(self) -> dict[str, Any]:
        return {"model_id": self.model_id, "revision": self.revision, "dtype": self.dtype}


def data_fingerprint(path: str | None) -> str | None:
    """``sha256:<hex>`` of a user-supplied data file (a folder: of its files, by path relative to it,
    hidden files such as ``.DS_Store`` left out), or None for none. Where the data lies never enters it."""
    if not path:
        return None
    target = Path(path).expanduser()
    if target.is_dir():
        files = sorted(
            p
            for p in target.rglob("*")
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(target).parts)
        )
        names = [file.relative_to(target).as_posix() for file in files]
    else:
        files, names = [target], [target.name]
    digest = hashlib.sha256()
    for file, name in zip(files, names):
        digest.update(name.encode() + b"\0" + file.read_bytes())
    return f"sha256:{digest.hexdigest()}"


def result_key(handle: ModelHandle, setting: TaskSetting, seed: int | None = None) -> dict[str, Any]:
    """The key fields of ``setting`` scored on ``handle`` (the stack adds the code version locally)."""
    return {
        **handle.key_fields(),
        "task": setting.task,
        "shots": setting.shots,
        "limit": setting.limit,
        "seed": seed,
        "data": data_fingerprint(setting.path),
    }


def rows_for(
    handle: ModelHandle, setting: TaskSetting, items: Sequence, batch_tokens: int, progress: bool
) -> pd.DataFrame:
    """Score ``items`` and lay the scores out one row per request (:data:`ROW_COLUMNS`)."""
    from helpers.core.scoring import Scorer

    loaded = handle.loaded
    requests = [request for item in items for request in item.requests]
    scorer = Scorer(
        loaded.model, loaded.tokenizer, max_length=loaded.max_length, batch_tokens=batch_tokens, progress=progress
    )
    scores = scorer.score(requests, return_token_values=True, desc=f"{handle.model_id} {setting.task}")
    records = request_rows(
        items,
        scores,
        model_id=handle.model_id,
        kind=setting.kind,
        n_params=(loaded.n_params_total, loaded.n_params_nonembedding),
    )
    return pd.DataFrame(records, columns=ROW_COLUMNS)


def request_rows(
    items: Sequence, scores: Sequence, *, model_id: str, kind: str, n_params: tuple[float, float]
) -> list[dict[str, Any]]:
    """One record per request of ``items`` (in order) with its :class:`~helpers.core.requests.Score`:
    the :data:`ROW_COLUMNS`, the one layout of a stored per-request row (the swap adds its condition's
    columns to these). ``n_params``: ``(total, non-embedding)`` parameters of the scored model."""
    records, score_iter = [], iter(scores)
    for item in items:
        for choice, request in enumerate(item.requests):
            score = next(score_iter)
            records.append(
                {
                    "model_id": model_id,
                    "task": item.task,
                    "kind": kind,
                    "item_id": item.item_id,
                    "subject": str(item.meta.get("subject", "")),
                    "choice": choice,
                    "label": item.choice_labels[choice] if item.choice_labels else request.continuation.strip(),
                    "gold": item.gold,
                    "is_gold": choice == item.gold,
                    "continuation": request.continuation,
                    "logprob": score.logprob,
                    "is_greedy": score.is_greedy,
                    "n_tokens": score.n_tokens,
                    "token_logprobs": list(score.token_logprobs or ()),
                    "token_is_greedy": list(score.token_is_greedy or ()),
                    "n_params_total": n_params[0],
                    "n_params_nonembedding": n_params[1],
                }
            )
    return records


def build_setting_items(setting: TaskSetting, seed: int | None = None) -> list:
    """The items of ``setting`` (task, shots, limit, data path) with few-shot seed ``seed``."""
    from helpers.core.tasks import build_items

    return build_items(setting.task, seed=seed, **setting.build_kwargs())


def model_provenance(handle: ModelHandle) -> dict[str, Any]:
    """What the store records about the model beside its rows (offline: sha256, weight types, build id)."""
    record: dict[str, Any] = {"source": handle.source, "model_id": handle.model_id, "revision": handle.revision}
    record.update(handle.facts.build_record())
    return record


def evaluate(
    handle: ModelHandle,
    setting: TaskSetting,
    *,
    seed: int | None = None,
    stack: StoreStack | None = None,
    batch_tokens: int = 4096,
    progress: bool = True,
    on_shard: Callable[[int, int], None] | None = None,
    on_recompute: Callable[[Path, str], None] | None = None,
) -> pd.DataFrame:
    """One row per request of ``setting`` scored on ``handle``'s model, from the stack when stored.

    ``seed`` drives few-shot sampling where a task samples (None: the task's harness default).
    The returned ``kind`` column is ``setting.kind`` (stored rows may carry an older label).
    ``on_recompute(path, reason)`` is called for each stored shard found invalid and recomputed.
    """
    stack = stack if stack is not None else default_stack()
    items = build_setting_items(setting, seed)
    key, version = result_key(handle, setting, seed), evaluation_code_version()
    provenance = None  # stored rows need no model: a shipped result is read without the weights built
    if stack.find(key, version, items) is None:
        handle.loaded  # load before the store is touched: a model that fails leaves no entry  # noqa: B018 (the access loads the model)
        provenance = {"model": model_provenance(handle)}
    frame = stack.get_or_compute(
        key,
        version,
        items,
        lambda chunk: rows_for(handle, setting, chunk, batch_tokens, progress),
        shard_size=SHARD_SIZE,
        progress=progress,
        extra_provenance=provenance,
        on_shard=on_shard,
        on_recompute=on_recompute,
    )
    return frame.assign(kind=setting.kind) if len(frame) else frame


def load_stored(
    handle: ModelHandle, setting: TaskSetting, *, seed: int | None = None, stack: StoreStack | None = None
) -> pd.DataFrame:
    """The stored rows of ``setting`` on ``handle``, computing nothing
    (:class:`helpers.infra.store.ResultNotFoundError` naming where it looked when absent)."""
    stack = stack if stack is not None else default_stack()
    items = build_setting_items(setting, seed)  # a table computed from other items is refused, as in evaluate
    frame = stack.load(result_key(handle, setting, seed), evaluation_code_version(), items)
    return frame.assign(kind=setting.kind) if len(frame) else frame


def evaluate_many(
    handles: Sequence[ModelHandle],
    settings: Sequence[TaskSetting],
    *,
    seed: int | None = None,
    stack: StoreStack | None = None,
    compute_missing: bool = True,
    batch_tokens: int = 4096,
    progress: bool = True,
) -> pd.DataFrame:
    """Rows of every (model, setting), one model in memory at a time (stored rows only unless
    ``compute_missing``)."""
    frames = []
    for handle in handles:
        for setting in settings:
            if compute_missing:
                frames.append(
                    evaluate(handle, setting, seed=seed, stack=stack, batch_tokens=batch_tokens, progress=progress)
                )
            else:
                frames.append(load_stored(handle, setting, seed=seed, stack=stack))
        handle.release()
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=ROW_COLUMNS)


# ----------------------------------------------------------------------------- runner jobs


def fill_model(
    source: str,
    settings: Sequence[Mapping[str, Any]],
    device: str | None = None,
    store: str | None = None,
    seed: int | None = None,
    progress: bool = False,
    shipped: bool = False,
) -> dict[str, Any]:
    """Job function of the fill step: score model ``source`` on every task setting into the local
    store at ``store``. Shipped results are read only when ``shipped`` (``make notebook``);
    ``make run`` recomputes from scratch.

    Prints one line per stored shard with an ETA. Returns ``{"model_id", "computed": [kinds],
    "cached": [kinds], "recomputed": [kinds], "rows": {kind: n_rows}, "seconds": {kind: s}}``:
    "recomputed" lists the stored settings of which a shard was found invalid (damaged, digest
    mismatch) and computed again, so they are not reported as cached.
    """
    stack = default_stack(shipped=shipped, local=store)
    handle = ModelHandle(source, device=device)
    computed, cached, recomputed, rows, seconds = [], [], [], {}, {}
    try:
        for fields in settings:
            setting = TaskSetting(**fields)
            was_stored = stack.exists(result_key(handle, setting, seed), evaluation_code_version())
            start = time.perf_counter()
            invalid: list[Path] = []
            frame = evaluate(
                handle,
                setting,
                seed=seed,
                stack=stack,
                progress=progress,
                on_shard=eta_printer(f"{handle.model_id} {setting.kind}", start),
                on_recompute=lambda path, reason: invalid.append(path),  # noqa: B023 (called within this iteration)
            )
            (computed if not was_stored else recomputed if invalid else cached).append(setting.kind)
            rows[setting.kind], seconds[setting.kind] = len(frame), round(time.perf_counter() - start, 1)
    finally:
        handle.release()
    return {
        "model_id": handle.model_id,
        "computed": computed,
        "cached": cached,
        "recomputed": recomputed,
        "rows": rows,
        "seconds": seconds,
    }


def eta_printer(label: str, start: float) -> Callable[[int, int], None]:
    """An ``on_shard(done, total)`` callback that prints ``label``'s shard count, the seconds since
    ``start`` (a :func:`time.perf_counter` value) and the estimated seconds left."""

    def report(done: int, total: int) -> None:
        elapsed = time.perf_counter() - start
        eta = elapsed / done * (total - done) if done else float("nan")
        print(f"  {label}: shard {done}/{total}, {elapsed:.0f} s, ETA {eta:.0f} s", flush=True)

    return report


def fill_jobs(profile, store: str | None = None, profiles_file: str | None = None) -> list:
    """One :class:`helpers.infra.jobs.Job` per model of ``profile``: score it on every task setting."""
    from dataclasses import asdict

    from helpers.infra.jobs import Job

    store_path = str(Path(store if store is not None else results_dir()).expanduser().resolve())
    device = None if profile.device == "auto" else profile.device
    settings = [asdict(setting) for setting in profile.tasks.values()]
    return [
        Job(
            label=source,
            function=FILL_FUNCTION,
            kwargs={
                "source": source,
                "settings": settings,
                "device": device,
                "store": store_path,
                "seed": None,
                "progress": False,
            },
        )
        for source in profile.models
    ]
