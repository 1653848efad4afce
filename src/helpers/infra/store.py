"""The results store: scored tables cached on disk, keyed by a hash of their settings.

Scoring a model on a task is the expensive step, so its table is stored once per
*key*: a dict of the settings that determine the numbers (model id, revision, dtype, task,
task settings, and the :func:`~helpers.infra.provenance.code_version` of the scoring code, which
the store adds itself). The key's hash names a folder; the settings are never recovered by
parsing names but read from the ``provenance.json`` stored beside the data::

    <root>/<key[:2]>/<key>/
        shard-00000.parquet   rows computed from units [0, shard_size)
        shard-00001.parquet   rows computed from units [shard_size, 2 * shard_size)
        ...
        provenance.json       key fields, layout, environment, and once every shard is
                              done: "complete": true, row counts, columns, per-shard origin

:meth:`ResultStore.get_or_compute` splits the units (e.g. task items) into shards and
computes only the shards that are missing or invalid, so an interrupted run resumes where it
stopped. Every file is written atomically (temporary file in the same folder, fsync,
``os.replace``), so several processes (one per GPU, or Slurm jobs) can fill the same store:
two writers of one key compute identical content and the last replace wins. A shard that
cannot be read, whose metadata disagrees with its place (key, index, unit range, row count,
format version) or whose columns differ from the completed key's, is reported with a
:class:`StoreWarning` naming the file and recomputed.

The returned table is always read back from the parquet files, so a fresh run and a resumed
run return identical frames (same dtypes), with a default ``RangeIndex``: put any item id in
a column, not in the index.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import socket
import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterator, Mapping, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm import tqdm

from helpers.infra.paths import results_dir
from helpers.infra.provenance import code_version, environment, utc_now

__all__ = [
    "SCHEMA_VERSION",
    "ResultStore",
    "StoreError",
    "InvalidKeyError",
    "StoreArgumentError",
    "StoreConflictError",
    "StoreSchemaError",
    "ResultNotFoundError",
    "CorruptShardError",
    "StoreWarning",
    "canonical_json",
    "key_hash",
    "code_version",
]

SCHEMA_VERSION = 1
"""On-disk format version; stored data with another version is recomputed."""

PROVENANCE_FILE = "provenance.json"
SHARD_PATTERN = "shard-{index:05d}.parquet"
TEMP_SUFFIX = ".tmp"
SHARD_METADATA_KEY = b"capability_ceilings.shard"
CODE_VERSION_FIELD = "code_version"
LIST_LEADING_COLUMNS = ("key", "complete", "n_rows", "created_at", "completed_at")


class StoreError(RuntimeError):
    """Base class of the results store's errors."""


class InvalidKeyError(StoreError, ValueError):
    """Key fields that cannot be hashed stably (not plain JSON values)."""


class StoreArgumentError(StoreError, ValueError):
    """A bad argument to a store method (shard size, units, compute result)."""


class StoreConflictError(StoreError):
    """The stored layout of a key (units, shard size) differs from the one asked for."""


class StoreSchemaError(StoreError):
    """Shards of one key have different columns or types."""


class ResultNotFoundError(StoreError, LookupError):
    """:meth:`ResultStore.load` found no complete result for the key."""


class CorruptShardError(StoreError):
    """:meth:`ResultStore.load` found a shard that is missing, unreadable or inconsistent."""


class StoreWarning(UserWarning):
    """Stored data was found invalid and will be recomputed (the message names the file)."""


# ----------------------------------------------------------------------------- keys


