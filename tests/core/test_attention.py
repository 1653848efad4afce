"""Invariant tests of helpers.core.attention (record / inject / mix attention patterns).

Tiny random-weight models in fp32 on CPU: Pythia (GPT-NeoX) and OPT of the real
architectures and tokenizers, and hand-built Llama / Qwen2 (grouped-query attention),
Gemma 2 (logit softcap) and Gemma 3 (sliding window) configs. Reference values come from
the model's own eager attention (``attn_implementation="eager"``, ``output_attentions``),
an implementation independent of ours.
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import pytest
import torch
from transformers import (
    Gemma2Config,
    Gemma3TextConfig,
    LlamaConfig,
    Qwen2Config,
)

from conftest import tiny_eager_model
from helpers.core.attention import (
    ATTENTION_NAME,
    AttentionPatternError,
    AttentionSwapError,
    allowed_from_padding,
    apply_patterns,
    check_same_tokenizer,
    depth_layer_map,
    forward_logits,
    inject,
    map_heads,
    matching_items,
    mix,
    position_ids_from_mask,
    record,
    record_patterns,
    run_pair_batch,
    same_length_partners,
    shuffle_heads,
    uniform_causal_patterns,
)
from helpers.core.attention.interface import has_action
from helpers.core.models.random_init import build_random_model
from helpers.core.models.tokenizers import family_tokenizer

TEXTS = [
    "Question: What is 17 plus 25?\nAnswer: 42",
    "Are these the same? yes",
    "The quick brown fox jumps over the lazy dog near the river bank.",
]


def _batch(tokenizer, texts=TEXTS, side="right"):
    tokenizer.padding_side = side
    encoded = tokenizer(list(texts), return_tensors="pt", padding=True)
    return encoded["input_ids"], encoded["attention_mask"]  # [batch, seq] each


# The sizes every hand-built tiny config shares: 2 layers, 4 query heads, hidden size 32.
TINY_SIZES = dict(vocab_size=101, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4)


def _tiny(config_class, **settings) -> torch.nn.Module:
    """A random fp32 eval model of ``config_class`` at :data:`TINY_SIZES` (eager attention, seed 0)."""
    return tiny_eager_model(config_class, **TINY_SIZES, max_position_embeddings=64, **settings)


def _random_batch(vocab: int, lengths=(12, 9, 5), seed: int = 0):
    """Right-padded random token ids (pad id 0) with the given real lengths."""
    generator = torch.Generator().manual_seed(seed)
    seq = max(lengths)
    ids = torch.randint(1, vocab, (len(lengths), seq), generator=generator)
    mask = torch.zeros(len(lengths), seq, dtype=torch.long)
    for row, length in enumerate(lengths):
        mask[row, :length] = 1
    return ids * mask, mask


def _eager_reference(model, ids, mask):
    """Logits and attentions from transformers' own eager path (independent of our function)."""
    with torch.no_grad():
        out = model(
            input_ids=ids,
            attention_mask=mask,
            position_ids=position_ids_from_mask(mask),
            use_cache=False,
            output_attentions=True,
        )
    return out.logits, out.attentions


def _max_diff_on_tokens(a, b, mask):
    return (a - b)[mask.bool()].abs().max().item()


@pytest.fixture(scope="module")
def pythia():
    return build_random_model("pythia-70m", seed=0)


@pytest.fixture(scope="module")
def opt():
    return build_random_model("opt-125m", seed=0)


@pytest.fixture(scope="module")
def llama_gqa():
    return _tiny(LlamaConfig, num_key_value_heads=2)


def _tiny_qwen2():
    return _tiny(Qwen2Config, num_key_value_heads=1)


def _tiny_gemma2():
    model = _tiny(
        Gemma2Config,
        num_key_value_heads=2,
        head_dim=8,
        sliding_window=4,
        attn_logit_softcapping=0.5,
        final_logit_softcapping=None,
        query_pre_attn_scalar=1,  # scaling 1
    )
    with torch.no_grad():  # scores of order 1 (random init gives ~0.01), so the softcap of 0.5 bites
        for layer in model.model.layers:
            layer.self_attn.q_proj.weight.mul_(30.0)
    return model


@pytest.fixture(scope="module")
def gemma3():
    return _tiny(
        Gemma3TextConfig,
        num_key_value_heads=2,
        head_dim=8,
        sliding_window=4,
        layer_types=["sliding_attention", "full_attention"],
    )


# --- the interception reproduces eager attention --------------------------------------------------


