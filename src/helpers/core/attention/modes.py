"""Context managers that record, inject or mix attention patterns, always restoring the model.

A *pattern* is the post-softmax attention probability tensor of one layer,
``[batch, head, query_pos, key_pos]``; a :data:`Patterns` maps ``layer_idx`` to one. Inside
:func:`record`, :func:`inject` or :func:`mix` the model runs :func:`intercepted_attention`
(registered under :data:`ATTENTION_NAME`); on leaving, even by an exception, the previous
attention implementation is set back and every installed action removed.

Rows are only touched where the query sees at least one key. Fully masked rows (queries at
left-padding positions) keep the model's own values, so a padded batch stays exactly the
model's eager computation there; their outputs are padding and never scored.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

import torch
from transformers import PreTrainedModel

from helpers.core.attention.interface import (
    ATTENTION_NAME,
    AttentionPatternError,
    AttentionSwapError,
    install_action,
    register_intercept,
    remove_action,
)

Patterns = dict[int, torch.Tensor]  # layer_idx -> [batch, head, query_pos, key_pos]
# Heads to act on: None = all; a sequence = these heads in every layer; a mapping
# layer_idx -> heads = per layer (a layer missing from the mapping gets all heads).
HeadSelection = Sequence[int] | Mapping[int, Sequence[int]] | None


def model_shape(model: PreTrainedModel) -> tuple[int, int]:
    """``(n_layers, n_query_heads)`` of ``model``'s text decoder."""
    config = model.config.get_text_config()
    return int(config.num_hidden_layers), int(config.num_attention_heads)


def pattern_tolerance(dtype: torch.dtype) -> float:
    """How far a row sum may be from 1 (and masked mass from 0) for patterns of ``dtype``."""
    return max(1e-4, 2 * torch.finfo(dtype).eps)


def check_pattern(pattern: torch.Tensor, allowed: torch.Tensor, *, layer: int, tolerance: float | None = None) -> None:
    """Raise :class:`AttentionPatternError` unless ``pattern`` is causal and row-stochastic.

    ``pattern``: ``[batch, head, query_pos, key_pos]``; ``allowed``: boolean, broadcastable to it.
    Only rows with at least one allowed key are checked (fully masked rows are padding).
    """
    tol = pattern_tolerance(pattern.dtype) if tolerance is None else tolerance
    live_rows = allowed.any(dim=-1)  # [batch|1, 1, query_pos]: queries that see at least one key
    values = pattern.float()
    negative = values.amin()
    if negative < -tol:
        raise AttentionPatternError(
            f"layer {layer}: pattern has a negative weight {negative.item():.3g}; give probabilities."
        )
    leaked = values.masked_fill(allowed, 0.0).abs().amax(dim=-1)  # [batch, head, query_pos]
    leaked = leaked.masked_fill(~live_rows, 0.0)
    if leaked.amax() > tol:
        b, h, q = (int(i) for i in torch.nonzero(leaked == leaked.amax())[0])
        raise AttentionPatternError(
            f"layer {layer}: pattern puts weight {leaked.amax().item():.3g} on a masked key (batch {b}, head {h}, "
            f"query {q}): it is not causal for this input (future key, padding or outside a sliding window). "
            "Build donor patterns from the same tokens and padding, or from a model with the same mask."
        )
    row_error = (values.sum(dim=-1) - 1.0).abs().masked_fill(~live_rows, 0.0)  # [batch, head, query_pos]
    if row_error.amax() > tol:
        b, h, q = (int(i) for i in torch.nonzero(row_error == row_error.amax())[0])
        raise AttentionPatternError(
            f"layer {layer}: pattern row (batch {b}, head {h}, query {q}) sums to "
            f"{values[b, h, q].sum().item():.6f}, not 1 (tolerance {tol:g}); give softmax probabilities."
        )


def _heads_for(heads: HeadSelection, layer: int, n_heads: int) -> list[int]:
    """The head indices ``heads`` selects in ``layer``, checked against ``n_heads``."""
    chosen = (
        heads.get(layer, range(n_heads)) if isinstance(heads, Mapping) else (range(n_heads) if heads is None else heads)
    )
    chosen = [int(h) for h in chosen]
    bad = [h for h in chosen if not 0 <= h < n_heads]
    if bad:
        raise AttentionSwapError(
            f"head indices {bad} out of range for a model with {n_heads} heads (use 0..{n_heads - 1})."
        )
    return chosen


def _check_layers(layers, n_layers: int, what: str) -> list[int]:
    """``layers`` sorted, or :class:`AttentionSwapError` naming those outside ``0..n_layers-1``."""
    chosen = sorted(int(i) for i in layers)
    bad = [i for i in chosen if not 0 <= i < n_layers]
    if bad:
        raise AttentionSwapError(
            f"{what} layers {bad} out of range for a model with {n_layers} layers (use 0..{n_layers - 1})."
        )
    return chosen


@contextmanager
def _intercepting(model: PreTrainedModel, action) -> Iterator[None]:
    """Run ``model`` through the intercepted attention with ``action`` on every attention module."""
    register_intercept()
    previous = model.config._attn_implementation
    modules = [m for m in model.modules() if getattr(m, "layer_idx", None) is not None]
    if not modules:
        raise AttentionSwapError(f"{type(model).__name__} has no modules with `layer_idx`; it cannot be intercepted.")
    installed = []
    try:
        for module in modules:
            install_action(module, action)
            installed.append(module)
        model.set_attn_implementation(ATTENTION_NAME)
        if model.config._attn_implementation != ATTENTION_NAME:
            raise AttentionSwapError(
                f"{type(model).__name__} did not accept attn_implementation={ATTENTION_NAME!r} (it does not use "
                "transformers' AttentionInterface); attention swaps need a model that does."
            )
        yield
    finally:
        for module in installed:
            remove_action(module)
        if model.config._attn_implementation != previous:
            model.set_attn_implementation(previous)


