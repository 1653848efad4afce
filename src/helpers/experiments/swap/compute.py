"""The attention-swap experiment's computation: which capabilities survive another model's pattern?

For each (donor, recipient) pair of a plan and each of its task kinds, the recipient is scored
under every condition of :func:`helpers.experiments.swap.plan.conditions_for` (the forwards are
built by :mod:`helpers.core.attention.lockstep`, on the one swap path of
:mod:`helpers.core.attention.swap`):

- ``baseline``: the recipient alone (eager attention);
- ``swap a=α`` for every α of the plan (0 and 1 always included), all layers: the dose-response;
  ``swap a=1`` is the full swap and ``swap a=0`` must equal the baseline;
- ``swap layer l``: α = 1 on one recipient layer at a time;
- controls: ``self`` (the recipient's own pattern: must equal the baseline), ``other_item`` (its
  own pattern on a different item of the same token length), ``uniform`` and ``shuffled_heads``.

Items whose token ids differ between donor and recipient are skipped and counted; so are, for
``other_item`` only, items with no other item of the same token lengths. All conditions of one
(pair, task) are stored together, one shard per :data:`SHARD_SIZE` items, computed with the
donor recorded once per batch and shared by every condition: an interrupted run resumes at the
shard in progress. Keys hold the donor, recipient, dtype, task setting, the plan's alphas and
layers and the seeds; the local store adds the swap code version
(:data:`helpers.experiments.spec.SWAP_CODE`).
"""

from __future__ import annotations

import gc
import math
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from helpers.core.attention.lockstep import Condition
from helpers.core.requests import Item
from helpers.experiments.evaluation import (
    ROW_COLUMNS,
    ModelHandle,
    build_setting_items,
    data_fingerprint,
    default_stack,
    eta_printer,
    model_provenance,
    request_rows,
)
from helpers.experiments.swap.plan import SwapPlan, conditions_for
from helpers.experiments.swap.settings import swap_settings
from helpers.infra.profiles import TaskSetting
from helpers.infra.store import ResultNotFoundError, StoreStack

SHARD_SIZE = 16  # items per stored shard: each shard runs every condition, so it is the unit of resumption
CONTROL_SEED = 0  # seed of the same-length partners and of the head shuffle
FILL_FUNCTION = "helpers.experiments.swap.compute:fill_pair"
SWAP_ROW_COLUMNS = [
    "donor_id",
    "condition",
    "condition_kind",
    "alpha",
    "layers",
    "n_items_requested",
    "n_skipped_tokenization",
    "n_skipped_no_partner",
]


class SwapResultMissing(ResultNotFoundError):
    """A swap result was asked for from the store only and was never computed."""


def swap_code_version() -> str:
    """The code version of swap rows (:data:`helpers.experiments.spec.SWAP_CODE`)."""
    from helpers.experiments.spec import SWAP_CODE
    from helpers.infra.provenance import code_version

    return code_version(SWAP_CODE)


def pair_key(donor: ModelHandle, recipient: ModelHandle, setting: TaskSetting, plan: SwapPlan) -> dict[str, Any]:
    """Store key fields of one (pair, task setting) with all the plan's conditions.

    The conditions are keyed by the plan (alphas, explicit layers or ``max_layers``), not by
    their list, so a stored result is found without reading the recipient's depth (which, for a
    hub model, would mean contacting the hub before the store is checked).
    """
    return {
        "experiment": "attention_swap",
        "donor": donor.model_id,
        "donor_revision": donor.revision,
        "recipient": recipient.model_id,
        "recipient_revision": recipient.revision,
        "dtype": recipient.dtype,
        "donor_dtype": donor.dtype,
        "task": setting.task,
        "shots": setting.shots,
        "limit": setting.limit,
        "data": data_fingerprint(setting.path),
        "alphas": list(plan.alphas),
        "layers": None if plan.layers is None else list(plan.layers),
        "max_layers": plan.max_layers,
        "seed": plan.seed,
        "control_seed": CONTROL_SEED,
        "head_map": "auto",
    }


def recipient_depth(handle: ModelHandle) -> int:
    """Number of layers of ``handle``'s model, from its config (no weights are loaded)."""
    from helpers.core.models import model_config

    config = handle.loaded.model.config if handle.is_loaded else model_config(handle.source)
    return int(config.get_text_config().num_hidden_layers)


# ----------------------------------------------------------------------------- items and partners


def _kept_items(items: Sequence[Item], donor_tokenizer, recipient_tokenizer) -> list[Item]:
    """Items whose every context and context+continuation tokenizes identically in both models."""
    from helpers.core.attention import matching_items

    texts = [
        text
        for item in items
        for request in item.requests
        for text in (request.context, request.context + request.continuation)
    ]
    kept = set(matching_items(texts, donor_tokenizer, recipient_tokenizer)[0])
    kept_items, start = [], 0
    for item in items:
        count = 2 * len(item.requests)
        if all(index in kept for index in range(start, start + count)):
            kept_items.append(item)
        start += count
    return kept_items