@pytest.mark.parametrize("name", ["pythia", "opt"])
def test_self_injection_reproduces_eager_logits_real_architectures(name, request):
    model, tokenizer = request.getfixturevalue(name)
    ids, mask = _batch(tokenizer)
    reference_logits, reference_attentions = _eager_reference(model, ids, mask)
    recorded = record_patterns(model, ids, mask)
    assert sorted(recorded) == list(range(model.config.num_hidden_layers))
    for layer, pattern in recorded.items():  # recording is transformers' eager attention, exactly
        assert torch.equal(pattern, reference_attentions[layer])
    swapped = apply_patterns(model, ids, mask, recorded)
    assert _max_diff_on_tokens(swapped, reference_logits, mask) <= 1e-5
    # the injection is not a no-op: uniform attention moves the logits
    uniform = uniform_causal_patterns(mask, recorded.keys())
    assert _max_diff_on_tokens(apply_patterns(model, ids, mask, uniform), reference_logits, mask) > 1e-3


@pytest.mark.parametrize("build", [_tiny_qwen2, _tiny_gemma2])
def test_self_injection_reproduces_eager_logits_gqa_softcap(build, llama_gqa):
    for model in (llama_gqa, build()):
        ids, mask = _random_batch(model.config.vocab_size)
        reference_logits, reference_attentions = _eager_reference(model, ids, mask)
        recorded = record_patterns(model, ids, mask)
        n_heads = model.config.num_attention_heads
        assert n_heads > model.config.num_key_value_heads  # grouped-query attention is exercised
        for layer, pattern in recorded.items():
            assert pattern.shape == (3, n_heads, 12, 12)
            torch.testing.assert_close(pattern, reference_attentions[layer], rtol=0, atol=1e-6)
        swapped = apply_patterns(model, ids, mask, recorded)
        assert _max_diff_on_tokens(swapped, reference_logits, mask) <= 1e-5


def test_gemma3_sliding_window_is_respected(gemma3):
    ids, mask = _random_batch(gemma3.config.vocab_size)
    reference_logits, _ = _eager_reference(gemma3, ids, mask)
    recorded = record_patterns(gemma3, ids, mask)
    window_allowed = allowed_from_padding(mask, sliding_window=4)
    outside = ~window_allowed & mask.bool()[:, None, :, None]  # outside the window, on real queries
    assert recorded[0][outside.expand_as(recorded[0])].abs().max() == 0  # sliding layer
    assert recorded[1][:, :, 11, :8].sum() > 0  # the full layer sees beyond the window
    assert _max_diff_on_tokens(apply_patterns(gemma3, ids, mask, recorded), reference_logits, mask) <= 1e-5
    # a full-causal uniform pattern leaks outside the window of layer 0 and is refused ...
    with pytest.raises(AttentionPatternError, match="masked key"):
        apply_patterns(gemma3, ids, mask, uniform_causal_patterns(mask, [0]))
    # ... the windowed one is accepted
    apply_patterns(gemma3, ids, mask, uniform_causal_patterns(mask, [0], sliding_window=4))


def test_recorded_patterns_are_causal_so_the_mask_is_registered(pythia):
    model, tokenizer = pythia
    ids, mask = _batch(tokenizer, side="left")
    for pattern in record_patterns(model, ids, mask).values():
        seq = ids.shape[1]
        future = torch.triu(torch.ones(seq, seq, dtype=torch.bool), diagonal=1)
        live_rows = mask.bool()[:, None, :, None]  # queries on real tokens
        assert pattern.masked_select(future & live_rows).abs().max() == 0
        assert pattern.masked_select(~mask.bool()[:, None, None, :] & live_rows).abs().max() == 0
        sums = pattern.sum(-1)[mask.bool()[:, None, :].expand(-1, pattern.shape[1], -1)]
        torch.testing.assert_close(sums, torch.ones_like(sums))


# --- mixing -----------------------------------------------------------------------------------------


def test_mix_alpha_zero_changes_nothing(opt):
    model, tokenizer = opt
    ids, mask = _batch(tokenizer)
    reference = forward_logits(model, ids, mask)
    uniform = uniform_causal_patterns(mask, range(model.config.num_hidden_layers))
    with mix(model, uniform, alpha=0.0):
        mixed = forward_logits(model, ids, mask)
    assert _max_diff_on_tokens(mixed, reference, mask) <= 1e-6


def test_used_patterns_are_causal_row_stochastic_and_the_stated_mixture(pythia):
    model, tokenizer = pythia
    ids, mask = _batch(tokenizer, side="left")
    own = record_patterns(model, ids, mask, layers=[0])
    uniform = uniform_causal_patterns(mask, [0])
    with mix(model, uniform, alpha=0.25, keep_used=True) as used:
        forward_logits(model, ids, mask)
    pattern = used[0]  # [batch, head, query_pos, key_pos]
    live = mask.bool()
    seq = ids.shape[1]
    future = torch.triu(torch.ones(seq, seq, dtype=torch.bool), diagonal=1)
    assert pattern.masked_select(future & live[:, None, :, None]).abs().max() == 0
    assert pattern.masked_select(~live[:, None, None, :] & live[:, None, :, None]).abs().max() == 0
    sums = pattern.sum(-1).permute(0, 2, 1)[live]  # [real tokens, head]
    torch.testing.assert_close(sums, torch.ones_like(sums))
    # layer 0 sees the unmodified residual stream, so own[0] is what the mix started from
    expected = 0.75 * own[0] + 0.25 * uniform[0]
    rows = live[:, None, :, None].expand_as(pattern)
    torch.testing.assert_close(pattern[rows], expected[rows], rtol=0, atol=1e-6)


