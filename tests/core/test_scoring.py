"""Tests of helpers.core.scoring: the harness's encoding contract, and parity of the batched,
prefix-sharing engine with a deliberately naive scorer and with lm-evaluation-harness's HFLM.

The naive scorer below is written from the harness's contract (lm_eval/api/model.py
``loglikelihood`` / ``_encode_pair``, lm_eval/models/huggingface.py ``_loglikelihood_tokens``),
not from the engine: one request at a time, the full ``model(input_ids).logits``, a
log-softmax over the whole vocabulary, a sum over the continuation positions.
"""

from __future__ import annotations

import logging
import os
import random

import pytest
import torch

from conftest import tiny_eager_model

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from helpers.core.models.random_init import build_random_model  # noqa: E402
from helpers.core.models.tokenizers import family_tokenizer  # noqa: E402
from helpers.core.requests import Request  # noqa: E402
from helpers.core.scoring import (  # noqa: E402
    EncodedRequest,
    Scorer,
    ScoringInputError,
    encode_requests,
    model_window,
    score_requests,
)
from helpers.core.scoring.planning import pack_batches, plan_prefix_tree  # noqa: E402

TOLERANCE = 1e-5  # fp32, engine vs naive scorer
HARNESS_TOLERANCE = 1e-4  # engine vs lm-evaluation-harness HFLM


# ---- the independent reference ---------------------------------------------------------
def naive_encode(tokenizer, context: str, continuation: str) -> tuple[list[int], list[int]]:
    """The harness's split, written out plainly."""
    if context == "":
        cont = tokenizer.encode(continuation, add_special_tokens=False)
        prefix = tokenizer.bos_token_id if tokenizer.bos_token_id is not None else tokenizer.eos_token_id
        return ([prefix], cont) if cont[0] != prefix else (cont[:1], cont[1:])
    stripped = context.rstrip()
    continuation = context[len(stripped) :] + continuation
    whole = tokenizer.encode(stripped + continuation)
    ctx = tokenizer.encode(stripped)
    return ctx, whole[len(ctx) :]


@torch.no_grad()
def naive_score(model, tokenizer, request: Request, max_length: int = 2048) -> tuple[float, bool, list[float]]:
    """(summed logprob, is_greedy, per-token logprobs) of one request, one full forward."""
    ctx, cont = naive_encode(tokenizer, request.context, request.continuation)
    window = (ctx + cont)[-(max_length + 1) :][:-1]
    logits = model(torch.tensor([window])).logits[0]  # [seq, vocab], every position
    scored = torch.log_softmax(logits[len(window) - len(cont) :].float(), dim=-1)  # [cont, vocab]
    targets = torch.tensor(cont)
    token_values = scored[torch.arange(len(cont)), targets]
    return token_values.sum().item(), bool((scored.argmax(-1) == targets).all()), token_values.tolist()


# ---- models and workloads ---------------------------------------------------------------
@pytest.fixture(scope="module", params=["pythia-70m", "opt-125m", "opt-350m"])
def random_model(request):
    return build_random_model(request.param, seed=0)


FEW_SHOT = "The following are multiple choice questions (with answers) about arithmetic.\n\n" + "".join(
    f"Question: What is {a} plus {b}?\nA. {a + b}\nB. {a + b + 1}\nC. {a - b}\nD. {a * b}\nAnswer: A\n\n"
    for a, b in [(3, 4), (12, 9), (20, 5)]
)


@torch.no_grad()
def greedy_requests(model, tokenizer) -> list[Request]:
    """Requests whose continuation is the model's own greedy next token (so is_greedy is True)."""
    found = []
    for context in ["Hello there", "Question: What is 2 plus 2?\nAnswer:", "One, two, three"]:
        ids = tokenizer.encode(context)
        for _ in range(2):  # two greedy steps: a two-token greedy continuation
            ids.append(int(model(torch.tensor([ids])).logits[0, -1].argmax()))
        continuation = tokenizer.decode(ids[-2:])
        if continuation.strip() and not continuation[-1].isspace():
            found.append(Request(context, continuation))
    return found


