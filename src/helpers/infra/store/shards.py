"""Shards: the parquet files that hold a stored table, one per consecutive run of units.

Each shard records, in its parquet metadata, the key it belongs to, its index, the unit range
it was computed from and its row count; :func:`read_shard` checks all of them, so a file that
was damaged, truncated, copied to the wrong folder or written by another format version is
found and recomputed instead of read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from helpers.infra.files import atomic_write
from helpers.infra.provenance import utc_now

SCHEMA_VERSION = 1
"""On-disk format version; stored data with another version is recomputed."""

SHARD_PATTERN = "shard-{index:05d}.parquet"
SHARD_METADATA_KEY = b"capability_ceilings.shard"

ShardContent = tuple[pd.DataFrame, dict[str, Any], dict[str, str]]
"""``(table, shard metadata, {column: arrow type})`` of a valid shard."""


@dataclass(frozen=True)
class Shard:
    """One shard: rows computed from ``units[start:stop]``, stored at ``path``."""

    index: int
    start: int
    stop: int
    path: Path


def plan_shards(directory: Path, n_units: int, shard_size: int) -> list[Shard]:
    """The shards of ``n_units`` units cut into runs of ``shard_size`` (the last may be shorter)."""
    return [
        Shard(index, start, min(start + shard_size, n_units), directory / SHARD_PATTERN.format(index=index))
        for index, start in enumerate(range(0, n_units, shard_size))
    ]


def column_types(schema: pa.Schema) -> dict[str, str]:
    """``{column name: arrow type}`` of a parquet schema, in column order."""
    return {field.name: str(field.type) for field in schema}


def columns_agree(found: Mapping[str, str], expected: Mapping[str, str]) -> bool:
    """Same column names in the same order and same types (a ``null`` type, from an empty
    shard, agrees with any type)."""
    if list(found) != list(expected):
        return False
    return all(found[name] == expected[name] or "null" in (found[name], expected[name]) for name in found)


def read_shard(shard: Shard, key: str, expected_columns: Mapping[str, str] | None) -> ShardContent | str | None:
    """The content of a valid shard, ``None`` if absent, or why it is invalid (a phrase that
    completes "shard <path> ...")."""
    if not shard.path.exists():
        return None
    try:
        table = pq.read_table(shard.path)
    except PermissionError:
        raise  # not a damaged file: recomputing would not help
    except (pa.ArrowException, OSError, ValueError) as error:  # pyarrow's errors for damaged files
        return f"cannot be read ({type(error).__name__}: {error})"
    raw_metadata = (table.schema.metadata or {}).get(SHARD_METADATA_KEY)
    try:
        metadata = json.loads(raw_metadata) if raw_metadata is not None else None
    except ValueError:
        metadata = None
    if not isinstance(metadata, dict):
        return "has no readable store metadata"
    expected = {"schema_version": SCHEMA_VERSION, "key": key, "index": shard.index, "unit_start": shard.start,
                "unit_stop": shard.stop, "n_rows": table.num_rows}
    for name, value in expected.items():
        if metadata.get(name) != value:
            return f"has {name}={metadata.get(name)!r}, expected {value!r}"
    columns = column_types(table.schema)
    if expected_columns is not None and not columns_agree(columns, expected_columns):
        return f"has columns {columns}, the completed key has {dict(expected_columns)}"
    return table.to_pandas(), metadata, columns


def write_shard(shard: Shard, key: str, frame: pd.DataFrame) -> None:
    """Write ``frame`` as ``shard`` of ``key`` (atomically), with its metadata."""
    metadata = {"schema_version": SCHEMA_VERSION, "key": key, "index": shard.index, "unit_start": shard.start,
                "unit_stop": shard.stop, "n_rows": len(frame), "computed_at": utc_now()}  # nothing machine-specific
    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.replace_schema_metadata(
        {**(table.schema.metadata or {}), SHARD_METADATA_KEY: json.dumps(metadata).encode()})
    atomic_write(shard.path, lambda handle: pq.write_table(table, handle))
