"""Ship a profile's expensive results with the repository, and say what the stores hold.

Scoring the ``offline`` profile on the full data takes hours on a 2-core CPU, so its per-request
rows are computed once (``make run PROFILE=offline``) and committed as compact parquet under
``data/results`` (the shipped store, :data:`helpers.experiments.evaluation.SHIPPED_RESULTS_DIR`).
Shipped keys hold the settings only, no code version: a shipped table stays valid across code
edits *because* every build re-scores a sample of it with the current code
(:mod:`helpers.experiments.verify`) and fails on any difference.

:func:`ship` copies the local results of a profile (keyed with the current code version) into
the shipped store, rewriting each table under its shipped key shard by shard, with provenance
(model sha256 and weight types, package versions, code versions, task settings) and without
machine-specific fields (:data:`helpers.infra.provenance.MACHINE_FIELDS`). ``from_store`` reads
the tables from another store whose keys came from an earlier layout of the code (matched on
model, dtype, task, shots, limit and seed; more than one match is an error); the verification
sample then shows that the current code reproduces them.

Every shipped table must hold rows for every item of the setting (every request; for swaps,
every condition): a gap is an error naming the missing items, never a silently shorter table.
A table already shipped is replaced when its rows differ and left untouched when they are equal;
every shipped table is sealed (the sha256 of each shard file, which the verifier checks). Both are
operations of the store (:func:`helpers.infra.store.ship_table`, :mod:`helpers.infra.store.seal`):
this module decides what to ship, never how it lies on disk.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from helpers.experiments.evaluation import (
    SHIPPED_RESULTS_DIR,
    ModelHandle,
    build_setting_items,
    evaluation_code_version,
    model_provenance,
    result_key,
)
from helpers.infra.profiles import Profile, TaskSetting
from helpers.infra.provenance import portable_environment
from helpers.infra.store import ResultNotFoundError, ResultStore, StoreError, ship_table

MATCH_FIELDS = ("model_id", "dtype", "task", "shots", "limit", "seed")


class ShipError(StoreError):
    """Results that cannot be shipped as they are (missing items, ambiguous sources)."""


def planned_results(profile: Profile) -> Iterator[tuple[str, ModelHandle, TaskSetting]]:
    """``(label, model, setting)`` of every evaluation result the profile needs."""
    for source in profile.models:
        handle = ModelHandle(source, device=None if profile.device == "auto" else profile.device)
        for setting in profile.tasks.values():
            yield f"{handle.model_id} {setting.kind}", handle, setting


def _old_table(store: ResultStore, wanted: dict[str, Any]) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The one complete table in ``store`` whose key fields match ``wanted`` on :data:`MATCH_FIELDS`."""
    described = {name: wanted.get(name) for name in MATCH_FIELDS}
    matches = store.find(described)
    if not matches:
        raise ResultNotFoundError(f"no complete result matching {described} in {store.root}")
    if len(matches) > 1:
        raise ShipError(
            f"{len(matches)} complete results in {store.root} match {described} (keys "
            f"{', '.join(record['key'][:12] for record in matches)}); ship from a store holding one "
            "computation per setting, or remove the stale keys."
        )
    return store.load(matches[0]["key_fields"]), matches[0]


def _checked_rows(
    table: pd.DataFrame,
    units: Sequence,
    label: str,
    allowed_rows: Callable[[Any], set[int]],
    order: Callable[[pd.DataFrame, dict[str, int]], pd.DataFrame],
    absent: int = 0,
) -> Callable:
    """``compute(units)`` for the shipped store: the rows of ``table`` for those items, in the units'
    order. Refuses an item whose row count is not in ``allowed_rows(item)`` (0 allowed for exactly
    ``absent`` items: swap items skipped for tokenization), so a gap never ships as a shorter table."""
    counts = table.groupby("item_id").size()
    wrong = [
        f"{unit.item_id} ({int(counts.get(unit.item_id, 0))} rows)"
        for unit in units
        if counts.get(unit.item_id, 0) not in allowed_rows(unit) | ({0} if absent else set())
    ]
    n_absent = sum(1 for unit in units if counts.get(unit.item_id, 0) == 0)
    if wrong or n_absent != absent:
        raise ShipError(
            f"{label}: {len(wrong)} item(s) with missing or extra rows (e.g. {', '.join(wrong[:5]) or '—'}) "
            f"and {n_absent} item(s) with none ({absent} expected); the source table is incomplete or "
            "from other task data. Recompute it (`make run PROFILE=<profile>`) before shipping."
        )

    def compute(chunk: Sequence) -> pd.DataFrame:
        rank = {unit.item_id: index for index, unit in enumerate(chunk)}
        return order(table[table["item_id"].isin(rank)], rank).reset_index(drop=True)

    return compute


