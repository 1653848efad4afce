"""Tests of the attention-swap experiment: scoring under a swap, controls, store, summaries, charts.

Tiny random-weight models of the real Pythia / OPT architectures (fp32, CPU). The anchor is
parity with the batched engine (:func:`helpers.core.scoring.score_requests`, itself parity-tested
against lm-evaluation-harness): the self control and alpha = 0 must reproduce its scores
request by request. Swapped logits are checked against :func:`helpers.core.attention.run_pair_batch`
(the tested mechanism) and against a plain full-sequence forward computed here by hand.
"""

from __future__ import annotations

import json
import math
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import pandas as pd
import pytest
import torch

from conftest import mark_types, tiny_profiles_yaml
from helpers.core.attention import AttentionSwapError, map_patterns, run_pair_batch, shuffle_heads
from helpers.core.attention.lockstep import (
    Condition,
    SwapScoringError,
    condition_forward,
    length_batches,
    score_conditions,
    score_with_forward,
    scored_positions,
    swap_forward,
)
from helpers.core.attention.swap import DonorPatterns
from helpers.core.attention.swap import record_patterns as recorded_patterns
from helpers.core.models.random_init import build_random_model
from helpers.core.requests import Item, Request
from helpers.core.scoring import score_requests
from helpers.experiments.config import ParameterError, configure, load_profile
from helpers.experiments.evaluation import ModelHandle
from helpers.experiments.parameters import is_source_pair
from helpers.experiments.swap import settings as swap_settings
from helpers.experiments.swap.compute import SwapResultMissing, _kept_items, fill_jobs, item_partners, pair_rows
from helpers.experiments.swap.plan import DEFAULT_MAX_LAYERS, SwapExperimentError, conditions_for, layer_subset
from helpers.experiments.swap.plan import swap_plan as plan_from_config
from helpers.experiments.swap.verdict import collapse_table
from helpers.experiments.swap.views import condition_summary, verification_table
from helpers.infra.jobs import Job, resolve_function
from helpers.infra.profile_schema import Problems
from helpers.infra.store import ResultStore, StoreStack


def swap_plan(profile: str, pairs=None, **overrides):
    """The plan of ``profile`` with swap-experiment overrides (as the notebook passes them)."""
    return plan_from_config(configure(profile, None, overrides, experiment="swap"), pairs=pairs)


REQUESTS = [
    Request("Question: What is 17 plus 25?\nAnswer:", " 42"),
    Request("Question: What is 17 plus 25?\nAnswer:", " 4 2 and more tokens"),
    Request("Are these the same question? Answer yes or no:", " yes"),
    Request("Are these the same question? Answer yes or no:", " no"),
    Request("The quick brown fox jumps over the lazy dog near the river", " bank."),
    Request("", "An empty context scores after the prefix token."),
    Request("Trailing space context ", "moves into the continuation"),
]
TOLERANCE = 1e-5


@pytest.fixture(scope="module")
def pythia_pair():
    donor, tokenizer = build_random_model("pythia-70m", seed=1)  # 2 layers, 8 heads
    recipient, _ = build_random_model("pythia-160m", seed=2)  # 3 layers, 12 heads
    return donor, recipient, tokenizer


@pytest.fixture(scope="module")
def opt_pair():
    donor, tokenizer = build_random_model("opt-125m", seed=3)
    recipient, _ = build_random_model("opt-125m", seed=4)  # equal shapes: identity head map
    return donor, recipient, tokenizer


def _scores(condition, donor, recipient, tokenizer, requests=REQUESTS, **options):
    patterns = DonorPatterns(donor, recipient, seed=0)
    forward = condition_forward(condition, recipient, patterns)
    return score_with_forward(forward, tokenizer, requests, max_length=2048, **options)


# ----------------------------------------------------------------------------- parity


@pytest.mark.parametrize("pair", ["pythia_pair", "opt_pair"])
@pytest.mark.parametrize(
    "condition", [Condition("baseline"), Condition("self"), Condition("swap", 0.0, None)], ids=lambda c: c.name
)
def test_baseline_self_and_alpha0_equal_the_engine(pair, condition, request):
    donor, recipient, tokenizer = request.getfixturevalue(pair)
    engine = score_requests(recipient, tokenizer, REQUESTS, return_token_values=True, progress=False)
    # small batches so rows of different lengths share a padded batch and others stand alone
    swapped = _scores(condition, donor, recipient, tokenizer, batch_tokens=64, max_batch_size=3)
    for index, (want, got) in enumerate(zip(engine, swapped, strict=True)):
        assert got.n_tokens == want.n_tokens, index
        assert abs(got.logprob - want.logprob) <= TOLERANCE, (index, got.logprob, want.logprob)
        assert got.is_greedy == want.is_greedy, index
        assert max(abs(a - b) for a, b in zip(got.token_logprobs, want.token_logprobs)) <= TOLERANCE
        assert got.token_is_greedy == want.token_is_greedy


