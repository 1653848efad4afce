"""The registered attention function that records, replaces or mixes attention patterns.

One function, :func:`intercepted_attention`, is registered with transformers' attention
interface under :data:`ATTENTION_NAME`, together with the eager mask builder under the same
name (without the mask registration ``create_causal_mask`` returns no mask for an unknown
implementation and the model silently attends to the future). It repeats the eager
computation of the supported families (GPT-NeoX, OPT, Llama, Qwen2, Gemma 2/3):

    scores = Q·Kᵀ · scaling  → optional softcap  → + additive mask  → softmax in fp32
    → cast to the query dtype  → [record / replace / mix]  → dropout (eval: none)  → · V

honouring ``scaling`` (OPT passes 1.0 because it pre-scales the query), grouped-query
attention (keys and values repeated to the query heads as ``repeat_kv`` does), ``softcap``
(Gemma 2) and sliding windows (already in the mask). With no action installed for the
calling module it is exactly the eager path.

What happens to the probabilities is decided per attention module by a
:class:`LayerAction` installed by the context managers in :mod:`helpers.core.attention.modes`;
actions are looked up by module identity (a weak mapping), patterns by ``module.layer_idx``.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable

import torch
from torch import nn
from transformers import AttentionInterface
from transformers.masking_utils import AttentionMaskInterface, eager_mask

ATTENTION_NAME = "capability_ceilings_intercept"
"""The name our attention function is registered under (``model.set_attn_implementation``)."""


class AttentionSwapError(RuntimeError):
    """A swap cannot be run as asked (incompatible models or tokenizers, nested modes, ...)."""


class AttentionPatternError(ValueError):
    """A given attention pattern has the wrong shape, or is not causal and row-stochastic."""


# An action receives (layer_idx, own probabilities [batch, head, query_pos, key_pos],
# allowed keys [batch|1, 1, query_pos, key_pos] bool) and returns the probabilities to use.
LayerAction = Callable[[int, torch.Tensor, torch.Tensor], torch.Tensor]

_ACTIONS: weakref.WeakKeyDictionary[nn.Module, LayerAction] = weakref.WeakKeyDictionary()


def register_intercept() -> str:
    """Register the attention function and its (eager) mask builder; idempotent. Returns the name."""
    AttentionInterface.register(ATTENTION_NAME, intercepted_attention)
    AttentionMaskInterface.register(ATTENTION_NAME, eager_mask)
    return ATTENTION_NAME


def install_action(module: nn.Module, action: LayerAction) -> None:
    """Make ``module``'s calls to the intercepted attention run ``action`` on its probabilities."""
    if module in _ACTIONS:
        raise AttentionSwapError(
            f"{type(module).__name__} (layer {getattr(module, 'layer_idx', '?')}) is already inside an attention "
            "record/inject/mix context: nested modes on one model are not supported; leave the outer one first."
        )
    _ACTIONS[module] = action


def remove_action(module: nn.Module) -> None:
    """Remove ``module``'s action if any (never raises)."""
    _ACTIONS.pop(module, None)


def has_action(module: nn.Module) -> bool:
    """Whether ``module`` currently has an installed action."""
    return module in _ACTIONS


def allowed_keys(attention_mask: torch.Tensor | None, scores: torch.Tensor) -> torch.Tensor:
    """Boolean ``[batch|1, 1|head, query_pos, key_pos]``: True where the mask lets a query see a key.

    The eager mask is additive (0 where allowed, the dtype's minimum where not); a boolean mask
    is taken as is; no mask means every key is allowed (non-causal models only).
    """
    if attention_mask is None:
        return torch.ones((1, 1) + tuple(scores.shape[-2:]), dtype=torch.bool, device=scores.device)
    if attention_mask.dtype == torch.bool:
        return attention_mask
    return attention_mask > torch.finfo(attention_mask.dtype).min / 2


def repeat_kv(states: torch.Tensor, n_rep: int) -> torch.Tensor:
    """``[batch, kv_head, seq, dim]`` → ``[batch, kv_head * n_rep, seq, dim]`` (as transformers' ``repeat_kv``)."""
    if n_rep == 1:
        return states
    batch, kv_heads, seq, dim = states.shape
    states = states[:, :, None, :, :].expand(batch, kv_heads, n_rep, seq, dim)
    return states.reshape(batch, kv_heads * n_rep, seq, dim)


def intercepted_attention(
    module: nn.Module,
    query: torch.Tensor,  # [batch, head, query_pos, head_dim]
    key: torch.Tensor,  # [batch, kv_head, key_pos, head_dim]
    value: torch.Tensor,  # [batch, kv_head, key_pos, head_dim]
    attention_mask: torch.Tensor | None,  # [batch|1, 1, query_pos, key_pos] additive
    scaling: float | None = None,
    dropout: float = 0.0,
    softcap: float | None = None,
    **kwargs,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The eager attention computation with an optional action on the probabilities.

    Returns ``(output [batch, query_pos, head, head_dim], probabilities [batch, head, query_pos, key_pos])``
    like transformers' ``eager_attention_forward``.
    """
    if scaling is None:
        scaling = query.shape[-1] ** -0.5
    n_rep = query.shape[1] // key.shape[1]
    key = repeat_kv(key, n_rep)
    value = repeat_kv(value, n_rep)

    scores = torch.matmul(query, key.transpose(2, 3)) * scaling  # [batch, head, query_pos, key_pos]
    if softcap is not None:
        scores = torch.tanh(scores / softcap) * softcap
    if attention_mask is not None:
        scores = scores + attention_mask
    probs = nn.functional.softmax(scores, dim=-1, dtype=torch.float32).to(query.dtype)

    action = _ACTIONS.get(module)
    if action is not None:
        layer_idx = getattr(module, "layer_idx", None)
        if layer_idx is None:
            raise AttentionSwapError(
                f"{type(module).__name__} has no `layer_idx`: patterns are indexed by layer, so this model "
                "cannot be used for attention swaps."
            )
        probs = action(int(layer_idx), probs, allowed_keys(attention_mask, scores))

    probs = nn.functional.dropout(probs, p=dropout, training=module.training)
    output = torch.matmul(probs, value)  # [batch, head, query_pos, head_dim]
    return output.transpose(1, 2).contiguous(), probs