def _in_item_order(part: pd.DataFrame, rank: dict[str, int]) -> pd.DataFrame:
    return part.sort_values("item_id", key=lambda column: column.map(rank), kind="stable")


@dataclass(frozen=True)
class _Shipping:
    """What one :func:`ship` call reads (``local``, or ``from_store`` when given), where it writes
    (``shipped``) and how it reports (``progress``, ``partial``)."""

    local: ResultStore
    from_store: ResultStore | None
    shipped: ResultStore
    progress: bool
    partial: bool

    def source_table(
        self, old: Callable[[], tuple[pd.DataFrame, dict[str, Any] | None]], local_key: dict[str, Any], label: str
    ) -> tuple[pd.DataFrame, dict[str, Any] | None] | None:
        """``(table, provenance)`` to ship: ``old()`` when shipping ``from_store``, else the local table of
        ``local_key``. A missing one raises :class:`ResultNotFoundError`, or, when ``partial``, is
        named ("not yet computed: <label>") and gives None."""
        try:
            if self.from_store is not None:
                return old()
            return self.local.load(local_key), self.local.provenance(local_key)
        except ResultNotFoundError:
            if not self.partial:
                raise
            print(f"not yet computed: {label}", flush=True)
            return None

    def write(
        self, key: dict[str, Any], items: Sequence, compute, *, shard_size: int, provenance, label: str, n_rows: int
    ) -> None:
        """Ship the table of ``n_rows`` rows that ``compute`` (:func:`_checked_rows`) lays out for
        ``items`` under ``key``, with ``provenance``; say so (as ``label``) when ``progress``."""
        outcome = ship_table(self.shipped, key, items, compute, shard_size=shard_size, extra_provenance=provenance)
        if self.progress:
            print(f"{outcome} {label}: {n_rows} rows", flush=True)


def _provenance(handle: ModelHandle, setting: TaskSetting, source_record: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "model": model_provenance(handle),
        "task_setting": {"task": setting.task, "shots": setting.shots, "limit": setting.limit},
        "computed_with": portable_environment((source_record or {}).get("environment")),
        "evaluation_code_version_at_ship": evaluation_code_version(),
        "source_key_fields": (source_record or {}).get("key_fields"),
    }


def ship(
    profile: Profile,
    *,
    local: ResultStore | None = None,
    from_store: ResultStore | None = None,
    shipped: ResultStore | None = None,
    progress: bool = True,
    partial: bool = False,
) -> list[str]:
    """Copy every result of ``profile`` (evaluation, then swap) into the shipped store; return what was shipped.

    Results come from ``local`` under the current code version (default: the local results
    store), or, with ``from_store``, from the one complete result matching the settings.
    Raises :class:`ResultNotFoundError` naming the first result that is missing, unless
    ``partial`` (ship what is there, say what is not: for a computation still running), and
    :class:`ShipError` for a table with missing items or an ambiguous source.
    """
    shipping = _Shipping(
        local or ResultStore(), from_store, shipped or ResultStore(SHIPPED_RESULTS_DIR), progress, partial
    )
    return _ship_evaluation(profile, shipping) + _ship_swap(profile, shipping)


