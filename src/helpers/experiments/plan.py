"""What a run will compute, and about how long it will take, before anything is scored.

:func:`missing_work` lists, for a configured experiment, every (model, task setting) the store
stack does not hold yet, with its items and request tokens (counted with the model's tokenizer,
no weights loaded) and a time estimate: ``2 x parameters x tokens`` floating-point operations
(x conditions for the swap) at :data:`EFFICIENCY` of this machine's measured matmul rate in the
run's dtype. The scoring engine reaches 55-80% of that rate on CPU (``benchmarks/RESULTS.md``),
so the estimate is a rough guide (within a factor of about 2), printed as such.

:func:`unstored_models` and :func:`book_models` say which models lack a stored result, so that
``make book`` builds from what is shipped or computed instead of scoring for hours.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pandas as pd

EFFICIENCY = 0.5
"""Assumed fraction of the measured matmul rate the engine sustains (measured: 0.55-0.8 on CPU)."""


@dataclass(frozen=True)
class Work:
    """One result to compute: ``model`` on ``what`` (a task kind, or a swap task kind)."""

    model: str
    what: str
    n_items: int
    n_tokens: int | None  # request tokens (context + continuation, every request); None: tokenizer unavailable
    n_params: int | None
    passes: int = 1  # forward passes per token: 1, or the swap's conditions (+ the donor)

    @property
    def seconds(self) -> float | None:
        if self.n_tokens is None or self.n_params is None:
            return None
        return 2.0 * self.n_params * self.n_tokens * self.passes / (EFFICIENCY * matmul_rate())


@lru_cache(maxsize=1)
def matmul_rate(size: int = 1024) -> float:
    """FLOP/s of one ``size``-cube fp32 matmul on this CPU (best of 3)."""
    import torch

    a, b = torch.randn(size, size), torch.randn(size, size)
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return 2.0 * size**3 / best


def _tokenizer(handle):
    """The model's tokenizer without its weights (None when it cannot be had, e.g. not cached)."""
    try:
        return handle.facts.tokenizer()
    except Exception:  # noqa: BLE001 - an estimate only: unknown is an honest answer
        return None


def _n_params(handle) -> int | None:
    """Total parameters of the published model; None for the scaled-down random ones (no useful estimate)."""
    return None if handle.facts.kind == "random" else handle.facts.n_params_total()


def _tokens(tokenizer, items) -> int | None:
    if tokenizer is None:
        return None
    texts = [request.context + request.continuation for item in items for request in item.requests]
    return sum(len(ids) for ids in tokenizer(texts)["input_ids"])


def _unstored(config, stack=None) -> Iterator[tuple[str, Any, str, list]]:
    """``(source, handle, task kind, items)`` of every evaluation result ``config`` needs that the
    stack (shipped and local stores) lacks; nothing loaded but the items."""
    from helpers.experiments.evaluation import build_setting_items, default_stack, evaluation_code_version, result_key

    stack = stack if stack is not None else default_stack()
    version = evaluation_code_version()
    for source, handle in zip(config.models, config.handles()):
        for kind, setting in config.settings.items():
            items = build_setting_items(setting, config.seed)
            if stack.find(result_key(handle, setting, config.seed), version, items) is None:
                yield source, handle, kind, items


def missing_work(config, stack=None) -> list[Work]:
    """Every evaluation result ``config`` needs that the stack lacks, with its tokens counted."""
    work, tokenizers = [], {}
    for source, handle, kind, items in _unstored(config, stack):
        if source not in tokenizers:  # loaded once per model, only for a model with work (None: unavailable)
            tokenizers[source] = _tokenizer(handle)
        tokenizer = tokenizers[source]
        work.append(Work(handle.model_id, kind, len(items), _tokens(tokenizer, items), _n_params(handle)))
    return work


def unstored_models(config, stack=None) -> dict[str, list[str]]:
    """``{model source: [task kinds]}`` for each of ``config``'s models that lacks a result.

    Checks the stack only (no tokenizer, no weights). ``make book`` leaves these models out
    instead of computing them for hours (:func:`book_models`).
    """
    lacking: dict[str, list[str]] = {}
    for source, _, kind, _ in _unstored(config, stack):
        lacking.setdefault(source, []).append(kind)
    return lacking