def workload(model, tokenizer) -> list[Request]:
    """Mixed lengths, shared few-shot prefix, letter choices, multi-token choices sharing a
    context, trailing spaces, empty contexts, greedy continuations."""
    requests = []
    for a, b in [(6, 2), (31, 4)]:
        context = FEW_SHOT + f"Question: What is {a} plus {b}?\nA. {a + b}\nB. {a}\nC. {b}\nD. 0\nAnswer:"
        requests += [Request(context, f" {letter}") for letter in "ABCD"]
        requests.append(Request(context, f" {a + b} exactly"))
    shared = (
        "Sentence: the cat sat on the mat while the dog slept by the door.\nQuestion: where did the cat sit?\nAnswer:"
    )
    requests += [Request(shared, choice) for choice in [" on the mat", " under the table", " nowhere at all"]]
    requests += [
        Request("The capital of France is ", "Paris"),
        Request("Count: one two three  ", "four five"),
        Request("", " hello world"),
        Request("", "Hello"),
        Request("2+2=", "4"),
        Request("Question: What is 12 plus 7?\nAnswer:", " 19"),
    ]
    return requests + greedy_requests(model, tokenizer)


def assert_matches_naive(model, tokenizer, requests, scores, max_length=2048):
    assert len(scores) == len(requests)
    for request, score in zip(requests, scores):
        logprob, is_greedy, token_values = naive_score(model, tokenizer, request, max_length)
        assert score.logprob == pytest.approx(logprob, abs=TOLERANCE), request
        assert score.is_greedy == is_greedy, request
        assert score.n_tokens == len(token_values)
        if score.token_logprobs is not None:
            assert score.token_logprobs == pytest.approx(token_values, abs=TOLERANCE)


# ---- encoding contract: golden cases with the real tokenizers -----------------------------
def test_pythia_golden_token_ids():
    tokenizer = family_tokenizer("pythia")
    assert tokenizer.encode("Hello world") == [12092, 1533]
    (hello,) = encode_requests(tokenizer, [Request("Hello", " world")])
    assert hello == EncodedRequest((12092,), (1533,))


def test_trailing_space_moves_to_continuation():
    tokenizer = family_tokenizer("pythia")
    (paris,) = encode_requests(tokenizer, [Request("The capital of France is ", "Paris")])
    assert tokenizer.convert_ids_to_tokens(list(paris.context_ids)) == ["The", "Ġcapital", "Ġof", "ĠFrance", "Ġis"]
    assert tokenizer.convert_ids_to_tokens(list(paris.continuation_ids)) == ["ĠParis"]
    (sum_,) = encode_requests(tokenizer, [Request("Question: 2+2=", " 4")])
    assert tokenizer.convert_ids_to_tokens(list(sum_.continuation_ids)) == ["Ġ4"]


def test_opt_prepends_bos_to_the_context_only():
    tokenizer = family_tokenizer("opt")
    (paris,) = encode_requests(tokenizer, [Request("The capital of France is ", "Paris")])
    assert paris.context_ids[0] == 2  # </s>, OPT's BOS
    assert tokenizer.convert_ids_to_tokens(list(paris.context_ids[1:])) == ["The", "Ġcapital", "Ġof", "ĠFrance", "Ġis"]
    assert tokenizer.convert_ids_to_tokens(list(paris.continuation_ids)) == ["ĠParis"]


def test_empty_context_uses_the_prefix_token():
    pythia, opt = family_tokenizer("pythia"), family_tokenizer("opt")
    (on_pythia,) = encode_requests(pythia, [Request("", "Hello world")])
    assert on_pythia == EncodedRequest((0,), (12092, 1533))  # <|endoftext|> = 0 stands in
    (on_opt,) = encode_requests(opt, [Request("", " world")])
    assert on_opt.context_ids == (2,) and 2 not in on_opt.continuation_ids


