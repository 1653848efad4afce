"""Score log-likelihood requests on a recipient model whose attention is swapped or controlled.

The batched engine (:mod:`helpers.core.scoring`) shares prefix keys/values and runs one model; a
swap runs two models in lockstep, batch by batch. This module is the simple scorer for that
case. It keeps the engine's *token contract* (:func:`helpers.core.scoring.encode_requests` and
:func:`helpers.core.scoring.model_window`, the lm-evaluation-harness split), so its numbers are
comparable request by request with the engine's, and computes:

1. the distinct model inputs (requests whose windows are identical, e.g. the four one-letter
   MMLU choices, share one row), batched longest first by a token budget, right-padded with
   an attention mask (memory grows with the batch, not with the task);
2. for each batch, ``forward(input_ids, attention_mask) -> logits`` of every *condition*
   (``input_ids``/``attention_mask``: ``[batch, seq]``; logits ``[batch, seq, vocab]``);
3. ``log_softmax`` in fp32 at the scored positions only: summed continuation log-prob,
   greedy flag and per-token values, as :class:`helpers.core.requests.Score`.

Steps 1 and 3 are the engine's own (:mod:`helpers.core.scoring.assembly`: one row class for a
distinct input, one function that assembles a request's score), so only the forwards differ.

Several conditions can be scored in one pass (:func:`score_conditions`) so the donor's
patterns are recorded once per batch and reused by every alpha, layer and control
(:class:`DonorPatterns`). The forwards (:func:`condition_forward`) are:

- ``baseline``: the recipient alone, eager attention;
- ``self``: the recipient's own recorded pattern injected (must equal ``baseline``);
- ``swap``: the donor's pattern, mapped to the recipient's layers and heads, mixed in with
  weight ``alpha`` (``(1 - alpha)·own + alpha·donor``) on ``layers`` (default all): the same
  computation as :func:`helpers.core.attention.run_pair_batch`;
- ``other_item``: the recipient's own pattern on a *different item of the same token
  length* (partners from :func:`helpers.core.attention.same_length_partners`);
- ``uniform``: uniform causal attention;
- ``shuffled_heads``: the donor's pattern with its head axis permuted (seeded) before mapping.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from helpers.core.attention.controls import uniform_causal_patterns
from helpers.core.attention.modes import model_shape
from helpers.core.attention.swap import DonorPatterns, apply_patterns, forward_logits, record_patterns
from helpers.core.requests import Request, Score
from helpers.core.scoring.assembly import InputRow, assemble_score, distinct_inputs
from helpers.core.scoring.encoding import ModelWindow, encode_requests, model_window

Forward = Callable[..., torch.Tensor]
"""``(input_ids [batch, seq], attention_mask [batch, seq]) -> logits [batch, seq, vocab]``, e.g.
:func:`helpers.core.attention.swapped_forward`. The forwards built here also take ``positions``
(``[batch, k]`` indices per row) and then return only those logits, ``[batch, k, vocab]``
(transformers' ``logits_to_keep``), which spares the output projection at unscored positions."""

SWAP_CONDITION = "swap"
"""The condition kind of a swapped (or mixed) pattern; the other kinds are controls or the baseline."""
CONDITIONS = ("baseline", "self", SWAP_CONDITION, "other_item", "uniform", "shuffled_heads")
"""Every condition :func:`condition_forward` can build."""


class SwapScoringError(ValueError):
    """A bad argument to the swap scorer (batch sizes, condition names, partner tokens)."""


# ----------------------------------------------------------------------------- batching


def length_batches(lengths: Sequence[int], *, batch_tokens: int, max_batch_size: int) -> list[list[int]]:
    """Indices of ``lengths`` in batches, longest first, each with ``rows * longest <= batch_tokens``.

    A row longer than ``batch_tokens`` gets a batch of its own. Deterministic (stable sort).
    """
    for name, value in (("batch_tokens", batch_tokens), ("max_batch_size", max_batch_size)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise SwapScoringError(f"{name}={value!r}: give a positive integer.")
    order = sorted(range(len(lengths)), key=lambda index: -int(lengths[index]))
    batches: list[list[int]] = []
    current: list[int] = []
    for index in order:
        width = int(lengths[current[0]]) if current else int(lengths[index])  # longest row comes first
        if current and (len(current) >= max_batch_size or (len(current) + 1) * width > batch_tokens):
            batches.append(current)
            current = []
        current.append(index)
    if current:
        batches.append(current)
    return batches


def right_padded(rows: Sequence[Sequence[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``(input_ids, attention_mask)``, both ``[batch, longest]``, right-padded with ``pad_id``."""
    width = max(len(row) for row in rows)
    input_ids = torch.full((len(rows), width), int(pad_id), dtype=torch.long)
    attention_mask = torch.zeros((len(rows), width), dtype=torch.long)
    for b, row in enumerate(rows):
        input_ids[b, : len(row)] = torch.tensor(list(row), dtype=torch.long)
        attention_mask[b, : len(row)] = 1
    return input_ids, attention_mask


def scored_positions(lengths: Sequence[int], n_keep: int) -> torch.Tensor:
    """``[batch, n_keep]``: the last ``n_keep`` real positions of each row (clamped at 0).

    Position ``p`` of row ``b`` (with ``p >= lengths[b] - n_keep``) is at index
    ``p - lengths[b] + n_keep`` of the kept logits.
    """
    offsets = torch.arange(n_keep)[None, :] - n_keep  # [1, n_keep]
    return (torch.tensor([int(length) for length in lengths])[:, None] + offsets).clamp(min=0)


def _call_forward(
    forward: Forward, input_ids: torch.Tensor, attention_mask: torch.Tensor, positions: torch.Tensor
) -> torch.Tensor:
    """Logits ``[batch, n_keep, vocab]`` at ``positions [batch, n_keep]`` from either kind of forward."""
    if getattr(forward, "takes_positions", False):
        return forward(input_ids, attention_mask, positions)
    logits = forward(input_ids, attention_mask)  # [batch, seq, vocab]
    return torch.gather(logits, 1, positions.to(logits.device)[:, :, None].expand(-1, -1, logits.shape[-1]))


def _scores_from_logits(
    logits: torch.Tensor,
    batch_rows: Sequence[InputRow],
    windows: Sequence[ModelWindow],
    results: list[Score | None],
    token_values: bool,
) -> None:
    """Fill ``results`` for the requests of ``batch_rows`` from kept ``logits [batch, n_keep, vocab]``."""
    n_keep = logits.shape[1]
    for b, row in enumerate(batch_rows):
        for request_index in row.requests:
            targets = windows[request_index].targets
            start = n_keep - len(targets)  # the last len(targets) real positions of the row
            log_probs = torch.log_softmax(logits[b, start:].float(), dim=-1)  # [n_targets, vocab]
            target_t = torch.tensor(targets, dtype=torch.long, device=log_probs.device)
            values = log_probs[torch.arange(len(targets), device=log_probs.device), target_t].tolist()
            flags = (log_probs.argmax(dim=-1) == target_t).tolist()
            results[request_index] = assemble_score(values, flags, token_values=token_values)


@torch.inference_mode()
def score_conditions(
    forwards: Mapping[Any, Forward],
    tokenizer: PreTrainedTokenizerBase,
    requests: Sequence[Request],
    *,
    max_length: int,
    batch_tokens: int = 2048,
    max_batch_size: int = 8,
    device: str | torch.device = "cpu",
    return_token_values: bool = True,
) -> dict[Any, list[Score]]:
    """``{condition: [Score per request, in order]}``, every forward run on the same batches."""
    if not forwards:
        raise SwapScoringError("forwards is empty; give at least one {condition: forward}.")
    requests = list(requests)
    windows = [model_window(encoded, max_length) for encoded in encode_requests(tokenizer, requests)]
    rows = distinct_inputs(windows)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    results: dict[Any, list[Score | None]] = {name: [None] * len(requests) for name in forwards}
    batches = length_batches(
        [len(row.input_ids) for row in rows], batch_tokens=batch_tokens, max_batch_size=max_batch_size
    )
    for batch in batches:
        batch_rows = [rows[index] for index in batch]
        input_ids, attention_mask = right_padded([row.input_ids for row in batch_rows], pad_id)
        input_ids, attention_mask = input_ids.to(device), attention_mask.to(device)  # [batch, seq] each
        # every row is right-aligned in the kept logits: its last real position is the last index
        n_keep = max(row.n_scored for row in batch_rows)
        positions = scored_positions([len(row.input_ids) for row in batch_rows], n_keep).to(device)  # [batch, n_keep]
        for name, forward in forwards.items():
            logits = _call_forward(forward, input_ids, attention_mask, positions)  # [batch, n_keep, vocab]
            _scores_from_logits(logits, batch_rows, windows, results[name], return_token_values)
            del logits
    return results  # type: ignore[return-value]  # every slot filled: each request's row is in a batch


def score_with_forward(
    forward: Forward, tokenizer: PreTrainedTokenizerBase, requests: Sequence[Request], *, max_length: int, **options
) -> list[Score]:
    """One :class:`Score` per request under a single ``forward`` (see :func:`score_conditions`)."""
    return score_conditions({"forward": forward}, tokenizer, requests, max_length=max_length, **options)["forward"]


# ----------------------------------------------------------------------------- forwards


@contextmanager
def eager_attention(model: PreTrainedModel) -> Iterator[PreTrainedModel]:
    """Run ``model`` with eager attention inside the block, restoring its implementation after."""
    previous = model.config._attn_implementation
    if previous != "eager":
        model.set_attn_implementation("eager")
    try:
        yield model
    finally:
        if model.config._attn_implementation != previous:
            model.set_attn_implementation(previous)


def _positional(function: Callable[[torch.Tensor, torch.Tensor, torch.Tensor | None], torch.Tensor]) -> Forward:
    """Mark ``function(ids, mask, positions=None)`` as a forward that takes positions."""

    def forward(input_ids: torch.Tensor, attention_mask: torch.Tensor, positions: torch.Tensor | None = None):
        return function(input_ids, attention_mask, positions)

    forward.takes_positions = True  # type: ignore[attr-defined]
    return forward


def baseline_forward(recipient: PreTrainedModel) -> Forward:
    """The recipient alone, eager attention, positions from the mask."""

    def forward(input_ids, attention_mask, positions=None):
        with eager_attention(recipient):
            return forward_logits(recipient, input_ids, attention_mask, positions)

    return _positional(forward)


def self_forward(recipient: PreTrainedModel) -> Forward:
    """The recipient with its own pattern (recorded on the same batch) injected in every layer."""

    def forward(input_ids, attention_mask, positions=None):
        patterns = record_patterns(recipient, input_ids, attention_mask)
        return apply_patterns(recipient, input_ids, attention_mask, patterns, alpha=1.0, positions=positions)

    return _positional(forward)


def uniform_forward(recipient: PreTrainedModel) -> Forward:
    """The recipient with uniform causal attention in every layer."""
    n_layers, _ = model_shape(recipient)

    def forward(input_ids, attention_mask, positions=None):
        patterns = uniform_causal_patterns(attention_mask, range(n_layers))
        return apply_patterns(recipient, input_ids, attention_mask, patterns, alpha=1.0, positions=positions)

    return _positional(forward)


def other_item_forward(
    recipient: PreTrainedModel, partner_inputs: Mapping[tuple[int, ...], tuple[int, ...]]
) -> Forward:
    """The recipient with its own pattern on a partner input of the same length.

    ``partner_inputs`` maps each model input (token ids) to its partner's model input; both
    must have the same length so they pad the same way.
    """

    def forward(input_ids, attention_mask, positions=None):
        lengths = attention_mask.sum(dim=-1).tolist()
        partner_ids = input_ids.clone()  # [batch, seq]
        for b, length in enumerate(lengths):
            partner = partner_inputs.get(tuple(input_ids[b, :length].tolist()))
            if partner is None or len(partner) != length:
                raise SwapScoringError(
                    f"row {b} of the batch (length {length}) has no partner input of the same length; "
                    "score only items with a same-length partner in the other_item condition."
                )
            partner_ids[b, :length] = torch.tensor(partner, dtype=torch.long)
        patterns = record_patterns(recipient, partner_ids, attention_mask)
        return apply_patterns(recipient, input_ids, attention_mask, patterns, alpha=1.0, positions=positions)

    return _positional(forward)


def swap_forward(
    donor_patterns: DonorPatterns, *, alpha: float = 1.0, layers: Sequence[int] | None = None, shuffled: bool = False
) -> Forward:
    """The recipient with the donor's (optionally head-shuffled) pattern mixed in on ``layers``.

    Same computation as :func:`helpers.core.attention.run_pair_batch` (tested), with the donor run
    once per batch for all the conditions sharing ``donor_patterns``.
    """
    recipient = donor_patterns.recipient
    chosen = None if layers is None else [int(layer) for layer in layers]
    if chosen is not None:
        missing = [layer for layer in chosen if layer not in donor_patterns.layer_map]
        if missing:
            raise SwapScoringError(
                f"layers {missing} are not recipient layers 0..{model_shape(recipient)[0] - 1} of the layer map."
            )

    def forward(input_ids, attention_mask, positions=None):
        every = (donor_patterns.shuffled if shuffled else donor_patterns.mapped)(input_ids, attention_mask)
        patterns = every if chosen is None else {layer: every[layer] for layer in chosen}
        return apply_patterns(recipient, input_ids, attention_mask, patterns, alpha=float(alpha), positions=positions)

    return _positional(forward)


@dataclass(frozen=True)
class Condition:
    """One scored condition: ``kind`` in :data:`CONDITIONS`, with its alpha and recipient layers."""

    kind: str
    alpha: float | None = None  # swap only
    layers: tuple[int, ...] | None = None  # swap only; None = all layers

    def __post_init__(self) -> None:
        if self.kind not in CONDITIONS:
            raise SwapScoringError(f"condition {self.kind!r} is unknown; use one of {list(CONDITIONS)}.")
        if self.kind == SWAP_CONDITION and (self.alpha is None or not 0.0 <= float(self.alpha) <= 1.0):
            raise SwapScoringError(f"swap condition alpha={self.alpha!r}: give a number in [0, 1].")

    @property
    def name(self) -> str:
        """A readable unique name, e.g. ``swap a=0.5``, ``swap layer 3``, ``uniform``."""
        if self.kind != SWAP_CONDITION:
            return self.kind
        if self.layers is None:
            return f"swap a={self.alpha:g}"
        return f"swap layer{'s' if len(self.layers) > 1 else ''} {','.join(map(str, self.layers))}" + (
            "" if self.alpha == 1.0 else f" a={self.alpha:g}"
        )


def condition_forward(
    condition: Condition,
    recipient: PreTrainedModel,
    donor_patterns: DonorPatterns | None = None,
    partner_inputs: Mapping[tuple[int, ...], tuple[int, ...]] | None = None,
) -> Forward:
    """The forward of ``condition`` (the donor ones need ``donor_patterns``, ``other_item`` the partners)."""
    if condition.kind == "baseline":
        return baseline_forward(recipient)
    if condition.kind == "self":
        return self_forward(recipient)
    if condition.kind == "uniform":
        return uniform_forward(recipient)
    if condition.kind == "other_item":
        if partner_inputs is None:
            raise SwapScoringError("the other_item condition needs partner_inputs (same-length partners).")
        return other_item_forward(recipient, partner_inputs)
    if donor_patterns is None:
        raise SwapScoringError(f"condition {condition.name!r} needs the donor's patterns (DonorPatterns).")
    if condition.kind == "shuffled_heads":
        return swap_forward(donor_patterns, alpha=1.0, shuffled=True)
    return swap_forward(donor_patterns, alpha=float(condition.alpha), layers=condition.layers)
