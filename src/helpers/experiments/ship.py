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
machine-specific fields. ``from_store`` reads the tables from another store whose keys came from
an earlier layout of the code (matched on model, dtype, task, shots, limit and seed); the
verification sample then shows that the current code reproduces them.
"""

from __future__ import annotations

from typing import Any, Iterator, Sequence

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
from helpers.infra.store import ResultNotFoundError, ResultStore

SCRUBBED_ENVIRONMENT = ("hostname", "python_executable")
MATCH_FIELDS = ("model_id", "dtype", "task", "shots", "limit", "seed")


def planned_results(profile: Profile) -> Iterator[tuple[str, ModelHandle, TaskSetting]]:
    """``(label, model, setting)`` of every evaluation result the profile needs."""
    for source in profile.models:
        handle = ModelHandle(source, device=None if profile.device == "auto" else profile.device)
        for setting in profile.tasks.values():
            yield f"{handle.model_id} {setting.kind}", handle, setting


def _old_table(store: ResultStore, wanted: dict[str, Any]) -> pd.DataFrame:
    """The complete table in ``store`` whose key fields match ``wanted`` on :data:`MATCH_FIELDS`."""
    for record in store.records():
        fields = record.get("key_fields", {})
        if record.get("complete") and all(fields.get(name) == wanted.get(name) for name in MATCH_FIELDS):
            return store.load(fields)
    raise ResultNotFoundError(f"no complete result matching {dict((n, wanted.get(n)) for n in MATCH_FIELDS)} in "
                              f"{store.root}")


def _rows_for_units(table: pd.DataFrame, order_column: str = "item_id"):
    """``compute(units)`` returning the rows of ``table`` for those items, in the units' order."""
    def compute(units: Sequence) -> pd.DataFrame:
        wanted = [unit.item_id for unit in units]
        rank = {item_id: index for index, item_id in enumerate(wanted)}
        part = table[table[order_column].isin(rank)]
        return part.sort_values(order_column, key=lambda column: column.map(rank), kind="stable").reset_index(drop=True)

    return compute


def _provenance(handle: ModelHandle, setting: TaskSetting, source_record: dict[str, Any] | None) -> dict[str, Any]:
    environment = dict((source_record or {}).get("environment") or {})
    for name in SCRUBBED_ENVIRONMENT:
        environment.pop(name, None)
    return {"model": model_provenance(handle), "task_setting": {"task": setting.task, "shots": setting.shots,
            "limit": setting.limit}, "computed_with": environment,
            "evaluation_code_version_at_ship": evaluation_code_version(),
            "source_key_fields": (source_record or {}).get("key_fields")}


def ship(profile: Profile, *, local: ResultStore | None = None, from_store: ResultStore | None = None,
         shipped: ResultStore | None = None, progress: bool = True, partial: bool = False) -> list[str]:
    """Copy every evaluation result of ``profile`` into the shipped store; return what was shipped.

    Results come from ``local`` under the current code version (default: the local results
    store), or, with ``from_store``, from any complete result matching the settings.
    Raises :class:`ResultNotFoundError` naming the first result that is missing, unless
    ``partial`` (ship what is there, say what is not: for a computation still running).
    """
    local = local or ResultStore()
    shipped = shipped or ResultStore(SHIPPED_RESULTS_DIR)
    done = []
    for label, handle, setting in planned_results(profile):
        items = build_setting_items(setting)
        key = result_key(handle, setting)
        try:
            if from_store is not None:
                table = _old_table(from_store, {**key, "model_id": handle.model_id})
                record = next(r for r in from_store.records() if r.get("complete")
                              and all(r["key_fields"].get(n) == key.get(n) for n in MATCH_FIELDS))
            else:
                local_key = {**key, "code_version": evaluation_code_version()}
                table, record = local.load(local_key), local.provenance(local_key)
        except ResultNotFoundError:
            if not partial:
                raise
            print(f"not yet computed: {label}", flush=True)
            continue
        shipped.get_or_compute(key, items, _rows_for_units(table), shard_size=64, progress=False,
                               extra_provenance=_provenance(handle, setting, record))
        done.append(label)
        if progress:
            print(f"shipped {label}: {len(table)} rows", flush=True)
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
        records.append({"model": handle.model_id, "task": setting.task, "setting": settings,
                        "n_items": int(rows.groupby(["task", "item_id"]).ngroups)})
    records += _swap_summary_rows(profile, stack)
    return pd.DataFrame(records, columns=["model", "task", "setting", "n_items"])