def _ship_evaluation(profile: Profile, shipping: _Shipping) -> list[str]:
    """Ship the evaluation results of ``profile`` (see :func:`ship`)."""
    done = []
    for label, handle, setting in planned_results(profile):
        items = build_setting_items(setting)
        key = result_key(handle, setting)
        found = shipping.source_table(
            lambda: _old_table(shipping.from_store, {**key, "model_id": handle.model_id}),  # noqa: B023 (called within this iteration)
            {**key, "code_version": evaluation_code_version()},
            label,
        )
        if found is None:
            continue
        table, record = found
        compute = _checked_rows(table, items, label, lambda item: {len(item.requests)}, _in_item_order)
        provenance = _provenance(handle, setting, record)
        shipping.write(key, items, compute, shard_size=64, provenance=provenance, label=label, n_rows=len(table))
        done.append(label)
    return done


def results_summary(profile: Profile, stack=None) -> pd.DataFrame:
    """``model, task, setting, n_items`` (plus where) of every result of ``profile`` the stores hold."""
    from helpers.experiments.evaluation import default_stack, load_stored

    stack = stack if stack is not None else default_stack()
    records = []
    for _, handle, setting in planned_results(profile):
        try:
            rows = load_stored(handle, setting, stack=stack)
        except ResultNotFoundError:
            continue
        settings = f"{setting.kind}: {setting.shots}-shot, limit {setting.limit if setting.limit else 'all'}"
        records.append(
            {
                "model": handle.model_id,
                "task": setting.task,
                "setting": settings,
                "n_items": int(rows.groupby(["task", "item_id"]).ngroups),
            }
        )
    records += _swap_summary_rows(profile, stack)
    records += _unused_import_rows(profile, stack)
    return pd.DataFrame(records, columns=["model", "task", "setting", "n_items"])


def _unused_import_rows(profile: Profile, stack) -> list[dict[str, Any]]:
    """lm-evaluation-harness imports in the local store that ``profile``'s notebooks never read (another
    ``--limit``, shots, task or model), each listed with the setting it was stored under."""
    used = {
        (handle.model_id, setting.task, setting.shots, setting.limit) for _, handle, setting in planned_results(profile)
    }
    records = []
    for record in stack.local.records():
        fields = record.get("key_fields", {})
        if not record.get("complete") or "lm_eval" not in (record.get("extra") or {}):
            continue
        if (fields.get("model_id"), fields.get("task"), fields.get("shots"), fields.get("limit")) in used:
            continue
        limit = fields.get("limit")
        records.append(
            {
                "model": fields.get("model_id"),
                "task": fields.get("task"),
                "setting": f"UNUSED by profile {profile.name}: lm-eval import, {fields.get('shots')}-shot, "
                f"limit {limit if limit else 'all'}",
                "n_items": int(stack.local.load(fields).groupby(["task", "item_id"]).ngroups),
            }
        )
    return records


def _swap_summary_rows(profile: Profile, stack) -> list[dict[str, Any]]:
    from helpers.experiments.swap.compute import SwapResultMissing, pair_rows
    from helpers.experiments.swap.plan import profile_swap_plan
    from helpers.experiments.swap.settings import swap_settings

    if swap_settings(profile) is None:
        return []
    plan = profile_swap_plan(profile.name, overrides={"compute_missing": False})
    records = []
    for donor_source, recipient_source in plan.pairs:
        donor, recipient = ModelHandle(donor_source), ModelHandle(recipient_source)
        for kind, setting in plan.settings.items():
            try:
                rows = pair_rows(plan, donor, recipient, kind, stack=stack, compute_missing=False)
            except SwapResultMissing:
                continue
            conditions = rows["condition"].nunique()
            records.append(
                {
                    "model": f"swap {donor.model_id} -> {recipient.model_id}",
                    "task": setting.task,
                    "setting": f"swap {kind}: {conditions} conditions, limit {setting.limit}",
                    "n_items": int(rows.groupby(["task", "item_id"]).ngroups),
                }
            )
    return records


# ----------------------------------------------------------------------------- swap results