def test_scores_equal_a_plain_full_forward_by_hand(pythia_pair):
    """Independent of both engines: one unpadded forward per request, log-softmax, sum."""
    _, recipient, tokenizer = pythia_pair
    request = Request("Question: What is 17 plus 25?\nAnswer:", " 42, said the model")
    context_ids = tokenizer(request.context)["input_ids"]
    whole_ids = tokenizer(request.context + request.continuation)["input_ids"]
    target_ids = whole_ids[len(context_ids) :]
    with torch.no_grad():
        logits = recipient(torch.tensor([whole_ids])).logits[0].float()  # [seq, vocab]
    log_probs = torch.log_softmax(logits, dim=-1)
    expected = sum(log_probs[len(context_ids) - 1 + j, target].item() for j, target in enumerate(target_ids))
    (got,) = score_with_forward(
        condition_forward(Condition("baseline"), recipient), tokenizer, [request], max_length=2048
    )
    assert got.n_tokens == len(target_ids) >= 4
    assert abs(got.logprob - expected) <= TOLERANCE


def test_plain_two_argument_forward_is_accepted(pythia_pair):
    """A ``(ids, mask) -> full logits`` forward (e.g. swapped_forward) gives the same scores."""
    donor, recipient, tokenizer = pythia_pair

    def full(input_ids, attention_mask):
        return run_pair_batch(donor, recipient, input_ids, attention_mask, alpha=0.5)

    plain = score_with_forward(full, tokenizer, REQUESTS, max_length=2048, batch_tokens=64)
    ours = _scores(Condition("swap", 0.5, None), donor, recipient, tokenizer, batch_tokens=64)
    assert max(abs(a.logprob - b.logprob) for a, b in zip(plain, ours)) <= TOLERANCE


# ----------------------------------------------------------------------------- swapped logits


def _batch(tokenizer, texts=("Question: What is 17 plus 25?\nAnswer: 42", "Are these the same? yes")):
    tokenizer.padding_side = "right"
    encoded = tokenizer(list(texts), return_tensors="pt", padding=True)
    return encoded["input_ids"], encoded["attention_mask"]  # [batch, seq] each


@pytest.mark.parametrize("alpha,layers", [(1.0, None), (0.5, None), (1.0, (1,)), (0.25, (0, 2))])
def test_swap_forward_equals_run_pair_batch(pythia_pair, alpha, layers):
    donor, recipient, tokenizer = pythia_pair
    input_ids, attention_mask = _batch(tokenizer)
    forward = swap_forward(DonorPatterns(donor, recipient), alpha=alpha, layers=layers)
    ours = forward(input_ids, attention_mask)  # [batch, seq, vocab]
    reference = run_pair_batch(donor, recipient, input_ids, attention_mask, alpha=alpha, layers=layers)
    real = attention_mask.bool()
    assert torch.equal(ours[real], reference[real])
    plain = condition_forward(Condition("baseline"), recipient)(input_ids, attention_mask)
    assert (ours[real] - plain[real]).abs().max() > 1e-3  # the swap does change the recipient


def test_shuffled_heads_is_the_donor_with_permuted_heads(opt_pair):
    donor, recipient, tokenizer = opt_pair
    input_ids, attention_mask = _batch(tokenizer)
    ours = condition_forward(Condition("shuffled_heads"), recipient, DonorPatterns(donor, recipient, seed=7))(
        input_ids, attention_mask
    )
    recorded = recorded_patterns(donor, input_ids, attention_mask)
    shuffled, permutations = shuffle_heads(recorded, 7)
    assert any(order != sorted(order) for order in permutations.values())
    n_layers = donor.config.num_hidden_layers
    patterns = map_patterns(shuffled, {layer: layer for layer in range(n_layers)}, donor.config.num_attention_heads)
    from helpers.core.attention import apply_patterns

    reference = apply_patterns(recipient, input_ids, attention_mask, patterns)
    real = attention_mask.bool()
    assert torch.equal(ours[real], reference[real])
    unshuffled = condition_forward(Condition("swap", 1.0, None), recipient, DonorPatterns(donor, recipient))(
        input_ids, attention_mask
    )
    assert (ours[real] - unshuffled[real]).abs().max() > 1e-4