def test_left_truncation_keeps_the_last_max_length_plus_one_tokens():
    encoded = EncodedRequest(tuple(range(1, 11)), (11, 12))
    window = model_window(encoded, max_length=5)
    assert window.input_ids == (7, 8, 9, 10, 11)  # (1..12)[-6:] = 7..12, minus the last
    assert window.targets == (11, 12) and window.scored_start == 3
    assert model_window(encoded, max_length=100).input_ids == tuple(range(1, 12))


@pytest.mark.parametrize(
    "bad_request",
    [Request("Hello", ""), Request("   ", "Hello"), ("Hello", " world")],
    ids=["empty-continuation", "whitespace-context-no-bos", "tuple-not-request"],
)
def test_bad_requests_raise_clear_errors(bad_request):
    with pytest.raises(ScoringInputError, match=r"requests\[0\]"):
        encode_requests(family_tokenizer("pythia"), [bad_request])


def test_continuation_longer_than_window_raises():
    with pytest.raises(ScoringInputError, match="exceeds the model window"):
        model_window(EncodedRequest((1,), (2, 3, 4)), max_length=2)


def test_bad_arguments_raise():
    model, tokenizer = build_random_model("pythia-70m")
    with pytest.raises(ScoringInputError, match="batch_tokens"):
        Scorer(model, tokenizer, batch_tokens=0)
    model.train()
    try:
        with pytest.raises(ScoringInputError, match="eval"):
            Scorer(model, tokenizer)
    finally:
        model.eval()


# ---- planning ---------------------------------------------------------------------------
def test_prefix_tree_groups_rows_sharing_a_long_prefix():
    shared = tuple(range(100, 120))  # 20 shared tokens
    sequences = [shared + (1, 2), (5, 6, 7), shared + (3, 4, 5), shared + (1, 9)]
    tree = plan_prefix_tree(sequences, [len(s) - 1 for s in sequences], min_shared=8)
    assert tree.rows == [1]
    (group,) = tree.children
    assert group.prefix_len == 20 and sorted(group.rows) == [0, 2, 3] and not group.children
    # a prefix never covers a scored position: row 3 is scored from position 10 on
    capped = plan_prefix_tree(sequences, [21, 2, 22, 10], min_shared=8)
    assert capped.children[0].prefix_len == 10


def test_no_prefix_group_below_min_shared():
    sequences = [(1, 2, 3, 4), (1, 2, 3, 5), (1, 2, 9, 9)]
    tree = plan_prefix_tree(sequences, [3, 3, 3], min_shared=8)
    assert sorted(tree.rows) == [0, 1, 2] and tree.children == []


def test_prefix_group_needs_to_save_twice_the_pass_overhead():
    shared = tuple(range(100, 104))  # 4 shared tokens
    sequences = [shared + (n, n + 1) for n in range(10)]  # 10 rows: sharing saves 9 x 4 = 36
    starts = [len(s) - 1 for s in sequences]
    assert plan_prefix_tree(sequences, starts, min_shared=1, overhead=18).children  # 36 >= 2 x 18
    assert not plan_prefix_tree(sequences, starts, min_shared=1, overhead=19).children


def test_rejected_group_is_searched_for_tighter_groups():
    # all rows share 1 token (not worth a pass), two of them share 30 (worth it)
    long = (7,) + tuple(range(200, 229))
    sequences = [(7, 1, 2), (7, 3, 4), long + (1,), long + (2,)]
    tree = plan_prefix_tree(sequences, [len(s) - 1 for s in sequences], min_shared=1, overhead=10)
    assert sorted(tree.rows) == [0, 1]
    (group,) = tree.children
    assert group.prefix_len == 30 and sorted(group.rows) == [2, 3]


def test_nested_rejected_groups_do_not_exhaust_the_recursion_limit():
    # row k = (0, 1, ..., k-1, 10000+k): neighbours share 1, 2, 3, ... tokens, a staircase
    # deeper than Python's recursion limit; with an overhead nothing is worth a pass
    sequences = [tuple(range(k)) + (10_000 + k,) for k in range(1, 1500)]
    tree = plan_prefix_tree(sequences, [len(s) - 1 for s in sequences], min_shared=1, overhead=10**9)
    assert sorted(tree.rows) == list(range(len(sequences))) and not tree.children