def _old_swap_table(store: ResultStore, donor: str, recipient: str, setting: TaskSetting) -> pd.DataFrame:
    """Every stored condition of one (pair, task setting) in ``store``, whatever its key layout.

    Conditions may be spread over several keys; a row stored twice with different values is an
    error (two computations disagree), not a choice.
    """
    match = {
        "experiment": "attention_swap",
        "donor": donor,
        "recipient": recipient,
        "task": setting.task,
        "limit": setting.limit,
        "shots": setting.shots,
    }
    frames = [store.load(record["key_fields"]) for record in store.find(match)]
    if not frames:
        raise ResultNotFoundError(f"no swap result {donor} -> {recipient} on {setting.task} in {store.root}")
    table = pd.concat(frames, ignore_index=True)
    keys = ["condition", "task", "item_id", "choice"]
    repeated = table[table.duplicated(keys, keep=False)]
    differing = repeated.groupby(keys)["logprob"].nunique()
    if (differing > 1).any():
        raise ShipError(
            f"swap {donor} -> {recipient} on {setting.task}: {int((differing > 1).sum())} rows are stored "
            f"twice in {store.root} with different log-probabilities, e.g. {differing[differing > 1].index[0]}; "
            "remove the stale keys before shipping."
        )
    return table.drop_duplicates(keys)


def _in_condition_order(condition_order: Sequence[str]):
    order = {name: index for index, name in enumerate(condition_order)}

    def sort(part: pd.DataFrame, rank: dict[str, int]) -> pd.DataFrame:
        part = part[part["condition"].isin(order)].assign(
            _c=lambda f: f["condition"].map(order), _i=lambda f: f["item_id"].map(rank)
        )
        return part.sort_values(["_c", "_i", "choice"], kind="stable").drop(columns=["_c", "_i"])

    return sort


def _ship_swap(profile: Profile, shipping: _Shipping) -> list[str]:
    """Copy the swap results of ``profile`` into the shipped store (see :func:`ship`)."""
    from helpers.experiments.swap.compute import pair_key, recipient_depth, swap_code_version
    from helpers.experiments.swap.plan import conditions_for, profile_swap_plan
    from helpers.experiments.swap.settings import swap_settings

    if swap_settings(profile) is None:
        return []
    plan = profile_swap_plan(profile.name)
    done = []
    for donor_source, recipient_source in plan.pairs:
        donor, recipient = ModelHandle(donor_source), ModelHandle(recipient_source)
        conditions = conditions_for(plan, recipient_depth(recipient))
        names = [condition.name for condition in conditions]
        for kind, setting in plan.settings.items():
            key = pair_key(donor, recipient, setting, plan)
            found = shipping.source_table(
                lambda: (_old_swap_table(shipping.from_store, donor.model_id, recipient.model_id, setting), None),  # noqa: B023 (called within this iteration)
                {**key, "code_version": swap_code_version()},
                f"swap {recipient.model_id} {kind}",
            )
            if found is None:
                continue
            table, record = found
            provenance = {
                "donor": model_provenance(donor),
                "recipient": model_provenance(recipient),
                "swap_code_version_at_ship": swap_code_version(),
                "computed_with": portable_environment((record or {}).get("environment")),
            }
            table = table[table["condition"].isin(names)]
            label = f"swap {donor.model_id} -> {recipient.model_id} {kind}"
            items = build_setting_items(setting, plan.seed)
            with_partner = len(names)  # an item with no partner of its length lacks the other-item control
            without = len([condition for condition in conditions if condition.kind != "other_item"])
            skipped = int(table["n_skipped_tokenization"].iloc[0]) if len(table) else 0
            compute = _checked_rows(
                table,
                items,
                label,
                lambda item: {with_partner * len(item.requests), without * len(item.requests)},  # noqa: B023 (called within this iteration)
                _in_condition_order(names),
                absent=skipped,
            )
            shipping.write(key, items, compute, shard_size=16, provenance=provenance, label=label, n_rows=len(table))
            done.append(label)
    return done
