"""Randomly initialised models of the real Pythia and OPT architectures (the ``ci`` profile).

A ``random:<name>`` model keeps the real family's architecture, tokenizer and number of
heads, with the width divided by ``WIDTH_DIVISOR`` and the depth by ``DEPTH_DIVISOR`` so it
runs in seconds on a CPU. Weights come from the architecture's own initialiser under a
fixed seed, so every run builds the same model. Their numbers mean nothing about language
ability; they exercise the real code paths (rotary vs learned positions, BOS handling,
parallel residuals, head counts for attention swaps).
"""

from __future__ import annotations

import math

import torch
from transformers import AutoModelForCausalLM, PreTrainedModel, PreTrainedTokenizerBase

from helpers.core.models.registry import ModelSpec, get_spec, hf_config
from helpers.core.models.tokenizers import family_tokenizer

WIDTH_DIVISOR = 8  # d_model / 8 keeps the head count; head_dim shrinks by 8 too
DEPTH_DIVISOR = 4  # ceil(n_layers / 4) layers


def random_config(spec: ModelSpec, *, full_size: bool = False):
    """The scaled-down config for ``spec`` (same family, heads and tokenizer), or with
    ``full_size`` the real model's config."""
    if full_size:
        return hf_config(spec)
    width = spec.d_model // WIDTH_DIVISOR
    if width % spec.n_heads:
        raise ValueError(f"{spec.name}: width {width} is not divisible by {spec.n_heads} heads")
    layers = math.ceil(spec.n_layers / DEPTH_DIVISOR)
    proj = 512 // WIDTH_DIVISOR if spec.name == "opt-350m" else None
    return hf_config(spec, n_layers=layers, d_model=width, word_embed_proj_dim=proj)


def build_random_model(
    name: str,
    *,
    seed: int = 0,
    full_size: bool = False,
    dtype: torch.dtype = torch.float32,
    device: str | torch.device = "cpu",
    attn_implementation: str = "eager",
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """A scaled-down random-weight model of registry model ``name`` and its real tokenizer.

    ``full_size`` keeps the real width and depth (for benchmarks: the real model's cost,
    meaningless numbers). The weights are initialised on ``device`` in ``dtype``.
    Deterministic: the same ``name`` and ``seed`` give bit-identical weights on CPU.
    Returned in eval mode, with eager attention unless ``attn_implementation`` says otherwise.
    """
    spec = get_spec(name)
    config = random_config(spec, full_size=full_size)
    config._attn_implementation = attn_implementation
    generator_state = torch.random.get_rng_state()
    try:
        torch.manual_seed(seed)
        with torch.device(device):
            model = AutoModelForCausalLM.from_config(config, dtype=dtype)
    finally:
        torch.random.set_rng_state(generator_state)
    model.eval()
    model.config.name_or_path = f"random:{name}" if not full_size else f"random-full:{name}"
    return model, family_tokenizer(spec.family)
