"""Control donor patterns for the attention-swap experiment.

- self: the recipient's own pattern on the same item (:func:`helpers.core.attention.record_patterns`
  of the recipient); swapping it in must change nothing.
- other item: the same model's pattern on a *different item of the same token length*
  (:func:`same_length_partners` pairs items; record on the partner batch).
- uniform causal: every query spreads its weight evenly over the keys it may see
  (:func:`uniform_causal_patterns`).
- shuffled heads: a donor's patterns with the head axis permuted by a seeded RNG
  (:func:`shuffle_heads`): right statistics per layer, wrong head.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence

import torch

from helpers.core.attention.interface import AttentionSwapError


def allowed_from_padding(attention_mask: torch.Tensor, sliding_window: int | None = None) -> torch.Tensor:
    """Boolean ``[batch, 1, query_pos, key_pos]``: causal, key not padding, inside the sliding window.

    ``attention_mask``: ``[batch, seq]`` of 1 (token) / 0 (padding), as the tokenizer returns it;
    the same rule as transformers' eager causal (and sliding-window) mask.
    """
    if attention_mask.ndim != 2:
        raise AttentionSwapError(
            f"attention_mask has shape {tuple(attention_mask.shape)}; give the 2D [batch, seq] mask."
        )
    seq = attention_mask.shape[1]
    query_pos = torch.arange(seq, device=attention_mask.device)[:, None]
    key_pos = torch.arange(seq, device=attention_mask.device)[None, :]
    allowed = key_pos <= query_pos  # [query_pos, key_pos]
    if sliding_window is not None:
        allowed = allowed & (key_pos > query_pos - sliding_window)
    return allowed[None, None] & attention_mask.bool()[:, None, None, :]


def uniform_causal_patterns(
    attention_mask: torch.Tensor,
    layers: Sequence[int],
    *,
    sliding_window: int | None = None,
    dtype: torch.dtype = torch.float32,
) -> dict[int, torch.Tensor]:
    """Uniform attention over allowed keys, ``{layer: [batch, 1, query_pos, key_pos]}`` (head axis broadcast).

    Each live row holds ``1 / n_allowed`` on its allowed keys; rows with no allowed key (queries
    at left padding) are zero and are left to the model by inject/mix. Every layer shares one tensor.
    """
    allowed = allowed_from_padding(attention_mask, sliding_window).to(dtype)
    counts = allowed.sum(dim=-1, keepdim=True).clamp(min=1.0)
    uniform = allowed / counts  # [batch, 1, query_pos, key_pos]
    return {int(layer): uniform for layer in layers}


def shuffle_heads(
    patterns: Mapping[int, torch.Tensor], seed: int
) -> tuple[dict[int, torch.Tensor], dict[int, list[int]]]:
    """Permute the head axis of each layer's pattern with a seeded RNG.

    Returns ``(shuffled, permutations)`` with ``shuffled[layer][:, h] == patterns[layer][:, permutations[layer][h]]``.
    Same ``seed``, same permutations (a CPU ``torch.Generator``, independent of the global RNG).
    """
    generator = torch.Generator().manual_seed(int(seed))
    shuffled, permutations = {}, {}
    for layer in sorted(patterns):
        n_heads = patterns[layer].shape[1]
        order = torch.randperm(n_heads, generator=generator).tolist()
        permutations[layer] = order
        shuffled[layer] = patterns[layer][:, order]
    return shuffled, permutations


def same_length_partners(lengths: Sequence[int], seed: int) -> tuple[list[int | None], int]:
    """For each item, a *different* item with the same token length (``None`` if it has none).

    Within each group of equal length the items are shuffled (seeded) and each is paired with
    the next one round the cycle, so nobody is their own partner. Returns the partners and the
    number of items left without one (singleton lengths), to be skipped and reported.
    """
    rng = random.Random(seed)
    groups: dict[int, list[int]] = {}
    for index, length in enumerate(lengths):
        groups.setdefault(int(length), []).append(index)
    partners: list[int | None] = [None] * len(lengths)
    for members in groups.values():
        if len(members) < 2:
            continue
        order = members[:]
        rng.shuffle(order)
        for position, item in enumerate(order):
            partners[item] = order[(position + 1) % len(order)]
    return partners, sum(p is None for p in partners)
