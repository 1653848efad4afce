"""Model facts: what a source names (id, revision, family, dtype, device), resolved once per process.

Every layer above asks here, never works a fact out itself: :func:`model_facts` resolves a
source (:func:`~helpers.core.models.sources.resolve_source`: no weights, no hub) and memoises the
:class:`ModelFacts`, so a model named by a profile, a handle, the loader and a config lookup is
resolved once per process, not three or four times. A ``local:`` directory is re-resolved when its
files change (their names, sizes and modification times are part of the memo's key), so a model
saved again into the same folder never keeps a stale fingerprint.

The facts beyond identity are methods, each reading only what it needs (no weights):

- :meth:`ModelFacts.directory`: the folder holding config and tokenizer (local, offline);
- :meth:`ModelFacts.tokenizer`: the tokenizer (bundled for Pythia/OPT, else from the folder or the
  local hub cache, never downloaded);
- :meth:`ModelFacts.n_params_total`: the total parameter count from the catalog or the registry
  (offline stand-ins as converted, Pythia/OPT full size, ``random:`` models as scaled down);
- :meth:`ModelFacts.build_record`: an offline stand-in's build record (GGUF sha256, weight types,
  i.e. its quantization, stored dtype, licence).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch

from helpers.core.models import sources
from helpers.core.models.registry import MODELS
from helpers.core.models.sources import LOCAL_PREFIX, ResolvedSource

BUILD_RECORD_FIELDS = ("upstream", "gguf_sha256", "gguf_weight_types", "build_id", "stored_dtype", "licence")
"""What :meth:`ModelFacts.build_record` takes from an offline model's build provenance."""


@dataclass(frozen=True)
class ModelFacts(ResolvedSource):
    """What a source names, worked out without loading weights: the fields of
    :class:`~helpers.core.models.sources.ResolvedSource` (source, kind, location, model_id, revision,
    dtype, device, family) and the facts read from them on demand (module docstring)."""

    @property
    def registry_name(self) -> str | None:
        """The Pythia/OPT registry name of this model (``random:`` ones included), else None."""
        if self.kind == "random":
            return self.location
        if self.kind == "hub":
            return next((spec.name for spec in MODELS.values() if spec.hub_id == self.location), None)
        return None

    def directory(self) -> str | None:
        """The folder holding the model's config and tokenizer (local and offline models), else None.
        Raises :class:`~helpers.core.models.offline.OfflineModelMissing` for an offline model not built."""
        if self.kind == "local":
            return self.location
        if self.kind == "offline":
            from helpers.core.models.offline import model_dir

            return str(model_dir(self.location))
        return None

    def tokenizer(self):
        """The model's tokenizer, loading no weights and downloading nothing: the bundled one for
        Pythia/OPT, else the one in :meth:`directory`, else a hub id's from the local hub cache
        (``OSError`` when it is not cached)."""
        if self.family in ("pythia", "opt"):
            from helpers.core.models.tokenizers import family_tokenizer

            return family_tokenizer(self.family)
        from transformers import AutoTokenizer

        directory = self.directory()
        if directory is not None:
            return AutoTokenizer.from_pretrained(directory)
        return AutoTokenizer.from_pretrained(self.model_id, revision=self.revision, local_files_only=True)

    def n_params_total(self) -> int | None:
        """Total parameters without loading weights: an offline stand-in's from the catalog, a
        registry model's counted on the meta device (``random:`` ones at their scaled-down size);
        None for any other model (read it from the loaded model)."""
        if self.kind == "offline":
            from helpers.core.models.offline import OFFLINE_MODELS

            return OFFLINE_MODELS[self.location].n_parameters
        name = self.registry_name
        if name is None:
            return None
        from helpers.core.models.params import count_parameters, registry_param_counts
        from helpers.core.models.random_init import random_config

        if self.kind == "random":
            return count_parameters(random_config(MODELS[name]))[0]
        counts = registry_param_counts()
        return int(counts.loc[counts["name"] == name, "n_params_total"].iloc[0])

    def build_record(self) -> dict[str, Any]:
        """An offline stand-in's build record (:data:`BUILD_RECORD_FIELDS`, from the provenance
        written when it was built); ``{}`` for any other model."""
        if self.kind != "offline":
            return {}
        from helpers.core.models.offline.catalog import PROVENANCE_FILE

        built = json.loads((Path(self.directory()) / PROVENANCE_FILE).read_text(encoding="utf-8"))
        return {name: built.get(name) for name in BUILD_RECORD_FIELDS}


def _local_stamp(source: str) -> tuple | None:
    """``(name, size, mtime)`` of each file of a local model folder (cheap: no reads), else None."""
    if not source.startswith(LOCAL_PREFIX) and source in MODELS:
        return None
    try:
        directory = Path(source.removeprefix(LOCAL_PREFIX)).expanduser()
        if not directory.is_dir():
            return None
    except OSError:
        return None
    return tuple(
        (path.name, stat.st_size, stat.st_mtime_ns)
        for path in sorted(directory.iterdir())
        if path.is_file() and (stat := path.stat())
    )


_MEMO: dict[tuple, ModelFacts] = {}
"""Resolved facts by ``(source, revision, dtype, device, local files stamp)``, per process."""


def model_facts(
    source: str, *, revision: str | None = None, dtype: str | torch.dtype | None = None, device: str | None = None
) -> ModelFacts:
    """The :class:`ModelFacts` of ``source``, resolved once per process.

    Accepts and raises what :func:`~helpers.core.models.sources.resolve_source` does (an error is
    not memoised: the next call tries again). The facts are memoised under the arguments given and
    under the resolved ones, so asking again with the resolved revision, dtype and device (as a
    :class:`~helpers.experiments.evaluation.ModelHandle` does when it loads) resolves nothing new.
    """
    stamp = _local_stamp(source) if isinstance(source, str) else None
    asked = (source, revision, str(dtype) if dtype is not None else None, device, stamp)
    if asked not in _MEMO:
        facts = ModelFacts(**asdict(sources.resolve_source(source, revision=revision, dtype=dtype, device=device)))
        _MEMO[asked] = _MEMO[(source, facts.revision, facts.dtype, facts.device, stamp)] = facts
    return _MEMO[asked]


def forget_model_facts() -> None:
    """Forget every memoised resolution (tests; a process that rebuilt an offline model)."""
    _MEMO.clear()