def test_inject_only_chosen_heads(pythia):
    model, tokenizer = pythia
    ids, mask = _batch(tokenizer)
    own = record_patterns(model, ids, mask, layers=[0])
    uniform = uniform_causal_patterns(mask, [0])
    with inject(model, uniform, heads=[1, 3], keep_used=True) as used:
        forward_logits(model, ids, mask)
    rows = mask.bool()[:, :, None].expand(-1, -1, ids.shape[1])  # [batch, query, key] on real queries
    for head in range(model.config.num_attention_heads):
        source = uniform[0][:, 0] if head in (1, 3) else own[0][:, head]
        assert torch.equal(used[0][:, head][rows], source[rows])


def test_bad_patterns_are_refused(pythia):
    model, tokenizer = pythia
    ids, mask = _batch(tokenizer)
    seq = ids.shape[1]
    full = torch.full((ids.shape[0], 1, seq, seq), 1.0 / seq)  # attends to the future
    with pytest.raises(AttentionPatternError, match="masked key"):
        apply_patterns(model, ids, mask, {0: full})
    halved = uniform_causal_patterns(mask, [0])[0] * 0.5
    with pytest.raises(AttentionPatternError, match="sums to 0.5"):
        apply_patterns(model, ids, mask, {0: halved})
    with pytest.raises(AttentionPatternError, match="does not fit this batch"):
        apply_patterns(model, ids[:2], mask[:2], uniform_causal_patterns(mask, [0]))
    with pytest.raises(AttentionSwapError, match="out of range"):
        apply_patterns(model, ids, mask, uniform_causal_patterns(mask, [7]))
    with pytest.raises(AttentionSwapError, match="alpha=1.5"):
        apply_patterns(model, ids, mask, uniform_causal_patterns(mask, [0]), alpha=1.5)
    assert model.config._attn_implementation == "eager"


# --- padding and lockstep -----------------------------------------------------------------------------


def test_left_and_right_padding_give_the_same_swapped_scores(pythia):
    recipient, tokenizer = pythia
    donor, _ = build_random_model("pythia-160m", seed=1)  # 3 layers, 12 heads vs 2 layers, 8 heads
    results = {}
    for side in ("left", "right"):
        ids, mask = _batch(tokenizer, side=side)
        logits = run_pair_batch(donor, recipient, ids, mask, alpha=0.5)
        results[side] = [logits[row][mask[row].bool()] for row in range(len(TEXTS))]  # [n_tokens, vocab]
    plain = forward_logits(recipient, *_batch(tokenizer, side="right"))
    for row in range(len(TEXTS)):
        torch.testing.assert_close(results["left"][row], results["right"][row], rtol=0, atol=1e-5)
        assert (results["right"][row] - plain[row][: len(results["right"][row])]).abs().max() > 1e-4


def test_other_item_control_and_donor_batch_shape_check(pythia):
    model, tokenizer = pythia
    ids, mask = _batch(tokenizer)
    shifted_ids = torch.where(mask.bool(), (ids + 1) % 1000, ids)  # other tokens, same lengths and padding
    other = run_pair_batch(model, model, ids, mask, donor_input_ids=shifted_ids)
    same = run_pair_batch(model, model, ids, mask)
    assert _max_diff_on_tokens(same, forward_logits(model, ids, mask), mask) <= 1e-5
    assert _max_diff_on_tokens(other, same, mask) > 1e-4
    with pytest.raises(AttentionSwapError, match="same shape and padding"):
        run_pair_batch(model, model, ids, mask, donor_input_ids=ids[:, :-1], donor_attention_mask=mask[:, :-1])


# --- restoring the model ---------------------------------------------------------------------------------


def test_model_is_restored_after_context_and_after_exception(opt):
    model, tokenizer = opt
    ids, mask = _batch(tokenizer)
    reference = forward_logits(model, ids, mask)
    uniform = uniform_causal_patterns(mask, [0, 1])
    with inject(model, uniform):
        assert model.config._attn_implementation == ATTENTION_NAME
    assert model.config._attn_implementation == "eager"
    with pytest.raises(KeyError, match="boom"):
        with inject(model, uniform):
            forward_logits(model, ids, mask)
            raise KeyError("boom")
    assert model.config._attn_implementation == "eager"
    assert not any(has_action(module) for module in model.modules())
    assert torch.equal(forward_logits(model, ids, mask), reference)
    with pytest.raises(AttentionSwapError, match="nested"):
        with record(model):
            with inject(model, uniform):
                pass
    assert model.config._attn_implementation == "eager"
    assert not any(has_action(module) for module in model.modules())


