"""The results store: scored tables cached on disk, keyed by a hash of their settings.

Scoring a model on a task is the expensive step, so its table is stored once per *key*: a
dict of the settings that determine the numbers (model id and revision, dtype, task settings,
and, where the caller wants edits of its code to start a new key, a code version). The key's
hash names a folder; the settings are never recovered by parsing names but read from the
``provenance.json`` stored beside the data::

    <root>/<key[:2]>/<key>/
        shard-00000.parquet   rows computed from units [0, shard_size)
        shard-00001.parquet   rows computed from units [shard_size, 2 * shard_size)
        ...
        provenance.json       key fields, layout, environment, and once every shard is
                              done: "complete": true, row counts, columns, per-shard origin

:meth:`ResultStore.get_or_compute` splits the units (e.g. task items) into shards and computes
only the shards that are missing or invalid, so an interrupted run resumes where it stopped.
Every file is written atomically (:mod:`helpers.infra.files`), so several processes (one per
GPU, or Slurm jobs) can fill the same store: two writers of one key compute identical content
and the last replace wins. A shard that cannot be read, whose content no longer has the sha256
recorded when it was written (:func:`~helpers.infra.store.shards.content_sha256`), whose metadata
disagrees with its place (key, index, unit range, row count, format version) or whose columns
differ from the completed key's, is reported with a :class:`StoreWarning` naming the file, model
and task, and recomputed.

The returned table is always read back from the parquet files, so a fresh run and a resumed run
return identical frames (same dtypes), with a default ``RangeIndex``.

The store owns its layout: callers find tables by their key fields (:meth:`ResultStore.find`),
seal them (:func:`~helpers.infra.store.seal.seal`, :func:`~helpers.infra.store.seal.altered_shards`)
and ship them into a shipped store (:func:`~helpers.infra.store.shipping.ship_table`); no module
outside ``helpers.infra.store`` globs shard files or renames key folders
(``tests/infra/test_store_layout.py``).
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm import tqdm

from helpers.infra.files import TEMP_SUFFIX, atomic_write_json
from helpers.infra.paths import results_dir
from helpers.infra.provenance import environment, utc_now
from helpers.infra.store.errors import (
    CorruptShardError,
    InvalidKeyError,
    ResultNotFoundError,
    StoreArgumentError,
    StoreError,
    StoreSchemaError,
    StoreWarning,
)
from helpers.infra.store.keys import key_hash, units_fingerprint
from helpers.infra.store.record import (
    PROVENANCE_FILE,
    check_arguments,
    check_layout,
    described,
    layout_of,
    read_provenance,
    stored_columns,
)
from helpers.infra.store.shards import (
    SCHEMA_VERSION,
    Shard,
    ShardContent,
    columns_agree,
    plan_shards,
    read_shard,
    write_shard,
)

LIST_LEADING_COLUMNS = ("key", "complete", "n_rows", "created_at", "completed_at")


class ResultStore:
    """A folder of cached result tables keyed by settings (see the module docstring).

    ``root`` defaults to :func:`helpers.infra.paths.results_dir`. The key fields are the
    caller's: put a code version into them where edits of some code must start a new key
    (:func:`helpers.infra.provenance.code_version`).
    """

    def __init__(self, root: str | os.PathLike[str] | None = None):
        self.root = Path(root if root is not None else results_dir()).expanduser()

    def __repr__(self) -> str:
        return f"ResultStore(root={str(self.root)!r})"

    # ---- keys and paths

    def key(self, key_fields: Mapping[str, Any]) -> str:
        """The key (64 hex digits) under which ``key_fields`` are stored."""
        if not isinstance(key_fields, Mapping):
            raise InvalidKeyError(f"key_fields must be a dict of settings, got {type(key_fields).__name__}")
        return key_hash(key_fields)

    def path(self, key_fields: Mapping[str, Any]) -> Path:
        """The folder holding the shards and provenance of ``key_fields``."""
        return self._directory(self.key(key_fields))

    def _directory(self, key: str) -> Path:
        return self.root / key[:2] / key

    # ---- provenance

    # ---- computing

    def get_or_compute(
        self,
        key_fields: Mapping[str, Any],
        units: Sequence[Any],
        compute: Callable[[Sequence[Any]], pd.DataFrame],
        *,
        shard_size: int,
        progress: bool = True,
        extra_provenance: Mapping[str, Any] | None = None,
        on_shard: Callable[[int, int], None] | None = None,
        on_recompute: Callable[[Path, str], None] | None = None,
    ) -> pd.DataFrame:
        """The table for ``key_fields``, computing (and storing) only the missing shards.

        ``units`` (e.g. :class:`~helpers.core.requests.Item` s) are split into consecutive shards
        of ``shard_size``; ``compute(units[start:stop])`` must return a DataFrame (any number of
        rows, the same columns for every shard). Valid stored shards are read instead of
        recomputed; invalid ones are warned about and recomputed. ``extra_provenance`` is
        recorded in ``provenance.json`` (e.g. the model's sha256). ``on_shard(done, total)`` is
        called after each shard; ``on_recompute(path, reason)`` for each stored shard found invalid
        (damaged, digest mismatch, ..., or missing from a complete table) and recomputed. Returns the
        shards' concatenation in unit order.
        """
        check_arguments(units, compute, shard_size)
        key = self.key(key_fields)
        directory = self._directory(key)
        directory.mkdir(parents=True, exist_ok=True)
        layout = layout_of(units, shard_size)
        record, recompute_all = self._open_record(directory, key, key_fields, layout)
        expected_columns = stored_columns(record) if record.get("complete") else None
        shards = plan_shards(directory, len(units), shard_size)
        found_shards: list[ShardContent] = []
        n_computed = 0
        with tqdm(total=len(shards), desc=f"store {key[:8]}", unit="shard", disable=not progress) as bar:
            for shard in shards:
                found = None if recompute_all else read_shard(shard, key, expected_columns)
                if found is None and record.get("complete") and not recompute_all:
                    found = "is missing"  # the table was complete: this shard was there
                if isinstance(found, str):
                    warnings.warn(
                        f"shard {shard.path} {found}{described(key_fields)}; recomputing it", StoreWarning, stacklevel=2
                    )
                    if on_recompute is not None:
                        on_recompute(shard.path, found)
                if not isinstance(found, tuple):
                    found = self._compute_shard(shard, key, units, compute)
                    n_computed += 1
                found_shards.append(found)
                bar.update(1)
                bar.set_postfix(computed=n_computed)
                if on_shard is not None:
                    on_shard(len(found_shards), len(shards))
        self._finish_record(directory, record, shards, found_shards, extra_provenance, n_computed > 0)
        return self._concatenate([frame for frame, _, _ in found_shards])

    def _open_record(
        self, directory: Path, key: str, key_fields: Mapping[str, Any], layout: Mapping[str, Any]
    ) -> tuple[dict[str, Any], bool]:
        """The key's provenance record (created if absent) and whether to recompute all."""
        record = read_provenance(directory, key)
        recompute_all = record is not None and record.get("stale", False)
        if record is not None and not recompute_all:
            check_layout(record, layout, directory)
            return record, False
        record = {
            "schema_version": SCHEMA_VERSION,
            "key": key,
            "key_fields": dict(key_fields),
            "layout": dict(layout),
            "created_at": utc_now(),
            "complete": False,
        }
        atomic_write_json(directory / PROVENANCE_FILE, record)
        return record, recompute_all

    @staticmethod
    def _compute_shard(
        shard: Shard, key: str, units: Sequence[Any], compute: Callable[[Sequence[Any]], pd.DataFrame]
    ) -> ShardContent:
        """Compute one shard, write it atomically and read it back."""
        frame = compute(units[shard.start : shard.stop])
        if not isinstance(frame, pd.DataFrame):
            raise StoreArgumentError(
                f"compute returned {type(frame).__name__} for units [{shard.start}, "
                f"{shard.stop}); it must return a pandas DataFrame"
            )
        write_shard(shard, key, frame)
        found = read_shard(shard, key, None)
        if not isinstance(found, tuple):
            raise StoreError(f"shard {shard.path} was just written but {found}")
        return found

    def _finish_record(
        self,
        directory: Path,
        record: dict[str, Any],
        shards: Sequence[Shard],
        found_shards: Sequence[ShardContent],
        extra: Mapping[str, Any] | None,
        changed: bool,
    ) -> None:
        """Check the shards agree on columns, then mark the key complete in its provenance."""
        column_types = [columns for _, _, columns in found_shards]
        for shard, columns in zip(shards[1:], column_types[1:]):
            if not columns_agree(columns, column_types[0]):
                raise StoreSchemaError(
                    f"shard {shard.path} has columns {dict(columns)} but {shards[0].path} has "
                    f"{dict(column_types[0])}: compute must return the same columns for every shard. If the "
                    f"scoring code changed, its code version should have changed too; otherwise delete "
                    f"{shard.path.parent} and run again."
                )
        known_extra = record.get("extra", {})
        if record.get("complete") and not changed and all(known_extra.get(k) == v for k, v in (extra or {}).items()):
            return  # nothing recomputed or new: keep the provenance file untouched
        origin_fields = ("unit_start", "unit_stop", "n_rows", "computed_at")
        record.update(
            {
                "complete": True,
                "completed_at": record.get("completed_at") or utc_now(),
                "n_rows": int(sum(len(frame) for frame, _, _ in found_shards)),
                # [[name, arrow type], ...]: a list keeps the column order in sorted JSON
                "columns": [list(item) for item in column_types[0].items()] if column_types else [],
                "shards": [
                    {"file": shard.path.name, **{name: metadata.get(name) for name in origin_fields}}
                    for shard, (_, metadata, _) in zip(shards, found_shards)
                ],
                "environment": environment(import_torch=False)
                if changed or "environment" not in record
                else record["environment"],
                **({"extra": {**record.get("extra", {}), **dict(extra)}} if extra else {}),
            }
        )
        atomic_write_json(directory / PROVENANCE_FILE, record)

    @staticmethod
    def _concatenate(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
        if not frames:
            return pd.DataFrame()
        non_empty = [frame for frame in frames if len(frame)] or [frames[0]]
        return pd.concat(non_empty, ignore_index=True)

    # ---- reading

    def exists(self, key_fields: Mapping[str, Any]) -> bool:
        """Whether a complete result for ``key_fields`` is recorded (shards not re-read)."""
        try:
            record = json.loads((self.path(key_fields) / PROVENANCE_FILE).read_text(encoding="utf-8"))
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
                f"no readable provenance for key {key} at {path} ({error}); run "
                "get_or_compute with these key fields first"
            ) from None

    def load(self, key_fields: Mapping[str, Any], units: Sequence[Any] | None = None) -> pd.DataFrame:
        """The stored table of ``key_fields``, without computing anything.

        With ``units``, also checks they are the units the table was computed from
        (:class:`~helpers.infra.store.errors.StoreConflictError` if not). Raises :class:`ResultNotFoundError`
        when the key is
        absent or incomplete and :class:`CorruptShardError` when a shard is missing or invalid
        (running :meth:`get_or_compute` with the same arguments repairs both).
        """
        key = self.key(key_fields)
        directory = self._directory(key)
        record = self.provenance(key_fields)
        if record.get("schema_version") != SCHEMA_VERSION or not record.get("complete"):
            raise ResultNotFoundError(
                f"the result for key {key} at {directory} is incomplete or has schema version "
                f"{record.get('schema_version')!r} (this code: {SCHEMA_VERSION}); run get_or_compute with "
                "these key fields to finish it"
            )
        layout = record["layout"]
        if units is not None:
            check_layout(record, layout_of(units, layout["shard_size"]), directory)
        frames = []
        for shard in plan_shards(directory, layout["n_units"], layout["shard_size"]):
            found = read_shard(shard, key, stored_columns(record))
            if not isinstance(found, tuple):
                raise CorruptShardError(
                    f"shard {shard.path} {found or 'is missing'}{described(key_fields)}; "
                    "run get_or_compute with "
                    "the same key fields to recompute it (a shipped result under data/results: "
                    "`git checkout -- data/results` restores it)"
                )
            frames.append(found[0])
        return self._concatenate(frames)

    def units_match(self, key_fields: Mapping[str, Any], units: Sequence[Any]) -> bool:
        """Whether the stored result of ``key_fields`` was computed from exactly ``units``."""
        layout = self.provenance(key_fields).get("layout", {})
        return layout.get("n_units") == len(units) and layout.get("units_fingerprint") == units_fingerprint(units)

    # ---- finding tables

    def find(self, match: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The provenance records of the complete tables whose key fields equal ``match`` on each of
        its names (a name absent from a key counts as None), sorted by folder."""
        return [
            record
            for record in self.records()
            if record.get("complete")
            and all(record.get("key_fields", {}).get(name) == value for name, value in match.items())
        ]

    # ---- listing

    def _provenance_files(self) -> Iterator[Path]:
        if self.root.is_dir():
            yield from sorted(self.root.glob(f"*/*/{PROVENANCE_FILE}"))

    def records(self) -> list[dict[str, Any]]:
        """Every readable provenance record (``path`` added), sorted by folder."""
        found = []
        for path in self._provenance_files():
            try:
                record = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as error:
                warnings.warn(f"skipping unreadable provenance {path} ({error})", StoreWarning, stacklevel=2)
                continue
            found.append({**record, "path": str(path.parent)})
        return found

    def list(self) -> pd.DataFrame:
        """One row per stored key: ``key``, ``complete``, ``n_rows``, timestamps, then the key
        fields (``key_fields.<name>``) and environment (``environment.<name>``) flattened."""
        records = [{name: value for name, value in record.items() if name != "shards"} for record in self.records()]
        if not records:
            return pd.DataFrame(columns=[*LIST_LEADING_COLUMNS, "path"])
        table = pd.json_normalize(records, sep=".")
        first = [name for name in LIST_LEADING_COLUMNS if name in table]
        return table[first + [name for name in table.columns if name not in first]]

    def temp_files(self) -> list[Path]:
        """Temporary files under the root (left by writers killed mid-write, or in flight)."""
        return sorted(self.root.rglob(f".*{TEMP_SUFFIX}")) if self.root.is_dir() else []
