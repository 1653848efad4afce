"""Seal shipped tables: the sha256 of every shard file, recorded when the table is shipped.

The verification sample (:mod:`helpers.experiments.verify`) re-scores a few items per table, so
on its own it would miss an edit of one row out of a thousand. Each shipped table's provenance
therefore records the sha256 of each of its shard files (:data:`SEAL_FIELD`,
``{file name: hex digest}``), written by :mod:`helpers.experiments.ship`. On every build the
verifier recomputes them (reading the shipped files once: a second or less) and adds every item of a shard
whose digest changed to the items it re-scores, so an altered row is found and named whatever
the sample.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import pandas as pd

from helpers.infra.files import atomic_write_json, file_sha256
from helpers.infra.store import PROVENANCE_FILE, ResultStore

SEAL_FIELD = "shipped_sha256"
"""Provenance field of a shipped table: ``{shard file name: sha256 hex digest}``."""


@dataclass(frozen=True)
class AlteredShard:
    """A shard file whose content is not the one shipped (``sealed`` is None for a new file)."""

    file: str
    sealed: str | None
    actual: str | None  # None: the file is missing


def shard_digests(directory: Path) -> dict[str, str]:
    """``{file name: sha256}`` of the shard files in a table's folder."""
    return {path.name: file_sha256(path) for path in sorted(directory.glob("shard-*.parquet"))}


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


def altered_shards(store: ResultStore, key_fields: Mapping[str, Any]) -> list[AlteredShard] | None:
    """The shards of a shipped table that differ from their seal; None when the table has no seal."""
    directory = store.path(key_fields)
    sealed = store.provenance(key_fields).get(SEAL_FIELD)
    if sealed is None:
        return None
    actual = shard_digests(directory)
    return [AlteredShard(name, sealed.get(name), actual.get(name)) for name in sorted(set(sealed) | set(actual))
            if sealed.get(name) != actual.get(name)]


def item_ids_in(store: ResultStore, key_fields: Mapping[str, Any], shards: list[AlteredShard]) -> set[str]:
    """The item ids held by the (present) ``shards`` of a table, as they now read."""
    directory = store.path(key_fields)
    ids: set[str] = set()
    for shard in shards:
        if shard.actual is not None:
            ids |= set(pd.read_parquet(directory / shard.file, columns=["item_id"])["item_id"].astype(str))
    return ids