def _brute_force_cost(lengths: list[int], *, batch_tokens: int, max_batch_size: int, overhead: int) -> float:
    """Least cost over every split of the longest-first order into contiguous batches."""
    ordered = sorted(lengths, reverse=True)
    best = float("inf")
    for mask in range(2 ** (len(ordered) - 1)):  # bit i set: a batch ends after row i
        cost, start = 0, 0
        for end in range(1, len(ordered) + 1):
            if end == len(ordered) or mask >> (end - 1) & 1:
                size, longest = end - start, ordered[start]
                if size > max_batch_size or (size > 1 and size * longest > batch_tokens):
                    break
                cost += size * longest + overhead
                start = end
        else:
            best = min(best, cost)
    return best


def test_pack_batches_is_the_least_cost_split():
    generator = random.Random(0)
    for _ in range(40):
        lengths = [generator.randint(1, 60) for _ in range(generator.randint(1, 9))]
        options = dict(
            batch_tokens=generator.choice([60, 120, 400]),
            max_batch_size=generator.randint(1, 5),
            overhead=generator.choice([0, 8, 64]),
        )
        batches = pack_batches(range(len(lengths)), lengths, **options)
        cost = sum(len(batch) * max(lengths[row] for row in batch) + options["overhead"] for batch in batches)
        assert cost == _brute_force_cost(lengths, **options)


def test_pack_batches_respects_budget_and_covers_every_row():
    lengths = {row: length for row, length in enumerate([50, 10, 30, 30, 5, 70, 20])}
    batches = pack_batches(list(lengths), lengths, batch_tokens=100, max_batch_size=3, overhead=40)
    assert sorted(row for batch in batches for row in batch) == list(lengths)
    for batch in batches:
        assert len(batch) <= 3
        assert len(batch) == 1 or len(batch) * max(lengths[row] for row in batch) <= 100
    assert batches[0] == [5]  # longest first: 70 alone (2 x 70 > 100)


# ---- parity with the naive scorer ---------------------------------------------------------
def test_matches_naive_scorer(random_model):
    model, tokenizer = random_model
    requests = workload(model, tokenizer)
    scores = score_requests(model, tokenizer, requests, progress=False, return_token_values=True)
    assert_matches_naive(model, tokenizer, requests, scores)
    assert any(score.is_greedy for score in scores), "the workload must exercise greedy=True"
    for score in scores:
        assert sum(score.token_logprobs) == pytest.approx(score.logprob, abs=1e-6)
        assert score.is_greedy == all(score.token_is_greedy)


def test_left_truncation_matches_naive(random_model):
    model, tokenizer = random_model
    requests = workload(model, tokenizer)
    scores = score_requests(model, tokenizer, requests, progress=False, max_length=24)
    assert_matches_naive(model, tokenizer, requests, scores, max_length=24)


def test_batch_size_and_prefix_sharing_do_not_change_results(random_model):
    model, tokenizer = random_model
    requests = workload(model, tokenizer)
    batched = score_requests(model, tokenizer, requests, progress=False)
    one_by_one = score_requests(model, tokenizer, requests, progress=False, max_batch_size=1, min_shared_prefix=10**6)
    tiny_budget = score_requests(model, tokenizer, requests, progress=False, batch_tokens=1)
    for a, b, c in zip(batched, one_by_one, tiny_budget):
        assert a.logprob == pytest.approx(b.logprob, abs=TOLERANCE) and a.is_greedy == b.is_greedy
        assert a.logprob == pytest.approx(c.logprob, abs=TOLERANCE) and a.is_greedy == c.is_greedy


