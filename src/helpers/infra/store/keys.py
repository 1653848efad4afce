"""Store keys: the canonical JSON of a result's settings, its hash, and the units' fingerprint.

A key is a dict of the settings that determine a stored table (model id and revision, dtype,
task settings, code version, ...). It must hold nothing machine-specific (absolute paths, host
names, cache locations): the same settings give the same key in any clone, so a store filled
in one checkout (or shipped in ``data/results``) is reused from another with no recomputation.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from helpers.infra.store.errors import InvalidKeyError


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
                raise InvalidKeyError(f"key field {where} has the non-string key {name!r}; use string keys")
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
        raise InvalidKeyError(f"key_fields must be a dict of settings, got {type(key_fields).__name__}")
    canonical = _canonical_value(key_fields, "key_fields")
    return json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def key_hash(key_fields: Mapping[str, Any]) -> str:
    """The sha256 (64 hex digits) of :func:`canonical_json` of ``key_fields``."""
    return hashlib.sha256(canonical_json(key_fields).encode("utf-8")).hexdigest()


def unit_text(unit: Any) -> str:
    """The text a unit contributes to :func:`units_fingerprint`.

    A unit with a ``fingerprint()`` method (:class:`helpers.core.requests.Item`: task, item id,
    request strings, gold, labels; never its descriptive ``meta``, which names local files)
    gives that; anything else its ``repr``, which must then be deterministic and path-free.
    """
    fingerprint = getattr(unit, "fingerprint", None)
    return fingerprint() if callable(fingerprint) else repr(unit)


def units_fingerprint(units: Sequence[Any]) -> str:
    """A sha256 of the units' :func:`unit_text`: detects a key reused for a different unit list."""
    digest = hashlib.sha256()
    for unit in units:
        text = unit_text(unit).encode("utf-8")
        digest.update(len(text).to_bytes(8, "big") + text)
    return digest.hexdigest()