def _canonical_value(value: Any, where: str) -> Any:
    """``value`` as plain JSON types, or :class:`InvalidKeyError` naming ``where``."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidKeyError(
                f"key field {where} is {value!r}; key fields must be finite numbers "
                "(use None or a string for a missing value)"
            )
        return value
    if isinstance(value, Mapping):
        canonical: dict[str, Any] = {}
        for name, item in value.items():
            if not isinstance(name, str):
                raise InvalidKeyError(
                    f"key field {where} has the non-string key {name!r}; use string keys"
                )
            canonical[name] = _canonical_value(item, f"{where}.{name}")
        return canonical
    if isinstance(value, (list, tuple)):
        return [_canonical_value(item, f"{where}[{i}]") for i, item in enumerate(value)]
    raise InvalidKeyError(
        f"key field {where} = {value!r} has type {type(value).__name__}; key fields must be "
        "JSON values (str, int, float, bool, None, lists, dicts with string keys): "
        "convert it first, e.g. str(path)"
    )


def canonical_json(key_fields: Mapping[str, Any]) -> str:
    """The canonical JSON text of ``key_fields``: sorted keys, no spaces, UTF-8.

    Tuples become lists and numpy scalars Python numbers; ``1`` and ``1.0`` stay distinct.
    """
    if not isinstance(key_fields, Mapping):
        raise InvalidKeyError(
            f"key_fields must be a dict of settings, got {type(key_fields).__name__}"
        )
    canonical = _canonical_value(key_fields, "key_fields")
    return json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def key_hash(key_fields: Mapping[str, Any]) -> str:
    """The sha256 (64 hex digits) of :func:`canonical_json` of ``key_fields``."""
    return hashlib.sha256(canonical_json(key_fields).encode("utf-8")).hexdigest()


def units_fingerprint(units: Sequence[Any]) -> str:
    """A sha256 of the units' ``repr``s: detects a key reused for a different unit list.

    Units therefore need a deterministic ``repr`` (strings, numbers, tuples, dataclasses
    such as :class:`helpers.core.requests.Item`), not one that includes a memory address.
    """
    digest = hashlib.sha256()
    for unit in units:
        text = repr(unit).encode("utf-8")
        digest.update(len(text).to_bytes(8, "big") + text)
    return digest.hexdigest()


# ----------------------------------------------------------------------------- files


def _fsync_directory(directory: Path) -> None:
    """Flush a directory entry to disk (best effort: not supported on every platform)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _atomic_write(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """Write ``path`` atomically: ``write`` fills a temp file beside it, then fsync + replace.

    Readers see either the old file or the complete new one, never a partial file; the temp
    file is removed if writing fails.
    """
    temp_path = path.with_name(
        f".{path.name}.{socket.gethostname()}.{os.getpid()}.{uuid.uuid4().hex[:8]}{TEMP_SUFFIX}"
    )
    try:
        with open(temp_path, "xb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_path, path)
    except BaseException:
        temp_path.unlink(missing_ok=True)
        raise
    _fsync_directory(path.parent)


def _write_json(path: Path, record: Mapping[str, Any]) -> None:
    text = json.dumps(record, indent=2, sort_keys=True, ensure_ascii=False, default=str)
    _atomic_write(path, lambda handle: handle.write(text.encode("utf-8") + b"\n"))


def _column_types(schema: pa.Schema) -> dict[str, str]:
    """``{column name: arrow type}`` of a parquet schema, in column order."""
    return {field.name: str(field.type) for field in schema}


def _columns_agree(found: Mapping[str, str], expected: Mapping[str, str]) -> bool:
    """Same column names in the same order and same types (a ``null`` type, from an empty
    shard, agrees with any type)."""
    if list(found) != list(expected):
        return False
    return all(
        found[name] == expected[name] or "null" in (found[name], expected[name])
        for name in found
    )


def _stored_columns(record: Mapping[str, Any]) -> dict[str, str] | None:
    """The ``{name: type}`` column types recorded in a provenance record, if any."""
    columns = record.get("columns")
    if not isinstance(columns, list):
        return None
    return {name: type_name for name, type_name in columns}


@dataclass(frozen=True)
class _Shard:
    """One shard: rows computed from ``units[start:stop]``, stored at ``path``."""

    index: int
    start: int
    stop: int
    path: Path


def _plan_shards(directory: Path, n_units: int, shard_size: int) -> list[_Shard]:
    return [
        _Shard(
            index=index,
            start=start,
            stop=min(start + shard_size, n_units),
            path=directory / SHARD_PATTERN.format(index=index),
        )
        for index, start in enumerate(range(0, n_units, shard_size))
    ]


# ----------------------------------------------------------------------------- store


class ResultStore:
    """A folder of cached result tables keyed by settings (see the module docstring).

    ``root`` defaults to :func:`helpers.infra.paths.results_dir`. With ``add_code_version`` (the
    default) every key gets a ``"code_version"`` field from
    :func:`helpers.infra.provenance.code_version` unless the caller set one, so editing the scoring
    code starts a new key instead of mixing old and new numbers.
    """

    def __init__(
        self, root: str | os.PathLike[str] | None = None, *, add_code_version: bool = True
    ):
        self.root = Path(root if root is not None else results_dir()).expanduser()
        self.add_code_version = add_code_version

    def __repr__(self) -> str:
        return f"ResultStore(root={str(self.root)!r})"

    # ---- keys and paths

    def key_fields(self, key_fields: Mapping[str, Any]) -> dict[str, Any]:
        """The complete key fields: ``key_fields`` plus ``code_version`` when enabled."""
        if not isinstance(key_fields, Mapping):
            raise InvalidKeyError(
                f"key_fields must be a dict of settings, got {type(key_fields).__name__}"
            )
        full_fields = dict(key_fields)
        if self.add_code_version and CODE_VERSION_FIELD not in full_fields:
            full_fields[CODE_VERSION_FIELD] = code_version()
        return full_fields

    def key(self, key_fields: Mapping[str, Any]) -> str:
        """The key (64 hex digits) under which ``key_fields`` are stored."""
        return key_hash(self.key_fields(key_fields))

    def path(self, key_fields: Mapping[str, Any]) -> Path:
        """The folder holding the shards and provenance of ``key_fields``."""
        return self._directory(self.key(key_fields))

    def _directory(self, key: str) -> Path:
        return self.root / key[:2] / key

    # ---- provenance

    def _read_provenance(self, directory: Path, key: str) -> dict[str, Any] | None:
        """The stored provenance, or ``None`` (with a warning) when absent or unusable."""
        path = directory / PROVENANCE_FILE
        if not path.exists():
            return None
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            warnings.warn(
                f"unreadable provenance {path} ({error}); rewriting it", StoreWarning, stacklevel=3
            )
            return None
        if not isinstance(record, dict) or record.get("schema_version") != SCHEMA_VERSION:
            found = record.get("schema_version") if isinstance(record, dict) else None
            warnings.warn(
                f"provenance {path} has schema version {found!r}, this code writes "
                f"{SCHEMA_VERSION}; recomputing every shard of this key",
                StoreWarning,
                stacklevel=3,
            )
            return {"stale": True}
        if record.get("key") != key:
            warnings.warn(
                f"provenance {path} names key {record.get('key')!r}, expected {key}; "
                "recomputing every shard of this key",
                StoreWarning,
                stacklevel=3,
            )
            return {"stale": True}
        return record

    @staticmethod
    def _check_layout(
        record: Mapping[str, Any], layout: Mapping[str, Any], directory: Path
    ) -> None:
        """Raise :class:`StoreConflictError` if the stored units or shard size differ."""
        stored = record.get("layout", {})
        for name in ("n_units", "shard_size", "units_fingerprint"):
            if stored.get(name) != layout[name]:
                raise StoreConflictError(
                    f"the store at {directory} holds this key with {name}={stored.get(name)!r}, "
                    f"but this call has {name}={layout[name]!r}. If the units differ, a setting "
                    "that selects them is missing from key_fields: add it. If only shard_size "
                    f"changed, pass shard_size={stored.get('shard_size')!r} or delete {directory}."
                )

    # ---- shards

    def _read_shard(
        self, shard: _Shard, key: str, expected_columns: Mapping[str, str] | None
    ) -> tuple[pd.DataFrame, dict[str, Any], dict[str, str]] | str | None:
        """``(table, metadata, column types)`` of a valid shard, ``None`` if absent, or why
        it is invalid (a phrase that completes "shard <path> ...")."""
        if not shard.path.exists():
            return None
        try:
            table = pq.read_table(shard.path)
        except Exception as error:  # pyarrow raises several types for damaged files
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
        columns = _column_types(table.schema)
        if expected_columns is not None and not _columns_agree(columns, expected_columns):
            return f"has columns {columns}, the completed key has {dict(expected_columns)}"
        return table.to_pandas(), metadata, columns

    def _write_shard(self, shard: _Shard, key: str, frame: pd.DataFrame) -> None:
        metadata = {
            "schema_version": SCHEMA_VERSION,
            "key": key,
            "index": shard.index,
            "unit_start": shard.start,
            "unit_stop": shard.stop,
            "n_rows": len(frame),
            "computed_at": utc_now(),
            "hostname": socket.gethostname(),
            "pid": os.getpid(),
        }
        table = pa.Table.from_pandas(frame, preserve_index=False)
        table = table.replace_schema_metadata(
            {**(table.schema.metadata or {}), SHARD_METADATA_KEY: json.dumps(metadata).encode()}
        )
        _atomic_write(shard.path, lambda handle: pq.write_table(table, handle))

    # ---- public API

    def get_or_compute(
        self,
        key_fields: Mapping[str, Any],
        units: Sequence[Any],
        compute: Callable[[Sequence[Any]], pd.DataFrame],
        *,
        shard_size: int,
        progress: bool = True,
    ) -> pd.DataFrame:
        """The table for ``key_fields``, computing (and storing) only the missing shards.

        ``units`` (e.g. :class:`~helpers.core.requests.Item`\\ s) are split into consecutive shards
        of ``shard_size``; ``compute(units[start:stop])`` must return a DataFrame (any number
        of rows, the same columns for every shard). Stored valid shards are read instead of
        recomputed; invalid ones are warned about and recomputed. Returns the shards'
        concatenation in unit order with a fresh ``RangeIndex``.
        """
        if isinstance(shard_size, bool) or not isinstance(shard_size, int) or shard_size < 1:
            raise StoreArgumentError(f"shard_size must be a positive integer, got {shard_size!r}")
        if not isinstance(units, Sequence) or isinstance(units, (str, bytes)):
            raise StoreArgumentError(
                f"units must be a sequence (list or tuple), got {type(units).__name__}: "
                "wrap it in list(...)"
            )
        if not callable(compute):
            raise StoreArgumentError(f"compute must be callable, got {compute!r}")

        full_fields = self.key_fields(key_fields)
        key = key_hash(full_fields)
        directory = self._directory(key)
        directory.mkdir(parents=True, exist_ok=True)
        layout = {
            "n_units": len(units),
            "shard_size": shard_size,
            "n_shards": math.ceil(len(units) / shard_size),
            "units_fingerprint": units_fingerprint(units),
        }
        record, recompute_all = self._open_record(directory, key, full_fields, layout)
        expected_columns = _stored_columns(record) if record.get("complete") else None

        shards = _plan_shards(directory, len(units), shard_size)
        found_shards: list[tuple[pd.DataFrame, dict[str, Any], dict[str, str]]] = []
        n_computed = 0
        bar = tqdm(total=len(shards), desc=f"store {key[:8]}", unit="shard", disable=not progress)
        with bar:
            for shard in shards:
                found = None if recompute_all else self._read_shard(shard, key, expected_columns)
                if isinstance(found, str):
                    warnings.warn(
                        f"shard {shard.path} {found}; recomputing it", StoreWarning, stacklevel=2
                    )
                if not isinstance(found, tuple):
                    found = self._compute_shard(shard, key, units, compute)
                    n_computed += 1
                found_shards.append(found)
                bar.update(1)
                bar.set_postfix(computed=n_computed)

        self._finish_record(directory, record, shards, found_shards)
        return self._concatenate([frame for frame, _, _ in found_shards])

    def _open_record(
        self,
        directory: Path,
        key: str,
        full_fields: Mapping[str, Any],
        layout: Mapping[str, Any],
    ) -> tuple[dict[str, Any], bool]:
        """The key's provenance record (created if absent) and whether to recompute all."""
        record = self._read_provenance(directory, key)
        recompute_all = record is not None and record.get("stale", False)
        if record is not None and not recompute_all:
            self._check_layout(record, layout, directory)
            return record, False
        record = {
            "schema_version": SCHEMA_VERSION,
            "key": key,
            "key_fields": dict(full_fields),
            "layout": dict(layout),
            "created_at": utc_now(),
            "complete": False,
        }
        _write_json(directory / PROVENANCE_FILE, record)
        return record, recompute_all

    def _compute_shard(
        self,
        shard: _Shard,
        key: str,
        units: Sequence[Any],
        compute: Callable[[Sequence[Any]], pd.DataFrame],
    ) -> tuple[pd.DataFrame, dict[str, Any], dict[str, str]]:
        """Compute one shard, write it atomically and read it back."""
        frame = compute(units[shard.start : shard.stop])
        if not isinstance(frame, pd.DataFrame):
            raise StoreArgumentError(
                f"compute returned {type(frame).__name__} for units "
                f"[{shard.start}, {shard.stop}); it must return a pandas DataFrame"
            )
        self._write_shard(shard, key, frame)
        found = self._read_shard(shard, key, None)
        if not isinstance(found, tuple):
            raise StoreError(f"shard {shard.path} was just written but {found}")
        return found

    def _finish_record(
        self,
        directory: Path,
        record: dict[str, Any],
        shards: Sequence[_Shard],
        found_shards: Sequence[tuple[pd.DataFrame, dict[str, Any], dict[str, str]]],
    ) -> None:
        """Check the shards agree on columns, then mark the key complete in its provenance."""
        column_types = [columns for _, _, columns in found_shards]
        self._check_consistent_columns(shards, column_types)
        origin_fields = ("unit_start", "unit_stop", "n_rows", "computed_at", "hostname")
        record.update(
            {
                "complete": True,
                "completed_at": utc_now(),
                "n_rows": int(sum(len(frame) for frame, _, _ in found_shards)),
                # [[name, arrow type], ...]: a list keeps the column order in sorted JSON
                "columns": [list(item) for item in column_types[0].items()]
                if column_types
                else [],
                "shards": [
                    {
                        "file": shard.path.name,
                        **{name: metadata.get(name) for name in origin_fields},
                    }
                    for shard, (_, metadata, _) in zip(shards, found_shards)
                ],
                # the device is recorded when the compute function used torch
                "environment": environment(import_torch=False),
            }
        )
        _write_json(directory / PROVENANCE_FILE, record)

    @staticmethod
    def _check_consistent_columns(
        shards: Sequence[_Shard], column_types: Sequence[Mapping[str, str]]
    ) -> None:
        for shard, columns in zip(shards[1:], column_types[1:]):
            if not _columns_agree(columns, column_types[0]):
                raise StoreSchemaError(
                    f"shard {shard.path} has columns {dict(columns)} but {shards[0].path} has "
                    f"{dict(column_types[0])}: compute must return the same columns for every "
                    "shard. If the scoring code changed, its code_version should have changed "
                    f"too; otherwise delete {shard.path.parent} and run again."
                )

    @staticmethod
    def _concatenate(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
        if not frames:
            return pd.DataFrame()
        non_empty = [frame for frame in frames if len(frame)] or [frames[0]]
        return pd.concat(non_empty, ignore_index=True)

    def exists(self, key_fields: Mapping[str, Any]) -> bool:
        """Whether a complete result for ``key_fields`` is recorded (shards not re-read)."""
        path = self.path(key_fields) / PROVENANCE_FILE
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return record.get("schema_version") == SCHEMA_VERSION and bool(record.get("complete"))

    def provenance(self, key_fields: Mapping[str, Any]) -> dict[str, Any]:
        """The stored provenance record of ``key_fields`` (:class:`ResultNotFoundError` if none)."""
        key = self.key(key_fields)
        path = self._directory(key) / PROVENANCE_FILE
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise ResultNotFoundError(
                f"no readable provenance for key {key} at {path} ({error}); "
                "run get_or_compute with these key fields first"
            ) from None

    def load(self, key_fields: Mapping[str, Any]) -> pd.DataFrame:
        """The stored table of ``key_fields``, without computing anything.

        Raises :class:`ResultNotFoundError` when the key is absent or incomplete and
        :class:`CorruptShardError` when a shard is missing or invalid (running
        :meth:`get_or_compute` with the same arguments repairs both).
        """
        key = self.key(key_fields)
        directory = self._directory(key)
        record = self.provenance(key_fields)
        if record.get("schema_version") != SCHEMA_VERSION or not record.get("complete"):
            raise ResultNotFoundError(
                f"the result for key {key} at {directory} is incomplete or has schema version "
                f"{record.get('schema_version')!r} (this code: {SCHEMA_VERSION}); run "
                "get_or_compute with these key fields to finish it"
            )
        layout = record["layout"]
        frames = []
        for shard in _plan_shards(directory, layout["n_units"], layout["shard_size"]):
            found = self._read_shard(shard, key, _stored_columns(record))
            if not isinstance(found, tuple):
                raise CorruptShardError(
                    f"shard {shard.path} {found or 'is missing'}; run get_or_compute with the "
                    "same key fields to recompute it"
                )
            frames.append(found[0])
        return self._concatenate(frames)

    def _provenance_files(self) -> Iterator[Path]:
        if self.root.is_dir():
            yield from sorted(self.root.glob(f"*/*/{PROVENANCE_FILE}"))

    def list(self) -> pd.DataFrame:
        """One row per stored key: ``key``, ``complete``, ``n_rows``, timestamps, then the
        key fields (``key_fields.<name>``) and environment (``environment.<name>``) flattened.
        """
        records = []
        for path in self._provenance_files():
            try:
                record = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as error:
                warnings.warn(
                    f"skipping unreadable provenance {path} ({error})", StoreWarning, stacklevel=2
                )
                continue
            record = {name: value for name, value in record.items() if name != "shards"}
            record["path"] = str(path.parent)
            records.append(record)
        if not records:
            return pd.DataFrame(columns=[*LIST_LEADING_COLUMNS, "path"])
        table = pd.json_normalize(records, sep=".")
        first = [name for name in LIST_LEADING_COLUMNS if name in table]
        return table[first + [name for name in table.columns if name not in first]]

    def temp_files(self) -> list[Path]:
        """Temporary files under the root (left by writers killed mid-write, or in flight)."""
        if not self.root.is_dir():
            return []
        return sorted(self.root.rglob(f".*{TEMP_SUFFIX}"))