def test_controls_change_scores_and_donor_runs_once_per_batch(pythia_pair):
    donor, recipient, tokenizer = pythia_pair
    calls = []
    hook = donor.gpt_neox.register_forward_hook(lambda *args: calls.append(1))
    try:
        patterns = DonorPatterns(donor, recipient)
        conditions = [
            Condition("baseline"),
            Condition("uniform"),
            Condition("swap", 1.0, None),
            Condition("swap", 0.5, None),
            Condition("swap", 1.0, (0,)),
            Condition("shuffled_heads"),
        ]
        forwards = {c: condition_forward(c, recipient, patterns) for c in conditions}
        scores = score_conditions(forwards, tokenizer, REQUESTS, max_length=2048, max_batch_size=1)
    finally:
        hook.remove()
    distinct_inputs = 6  # the yes/no requests share one model input (a window drops the last token)
    assert len(calls) == distinct_inputs  # one donor pass per batch, not one per donor condition
    baseline = [s.logprob for s in scores[Condition("baseline")]]
    for condition in conditions[1:]:
        changed = max(abs(a - s.logprob) for a, s in zip(baseline, scores[condition]))
        assert changed > 1e-4, condition.name


def test_other_item_uses_the_partner_pattern_and_refuses_rows_without_one(pythia_pair):
    _, recipient, tokenizer = pythia_pair
    own = tuple(tokenizer("one two three four")["input_ids"])
    partner = tuple(tokenizer("five six seven eight")["input_ids"])
    assert len(own) == len(partner)
    forward = condition_forward(Condition("other_item"), recipient, partner_inputs={own: partner, partner: own})
    ids, mask = torch.tensor([own]), torch.ones(1, len(own), dtype=torch.long)
    logits = forward(ids, mask)
    from helpers.core.attention import apply_patterns

    reference = apply_patterns(recipient, ids, mask, recorded_patterns(recipient, torch.tensor([partner]), mask))
    assert torch.equal(logits, reference)
    lonely = condition_forward(Condition("other_item"), recipient, partner_inputs={})
    with pytest.raises(SwapScoringError, match="no partner input"):
        lonely(ids, mask)


# ----------------------------------------------------------------------------- batching by hand


def test_length_batches_longest_first_under_the_token_budget():
    lengths = [3, 10, 7, 10, 2]
    assert length_batches(lengths, batch_tokens=20, max_batch_size=8) == [[1, 3], [2, 0], [4]]
    assert length_batches(lengths, batch_tokens=100, max_batch_size=2) == [[1, 3], [2, 0], [4]]
    assert length_batches([50], batch_tokens=10, max_batch_size=4) == [[0]]  # too long: alone
    with pytest.raises(SwapScoringError, match="batch_tokens=0"):
        length_batches(lengths, batch_tokens=0, max_batch_size=2)


def test_scored_positions_are_the_last_real_positions_clamped():
    assert scored_positions([5, 2], 3).tolist() == [[2, 3, 4], [0, 0, 1]]


# ----------------------------------------------------------------------------- items and partners


class _CharTokenizer:
    """One id per character; ``odd`` texts containing '7' get an extra token (a mismatch)."""

    def __init__(self, odd: bool = False):
        self.odd = odd

    def __call__(self, text):
        ids = [ord(ch) for ch in text]
        return {"input_ids": ids + ([1] if self.odd and "7" in text else [])}


def _item(item_id, context, continuations=(" yes", " no")):
    return Item("toy", str(item_id), tuple(Request(context, c) for c in continuations), 0, ("yes", "no"))


def test_items_with_different_tokens_are_skipped():
    items = [_item(0, "2 plus 2?"), _item(1, "17 plus 2?"), _item(2, "3 plus 4?", (" 7", " 8"))]
    kept = _kept_items(items, _CharTokenizer(), _CharTokenizer(odd=True))
    assert [item.item_id for item in kept] == ["0"]


def test_partners_are_other_items_of_the_same_lengths(pythia_pair):
    _, _, tokenizer = pythia_pair
    items = [
        _item(0, "one two three"),
        _item(1, "four five six"),
        _item(2, "seven eight nine"),
        _item(3, "a much longer question with many more words"),
    ]
    partners, partner_inputs = item_partners(items, tokenizer, 2048)
    assert partners[3] is None
    assert sorted(partners[:3]) == [0, 1, 2] and all(partners[i] != i for i in range(3))
    for own, partner in partner_inputs.items():
        assert len(own) == len(partner) and own != partner


# ----------------------------------------------------------------------------- plan


def test_layer_subset_every_kth_layer():
    assert layer_subset(24, 8) == [0, 3, 6, 9, 12, 15, 18, 21]
    assert layer_subset(28, 8) == [0, 4, 8, 12, 16, 20, 24]
    assert layer_subset(3, 8) == [0, 1, 2]


