"""Donor and recipient in lockstep, one batch at a time: the one swap forward path.

For each batch the donor runs once under :func:`record` (only the donor layers the map needs),
its patterns are mapped to the recipient's layers and heads (:class:`DonorPatterns`, kept for
that batch only), and the recipient runs under :func:`inject` / :func:`mix`
(:func:`apply_patterns`). The experiment's scorer (:mod:`.lockstep`), the benchmark and the
invariant tests all go through these functions. Peak extra memory is
``n_mapped_layers × batch × heads × seq²`` values of the donor's dtype.

Position ids are derived from the attention mask (``cumsum - 1``), so left- and right-padded
batches give the same logits on real tokens; with right padding this equals the models' default.
``positions`` (``[batch, k]`` indices per row, or an int ``k`` for the last ``k``) keeps the
logits at those positions only (transformers' ``logits_to_keep``), sparing the output
projection at positions that are not scored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import torch
from transformers import PreTrainedModel

from helpers.core.attention.controls import shuffle_heads
from helpers.core.attention.interface import AttentionSwapError
from helpers.core.attention.mapping import HeadMap, depth_layer_map, map_patterns
from helpers.core.attention.modes import HeadSelection, Patterns, inject, mix, model_shape, record


def position_ids_from_mask(attention_mask: torch.Tensor) -> torch.Tensor:
    """``[batch, seq]`` positions counting real tokens only (padding gets 0)."""
    return (attention_mask.long().cumsum(dim=-1) - 1).clamp(min=0)


def forward_logits(
    model: PreTrainedModel,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor,
    positions: torch.Tensor | int | None = None,
) -> torch.Tensor:
    """Plain forward, no cache, positions from the mask.

    ``input_ids``/``attention_mask`` ``[batch, seq]`` -> logits ``[batch, seq, vocab]``, or
    ``[batch, k, vocab]`` at ``positions`` (see the module docstring).
    """
    with torch.no_grad():
        output = model(
            input_ids=input_ids,
            attention_mask=attention_mask,
            position_ids=position_ids_from_mask(attention_mask),
            use_cache=False,
            logits_to_keep=0 if positions is None else positions,
        )
    return output.logits


def record_patterns(
    model: PreTrainedModel, input_ids: torch.Tensor, attention_mask: torch.Tensor, layers: Sequence[int] | None = None
) -> Patterns:
    """One forward under :func:`record`: ``{layer: [batch, head, query_pos, key_pos]}`` (logits
    kept at one position only: the patterns are what is wanted)."""
    with record(model, layers=layers) as recorded:
        forward_logits(model, input_ids, attention_mask, 1)
    return dict(recorded)


def apply_patterns(
    recipient: PreTrainedModel,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor,
    patterns: Mapping[int, torch.Tensor],
    *,
    alpha: float = 1.0,
    heads: HeadSelection = None,
    validate: bool = True,
    positions: torch.Tensor | int | None = None,
) -> torch.Tensor:
    """Recipient logits with ``patterns`` injected (``alpha == 1``) or mixed in with weight ``alpha``."""
    mode = (
        inject(recipient, patterns, heads, validate=validate)
        if alpha == 1.0
        else mix(recipient, patterns, alpha, heads, validate=validate)
    )
    with mode:
        return forward_logits(recipient, input_ids, attention_mask, positions)


def resolve_layer_map(
    donor: PreTrainedModel,
    recipient: PreTrainedModel,
    layers: Sequence[int] | None = None,
    layer_map: Mapping[int, int] | None = None,
) -> dict[int, int]:
    """``{recipient_layer: donor_layer}`` for the recipient ``layers`` to swap (default all).

    Default map: :func:`depth_layer_map` (one to one for equal depths). An explicit
    ``layer_map`` is checked against both depths.
    """
    n_donor, _ = model_shape(donor)
    n_recipient, _ = model_shape(recipient)
    full = (
        depth_layer_map(n_donor, n_recipient) if layer_map is None else {int(r): int(d) for r, d in layer_map.items()}
    )
    bad = {r: d for r, d in full.items() if not (0 <= r < n_recipient and 0 <= d < n_donor)}
    if bad:
        raise AttentionSwapError(
            f"layer_map entries {bad} are out of range (recipient 0..{n_recipient - 1}, donor 0..{n_donor - 1})."
        )
    if layers is None:
        return full
    missing = [r for r in layers if int(r) not in full]
    if missing:
        raise AttentionSwapError(f"recipient layers {missing} have no donor layer in layer_map {full}.")
    return {int(r): full[int(r)] for r in layers}


class DonorPatterns:
    """The donor's patterns for the current batch, recorded once and shared by every condition.

    ``mapped(ids, mask)``: ``{recipient_layer: [batch, H_r or 1, q, k]}`` for every recipient
    layer of the layer map; ``shuffled(ids, mask)``: the same after permuting each donor
    layer's heads with ``seed`` (before the head map). Only the latest batch is kept.
    ``donor_ids``/``donor_mask`` given to :meth:`mapped` let the donor read other tokens of the
    same shape and padding than the recipient's batch (the batch identity is the recipient's).
    """

    def __init__(
        self,
        donor: PreTrainedModel,
        recipient: PreTrainedModel,
        *,
        layer_map: Mapping[int, int] | None = None,
        head_map: HeadMap = "auto",
        seed: int = 0,
    ):
        self.donor, self.recipient = donor, recipient
        self.layer_map = resolve_layer_map(donor, recipient, None, layer_map)  # {recipient_layer: donor_layer}
        self.head_map, self.seed = head_map, int(seed)
        self.n_recipient_heads = model_shape(recipient)[1]
        self._batch: torch.Tensor | None = None
        self._recorded: dict[int, torch.Tensor] = {}
        self._mapped: dict[int, torch.Tensor] | None = None
        self._shuffled: dict[int, torch.Tensor] | None = None

    def _refresh(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> None:
        if self._batch is input_ids:
            return
        donor_layers = sorted(set(self.layer_map.values()))
        self._recorded = record_patterns(
            self.donor, input_ids.to(self.donor.device), attention_mask.to(self.donor.device), donor_layers
        )
        self._batch, self._mapped, self._shuffled = input_ids, None, None

    def mapped(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> dict[int, torch.Tensor]:
        self._refresh(input_ids, attention_mask)
        if self._mapped is None:
            self._mapped = map_patterns(self._recorded, self.layer_map, self.n_recipient_heads, self.head_map)
        return self._mapped

    def shuffled(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> dict[int, torch.Tensor]:
        self._refresh(input_ids, attention_mask)
        if self._shuffled is None:
            permuted, _ = shuffle_heads(self._recorded, self.seed)
            self._shuffled = map_patterns(permuted, self.layer_map, self.n_recipient_heads, self.head_map)
        return self._shuffled


def run_pair_batch(
    donor: PreTrainedModel,
    recipient: PreTrainedModel,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor,
    *,
    alpha: float = 1.0,
    layers: Sequence[int] | None = None,
    heads: HeadSelection = None,
    layer_map: Mapping[int, int] | None = None,
    head_map: HeadMap = "auto",
    donor_input_ids: torch.Tensor | None = None,
    donor_attention_mask: torch.Tensor | None = None,
    validate: bool = True,
    positions: torch.Tensor | int | None = None,
) -> torch.Tensor:
    """Recipient logits ``[batch, seq, vocab]`` (or at ``positions``) with the donor's attention swapped in.

    ``input_ids`` / ``attention_mask``: ``[batch, seq]``, tokenized identically for both models
    (see :func:`helpers.core.attention.check_same_tokenizer` and :func:`matching_items`).
    ``donor_input_ids`` / ``donor_attention_mask`` let the donor read other tokens of the same
    shape and padding (the "different item of the same length" control). ``layers`` are
    recipient layers (default all), ``heads`` recipient heads (default all). ``validate=False``
    skips the causal / row-sum check of the (model-made, hence valid) donor patterns.
    The same :class:`DonorPatterns` and :func:`apply_patterns` as the experiment's scorer.
    """
    donor_ids = input_ids if donor_input_ids is None else donor_input_ids
    donor_mask = attention_mask if donor_attention_mask is None else donor_attention_mask
    if donor_ids.shape != input_ids.shape or not torch.equal(donor_mask.bool(), attention_mask.bool()):
        raise AttentionSwapError(
            f"donor batch {tuple(donor_ids.shape)} and recipient batch {tuple(input_ids.shape)} must have the same "
            "shape and padding; pair items of equal token length and pad them the same way."
        )
    patterns = DonorPatterns(donor, recipient, layer_map=layer_map, head_map=head_map).mapped(donor_ids, donor_mask)
    chosen = resolve_layer_map(donor, recipient, layers, layer_map)
    patterns = {layer: patterns[layer] for layer in chosen}
    return apply_patterns(
        recipient, input_ids, attention_mask, patterns, alpha=alpha, heads=heads, validate=validate, positions=positions
    )


def swapped_forward(
    donor: PreTrainedModel, recipient: PreTrainedModel, **settings
) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """A ``(input_ids, attention_mask) -> logits`` function running :func:`run_pair_batch` with ``settings``.

    Lets a scoring engine that calls ``forward(input_ids, attention_mask)`` per batch score the
    recipient under a swap without knowing about attention.
    """

    def forward(input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return run_pair_batch(donor, recipient, input_ids, attention_mask, **settings)

    return forward
