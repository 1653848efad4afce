"""Record, inject and mix attention patterns between models (the attention-swap experiment).

The method: run a *donor* and a *recipient* model on the same tokens. In each chosen layer
the recipient's post-softmax attention probabilities ``[batch, head, query_pos, key_pos]``
are replaced by the donor's (``inject``) or mixed with them (``mix``:
``(1 - alpha)·own + alpha·donor``), and then multiply the recipient's *own* values. What the
recipient computes from "where to look" given by another model measures how much of a
capability lives in the attention pattern rather than in the rest of the network.

The mechanism is one attention function registered with transformers' ``AttentionInterface``
(:mod:`.interface`), context managers that select it and always restore the model
(:mod:`.modes`), layer/head maps and tokenizer checks (:mod:`.mapping`), control patterns
(:mod:`.controls`), the batch-by-batch lockstep of donor and recipient (:mod:`.swap`, the one
forward path) and the scorer of requests under swaps and controls (:mod:`.lockstep`).

Invariants (tested): injecting a model's own pattern reproduces its eager logits; ``alpha=0``
changes nothing; every pattern used is causal and row-stochastic on real tokens.
"""

from helpers.core.attention.controls import (
    allowed_from_padding,
    same_length_partners,
    shuffle_heads,
    uniform_causal_patterns,
)
from helpers.core.attention.interface import (
    ATTENTION_NAME,
    AttentionPatternError,
    AttentionSwapError,
    intercepted_attention,
    register_intercept,
)
from helpers.core.attention.mapping import (
    check_same_tokenizer,
    depth_layer_map,
    map_heads,
    map_patterns,
    matching_items,
)
from helpers.core.attention.modes import Patterns, check_pattern, inject, mix, model_shape, record
from helpers.core.attention.swap import (
    DonorPatterns,
    apply_patterns,
    forward_logits,
    position_ids_from_mask,
    record_patterns,
    resolve_layer_map,
    run_pair_batch,
    swapped_forward,
)

__all__ = [
    "ATTENTION_NAME",
    "DonorPatterns",
    "AttentionPatternError",
    "AttentionSwapError",
    "Patterns",
    "allowed_from_padding",
    "apply_patterns",
    "check_pattern",
    "check_same_tokenizer",
    "depth_layer_map",
    "forward_logits",
    "inject",
    "intercepted_attention",
    "map_heads",
    "map_patterns",
    "matching_items",
    "mix",
    "model_shape",
    "position_ids_from_mask",
    "record",
    "record_patterns",
    "register_intercept",
    "resolve_layer_map",
    "run_pair_batch",
    "same_length_partners",
    "shuffle_heads",
    "swapped_forward",
    "uniform_causal_patterns",
]
