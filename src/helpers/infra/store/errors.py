"""The results store's errors (one module, so keys, shards and the store share them)."""

from __future__ import annotations


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
    """No complete result is stored for the key."""


class CorruptShardError(StoreError):
    """A shard of a complete result is missing, unreadable or inconsistent."""


class StoreWarning(UserWarning):
    """Stored data was found invalid and will be recomputed (the message names the file)."""
