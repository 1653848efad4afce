"""Seals: the sha256 of every shard file of a shipped table, recorded in its provenance.

The verification sample (:mod:`helpers.experiments.verify`) re-scores a few items per table, so
on its own it would miss an edit of one row out of a thousand. Each shipped table's provenance
therefore records the sha256 of each of its shard files (:data:`SEAL_FIELD`,
``{file name: hex digest}``), written when the table is shipped
(:func:`~helpers.infra.store.shipping.ship_table`). On every build the verifier recomputes them
(reading the shipped files once: a second or less) and adds every item of a shard whose digest
changed to the items it re-scores, so an altered row is found and named whatever the sample.

Callers pass a store and key fields; the shard files' names and folders stay the store's own.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from helpers.infra.files import atomic_write_json, file_sha256
from helpers.infra.store.errors import CorruptShardError
from helpers.infra.store.record import PROVENANCE_FILE
from helpers.infra.store.shards import SHARD_GLOB, plan_shards, read_shard
from helpers.infra.store.store import ResultStore

UNREADABLE = (pa.ArrowException, OSError, ValueError)
"""What pandas / pyarrow raise for a file that is not (complete) parquet."""

SEAL_FIELD = "shipped_sha256"
"""Provenance field of a shipped table: ``{shard file name: sha256 hex digest}``."""


@dataclass(frozen=True)
class AlteredShard:
    """A shard file whose content is not the one shipped (``sealed`` is None for a new file)."""

    file: str
    sealed: str | None
    actual: str | None  # None: the file is missing


def shard_digests(directory: Path) -> dict[str, str]:
    """``{file name: sha256}`` of the shard files in a key's folder (sorted by name)."""
    return {path.name: file_sha256(path) for path in sorted(directory.glob(SHARD_GLOB))}


def seal_directory(directory: Path) -> bool:
    """Record the digests of ``directory``'s shards in its provenance; False when already so."""
    record_path = directory / PROVENANCE_FILE
    record = json.loads(record_path.read_text(encoding="utf-8"))
    digests = shard_digests(directory)
    if record.get(SEAL_FIELD) == digests:
        return False
    record[SEAL_FIELD] = digests
    atomic_write_json(record_path, record)
    return True


def seal(store: ResultStore, key_fields: Mapping[str, Any]) -> bool:
    """Seal the table of ``key_fields`` in ``store`` (:func:`seal_directory`); False when already so."""
    return seal_directory(store.path(key_fields))


def altered_shards(store: ResultStore, key_fields: Mapping[str, Any]) -> list[AlteredShard] | None:
    """The shards of a shipped table that differ from their seal; None when the table has no seal."""
    sealed = store.provenance(key_fields).get(SEAL_FIELD)
    if sealed is None:
        return None
    actual = shard_digests(store.path(key_fields))
    return [
        AlteredShard(name, sealed.get(name), actual.get(name))
        for name in sorted(set(sealed) | set(actual))
        if sealed.get(name) != actual.get(name)
    ]


def item_ids_in(store: ResultStore, key_fields: Mapping[str, Any], shards: list[AlteredShard]) -> set[str]:
    """The item ids held by the (present, readable) ``shards`` of a table, as they now read (an
    unreadable one is named by :func:`read_rows`)."""
    directory = store.path(key_fields)
    ids: set[str] = set()
    for shard in shards:
        if shard.actual is not None:
            try:
                ids |= set(pd.read_parquet(directory / shard.file, columns=["item_id"])["item_id"].astype(str))
            except UNREADABLE:
                continue
    return ids


def read_rows(store: ResultStore, key_fields: Mapping[str, Any]) -> tuple[pd.DataFrame, dict[str, str]]:
    """The rows of a shipped table as its files now read, and ``{file name: why it was not read}``.

    A shard the store accepts is read through it. One it refuses (a file edited with pandas or
    another tool loses the store's metadata; one edited with pyarrow no longer has its recorded
    digest) is read as plain parquet, so its changed rows are compared and named by the
    verification rather than ending in a :class:`~helpers.infra.store.CorruptShardError`. A file
    that cannot be read as parquet at all, or lacks a stored column, is only named (one line each).
    """
    try:
        return store.load(key_fields), {}
    except CorruptShardError:
        pass  # at least one shard is refused: read them one by one
    record = store.provenance(key_fields)
    columns = [name for name, _ in record.get("columns", [])]
    layout, key = record["layout"], store.key(key_fields)
    frames, unread = [], {}
    for shard in plan_shards(store.path(key_fields), layout["n_units"], layout["shard_size"]):
        found = read_shard(shard, key, None)
        if isinstance(found, tuple):
            frames.append(found[0])
            continue
        try:
            frame = pd.read_parquet(shard.path)
        except UNREADABLE as error:
            unread[shard.path.name] = f"cannot be read as parquet ({type(error).__name__}: {_first_line(error)})"
            continue
        missing = [name for name in columns if name not in frame.columns]
        if missing:
            unread[shard.path.name] = f"lacks the stored column(s) {missing}"
            continue
        frames.append(frame[columns].reset_index(drop=True))
    rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
    return rows, unread


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else ""
