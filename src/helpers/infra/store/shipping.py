"""Shipping one table into a (shipped) store: staged beside it, made portable, sealed, swapped in.

A shipped store (``data/results``) is committed with the repository, so what lands in it must
name no machine (:data:`helpers.infra.provenance.MACHINE_FIELDS`) and must never be left half
written. :func:`ship_table` therefore writes the table into a staging store beside the target
(``.<root name>-staging``) through the ordinary
:meth:`ResultStore.get_or_compute <helpers.infra.store.store.ResultStore.get_or_compute>`
(atomic shard writes; an interrupted staging is simply redone), rewrites its environment
portably, seals it (:mod:`~helpers.infra.store.seal`) and only then moves it in place of the old
folder (the old one is in git if a move fails). A table whose shipped rows are already these is
left untouched (sealed if it predates seals).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd

from helpers.infra.files import atomic_write_json
from helpers.infra.provenance import MACHINE_FIELDS, portable_environment
from helpers.infra.store.record import PROVENANCE_FILE
from helpers.infra.store.seal import seal_directory
from helpers.infra.store.store import ResultStore

SHIPPED = "shipped"
UNCHANGED = "unchanged"


def _unchanged(target: ResultStore, key_fields: Mapping[str, Any], units: Sequence[Any], rows: pd.DataFrame) -> bool:
    """Whether ``target`` already holds exactly ``rows`` for ``key_fields``, computed from ``units``,
    with a provenance that names no machine."""
    if not target.exists(key_fields):
        return False
    environment = target.provenance(key_fields).get("environment") or {}
    clean = not any(name in environment for name in MACHINE_FIELDS)
    return clean and target.units_match(key_fields, units) and target.load(key_fields).equals(rows)


def ship_table(
    target: ResultStore,
    key_fields: Mapping[str, Any],
    units: Sequence[Any],
    compute: Callable[[Sequence[Any]], pd.DataFrame],
    *,
    shard_size: int,
    extra_provenance: Mapping[str, Any],
) -> str:
    """Ship the table ``compute`` gives for ``units`` into ``target`` under ``key_fields``.

    ``compute(units[start:stop])`` returns the rows of those units (as for
    :meth:`~helpers.infra.store.store.ResultStore.get_or_compute`). Returns :data:`UNCHANGED` when
    ``target`` already holds these rows (nothing rewritten), else :data:`SHIPPED`.
    """
    rows = pd.concat(
        [compute(units[start : start + shard_size]) for start in range(0, len(units), shard_size)], ignore_index=True
    )
    destination = target.path(key_fields)
    if _unchanged(target, key_fields, units, rows):
        seal_directory(destination)  # a table shipped before seals existed gets one; else nothing is written
        return UNCHANGED
    staging = ResultStore(target.root.parent / f".{target.root.name}-staging")
    staged = staging.path(key_fields)
    shutil.rmtree(staged, ignore_errors=True)
    staging.get_or_compute(
        key_fields, units, compute, shard_size=shard_size, progress=False, extra_provenance=extra_provenance
    )
    record_path = staged / PROVENANCE_FILE
    record = json.loads(record_path.read_text(encoding="utf-8"))
    record["environment"] = portable_environment(record.get("environment"))
    atomic_write_json(record_path, record)
    seal_directory(staged)
    old = destination.with_name(destination.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    destination.parent.mkdir(parents=True, exist_ok=True)
    if destination.exists():
        destination.rename(old)
    staged.rename(destination)
    shutil.rmtree(old, ignore_errors=True)
    shutil.rmtree(staging.root, ignore_errors=True)
    return SHIPPED