def _swap_summary_rows(profile: Profile, stack) -> list[dict[str, Any]]:
    from helpers.experiments.config import configure
    from helpers.experiments.swap.compute import SwapResultMissing, pair_rows
    from helpers.experiments.swap.plan import swap_plan

    if profile.swap is None:
        return []
    plan = swap_plan(configure(profile.name, None, {"compute_missing": False}, experiment="swap"))
    records = []
    for donor_source, recipient_source in plan.pairs:
        donor, recipient = ModelHandle(donor_source), ModelHandle(recipient_source)
        for kind, setting in plan.settings.items():
            try:
                rows = pair_rows(plan, donor, recipient, kind, stack=stack, compute_missing=False)
            except SwapResultMissing:
                continue
            conditions = rows["condition"].nunique()
            records.append({"model": f"swap {donor.model_id} -> {recipient.model_id}", "task": setting.task,
                            "setting": f"swap {kind}: {conditions} conditions, limit {setting.limit}",
                            "n_items": int(rows.groupby(["task", "item_id"]).ngroups)})
    return records


# ----------------------------------------------------------------------------- swap results


def _old_swap_table(store: ResultStore, donor: str, recipient: str, setting: TaskSetting) -> pd.DataFrame:
    """Every stored condition of one (pair, task setting) in ``store``, whatever its key layout."""
    frames = []
    for record in store.records():
        fields = record.get("key_fields", {})
        if (record.get("complete") and fields.get("experiment") == "attention_swap" and fields.get("donor") == donor
                and fields.get("recipient") == recipient and fields.get("task") == setting.task
                and fields.get("limit") == setting.limit and fields.get("shots") == setting.shots):
            frames.append(store.load(fields))
    if not frames:
        raise ResultNotFoundError(f"no swap result {donor} -> {recipient} on {setting.task} in {store.root}")
    return pd.concat(frames, ignore_index=True).drop_duplicates(["condition", "task", "item_id", "choice"])


def _swap_rows_for_units(table: pd.DataFrame, condition_order: Sequence[str]):
    order = {name: index for index, name in enumerate(condition_order)}
    table = table[table["condition"].isin(order)]

    def compute(units: Sequence) -> pd.DataFrame:
        rank = {unit.item_id: index for index, unit in enumerate(units)}
        part = table[table["item_id"].isin(rank)].assign(_c=lambda f: f["condition"].map(order),
                                                         _i=lambda f: f["item_id"].map(rank))
        return part.sort_values(["_c", "_i", "choice"], kind="stable").drop(columns=["_c", "_i"]).reset_index(drop=True)

    return compute


def ship_swap(profile: Profile, *, local: ResultStore | None = None, from_store: ResultStore | None = None,
              shipped: ResultStore | None = None, progress: bool = True, partial: bool = False) -> list[str]:
    """Copy the swap results of ``profile`` into the shipped store (see :func:`ship`)."""
    from helpers.experiments.config import configure
    from helpers.experiments.swap.compute import pair_key, recipient_depth, swap_code_version
    from helpers.experiments.swap.plan import conditions_for, swap_plan

    if profile.swap is None:
        return []
    local = local or ResultStore()
    shipped = shipped or ResultStore(SHIPPED_RESULTS_DIR)
    plan = swap_plan(configure(profile.name, None, {}, experiment="swap"))
    done = []
    for donor_source, recipient_source in plan.pairs:
        donor, recipient = ModelHandle(donor_source), ModelHandle(recipient_source)
        names = [condition.name for condition in conditions_for(plan, recipient_depth(recipient))]
        for kind, setting in plan.settings.items():
            key = pair_key(donor, recipient, setting, plan)
            try:
                if from_store is not None:
                    table, record = _old_swap_table(from_store, donor.model_id, recipient.model_id, setting), None
                else:
                    local_key = {**key, "code_version": swap_code_version()}
                    table, record = local.load(local_key), local.provenance(local_key)
            except ResultNotFoundError:
                if not partial:
                    raise
                print(f"not yet computed: swap {recipient.model_id} {kind}", flush=True)
                continue
            provenance = {"donor": model_provenance(donor), "recipient": model_provenance(recipient),
                          "swap_code_version_at_ship": swap_code_version(),
                          "computed_with": {k: v for k, v in ((record or {}).get("environment") or {}).items()
                                            if k not in SCRUBBED_ENVIRONMENT}}
            shipped.get_or_compute(key, build_setting_items(setting, plan.seed), _swap_rows_for_units(table, names),
                                   shard_size=16, progress=False, extra_provenance=provenance)
            done.append(f"swap {donor.model_id} -> {recipient.model_id} {kind}")
            if progress:
                print(f"shipped {done[-1]}: {len(table)} rows", flush=True)
    return done