@pytest.mark.parametrize(
    "overrides,message",
    [
        ({"alphas": [0.5, 1.5]}, r"^alphas: 1.5 is outside \[0, 1\]"),
        ({"pairs": [["random:pythia-70m"]]}, r"give \[donor, recipient\]"),  # the plan's own check (a job's pair)
        ({"layers": [-1]}, "^layers: -1 is not a layer index"),
        ({"max_layers": 0}, "^max_layers: 0 is not an integer >= 1"),
        ({"swap_limit": 0}, "^swap_limit: 0 is not an integer >= 1"),
    ],
)
def test_bad_plan_parameters_are_named(overrides, message):
    """Refused by the swap experiment's schema (in configure), before a plan is made."""
    with pytest.raises(ParameterError, match=message):
        swap_plan("ci", **overrides)


def test_a_profile_without_swap_settings_gets_the_sections_defaults(tmp_path):
    # the plan (hashed into the swap code version) keeps its own literals; they must be the section's defaults
    profiles = tmp_path / "profiles.yml"
    profiles.write_text(tiny_profiles_yaml())  # no swap: section
    config = configure("tiny", profiles, {}, experiment="swap")
    plan = plan_from_config(config, pairs=[["random:pythia-70m", "random:pythia-160m"]])
    assert plan.alphas == swap_settings.DEFAULT_ALPHAS == (0.0, 1.0)
    assert plan.max_layers == swap_settings.DEFAULT_MAX_LAYERS == DEFAULT_MAX_LAYERS == 8
    assert {setting.limit for setting in plan.settings.values()} == {swap_settings.DEFAULT_LIMIT} == {20}
    parsed = swap_settings.parse_swap({"pairs": [["a", "b"]], "tasks": ["procedure"]})
    assert (parsed.alphas, parsed.limits, parsed.max_layers) == ((0.0, 1.0), {"procedure": 20}, 8)


def test_a_blank_model_source_is_refused_as_a_parameter_and_in_a_profile():
    assert not is_source_pair(["random:pythia-70m", "  "]) and is_source_pair(("a", "b"))
    with pytest.raises(ParameterError, match=r"pairs: \['random:pythia-70m', ' '\] is not a \[donor, recipient\] pair"):
        configure("ci", None, {"pairs": [["random:pythia-70m", " "]]}, experiment="swap")
    problems = Problems()
    swap_settings.check_swap({"pairs": [["random:pythia-70m", " "]]}, "p.swap", ("procedure",), problems)
    assert problems.lines == [
        "p.swap.pairs[0]: must name two models, [donor, recipient], got ['random:pythia-70m', ' ']; "
        "write e.g. [random:pythia-410m, random:pythia-1.4b]"
    ]


# The conditions every swap run scores first, in order: the unswapped model and four controls.
CONTROLS = ["baseline", "self", "other_item", "uniform", "shuffled_heads"]


def test_plan_from_the_ci_profile():
    plan = swap_plan("ci", alphas=[0.5])
    assert plan.alphas == (0.0, 0.5, 1.0)  # 0 and 1 always included
    assert plan.pairs[0] == ("random:pythia-410m", "random:pythia-1.4b")
    assert set(plan.settings) == {"knowledge", "procedure", "pattern"}
    assert {kind: setting.limit for kind, setting in plan.settings.items()} == {
        "knowledge": 2,
        "procedure": 2,
        "pattern": 6,
    }  # swap.limit of ci, per kind (per subject / per file)
    assert swap_plan("ci", swap_limit=2).settings["procedure"].limit == 2
    names = [c.name for c in conditions_for(swap_plan("ci", layers=[2]), 6)]
    assert names == [*CONTROLS, "swap a=0", "swap a=0.5", "swap a=1", "swap layer 2"]
    with pytest.raises(SwapExperimentError, match="layers \\[7\\] do not exist"):
        conditions_for(swap_plan("ci", layers=[7]), 6)


# ----------------------------------------------------------------------------- store


@pytest.fixture()
def tiny_plan():
    plan = swap_plan("ci", pairs=[["random:pythia-70m", "random:pythia-160m"]], alphas=[1.0], layers=[1], swap_limit=3)
    return plan.__class__(**{**plan.__dict__, "settings": {"procedure": plan.settings["procedure"]}})


