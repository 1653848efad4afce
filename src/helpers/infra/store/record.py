"""The provenance record of one stored key: its file, its layout, and the checks made on it.

Each key's folder holds ``provenance.json`` (:data:`PROVENANCE_FILE`): the key fields, the layout
(number of units, shard size, the units' fingerprint), the environment and, once every shard is
written, ``"complete": true`` with the row count and columns. These helpers read it and compare
it with a call's arguments; :class:`~helpers.infra.store.store.ResultStore` writes it.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from helpers.infra.store.errors import StoreArgumentError, StoreConflictError, StoreWarning
from helpers.infra.store.keys import units_fingerprint
from helpers.infra.store.shards import SCHEMA_VERSION

PROVENANCE_FILE = "provenance.json"


def stored_columns(record: Mapping[str, Any]) -> dict[str, str] | None:
    """The ``{name: type}`` column types recorded in a provenance record, if any."""
    columns = record.get("columns")
    return {name: type_name for name, type_name in columns} if isinstance(columns, list) else None


def described(key_fields: Mapping[str, Any]) -> str:
    """`` (model <id>, task <name>)`` from the key fields that have them, else ``""``."""
    parts = [
        f"{label} {key_fields[name]}"
        for name, label in (("model_id", "model"), ("task", "task"))
        if key_fields.get(name) is not None
    ]
    return f" ({', '.join(parts)})" if parts else ""


def layout_of(units: Sequence[Any], shard_size: int) -> dict[str, Any]:
    """The layout recorded for ``units`` cut into shards of ``shard_size``."""
    return {
        "n_units": len(units),
        "shard_size": shard_size,
        "n_shards": math.ceil(len(units) / shard_size),
        "units_fingerprint": units_fingerprint(units),
    }


def check_arguments(units: Sequence[Any], compute: Callable, shard_size: int) -> None:
    """:class:`StoreArgumentError` for a bad shard size, units that are not a sequence, or a
    ``compute`` that is not callable."""
    if isinstance(shard_size, bool) or not isinstance(shard_size, int) or shard_size < 1:
        raise StoreArgumentError(f"shard_size must be a positive integer, got {shard_size!r}")
    if not isinstance(units, Sequence) or isinstance(units, (str, bytes)):
        raise StoreArgumentError(
            f"units must be a sequence (list or tuple), got {type(units).__name__}: wrap it in list(...)"
        )
    if not callable(compute):
        raise StoreArgumentError(f"compute must be callable, got {compute!r}")


def read_provenance(directory: Path, key: str) -> dict[str, Any] | None:
    """The stored provenance, ``None`` when absent or unreadable, ``{"stale": True}`` when
    written by another format version or for another key (with a warning)."""
    path = directory / PROVENANCE_FILE
    if not path.exists():
        return None
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        warnings.warn(f"unreadable provenance {path} ({error}); rewriting it", StoreWarning, stacklevel=3)
        return None
    if not isinstance(record, dict) or record.get("schema_version") != SCHEMA_VERSION:
        found = record.get("schema_version") if isinstance(record, dict) else None
        warnings.warn(
            f"provenance {path} has schema version {found!r}, this code writes {SCHEMA_VERSION}; "
            "recomputing every shard of this key",
            StoreWarning,
            stacklevel=3,
        )
        return {"stale": True}
    if record.get("key") != key:
        warnings.warn(
            f"provenance {path} names key {record.get('key')!r}, expected {key}; recomputing every shard of this key",
            StoreWarning,
            stacklevel=3,
        )
        return {"stale": True}
    return record


def check_layout(record: Mapping[str, Any], layout: Mapping[str, Any], directory: Path) -> None:
    """Raise :class:`StoreConflictError` if the stored units or shard size differ."""
    stored = record.get("layout", {})
    for name in ("n_units", "shard_size", "units_fingerprint"):
        if stored.get(name) != layout[name]:
            raise StoreConflictError(
                f"the store at {directory} holds this key with {name}={stored.get(name)!r}, but this call "
                f"has {name}={layout[name]!r}. The units (items) differ from the stored ones for the same "
                "settings: the task data or its builder changed, or a setting that selects the units is "
                "missing from the key. Recompute into a fresh store (set CC_RESULTS to an empty folder, "
                "or `make run` after deleting this folder if it is yours)."
            )
