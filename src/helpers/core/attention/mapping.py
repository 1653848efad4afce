"""Which donor layer and head feeds which recipient layer and head, and tokenizer agreement.

- Layers: equal depths map one to one. Otherwise recipient layer ``r`` of ``L_r`` takes donor
  layer ``floor(r · (L_d - 1) / (L_r - 1) + 1/2)`` (relative depth, rounded half up): the map
  is monotone, sends first to first and last to last. A one-layer recipient takes the donor's
  middle layer.
- Heads: equal counts map one to one; different counts use the head-mean (the donor's heads
  averaged, broadcast to every recipient head: still causal and row-stochastic); or give an
  explicit ``head_map``, one donor head index per recipient head.
- Tokenization: swapping needs the same token ids at the same positions in both models.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import torch
from transformers import PreTrainedTokenizerBase

from helpers.core.attention.interface import AttentionSwapError

HeadMap = str | Sequence[int]  # "auto", "mean", "identity", or one donor head per recipient head

PROBE_STRINGS = (
    "Question: What is 17 + 25?\nAnswer:",
    " The quick brown fox jumps over the lazy dog.",
    "x = 3.14159; y = x ** 2  # 10,000\t\ttabs",
    "Ünïcödé façade — naïve café 東京 🙂",
    "  leading spaces and trailing  ",
    "Are these the same question? yes no",
)
"""Strings whose token ids must agree for two tokenizers to count as the same."""


def depth_layer_map(n_donor_layers: int, n_recipient_layers: int) -> dict[int, int]:
    """``{recipient_layer: donor_layer}`` by relative depth (see the module docstring)."""
    for name, value in (("n_donor_layers", n_donor_layers), ("n_recipient_layers", n_recipient_layers)):
        if not isinstance(value, int) or value < 1:
            raise AttentionSwapError(f"{name}={value!r}: give a positive number of layers.")
    if n_recipient_layers == 1:
        return {0: (n_donor_layers - 1) // 2}
    step = (n_donor_layers - 1) / (n_recipient_layers - 1)
    return {r: int(math.floor(r * step + 0.5)) for r in range(n_recipient_layers)}


def map_heads(pattern: torch.Tensor, n_recipient_heads: int, head_map: HeadMap = "auto") -> torch.Tensor:
    """Donor pattern ``[batch, H_d, query_pos, key_pos]`` → recipient heads ``[batch, H_r or 1, q, k]``.

    ``"auto"``: identity when ``H_d == H_r``, else the head-mean; ``"mean"``: always the head-mean
    (returned with a head axis of 1, which :func:`helpers.core.attention.inject` broadcasts);
    ``"identity"``: requires equal counts; a sequence: ``head_map[r]`` is the donor head of recipient head ``r``.
    """
    n_donor_heads = pattern.shape[1]
    if isinstance(head_map, str):
        if head_map not in ("auto", "mean", "identity"):
            raise AttentionSwapError(f"head_map={head_map!r}: use 'auto', 'mean', 'identity' or a list of donor heads.")
        if head_map == "mean" or (head_map == "auto" and n_donor_heads != n_recipient_heads):
            return pattern.mean(dim=1, keepdim=True)
        if n_donor_heads != n_recipient_heads:
            raise AttentionSwapError(
                f"head_map='identity' needs equal head counts, got donor {n_donor_heads} vs recipient "
                f"{n_recipient_heads}; use 'mean' or an explicit list."
            )
        return pattern
    donor_heads = [int(h) for h in head_map]
    if len(donor_heads) != n_recipient_heads or not all(0 <= h < n_donor_heads for h in donor_heads):
        raise AttentionSwapError(
            f"head_map {donor_heads} must list one donor head in 0..{n_donor_heads - 1} for each of the "
            f"{n_recipient_heads} recipient heads."
        )
    return pattern[:, donor_heads]


def map_patterns(
    donor_patterns: Mapping[int, torch.Tensor],
    layer_map: Mapping[int, int],
    n_recipient_heads: int,
    head_map: HeadMap = "auto",
) -> dict[int, torch.Tensor]:
    """Recipient-indexed patterns: ``{r: map_heads(donor_patterns[layer_map[r]])}``."""
    missing = sorted({d for d in layer_map.values() if d not in donor_patterns})
    if missing:
        raise AttentionSwapError(f"layer_map needs donor layers {missing}, which were not recorded.")
    return {r: map_heads(donor_patterns[d], n_recipient_heads, head_map) for r, d in layer_map.items()}


def _special_tokens(tokenizer: PreTrainedTokenizerBase) -> dict[str, object]:
    return {
        "bos": tokenizer.bos_token_id,
        "eos": tokenizer.eos_token_id,
        "pad": tokenizer.pad_token_id,
        "unk": tokenizer.unk_token_id,
    }


def check_same_tokenizer(
    donor_tokenizer: PreTrainedTokenizerBase,
    recipient_tokenizer: PreTrainedTokenizerBase,
    probes: Sequence[str] = PROBE_STRINGS,
) -> None:
    """Raise :class:`AttentionSwapError` unless the two tokenizers behave the same.

    Compared: vocabulary (token → id), special-token ids, and the ids (special tokens
    included, so BOS handling counts) of each probe string. The class may differ (a fast and a
    slow tokenizer of one vocabulary are interchangeable) as long as all of these agree.
    """
    problems = []
    if donor_tokenizer.get_vocab() != recipient_tokenizer.get_vocab():
        problems.append(f"vocabularies differ ({len(donor_tokenizer)} vs {len(recipient_tokenizer)} tokens)")
    if _special_tokens(donor_tokenizer) != _special_tokens(recipient_tokenizer):
        problems.append(
            f"special tokens differ: {_special_tokens(donor_tokenizer)} vs {_special_tokens(recipient_tokenizer)}"
        )
    for probe in probes:
        donor_ids = donor_tokenizer(probe)["input_ids"]
        recipient_ids = recipient_tokenizer(probe)["input_ids"]
        if donor_ids != recipient_ids:
            problems.append(f"{probe!r} encodes as {donor_ids[:8]}... vs {recipient_ids[:8]}...")
            break
    if problems:
        raise AttentionSwapError(
            f"donor tokenizer ({type(donor_tokenizer).__name__}) and recipient tokenizer "
            f"({type(recipient_tokenizer).__name__}) differ: {'; '.join(problems)}. Attention patterns are "
            "position-by-position, so swap only between models sharing a tokenizer (e.g. within one family)."
        )


def matching_items(
    texts: Sequence[str],
    donor_tokenizer: PreTrainedTokenizerBase,
    recipient_tokenizer: PreTrainedTokenizerBase,
) -> tuple[list[int], int]:
    """Indices of ``texts`` whose token ids agree in both tokenizers, and how many were skipped."""
    kept = [
        i
        for i, text in enumerate(texts)
        if donor_tokenizer(text)["input_ids"] == recipient_tokenizer(text)["input_ids"]
    ]
    return kept, len(texts) - len(kept)
