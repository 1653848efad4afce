"""Shards: the parquet files that hold a stored table, one per consecutive run of units.

Each shard records, in its parquet metadata, the key it belongs to, its index, the unit range
it was computed from, its row count and the sha256 of its content (:func:`content_sha256`);
:func:`read_shard` checks all of them, so a file that was damaged (a flipped bit included),
truncated, edited, copied to the wrong folder or written by another format version is found and
recomputed instead of read.

Why a digest of the content and not parquet's page checksums: pyarrow 26 writes and verifies
CRC-32 page checksums (``write_page_checksum`` / ``page_checksum_verification``), but they cover
the data pages only, not the footer that holds the schema, the column names and the metadata.
Measured (``scripts/parquet_bitflips.py``) on a shipped 980-row shard rewritten with page
checksums, one bit flipped in every third byte (9,569 damaged copies, each read as the store
reads it): of the 5,141 flips in the pages none changed the data silently (4,837 raised, 304 hit
bytes the reader ignores), but of the 4,428 flips in the footer 84 changed the table read back
(a column name or type) with no error, and 283 the schema metadata. The digest is computed over
what the reader returns (pandas metadata, column names, arrow types and every value) and stored
in the footer's own metadata, so it travels with the file (shipping copies it; one atomic write
replaces both) and any change to the data, or to the digest, is a mismatch. Shards written
before digests existed carry none and are read unchecked (shipped ones are covered by their
seal, :mod:`helpers.infra.store.seal`).
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from helpers.infra.files import atomic_write
from helpers.infra.provenance import utc_now

SCHEMA_VERSION = 1
"""On-disk format version; stored data with another version is recomputed."""

SHARD_PATTERN = "shard-{index:05d}.parquet"
SHARD_GLOB = "shard-*.parquet"
"""Matches every file named by :data:`SHARD_PATTERN` (and only those) in a key's folder."""
SHARD_METADATA_KEY = b"capability_ceilings.shard"
DIGEST_FIELD = "sha256"
"""Field of a shard's store metadata: :func:`content_sha256` of its table, hex."""

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


def content_sha256(table: pa.Table) -> str:
    """Hex sha256 of what a reader of ``table`` gets: its pandas metadata, then each column's
    name, arrow type and values (JSON, floats by their shortest exact repr; independent of chunking
    and of how pyarrow lays out buffers). About 3 ms for a 980-row shard of 25 columns."""
    digest = hashlib.sha256((table.schema.metadata or {}).get(b"pandas", b""))
    for name, column in zip(table.column_names, table.columns):
        digest.update(json.dumps([name, str(column.type), column.to_pylist()], default=repr).encode())
    return digest.hexdigest()


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
    expected = {
        "schema_version": SCHEMA_VERSION,
        "key": key,
        "index": shard.index,
        "unit_start": shard.start,
        "unit_stop": shard.stop,
        "n_rows": table.num_rows,
    }
    for name, value in expected.items():
        if metadata.get(name) != value:
            return f"has {name}={metadata.get(name)!r}, expected {value!r}"
    columns = column_types(table.schema)
    if expected_columns is not None and not columns_agree(columns, expected_columns):
        return f"has columns {columns}, the completed key has {dict(expected_columns)}"
    if DIGEST_FIELD in metadata and metadata[DIGEST_FIELD] != (actual := content_sha256(table)):
        return (
            f"has content sha256 {actual[:16]}..., but {metadata[DIGEST_FIELD]!s:.16}... was recorded when it "
            "was written: the file changed since (a flipped bit on disk, or an edit)"
        )
    return table.to_pandas(), metadata, columns


def write_shard(shard: Shard, key: str, frame: pd.DataFrame) -> None:
    """Write ``frame`` as ``shard`` of ``key`` (atomically), with its metadata and the
    :func:`content_sha256` of its table."""
    metadata = {
        "schema_version": SCHEMA_VERSION,
        "key": key,
        "index": shard.index,
        "unit_start": shard.start,
        "unit_stop": shard.stop,
        "n_rows": len(frame),
        "computed_at": utc_now(),
    }  # nothing machine-specific
    table = pa.Table.from_pandas(frame, preserve_index=False)
    # the digest of the table as parquet gives it back (list fields are renamed "element", ...)
    round_trip = io.BytesIO()
    pq.write_table(table, round_trip)
    metadata[DIGEST_FIELD] = content_sha256(pq.read_table(io.BytesIO(round_trip.getvalue())))
    table = table.replace_schema_metadata(
        {**(table.schema.metadata or {}), SHARD_METADATA_KEY: json.dumps(metadata).encode()}
    )
    atomic_write(shard.path, lambda handle: pq.write_table(table, handle))