def test_pair_rows_are_stored_and_reread_without_models(tiny_plan, tmp_path, monkeypatch):
    store = ResultStore(tmp_path)
    donor, recipient = (ModelHandle(source) for source in tiny_plan.pairs[0])
    rows = pair_rows(tiny_plan, donor, recipient, "procedure", stack=StoreStack(store))
    # baseline, self, other_item, uniform, shuffled_heads, a=0, a=1, layer 1; 3 items of each of the
    # 5 arithmetic_core files each
    assert rows.groupby("condition").size().to_dict() == {
        name: 15 for name in [*CONTROLS, "swap a=0", "swap a=1", "swap layer 1"]
    }
    checks = verification_table(rows)
    assert checks["self_max_abs_diff"].iloc[0] <= TOLERANCE and checks["alpha0_max_abs_diff"].iloc[0] <= TOLERANCE

    def no_loading(*args, **kwargs):
        raise AssertionError("a cached swap must not load a model")

    monkeypatch.setattr(ModelHandle, "loaded", property(no_loading))
    donor, recipient = (ModelHandle(source) for source in tiny_plan.pairs[0])  # fresh: nothing loaded
    again = pair_rows(tiny_plan, donor, recipient, "procedure", stack=StoreStack(store), compute_missing=False)
    pd.testing.assert_frame_equal(again, rows)
    other = tiny_plan.__class__(**{**tiny_plan.__dict__, "alphas": (0.0, 0.3, 1.0)})
    with pytest.raises(SwapResultMissing, match="not computed"):
        pair_rows(other, donor, recipient, "procedure", stack=StoreStack(store), compute_missing=False)


def test_different_tokenizers_are_refused(tmp_path):
    plan = swap_plan("ci", pairs=[["random:opt-125m", "random:pythia-70m"]], swap_limit=1)
    with pytest.raises(AttentionSwapError, match="tokenizer"):
        pair_rows(
            plan,
            *(ModelHandle(source) for source in plan.pairs[0]),
            "procedure",
            stack=StoreStack(ResultStore(tmp_path)),
        )


def test_fill_jobs_one_plain_json_job_per_pair(tmp_path):
    jobs = fill_jobs(load_profile("ci"), store=str(tmp_path))
    assert [job.kwargs["donor"] for job in jobs] == ["random:pythia-410m", "random:pythia-70m"]
    assert all(isinstance(job, Job) for job in jobs)
    assert Job.from_json(jobs[0].to_json()) == Job(
        jobs[0].label, jobs[0].function, json.loads(jobs[0].to_json())["kwargs"]
    )
    assert callable(resolve_function(jobs[0].function))


# ----------------------------------------------------------------------------- summaries by hand


def _item_rows(condition, correct, losses, n_choices=4, kind="knowledge"):
    return pd.DataFrame(
        {
            "donor": "d",
            "recipient": "r",
            "kind": kind,
            "condition": condition,
            "condition_kind": "swap" if condition.startswith("swap") else condition,
            "alpha": 1.0 if condition == "swap a=1" else (0.0 if condition == "swap a=0" else math.nan),
            "layers": "all",
            "n_items_requested": len(correct),
            "n_skipped_tokenization": 0,
            "n_skipped_no_partner": 0,
            "correct": correct,
            "gold_nll_per_token": losses,
            "n_choices": n_choices,
        }
    )


def test_condition_summary_accuracy_loss_and_chance_by_hand():
    items = pd.concat(
        [
            _item_rows("baseline", [True, False, True, True], [1.0, 2.0, 3.0, 6.0]),
            _item_rows("swap a=1", [False] * 4, [5.0] * 4),
        ],
        ignore_index=True,
    )
    summary = condition_summary(items, bootstrap=0).set_index("condition")
    assert summary.loc["baseline", "accuracy"] == 0.75 and summary.loc["baseline", "loss"] == 3.0
    assert summary.loc["baseline", "chance"] == 0.25 and math.isnan(summary.loc["baseline", "loss_low"])
    assert summary.loc["swap a=1", "accuracy_low"] == 0.0
    with pytest.raises(ValueError, match="bootstrap=50"):
        condition_summary(items, bootstrap=50)