def test_order_is_input_order():
    model, tokenizer = build_random_model("pythia-70m")
    requests = workload(model, tokenizer)
    forward = score_requests(model, tokenizer, requests, progress=False)
    backward = score_requests(model, tokenizer, requests[::-1], progress=False)
    assert [s.logprob for s in forward] == pytest.approx([s.logprob for s in backward[::-1]], abs=TOLERANCE)


def test_out_of_memory_halves_the_batch(monkeypatch, caplog):
    model, tokenizer = build_random_model("pythia-70m")
    requests = workload(model, tokenizer)
    real = Scorer._score_rows

    def fail_when_big(self, batch, *args, **kwargs):
        if len(batch) > 2:
            raise torch.OutOfMemoryError("CUDA out of memory (simulated)")
        return real(self, batch, *args, **kwargs)

    monkeypatch.setattr(Scorer, "_score_rows", fail_when_big)
    with caplog.at_level(logging.WARNING, logger="helpers.core.scoring.engine"):
        scores = score_requests(model, tokenizer, requests, progress=False)
    assert "Out of memory" in caplog.text
    assert_matches_naive(model, tokenizer, requests, scores)


def test_full_logits_fallback_when_head_path_differs(monkeypatch):
    model, tokenizer = build_random_model("opt-125m")
    monkeypatch.setattr(Scorer, "_head", lambda self, hidden: self.model.get_output_embeddings()(hidden) + 1.0)
    scorer = Scorer(model, tokenizer, progress=False)
    assert not scorer.projects_scored_only
    requests = workload(model, tokenizer)[:8]
    assert_matches_naive(model, tokenizer, requests, scorer.score(requests))


# ---- other architectures: tiny random configs with the Pythia tokenizer --------------------
# Pythia's vocabulary, 2 layers, 4 query and 2 key-value heads, hidden size 64.
TINY_SIZES = dict(vocab_size=50304, hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4)


def _tiny(config_class, **extra):
    model = tiny_eager_model(config_class, **TINY_SIZES, num_key_value_heads=2, max_position_embeddings=512, **extra)
    return model, family_tokenizer("pythia")


@pytest.mark.parametrize("family", ["llama", "qwen2", "gemma3"])
def test_other_architectures_match_naive(family):
    from transformers import Gemma3TextConfig, LlamaConfig, Qwen2Config

    if family == "llama":
        model, tokenizer = _tiny(LlamaConfig)
    elif family == "qwen2":
        model, tokenizer = _tiny(Qwen2Config)
    else:  # soft-capped logits and a sliding window shorter than the few-shot prefix
        model, tokenizer = _tiny(
            Gemma3TextConfig,
            head_dim=16,
            sliding_window=32,
            final_logit_softcapping=5.0,
            layer_types=["sliding_attention", "full_attention"],
        )
    scorer = Scorer(model, tokenizer, progress=False)
    assert scorer.projects_scored_only
    requests = workload(model, tokenizer)
    assert_matches_naive(model, tokenizer, requests, scorer.score(requests))


# ---- parity with lm-evaluation-harness itself ----------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("name", ["pythia-70m", "opt-125m"])
def test_matches_lm_evaluation_harness(name):
    from lm_eval.api.instance import Instance
    from lm_eval.models.huggingface import HFLM

    model, tokenizer = build_random_model(name)
    requests = workload(model, tokenizer)
    for max_length in (None, 24):
        harness = HFLM(pretrained=model, tokenizer=tokenizer, batch_size=8, device="cpu", max_length=max_length)
        instances = [
            Instance(request_type="loglikelihood", doc={}, arguments=(r.context, r.continuation), idx=i)
            for i, r in enumerate(requests)
        ]
        expected = harness.loglikelihood(instances, disable_tqdm=True)
        scores = score_requests(model, tokenizer, requests, progress=False, max_length=max_length)
        assert any(is_greedy for _, is_greedy in expected)
        for request, score, (logprob, is_greedy) in zip(requests, scores, expected):
            assert score.logprob == pytest.approx(logprob, abs=HARNESS_TOLERANCE), request
            assert score.is_greedy == is_greedy, request