# --- controls and maps --------------------------------------------------------------------------------------


def test_uniform_causal_rows_are_equal_weights_summing_to_one():
    mask = torch.tensor([[0, 0, 1, 1, 1]])  # left padding: two pads
    pattern = uniform_causal_patterns(mask, [0])[0][0, 0]  # [query, key]
    expected = torch.tensor(
        [
            [0, 0, 0, 0, 0],  # pad query: no key allowed
            [0, 0, 0, 0, 0],
            [0, 0, 1, 0, 0],
            [0, 0, 1 / 2, 1 / 2, 0],
            [0, 0, 1 / 3, 1 / 3, 1 / 3],
        ]
    )
    torch.testing.assert_close(pattern, expected)
    windowed = uniform_causal_patterns(torch.ones(1, 4, dtype=torch.long), [0], sliding_window=2)[0][0, 0]
    torch.testing.assert_close(windowed[3], torch.tensor([0, 0, 1 / 2, 1 / 2]))


def test_shuffled_heads_is_a_seeded_permutation():
    patterns = {0: torch.arange(8.0).view(1, 8, 1, 1).expand(2, 8, 3, 3), 1: torch.rand(2, 8, 3, 3)}
    shuffled, permutations = shuffle_heads(patterns, seed=3)
    again, _ = shuffle_heads(patterns, seed=3)
    for layer in patterns:
        assert sorted(permutations[layer]) == list(range(8))
        assert permutations[layer] != list(range(8))
        assert torch.equal(shuffled[layer], patterns[layer][:, permutations[layer]])
        assert torch.equal(shuffled[layer], again[layer])
    assert shuffled[0][0, :, 0, 0].tolist() == [float(h) for h in permutations[0]]


def test_depth_layer_map_is_monotone_and_covers_both_ends():
    assert depth_layer_map(4, 7) == {0: 0, 1: 1, 2: 1, 3: 2, 4: 2, 5: 3, 6: 3}  # step 0.5, half up
    assert depth_layer_map(6, 3) == {0: 0, 1: 3, 2: 5}  # step 2.5: 0, 2.5→3, 5
    assert depth_layer_map(5, 5) == {i: i for i in range(5)}
    for n_donor, n_recipient in [(6, 24), (24, 6), (12, 16), (36, 32), (2, 3)]:
        mapped = [depth_layer_map(n_donor, n_recipient)[r] for r in range(n_recipient)]
        assert mapped[0] == 0 and mapped[-1] == n_donor - 1
        assert all(a <= b for a, b in zip(mapped, mapped[1:]))
    with pytest.raises(AttentionSwapError, match="positive"):
        depth_layer_map(0, 3)


def test_head_mean_and_explicit_head_map():
    pattern = torch.stack([torch.full((2, 2), float(h)) for h in range(4)])[None]  # [1, 4, 2, 2]
    assert map_heads(pattern, 6).shape == (1, 1, 2, 2)
    assert map_heads(pattern, 6)[0, 0, 0, 0].item() == 1.5  # mean of 0, 1, 2, 3
    assert torch.equal(map_heads(pattern, 4), pattern)
    assert map_heads(pattern, 3, head_map=[3, 0, 0])[0, :, 0, 0].tolist() == [3.0, 0.0, 0.0]
    with pytest.raises(AttentionSwapError, match="one donor head"):
        map_heads(pattern, 3, head_map=[4, 0, 0])


def test_same_length_partners():
    lengths = [5, 7, 5, 9, 5, 7]
    partners, n_without = same_length_partners(lengths, seed=0)
    assert n_without == 1 and partners[3] is None
    for item, partner in enumerate(partners):
        if partner is not None:
            assert partner != item and lengths[partner] == lengths[item]
    assert same_length_partners(lengths, seed=0) == (partners, n_without)


def test_tokenizer_pairs(pythia, opt):
    _, pythia_tokenizer = pythia
    _, opt_tokenizer = opt
    check_same_tokenizer(pythia_tokenizer, family_tokenizer("pythia"))  # a fresh copy
    with pytest.raises(AttentionSwapError, match="differ"):
        check_same_tokenizer(pythia_tokenizer, opt_tokenizer)
    kept, n_skipped = matching_items(TEXTS, pythia_tokenizer, pythia_tokenizer)
    assert kept == [0, 1, 2] and n_skipped == 0
    kept, n_skipped = matching_items(TEXTS, pythia_tokenizer, opt_tokenizer)  # OPT prepends BOS </s>
    assert kept == [] and n_skipped == 3