def test_collapse_needs_a_significant_drop_and_a_bound_near_chance_by_hand():
    # knowledge: 18/20 alone -> 5/20 swapped: 13 items lost, none gained (McNemar p = 2/2**13); the
    #   exact upper bound of 5/20 is 49.1% > 25 + 10: too few items to call the collapse complete.
    # pattern (2 choices, chance 50%), 120 items: 108 -> 30 right: McNemar p tiny, upper bound of 30/120
    #   is 33.7% <= 50 + 10: complete (below chance, even).
    # procedure (exact match, chance 0): 3/3 -> 0/3: exact McNemar p = 0.25: no significant drop: inconclusive.
    rows = []
    rows.append(_item_rows("baseline", [True] * 18 + [False] * 2, [1.0] * 20, kind="knowledge"))
    rows.append(_item_rows("swap a=1", [True] * 5 + [False] * 15, [2.0] * 20, kind="knowledge"))
    rows.append(_item_rows("baseline", [True] * 108 + [False] * 12, [1.0] * 120, n_choices=2, kind="pattern"))
    rows.append(_item_rows("swap a=1", [True] * 30 + [False] * 90, [2.0] * 120, n_choices=2, kind="pattern"))
    rows.append(_item_rows("baseline", [True] * 3, [1.0] * 3, n_choices=1, kind="procedure"))
    rows.append(_item_rows("swap a=1", [False] * 3, [4.0] * 3, n_choices=1, kind="procedure"))
    items = pd.concat(rows, ignore_index=True).assign(
        donor="d", recipient="r", task="t", item_id=lambda f: f.groupby(["kind", "condition"]).cumcount()
    )
    table = collapse_table(items).set_index("kind")
    assert table.loc["knowledge", "collapse"] == "inconclusive" and table.loc["knowledge", "swapped"] == 0.25
    assert table.loc["knowledge", "swapped_high"] > 0.35
    assert table.loc["pattern", "chance"] == 0.5 and table.loc["pattern", "collapse"] == "complete"
    assert table.loc["procedure", "chance"] == 0.0 and table.loc["procedure", "collapse"] == "inconclusive"
    # Holm across the three kinds of the pair: pattern's p is the smallest (x3), knowledge's the second (x2)
    assert table.loc["knowledge", "p_holm"] == pytest.approx(min(1.0, 2 * table.loc["knowledge", "p_mcnemar"]))


def test_a_complete_collapse_by_hand():
    rows = [
        _item_rows("baseline", [True] * 90 + [False] * 10, [1.0] * 100, kind="knowledge"),
        _item_rows("swap a=1", [True] * 20 + [False] * 80, [2.0] * 100, kind="knowledge"),
    ]
    items = pd.concat(rows, ignore_index=True).assign(
        donor="d", recipient="r", task="t", item_id=lambda f: f.groupby("condition").cumcount()
    )
    row = collapse_table(items).iloc[0]
    assert row["collapse"] == "complete" and row["swapped_high"] <= 0.35 and row["p_holm"] < 1e-10


def test_a_significant_rise_from_a_chance_level_recipient_is_said():
    """Baseline 40% on yes/no (not above chance: nothing to lose), 70% under the swap: 30 of 100
    items turn right and none wrong, so McNemar rejects and the sentence says the swap helped."""
    from helpers.experiments.swap.verdict import collapse_sentence

    rows = [
        _item_rows("baseline", [True] * 40 + [False] * 60, [1.0] * 100, n_choices=2, kind="pattern"),
        _item_rows("swap a=1", [True] * 70 + [False] * 30, [1.0] * 100, n_choices=2, kind="pattern"),
    ]
    items = pd.concat(rows, ignore_index=True).assign(
        donor="d", recipient="r", task="t", item_id=lambda f: f.groupby("condition").cumcount()
    )
    row = next(collapse_table(items).itertuples())
    assert row.collapse == "inconclusive" and row.p_holm < 1e-8
    sentence = collapse_sentence(row)
    assert "nothing to lose" in sentence and "raised accuracy significantly" in sentence
    same = items.assign(
        correct=lambda f: (
            f["condition"].eq("baseline") & f["item_id"].lt(40) | f["condition"].eq("swap a=1") & f["item_id"].lt(41)
        )
    )
    assert "raised" not in collapse_sentence(next(collapse_table(same).itertuples()))  # 1 item: no rise shown


def _yes_no_rows(condition, gold, predicted):
    rows = _item_rows(
        condition, [g == p for g, p in zip(gold, predicted)], [1.0] * len(gold), n_choices=2, kind="pattern"
    )
    return rows.assign(gold_label=gold, predicted_label=predicted)


def test_a_near_constant_answerer_on_unbalanced_labels_is_not_said_to_be_helped():
    """Issue 22, the MRPC swap: 58 of 80 gold labels are "yes" (72.5%). Alone the recipient answers
    "no" on 62 pairs (42.5% right); under the swap "yes" on 65 (81%; 71.2% right): a rise that
    McNemar detects, to a near-constant answerer below the always-"yes" baseline, not help."""
    from helpers.experiments.swap.verdict import collapse_sentence

    gold = ["yes"] * 58 + ["no"] * 22
    alone = ["yes"] * 16 + ["no"] * 42 + ["yes"] * 4 + ["no"] * 18  # 34 right (42.5%), "no" on 75%
    swapped = ["yes"] * 50 + ["no"] * 8 + ["yes"] * 15 + ["no"] * 7  # 57 right (71.2%), "yes" on 81%
    items = pd.concat(
        [_yes_no_rows("baseline", gold, alone), _yes_no_rows("swap a=1", gold, swapped)], ignore_index=True
    ).assign(donor="d", recipient="r", task="t", item_id=lambda f: f.groupby("condition").cumcount())
    row = next(collapse_table(items).itertuples())
    assert row.majority == pytest.approx(58 / 80) and row.majority_label == "yes"
    assert row.baseline == pytest.approx(34 / 80) and row.swapped == pytest.approx(57 / 80)
    assert row.swapped_top == pytest.approx(65 / 80) and row.swapped_top_label == "yes"
    assert row.p_holm < 0.05 and row.drop > 0 and row.collapse == "inconclusive"
    sentence = collapse_sentence(row)
    assert "near-constant answerer" in sentence and '"yes" on 81%' in sentence
    assert "72.5%" in sentence and "majority baseline" in sentence
    assert "helped this recipient" not in sentence and "no evidence that the donor's patterns helped" in sentence
    # the near-constant answerer is named before the verdict says anything about a rise
    assert sentence.index("near-constant") < sentence.index("raised")