def item_partners(items: Sequence[Item], tokenizer, max_length: int) -> tuple[list[int | None], dict]:
    """Same-length partner item of each item and ``{own model input: partner model input}``.

    Two items are the same length when every request's model input has the same number of
    tokens (a signature); partners come from :func:`helpers.core.attention.same_length_partners`.
    """
    from helpers.core.attention import same_length_partners
    from helpers.core.scoring import encode_requests, model_window

    inputs = [
        [model_window(encoded, max_length).input_ids for encoded in encode_requests(tokenizer, item.requests)]
        for item in items
    ]
    signatures = [tuple(len(ids) for ids in item_inputs) for item_inputs in inputs]
    signature_ids = {signature: index for index, signature in enumerate(dict.fromkeys(signatures))}
    partners, _ = same_length_partners([signature_ids[s] for s in signatures], CONTROL_SEED)
    partner_inputs: dict[tuple[int, ...], tuple[int, ...]] = {}
    for own, partner in zip(inputs, partners):
        if partner is not None:
            for own_ids, partner_ids in zip(own, inputs[partner]):
                partner_inputs.setdefault(own_ids, partner_ids)
    return partners, partner_inputs


def _rows(
    items: Sequence[Item],
    scores: Sequence,
    setting: TaskSetting,
    loaded,
    donor_id: str,
    condition: Condition,
    counts: Mapping[str, int],
) -> pd.DataFrame:
    """Per-request rows (the columns of :func:`helpers.experiments.evaluation.evaluate` plus the condition's)."""
    swap_fields = {
        "donor_id": donor_id,
        "condition": condition.name,
        "condition_kind": condition.kind,
        "alpha": math.nan if condition.alpha is None else float(condition.alpha),
        "layers": "all" if condition.layers is None else ",".join(map(str, condition.layers)),
        **counts,
    }
    records = [
        {**record, **swap_fields}
        for record in request_rows(
            items,
            scores,
            model_id=loaded.model_id,
            kind=setting.kind,
            n_params=(loaded.n_params_total, loaded.n_params_nonembedding),
        )
    ]
    return pd.DataFrame(records, columns=ROW_COLUMNS + SWAP_ROW_COLUMNS)


class PairScorer:
    """Scores chunks of items of one (pair, task) under every condition (donor recorded once per batch)."""

    def __init__(
        self,
        donor: ModelHandle,
        recipient: ModelHandle,
        setting: TaskSetting,
        items: Sequence[Item],
        conditions: Sequence[Condition],
        *,
        batch_tokens: int = 2048,
        max_batch_size: int = 8,
    ):
        from helpers.core.attention import DonorPatterns, check_same_tokenizer

        self.donor, self.recipient, self.setting, self.conditions = donor, recipient, setting, list(conditions)
        recipient_loaded, donor_loaded = recipient.loaded, donor.loaded
        check_same_tokenizer(donor_loaded.tokenizer, recipient_loaded.tokenizer)
        kept = _kept_items(items, donor_loaded.tokenizer, recipient_loaded.tokenizer)
        self.kept_ids = {item.item_id for item in kept}
        self.max_length = min(recipient_loaded.max_length, donor_loaded.max_length)
        partners, self.partner_inputs = item_partners(kept, recipient_loaded.tokenizer, self.max_length)
        self.partnered_ids = {item.item_id for item, partner in zip(kept, partners) if partner is not None}
        self.counts = {
            "n_items_requested": len(items),
            "n_skipped_tokenization": len(items) - len(kept),
            "n_skipped_no_partner": len(kept) - len(self.partnered_ids),
        }
        self.options = dict(
            max_length=self.max_length,
            batch_tokens=batch_tokens,
            max_batch_size=max_batch_size,
            device=recipient_loaded.model.device,
        )
        self.donor_patterns = DonorPatterns(donor_loaded.model, recipient_loaded.model, seed=CONTROL_SEED)

    def __call__(self, chunk: Sequence[Item]) -> pd.DataFrame:
        """Rows of every condition for the items of ``chunk`` (skipped items give no rows)."""
        from helpers.core.attention.lockstep import condition_forward, score_conditions

        recipient = self.recipient.loaded
        frames = []
        for units, chosen in (
            (
                [item for item in chunk if item.item_id in self.kept_ids],
                [c for c in self.conditions if c.kind != "other_item"],
            ),
            (
                [item for item in chunk if item.item_id in self.partnered_ids],
                [c for c in self.conditions if c.kind == "other_item"],
            ),
        ):
            if not chosen or not units:
                continue
            forwards = {
                c: condition_forward(c, recipient.model, self.donor_patterns, self.partner_inputs) for c in chosen
            }
            requests = [request for item in units for request in item.requests]
            scores = score_conditions(forwards, recipient.tokenizer, requests, **self.options)
            frames += [
                _rows(units, scores[c], self.setting, recipient, self.donor.model_id, c, self.counts) for c in chosen
            ]
        if not frames:
            return pd.DataFrame(columns=ROW_COLUMNS + SWAP_ROW_COLUMNS)
        order = {condition.name: index for index, condition in enumerate(self.conditions)}
        rows = pd.concat(frames, ignore_index=True)
        return rows.sort_values("condition", key=lambda column: column.map(order), kind="stable").reset_index(drop=True)