def book_models(profile_name: str, profiles_file) -> list[str] | None:
    """The models ``make book`` runs the scoring notebooks on: None for all of the profile's, or,
    when some have results neither shipped nor computed, the others (printed, with the remedy).

    A build that reads shipped results must not start hours of scoring because one model's
    results are still being computed; ``--compute-missing`` (``make book COMPUTE=1``) computes them.
    """
    from helpers.experiments.config import configure
    from helpers.experiments.registry import model_list_experiments

    lacking: dict[str, list[str]] = {}
    checked: set = set()
    for experiment in model_list_experiments():  # the same models and settings are checked once
        config = configure(profile_name, profiles_file, {}, experiment=experiment)
        measured = (tuple(config.models), tuple(config.settings.values()), config.seed)
        if measured in checked:
            continue
        checked.add(measured)
        for source, kinds in unstored_models(config).items():
            known = lacking.setdefault(source, [])
            known += [kind for kind in kinds if kind not in known]
    if not lacking:
        return None
    kept = [source for source in config.models if source not in lacking]
    if not kept:
        # every model lacks something: there is no book without computing; the notebooks do it,
        # after printing the plan and its time estimate (fill_before_notebooks)
        return None
    for source, kinds in lacking.items():
        print(
            f"note: {source} has no stored results for {', '.join(kinds)} (neither shipped nor computed); "
            f"the book leaves it out. `make run PROFILE={profile_name}` computes them (resumable), or "
            f"`make book PROFILE={profile_name} COMPUTE=1` computes them before building.",
            flush=True,
        )
    return kept


def missing_swap_work(config, stack=None) -> list[Work]:
    """Every swap (pair, task kind) of ``config`` the stack lacks; passes = conditions + donor."""
    from helpers.experiments.evaluation import ModelHandle, build_setting_items, default_stack
    from helpers.experiments.swap.compute import pair_key, swap_code_version
    from helpers.experiments.swap.plan import conditions_for, swap_plan

    stack = stack if stack is not None else default_stack()
    plan, work = swap_plan(config), []
    for donor_source, recipient_source in plan.pairs:
        donor, recipient = ModelHandle(donor_source), ModelHandle(recipient_source)
        n_conditions = len(conditions_for(plan, plan.max_layers if plan.layers is None else max(plan.layers) + 1))
        for kind, setting in plan.settings.items():
            items = build_setting_items(setting, plan.seed)
            if stack.find(pair_key(donor, recipient, setting, plan), swap_code_version(), items) is not None:
                continue
            params = _n_params(recipient)
            donor_params = _n_params(donor)
            passes = n_conditions + (round(donor_params / params) if params and donor_params else 1)
            work.append(
                Work(
                    f"{donor.model_id} -> {recipient.model_id}",
                    f"swap {kind}",
                    len(items),
                    _tokens(_tokenizer(recipient), items),
                    params,
                    passes,
                )
            )
    return work


def work_table(work: list[Work]) -> pd.DataFrame:
    """The work as a table for printing (estimates rounded to minutes)."""
    return pd.DataFrame(
        [
            {
                "model": w.model,
                "computes": w.what,
                "items": w.n_items,
                "tokens": "?" if w.n_tokens is None else f"{w.n_tokens:,}",
                "estimate": "?" if w.seconds is None else _duration(w.seconds),
            }
            for w in work
        ]
    )


def _duration(seconds: float) -> str:
    return (
        f"{seconds:.0f} s"
        if seconds < 90
        else f"{seconds / 60:.0f} min"
        if seconds < 5400
        else f"{seconds / 3600:.1f} h"
    )


def describe(work: list[Work]) -> str:
    """The plan in a few lines: what will be computed and the total estimate."""
    if not work:
        return "plan: every score these notebooks need is stored; nothing will be computed."
    known = [w.seconds for w in work if w.seconds is not None]
    total = _duration(sum(known)) if known else "unknown"
    note = "" if len(known) == len(work) else f" ({len(work) - len(known)} without an estimate: no tokenizer here)"
    return (
        f"plan: {len(work)} result(s) to compute, about {total} on this machine{note} (rough: within ~2x):\n"
        + work_table(work).to_string(index=False)
    )