def test_a_real_rise_above_the_majority_baseline_is_still_called_help():
    gold = ["yes"] * 58 + ["no"] * 22
    alone = ["no"] * 58 + ["yes"] * 22  # 0% right, answers vary by item
    swapped = ["yes"] * 56 + ["no"] * 2 + ["no"] * 20 + ["yes"] * 2  # 76 / 80 right, "yes" on 58 / 80
    from helpers.experiments.swap.verdict import collapse_sentence

    items = pd.concat(
        [_yes_no_rows("baseline", gold, alone), _yes_no_rows("swap a=1", gold, swapped)], ignore_index=True
    ).assign(donor="d", recipient="r", task="t", item_id=lambda f: f.groupby("condition").cumcount())
    sentence = collapse_sentence(next(collapse_table(items).itertuples()))
    assert "helped this recipient" in sentence and "near-constant" not in sentence


# ----------------------------------------------------------------------------- views and charts


def _summary_for_charts():
    rows = []
    for condition, correct in (
        ("baseline", [True, True, False]),
        ("swap a=0", [True, True, False]),
        ("swap a=1", [False, False, False]),
        ("self", [True, True, False]),
        ("uniform", [False, True, False]),
    ):
        rows.append(_item_rows(condition, correct, [1.0, 2.0, 4.0]))
    layer = _item_rows("swap layer 2", [True, False, False], [1.5, 2.0, 4.0])
    layer["layers"], layer["alpha"], layer["condition_kind"] = "2", 1.0, "swap"
    rows.append(layer)
    return condition_summary(pd.concat(rows, ignore_index=True), bootstrap=100)


def test_views_slice_the_summary_by_hand():
    from helpers.experiments.swap.views import controls_table, dose_table, layer_table

    summary = _summary_for_charts()
    assert controls_table(summary)["condition"].tolist() == ["baseline", "swap a=1", "self", "uniform"]
    assert dose_table(summary)["alpha"].tolist() == [0.0, 1.0]
    layers = layer_table(summary)
    assert layers["layer"].tolist() == [2]
    assert layers["baseline_accuracy"].iloc[0] == pytest.approx(2 / 3)
    assert layers["accuracy"].iloc[0] == pytest.approx(1 / 3)


@pytest.mark.parametrize("metric", ["accuracy", "loss"])
def test_charts_have_interval_bars_and_chance_line(metric):
    from helpers.experiments.swap.charts import controls_chart, dose_chart, layer_chart
    from helpers.experiments.swap.views import controls_table, dose_table, layer_table

    summary = _summary_for_charts()
    for build, view in ((controls_chart, controls_table), (dose_chart, dose_table), (layer_chart, layer_table)):
        marks = mark_types(build(view(summary), metric).to_dict())
        assert "errorbar" in marks and "point" in marks, build.__name__
        assert ("rule" in marks) == (metric == "accuracy" or build is layer_chart), build.__name__


def _summary_of_pairs(n_pairs: int, n_layers: int = 24):
    """A summary of ``n_pairs`` pairs with long model names x the three task kinds, controls, doses and layers."""
    pairs = [
        ("EleutherAI/pythia-410m-deduped", "EleutherAI/pythia-1.4b-deduped"),
        ("offline:qwen2.5-coder-1.5b", "offline:qwen2.5-coder-0.5b"),
        ("EleutherAI/pythia-160m", "EleutherAI/pythia-1.4b"),
    ][:n_pairs]
    conditions = [(name, math.nan, "all") for name in ("baseline", "self", "other_item", "uniform", "shuffled_heads")]
    conditions += [(f"swap a={alpha:g}", alpha, "all") for alpha in (0.0, 0.25, 0.5, 0.75, 1.0)]
    conditions += [(f"swap layer {layer}", 1.0, str(layer)) for layer in range(0, n_layers, 4)]
    rows = []
    for index, (donor, recipient) in enumerate(pairs):
        for kind, n_choices in (("knowledge", 4), ("procedure", 1), ("pattern", 2)):
            for number, (condition, alpha, layers) in enumerate(conditions):
                correct = [(index + number + item) % 3 == 0 for item in range(6)]
                losses = [10.85 + (index + number + item) % 5 / 40 for item in range(6)]  # labels like 10.925
                frame = _item_rows(condition, correct, losses, n_choices, kind)
                frame[["donor", "recipient", "alpha", "layers"]] = [donor, recipient, alpha, layers]
                rows.append(frame)
    return condition_summary(pd.concat(rows, ignore_index=True), bootstrap=100)