def pair_rows(
    plan: SwapPlan,
    donor: ModelHandle,
    recipient: ModelHandle,
    kind: str,
    *,
    stack: StoreStack | None = None,
    compute_missing: bool = True,
    batch_tokens: int = 2048,
    max_batch_size: int = 8,
    progress: bool = False,
) -> pd.DataFrame:
    """Every condition's per-request rows for one (pair, task kind), from the store when stored.

    Raises :class:`SwapResultMissing` when they are not stored and ``compute_missing`` is False.
    """
    stack = stack if stack is not None else default_stack()
    setting = plan.settings[kind]
    items = build_setting_items(setting, plan.seed)
    key, version = pair_key(donor, recipient, setting, plan), swap_code_version()
    if stack.find(key, version, items) is None:
        if not compute_missing:
            raise SwapResultMissing(
                f"swap {donor.model_id} -> {recipient.model_id} on {kind} ({setting.task}, limit {setting.limit}): "
                f"not computed; run `make run PROFILE={plan.profile}` (or the notebook with compute_missing=True)."
            )
        conditions = conditions_for(plan, recipient_depth(recipient))
        scorer = PairScorer(
            donor, recipient, setting, items, conditions, batch_tokens=batch_tokens, max_batch_size=max_batch_size
        )
        start = time.perf_counter()
        provenance = {"donor": model_provenance(donor), "recipient": model_provenance(recipient)}
        return stack.get_or_compute(
            key,
            version,
            items,
            scorer,
            shard_size=SHARD_SIZE,
            progress=progress,
            extra_provenance=provenance,
            on_shard=eta_printer(f"swap {kind}", start),
        )
    return stack.load(key, version, items)


def swap_rows(
    plan: SwapPlan, *, stack: StoreStack | None = None, compute_missing: bool = True, **options
) -> pd.DataFrame:
    """:func:`pair_rows` of every pair and task kind of ``plan`` (one pair's models in memory at a time)."""
    frames = []
    for donor_source, recipient_source in plan.pairs:
        donor = ModelHandle(donor_source, device=plan.device)
        recipient = ModelHandle(recipient_source, device=plan.device)
        try:
            for kind in plan.settings:
                frames.append(
                    pair_rows(plan, donor, recipient, kind, stack=stack, compute_missing=compute_missing, **options)
                )
        finally:
            donor.release()
            recipient.release()
            gc.collect()  # free both models before the next pair loads (they hold reference cycles)
    return pd.concat(frames, ignore_index=True)


# ----------------------------------------------------------------------------- runner jobs


def fill_pair(
    profile: str,
    donor: str,
    recipient: str,
    profiles_file: str | None = None,
    store: str | None = None,
    overrides: dict[str, Any] | None = None,
    shipped: bool = False,
) -> dict[str, Any]:
    """Job function: compute every condition of one pair of ``profile`` (with the swap notebook's
    ``overrides``) into the local store. Shipped results are read only when ``shipped``
    (``make notebook``); ``make run`` recomputes everything."""
    from helpers.experiments.swap.plan import swap_config, swap_plan

    plan = swap_plan(swap_config(profile, profiles_file, overrides), pairs=[[donor, recipient]])
    rows = swap_rows(plan, stack=default_stack(shipped=shipped, local=store))
    return {
        "donor": donor,
        "recipient": recipient,
        "rows": int(len(rows)),
        "conditions": int(rows["condition"].nunique()),
    }


def fill_jobs(profile, store: str | None = None, profiles_file: str | None = None) -> list:
    """One :class:`helpers.infra.jobs.Job` per swap pair of ``profile`` (none if it has no swap section)."""
    from helpers.infra.jobs import Job
    from helpers.infra.paths import results_dir

    swap = swap_settings(profile)
    if swap is None:
        return []
    store_path = str(Path(store if store is not None else results_dir()).expanduser().resolve())
    return [
        Job(
            label=f"swap {donor} -> {recipient}",
            function=FILL_FUNCTION,
            kwargs={
                "profile": profile.name,
                "donor": donor,
                "recipient": recipient,
                "profiles_file": profiles_file,
                "store": store_path,
            },
        )
        for donor, recipient in swap.pairs
    ]