@contextmanager
def record(
    model: PreTrainedModel, layers: Sequence[int] | None = None, heads: HeadSelection = None
) -> Iterator[Patterns]:
    """Record post-softmax probabilities of ``layers`` (default all) and ``heads`` (default all).

    Yields a dict filled by each forward pass: ``layer_idx -> [batch, len(heads), query_pos, key_pos]``
    (detached, in the model's dtype; a later forward overwrites it).
    """
    n_layers, n_heads = model_shape(model)
    wanted = set(_check_layers(range(n_layers) if layers is None else layers, n_layers, "recorded"))
    head_lists = {layer: _heads_for(heads, layer, n_heads) for layer in wanted}
    recorded: Patterns = {}

    def keep(layer: int, probs: torch.Tensor, allowed: torch.Tensor) -> torch.Tensor:
        if layer in wanted:
            chosen = head_lists[layer]
            recorded[layer] = (probs if len(chosen) == probs.shape[1] else probs[:, chosen]).detach()
        return probs

    with _intercepting(model, keep):
        yield recorded


def _replacing(model, patterns: Mapping[int, torch.Tensor], alpha: float, heads: HeadSelection, validate: bool, used):
    """The action that swaps in ``(1-alpha)·own + alpha·pattern`` on chosen heads of live rows."""
    n_layers, n_heads = model_shape(model)
    _check_layers(patterns.keys(), n_layers, "pattern")
    head_lists = {layer: _heads_for(heads, layer, n_heads) for layer in patterns}

    def replace(layer: int, own: torch.Tensor, allowed: torch.Tensor) -> torch.Tensor:
        # own: [batch, head, query_pos, key_pos]
        if layer not in patterns:
            return own
        chosen = head_lists[layer]
        given = patterns[layer].to(device=own.device, dtype=own.dtype)
        if given.shape[1] == n_heads and len(chosen) != n_heads:
            given = given[:, chosen]
        expected = (own.shape[0], len(chosen), *own.shape[2:])
        if (
            given.ndim == 4
            and given.shape[1] == 1
            and given.shape[0] == expected[0]
            and given.shape[2:] == own.shape[2:]
        ):
            given = given.expand(expected)
        if tuple(given.shape) != expected:
            raise AttentionPatternError(
                f"layer {layer}: pattern shape {tuple(given.shape)} does not fit this batch; expected "
                f"[batch, head, query_pos, key_pos] = {list(expected)} (head axis: all {n_heads} heads, the "
                f"{len(chosen)} chosen ones, or 1 to broadcast)."
            )
        if validate:
            check_pattern(given, allowed, layer=layer)
        live_rows = allowed.any(dim=-1, keepdim=True)  # [batch|1, 1, query_pos, 1]
        own_chosen = own if len(chosen) == n_heads else own[:, chosen]
        swapped = given if alpha == 1.0 else torch.lerp(own_chosen, given, alpha)  # (1-alpha)·own + alpha·given
        if not bool(live_rows.all()):  # fully masked rows (left padding) keep the model's own values
            swapped = torch.where(live_rows, swapped, own_chosen)
        if len(chosen) == n_heads:
            result = swapped
        else:
            result = own.clone()
            result[:, chosen] = swapped
        if used is not None:
            used[layer] = result.detach()
        return result

    return replace


@contextmanager
def inject(
    model: PreTrainedModel,
    patterns: Mapping[int, torch.Tensor],
    heads: HeadSelection = None,
    *,
    validate: bool = True,
    keep_used: bool = False,
) -> Iterator[Patterns]:
    """Replace the probabilities of the layers in ``patterns`` (on ``heads``, default all) by the given ones.

    ``patterns[layer]``: ``[batch, H, query_pos, key_pos]`` with H the model's head count, the
    number of chosen heads, or 1 (broadcast). The values of the model itself are then weighted
    by them. Each pattern is checked to be causal and row-stochastic on live rows unless
    ``validate=False``. With ``keep_used=True`` the yielded dict receives, per layer, the full
    probability tensor actually used (else it stays empty).
    """
    used: Patterns = {}
    action = _replacing(model, patterns, 1.0, heads, validate, used if keep_used else None)
    with _intercepting(model, action):
        yield used


@contextmanager
def mix(
    model: PreTrainedModel,
    donor_patterns: Mapping[int, torch.Tensor],
    alpha: float,
    heads: HeadSelection = None,
    *,
    validate: bool = True,
    keep_used: bool = False,
) -> Iterator[Patterns]:
    """Use ``(1 - alpha)·own + alpha·donor`` on the layers in ``donor_patterns`` (and ``heads``).

    ``alpha`` in [0, 1]: 0 is the model unchanged, 1 is :func:`inject`. A convex mixture of two
    causal row-stochastic patterns is causal and row-stochastic. Other arguments as :func:`inject`.
    """
    if not isinstance(alpha, (int, float)) or not 0.0 <= float(alpha) <= 1.0:
        raise AttentionSwapError(f"alpha={alpha!r} is not a mixing weight; give a number in [0, 1].")
    used: Patterns = {}
    action = _replacing(model, donor_patterns, float(alpha), heads, validate, used if keep_used else None)
    with _intercepting(model, action):
        yield used