@pytest.mark.parametrize("n_pairs", [1, 2, 3])
def test_charts_fit_the_book_column(n_pairs):
    """Rendered in a wide font, legends and titles included: never wider than the book's column."""
    from helpers.experiments.swap.charts import controls_chart, dose_chart, layer_chart
    from helpers.experiments.swap.views import controls_table, dose_table, layer_table
    from helpers.render.charts import MAX_CHART_WIDTH, MAX_FACET_COLUMNS, rendered_size

    summary = _summary_of_pairs(n_pairs)
    for build, view in ((controls_chart, controls_table), (dose_chart, dose_table), (layer_chart, layer_table)):
        for metric in ("accuracy", "loss"):
            spec = build(view(summary), metric).to_dict()
            grids = spec.get("vconcat", [spec])
            assert len(grids) == math.ceil(n_pairs / MAX_FACET_COLUMNS), build.__name__
            for grid in grids:  # rows: kinds; columns: at most two pairs
                assert grid["facet"]["row"]["field"] == "kind" and grid["facet"]["column"]["field"] == "pair"
            width, _ = rendered_size(spec)
            assert width <= MAX_CHART_WIDTH, f"{build.__name__} {metric}, {n_pairs} pairs: {width:.0f} px"


def test_the_dose_axis_labels_the_alphas_exactly():
    """Vega's default format printed alpha 0.25 as "0.3" and 0.75 as "0.8"."""
    import re

    import vl_convert

    from helpers.experiments.swap.charts import dose_chart
    from helpers.experiments.swap.views import dose_table

    svg = vl_convert.vegalite_to_svg(dose_chart(dose_table(_summary_of_pairs(1)), "accuracy").to_dict())
    x_axes = re.findall(r'aria-label="X-axis titled .alpha.*?</g></g></g>', svg, flags=re.S)
    assert x_axes
    for axis in x_axes:
        assert re.findall(r">([0-9.]+)</text>", axis) == ["0", "0.25", "0.5", "0.75", "1"]
    # the pair's header in two lines, donor over recipient, neither cut off with an ellipsis
    assert ">pythia-410m-deduped →</tspan>" in svg and ">pythia-1.4b-deduped</tspan>" in svg and "…" not in svg


def test_chart_input_errors_name_the_problem():
    from helpers.experiments.swap.charts import SwapChartError, dose_chart
    from helpers.experiments.swap.views import dose_table

    table = dose_table(_summary_for_charts())
    with pytest.raises(SwapChartError, match="metric='acc'"):
        dose_chart(table, "acc")
    with pytest.raises(SwapChartError, match=r"lacks columns \['alpha'\]"):
        dose_chart(table.drop(columns="alpha"))


def test_charts_and_dose_sentences_carry_the_majority_baseline_and_name_constant_answerers():
    """Issue 22: charts draw the majority baseline, sentences name a near-constant answerer."""
    from helpers.experiments.swap.charts import dose_chart
    from helpers.experiments.swap.text import dose_sentences
    from helpers.experiments.swap.views import condition_summary, dose_table

    gold = ["yes"] * 58 + ["no"] * 22
    rows = [_yes_no_rows("swap a=0", gold, ["no"] * 40 + ["yes"] * 40), _yes_no_rows("swap a=1", gold, ["yes"] * 80)]
    items = pd.concat(rows, ignore_index=True).assign(
        donor="d", recipient="r", task="t", condition_kind="swap", item_id=lambda f: f.groupby("condition").cumcount()
    )
    summary = condition_summary(items, bootstrap=0)
    assert summary["majority"].tolist() == [pytest.approx(0.725)] * 2
    assert summary.set_index("condition").loc["swap a=1", "top_share"] == 1.0
    sentence = dose_sentences(dose_table(summary))[0]
    assert "72.5%" in sentence and 'near-constant answerer ("yes" on 100% at α = 1)' in sentence
    spec = json.dumps(dose_chart(dose_table(summary), "accuracy").to_dict())
    assert "mean(majority)" in spec or '"field": "majority"' in spec
