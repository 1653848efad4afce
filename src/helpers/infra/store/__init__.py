"""The results store: sharded parquet tables keyed by a hash of their settings, with provenance.

- :mod:`~helpers.infra.store.keys`: canonical JSON of the key fields, their hash, the units' fingerprint;
- :mod:`~helpers.infra.store.shards`: one parquet file per run of units, self-describing;
- :mod:`~helpers.infra.store.record`: each key's ``provenance.json`` and the checks made on it;
- :mod:`~helpers.infra.store.store`: :class:`ResultStore` (get_or_compute, load, exists, find, list);
- :mod:`~helpers.infra.store.seal`: the shard files' sha256, recorded when a table is shipped;
- :mod:`~helpers.infra.store.shipping`: one table staged, made portable, sealed and swapped in;
- :mod:`~helpers.infra.store.stack`: the local store over the shipped, read-only ones.
"""

from helpers.infra.store.errors import (
    CorruptShardError,
    InvalidKeyError,
    ResultNotFoundError,
    StoreArgumentError,
    StoreConflictError,
    StoreError,
    StoreSchemaError,
    StoreWarning,
)
from helpers.infra.store.keys import canonical_json, key_hash, units_fingerprint
from helpers.infra.store.record import PROVENANCE_FILE
from helpers.infra.store.seal import SEAL_FIELD, AlteredShard, altered_shards, item_ids_in, read_rows, seal
from helpers.infra.store.shards import SCHEMA_VERSION
from helpers.infra.store.shipping import ship_table
from helpers.infra.store.stack import StoreStack
from helpers.infra.store.store import ResultStore

__all__ = [
    "SCHEMA_VERSION",
    "PROVENANCE_FILE",
    "ResultStore",
    "StoreStack",
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
    "units_fingerprint",
    "SEAL_FIELD",
    "AlteredShard",
    "altered_shards",
    "item_ids_in",
    "read_rows",
    "seal",
    "ship_table",
]
