"""Score one model on one task setting, through the results store.

This is the expensive step of every experiment. :func:`evaluate` returns one row per
request (one per answer choice) with the engine's numbers, the item's gold answer and the
model's parameter counts, and caches the table in the :class:`~helpers.infra.store.ResultStore`
under the settings that determine it (model id, revision, dtype, task, shots, limit, seed,
and the code version the store adds). The model is loaded only if a shard is missing, so a
notebook re-run with new analysis parameters costs no forward pass.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import pandas as pd
from transformers.utils import logging as hf_logging

from helpers.core.models import LoadedModel, load_model
from helpers.core.models.loading import resolve_source
from helpers.infra.profiles import TaskSetting
from helpers.core.requests import Item
from helpers.core.scoring import Scorer
from helpers.infra.store import ResultStore
from helpers.core.tasks import build_items

log = logging.getLogger(__name__)

SHARD_SIZE = 64  # items per stored shard: the unit of resumption
ROW_COLUMNS = [
    "model_id", "task", "kind", "item_id", "subject", "choice", "label", "gold", "is_gold", "continuation",
    "logprob", "is_greedy", "n_tokens", "token_logprobs", "token_is_greedy",
    "n_params_total", "n_params_nonembedding",
]


@dataclass
class ModelHandle:
    """A model source whose weights are loaded on first use (and only then)."""

    source: str
    revision: str | None = None
    dtype: str | None = None
    device: str | None = None
    loader: Callable[..., LoadedModel] = load_model
    _loaded: LoadedModel | None = None

    def __post_init__(self) -> None:
        resolved = resolve_source(self.source, revision=self.revision, dtype=self.dtype, device=self.device)
        self.model_id, self.revision = resolved.model_id, resolved.revision
        self.dtype, self.device = resolved.dtype, resolved.device

    @property
    def loaded(self) -> LoadedModel:
        if self._loaded is None:
            log.info("loading %s (%s, %s)", self.source, self.dtype, self.device)
            hf_logging.disable_progress_bar()  # keep "Loading weights" bars out of executed notebooks
            self._loaded = self.loader(self.source, revision=self.revision, dtype=self.dtype, device=self.device)
        return self._loaded

    def release(self) -> None:
        """Drop the weights (the next use loads them again)."""
        self._loaded = None

    def key_fields(self) -> dict[str, Any]:
        return {"model_id": self.model_id, "revision": self.revision, "dtype": self.dtype}


def _rows(handle: ModelHandle, setting: TaskSetting, items: Sequence[Item], batch_tokens: int,
          progress: bool) -> pd.DataFrame:
    """Score ``items`` and lay the scores out one row per request."""
    loaded = handle.loaded
    requests = [request for item in items for request in item.requests]
    scorer = Scorer(loaded.model, loaded.tokenizer, max_length=loaded.max_length,
                    batch_tokens=batch_tokens, progress=progress)
    scores = iter(scorer.score(requests, return_token_values=True,
                               desc=f"{handle.model_id} {setting.task}"))
    rows = []
    for item in items:
        for choice, request in enumerate(item.requests):
            score = next(scores)
            label = item.choice_labels[choice] if item.choice_labels else request.continuation.strip()
            rows.append({
                "model_id": handle.model_id, "task": item.task, "kind": setting.kind, "item_id": item.item_id,
                "subject": str(item.meta.get("subject", "")), "choice": choice, "label": label,
                "gold": item.gold, "is_gold": choice == item.gold, "continuation": request.continuation,
                "logprob": score.logprob, "is_greedy": score.is_greedy, "n_tokens": score.n_tokens,
                "token_logprobs": list(score.token_logprobs or ()),
                "token_is_greedy": list(score.token_is_greedy or ()),
                "n_params_total": loaded.n_params_total, "n_params_nonembedding": loaded.n_params_nonembedding,
            })
    return pd.DataFrame(rows, columns=ROW_COLUMNS)


def result_key(handle: ModelHandle, setting: TaskSetting, seed: int | None = None) -> dict[str, Any]:
    """The store key fields of ``setting`` scored on ``handle`` (the store adds the code version)."""
    return {
        **handle.key_fields(), "task": setting.task, "shots": setting.shots, "limit": setting.limit,
        "seed": seed, "path": setting.path, "kind": setting.kind,
    }


def load_stored(source: str, setting: TaskSetting, *, seed: int | None = None, device: str | None = None,
                dtype: str | None = None, store: ResultStore | None = None) -> pd.DataFrame:
    """The stored rows of ``setting`` on ``source``, computing nothing.

    Raises :class:`helpers.infra.store.ResultNotFoundError` when they were never computed (or were
    computed by another code version): run ``make run PROFILE=...`` first.
    """
    store = store or ResultStore()
    return store.load(result_key(ModelHandle(source, dtype=dtype, device=device), setting, seed))


def evaluate(handle: ModelHandle, setting: TaskSetting, *, seed: int | None = None,
             store: ResultStore | None = None, batch_tokens: int = 4096, progress: bool = True) -> pd.DataFrame:
    """One row per request of ``setting`` scored on ``handle``'s model, from the store when cached.

    ``seed`` drives few-shot sampling where a task samples (None: the task's harness default).
    """
    store = store or ResultStore()
    items = build_items(setting.task, seed=seed, **setting.build_kwargs())
    return store.get_or_compute(
        result_key(handle, setting, seed), items, lambda chunk: _rows(handle, setting, chunk, batch_tokens, progress),
        shard_size=SHARD_SIZE, progress=progress,
    )


def evaluate_many(sources: Sequence[str], settings: Sequence[TaskSetting], *, seed: int | None = None,
                  device: str | None = None, dtype: str | None = None, store: ResultStore | None = None,
                  batch_tokens: int = 4096, progress: bool = True) -> pd.DataFrame:
    """:func:`evaluate` for every (model, setting), one model in memory at a time."""
    frames = []
    for source in sources:
        handle = ModelHandle(source, dtype=dtype, device=device)
        for setting in settings:
            frames.append(evaluate(handle, setting, seed=seed, store=store,
                                   batch_tokens=batch_tokens, progress=progress))
        handle.release()
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=ROW_COLUMNS)
