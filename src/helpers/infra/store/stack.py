"""The local results store over the shipped, read-only ones.

Scores are looked up in two places:

1. the **local** store (``$CC_RESULTS`` or ``results/``), keyed by the settings *and* the code
   version of the code the result depends on (:func:`helpers.infra.provenance.code_version`),
   so an edit of that code starts a new key and is recomputed here;
2. the **shipped** stores (``data/results``, committed with the repository), keyed by the
   settings alone. They hold results that took hours to compute; they are valid for any code
   version *because* every build re-scores a random sample of them with the current code and
   fails on any difference (:mod:`helpers.experiments.verify`). A shipped table whose units
   (items) differ from the ones asked for is not used (a warning names it) and the result is
   computed locally.

Nothing is ever written into a shipped store except by the explicit shipping step.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from helpers.infra.store.errors import ResultNotFoundError, StoreWarning
from helpers.infra.store.store import ResultStore

CODE_VERSION_FIELD = "code_version"


@dataclass(frozen=True)
class Found:
    """Where a result was found: ``layer`` ("local" or "shipped"), the store and its key fields."""

    layer: str
    store: ResultStore
    key_fields: dict[str, Any]


class StoreStack:
    """Look results up in ``local`` (with the code version) then in ``shipped`` (without)."""

    def __init__(self, local: ResultStore | None = None, shipped: Sequence[ResultStore] = ()):
        self.local = local if local is not None else ResultStore()
        self.shipped = tuple(shipped)

    def __repr__(self) -> str:
        return f"StoreStack(local={self.local!r}, shipped={list(self.shipped)!r})"

    @staticmethod
    def local_fields(key_fields: Mapping[str, Any], code_version: str) -> dict[str, Any]:
        """The local store's key fields: ``key_fields`` plus the code version."""
        return {**key_fields, CODE_VERSION_FIELD: code_version}

    def find(
        self, key_fields: Mapping[str, Any], code_version: str, units: Sequence[Any] | None = None
    ) -> Found | None:
        """Where a complete result for these settings is, or None. With ``units``, a shipped
        table computed from other units is skipped with a :class:`StoreWarning`."""
        local = self.local_fields(key_fields, code_version)
        if self.local.exists(local):
            return Found("local", self.local, local)
        for store in self.shipped:
            if not store.exists(key_fields):
                continue
            if units is not None and not store.units_match(key_fields, units):
                warnings.warn(
                    f"shipped result at {store.path(key_fields)} not used: it was computed from other "
                    "items than the current task data gives for the same settings; computing it "
                    "locally instead",
                    StoreWarning,
                    stacklevel=2,
                )
                continue
            return Found("shipped", store, dict(key_fields))
        return None

    def exists(self, key_fields: Mapping[str, Any], code_version: str) -> bool:
        """Whether a complete result is stored locally or shipped."""
        return self.find(key_fields, code_version) is not None

    def load(
        self, key_fields: Mapping[str, Any], code_version: str, units: Sequence[Any] | None = None
    ) -> pd.DataFrame:
        """The stored table (local first, then shipped); :class:`ResultNotFoundError` naming
        every place looked in when there is none."""
        found = self.find(key_fields, code_version, units)
        if found is None:
            places = [str(self.local.root), *(str(store.root) for store in self.shipped)]
            raise ResultNotFoundError(
                f"no stored result for {dict(key_fields)} (looked in {', '.join(places)}); compute it with "
                "`make run PROFILE=<profile>` or run the notebook with compute_missing=True"
            )
        return found.store.load(found.key_fields, units)

    def get_or_compute(
        self,
        key_fields: Mapping[str, Any],
        code_version: str,
        units: Sequence[Any],
        compute: Callable[[Sequence[Any]], pd.DataFrame],
        **options: Any,
    ) -> pd.DataFrame:
        """The stored table if any (see :meth:`find`), else computed into the local store; ``options``
        (``shard_size``, ``progress``, ``extra_provenance``, ``on_shard``, ``on_recompute``) are those of
        :meth:`ResultStore.get_or_compute`."""
        found = self.find(key_fields, code_version, units)
        if found is not None and found.layer == "shipped":
            return found.store.load(found.key_fields)
        return self.local.get_or_compute(self.local_fields(key_fields, code_version), units, compute, **options)
