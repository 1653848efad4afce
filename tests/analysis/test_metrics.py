"""Tests for helpers.analysis.metrics and helpers.analysis.intervals.

Expected values are worked out by hand in the comments, or come from independent
implementations: statsmodels (Wilson interval), lm-evaluation-harness 0.4.13 (acc, acc_norm,
acc_bytes, brier_score, bits_per_byte, stderr), closed-form distributions.
"""

from __future__ import annotations

import math
import os

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from helpers.analysis import (
    intervals,
    metrics,  # noqa: E402
)
from helpers.analysis.metrics import MetricError  # noqa: E402
from helpers.core.requests import Score  # noqa: E402

# Three items, four choices.
#   item 0: argmax = 2 (-0.5)            gold 2 -> correct
#   item 1: tie -1.0 / -1.0 at 0 and 1   gold 1 -> argmax takes the FIRST max (0) -> wrong
#   item 2: argmax = 1 (-3.0)            gold 0 -> wrong
CHOICE_LOGPROBS = np.array(
    [
        [-1.0, -2.0, -0.5, -3.0],
        [-1.0, -1.0, -4.0, -5.0],
        [-6.0, -3.0, -9.0, -3.5],
    ]
)
GOLD = np.array([2, 1, 0])
# Lengths: item0 [1, 2, 5, 1] -> normalised [-1, -1, -0.1, -3]   -> 2 (gold 2, correct)
#          item1 [2, 1, 1, 1] -> normalised [-0.5, -1, -4, -5]   -> 0 (gold 1, wrong)
#          item2 [12, 1, 1, 1] -> normalised [-0.5, -3, -9, -3.5] -> 0 (gold 0, correct)
CHOICE_TEXTS = [
    ["a", "bb", "ccccc", "d"],
    ["aa", "b", "c", "d"],
    ["x" * 12, "y", "z", "w"],
]


# ------------------------------------------------------------------------- accuracy


def test_accuracy_uses_first_maximum_on_ties():
    assert metrics.predicted_choice(CHOICE_LOGPROBS).tolist() == [2, 0, 1]
    assert metrics.correct(CHOICE_LOGPROBS, GOLD).tolist() == [True, False, False]
    assert metrics.accuracy(CHOICE_LOGPROBS, GOLD) == pytest.approx(1 / 3)


def test_acc_norm_divides_by_character_length():
    assert metrics.correct_norm(CHOICE_LOGPROBS, GOLD, CHOICE_TEXTS).tolist() == [True, False, True]
    assert metrics.acc_norm(CHOICE_LOGPROBS, GOLD, CHOICE_TEXTS) == pytest.approx(2 / 3)


def test_acc_bytes_differs_from_acc_norm_on_non_ascii():
    # "éé": 2 characters, 4 UTF-8 bytes; "ab": 2 characters, 2 bytes.
    # chars: [-3/2, -2/2] = [-1.5, -1.0] -> 1;  bytes: [-3/4, -2/2] = [-0.75, -1.0] -> 0.
    logprobs = np.array([[-3.0, -2.0]])
    texts = [["éé", "ab"]]
    assert metrics.correct_norm(logprobs, [0], texts).tolist() == [False]
    assert metrics.correct_bytes(logprobs, [0], texts).tolist() == [True]
    assert metrics.choice_lengths(texts, unit="bytes").tolist() == [[4.0, 2.0]]


def test_acc_norm_excludes_the_target_delimiter():
    # Continuations " A" / " BB" are scored; lm-eval normalises by len("A") = 1, len("BB") = 2:
    # [-1.0/1, -1.8/2] = [-1.0, -0.9] -> choice 1. Counting the space would give
    # [-1.0/2, -1.8/3] = [-0.5, -0.6] -> choice 0.
    texts = metrics.choice_texts_from_continuations([[" A", " BB"]])
    assert texts == [["A", "BB"]]
    assert metrics.correct_norm(np.array([[-1.0, -1.8]]), [1], texts).tolist() == [True]


def test_choice_texts_require_the_delimiter():
    with pytest.raises(MetricError, match="target_delimiter"):
        metrics.choice_texts_from_continuations([["A", " B"]])
    assert metrics.choice_texts_from_continuations([["A", "B"]], target_delimiter="") == [["A", "B"]]


# ------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("choice_logprobs", "gold", "message"),
    [
        (CHOICE_LOGPROBS, [2, 1, 4], "gold\\[2\\] = 4 is out of range"),
        (CHOICE_LOGPROBS, [2, 1, -1], "out of range"),
        (CHOICE_LOGPROBS, [2, 1], "shape \\[3\\]"),
        (CHOICE_LOGPROBS, [0.5, 1, 0], "integer"),
        (np.array([[-1.0, np.nan]]), [0], "NaN at item 0, choice 1"),
        (np.array([[-1.0, 0.3]]), [0], "positive"),
        (np.array([-1.0, -2.0]), [0], "2-D"),
        (np.zeros((0, 4)), [], "empty"),
    ],
)
def test_bad_input_raises_metric_error(choice_logprobs, gold, message):
    with pytest.raises(MetricError, match=message):
        metrics.accuracy(choice_logprobs, gold)


def test_metric_error_is_a_value_error():
    assert issubclass(MetricError, ValueError)


def test_choice_text_shape_must_match_and_be_nonempty():
    with pytest.raises(MetricError, match="shape"):
        metrics.acc_norm(CHOICE_LOGPROBS, GOLD, [["a", "b"]] * 3)
    with pytest.raises(MetricError, match="empty string"):
        metrics.acc_norm(np.array([[-1.0, -2.0]]), [0], [["", "b"]])
    with pytest.raises(MetricError, match="different numbers"):
        metrics.choice_lengths([["a", "b"], ["a"]])


# ---------------------------------------------------------------- cross-entropy


def test_cross_entropy_per_token_and_per_byte():
    logprobs = np.array([-6.0, -2.0])
    n_tokens = np.array([3, 1])
    continuations = [" 12", " é"]  # 3 bytes; 1 + 2 = 3 bytes
    assert metrics.nll_per_token(logprobs, n_tokens).tolist() == [2.0, 2.0]
    assert metrics.corpus_nll_per_token(logprobs, n_tokens) == pytest.approx(8 / 4)
    assert metrics.nll_per_byte(logprobs, continuations) == pytest.approx([2.0, 2 / 3])
    assert metrics.corpus_nll_per_byte(logprobs, continuations) == pytest.approx(8 / 6)
    assert metrics.bits_per_byte(math.log(2)) == pytest.approx(1.0)
    assert metrics.bits_per_byte(np.array([math.log(4), 0.0])) == pytest.approx([2.0, 0.0])
    assert metrics.gold_logprob(CHOICE_LOGPROBS, GOLD).tolist() == [-0.5, -1.0, -6.0]


def test_cross_entropy_rejects_bad_counts():
    with pytest.raises(MetricError, match="n_tokens\\[1\\] = 0"):
        metrics.nll_per_token([-1.0, -2.0], [1, 0])
    with pytest.raises(MetricError, match="2 entries but there are 1"):
        metrics.nll_per_token([-1.0], [1, 2])
    with pytest.raises(MetricError, match="bytes"):
        metrics.nll_per_byte([-1.0], [""])


def test_corpus_losses_match_lm_eval_aggregations():
    from lm_eval.api.metrics import bits_per_byte, weighted_perplexity

    rng = np.random.default_rng(1)
    logprobs = -rng.uniform(0.1, 20.0, size=50)
    continuations = [" " + "7" * int(k) for k in rng.integers(1, 9, size=50)]
    byte_counts = [len(text.encode("utf-8")) for text in continuations]
    items = list(zip(logprobs.tolist(), byte_counts))
    ours = metrics.corpus_nll_per_byte(logprobs, continuations)
    assert metrics.bits_per_byte(ours) == pytest.approx(bits_per_byte(items), rel=1e-12)
    assert math.exp(ours) == pytest.approx(weighted_perplexity(items), rel=1e-12)


# ------------------------------------------------------------ Schaeffer chain


def test_schaeffer_chain_hand_values():
    # Item 0: choice probabilities 0.2, 0.1, 0.05, 0.05 over the vocabulary, gold 0.
    #   mass on the choices 0.4; correct share 0.5; softmax [0.5, 0.25, 0.125, 0.125];
    #   Brier (0.5 - 1)^2 + 0.25^2 + 2 * 0.125^2 = 0.25 + 0.0625 + 0.03125 = 0.34375.
    # Item 1: [-1000, -1001] (+ two choices at -inf-like -2000), gold 1: exp underflows,
    #   but the share is exp(-1001) / (exp(-1000) + exp(-1001)) = 1 / (1 + e).
    choice_logprobs = np.log(np.array([[0.2, 0.1, 0.05, 0.05]]))
    chain = metrics.schaeffer_chain(
        np.vstack([choice_logprobs, [[-1000.0, -1001.0, -2000.0, -2000.0]]]), [0, 1], index=["q0", "q1"]
    )
    assert list(chain.columns) == list(metrics.SCHAEFFER_COLUMNS)
    assert list(chain.index) == ["q0", "q1"]
    first = chain.loc["q0"]
    assert first["log_p_vocab_correct"] == pytest.approx(math.log(0.2))
    assert first["p_vocab_correct"] == pytest.approx(0.2)
    assert first["p_vocab_all_choices"] == pytest.approx(0.4)
    assert first["log_p_vocab_all_choices"] == pytest.approx(math.log(0.4))
    assert first["p_choices_correct"] == pytest.approx(0.5)
    assert first["brier"] == pytest.approx(0.34375)
    assert bool(first["correct"]) is True
    second = chain.loc["q1"]
    assert second["p_vocab_correct"] == 0.0  # underflow is fine for the vocabulary probability
    assert second["log_p_vocab_all_choices"] == pytest.approx(-1000 + math.log1p(math.exp(-1)))
    assert second["p_choices_correct"] == pytest.approx(1 / (1 + math.e))
    expected_brier = (1 - 1 / (1 + math.e)) ** 2 + (1 / (1 + math.e) - 1) ** 2
    assert second["brier"] == pytest.approx(expected_brier)
    assert bool(second["correct"]) is False


def test_schaeffer_chain_invariants_on_random_items():
    # A valid model puts total mass <= 1 on the (disjoint) choices: draw the vocabulary
    # probabilities of 4 choices plus "anything else" from a Dirichlet.
    rng = np.random.default_rng(0)
    probabilities = rng.dirichlet([0.3, 0.3, 0.3, 0.3, 2.0], size=200)  # [items, 4 choices + rest]
    choice_logprobs = np.log(probabilities[:, :4])
    gold = rng.integers(0, 4, size=200)
    chain = metrics.schaeffer_chain(choice_logprobs, gold)
    assert chain["p_vocab_all_choices"].to_numpy() == pytest.approx(probabilities[:, :4].sum(axis=1))
    assert (chain["p_vocab_all_choices"] <= 1.0).all()
    # each step of the chain is bounded by the previous one
    assert (chain["p_vocab_correct"] <= chain["p_vocab_all_choices"] + 1e-15).all()
    assert (chain["p_choices_correct"] >= chain["p_vocab_correct"] - 1e-15).all()
    assert chain["brier"].between(0.0, 2.0).all()
    assert np.allclose(metrics.choice_probabilities(choice_logprobs).sum(axis=1), 1.0)
    assert chain["correct"].tolist() == metrics.correct(choice_logprobs, gold).tolist()
    # a correct item has the largest share, hence share >= 1 / n_choices
    assert (chain.loc[chain["correct"], "p_choices_correct"] >= 0.25).all()


def test_brier_matches_lm_eval_brier_score():
    from lm_eval.api.metrics import brier_score
    from lm_eval.utils import softmax

    rng = np.random.default_rng(2)
    choice_logprobs = -rng.exponential(3.0, size=(30, 4))
    gold = rng.integers(0, 4, size=30)
    harness_items = [(int(g), softmax(row)) for g, row in zip(gold, choice_logprobs)]
    assert metrics.brier_score(choice_logprobs, gold).mean() == pytest.approx(brier_score(harness_items), rel=1e-12)


def test_schaeffer_index_length_checked():
    with pytest.raises(MetricError, match="index has 2 labels"):
        metrics.schaeffer_chain(CHOICE_LOGPROBS, GOLD, index=["a", "b"])


# --------------------------------------------------------------------- letter bias


def test_letter_bias_counts_confusion_and_chi_square():
    predicted = np.array([0, 0, 0, 1, 2, 0])
    gold = np.array([0, 1, 2, 3, 2, 0])
    bias = metrics.letter_bias(predicted, gold)
    assert bias.predicted_counts.to_dict() == {"A": 4, "B": 1, "C": 1, "D": 0}
    assert bias.gold_counts.to_dict() == {"A": 2, "B": 1, "C": 2, "D": 1}
    # rows gold, columns predicted: (A,A) x2, (B,A), (C,A), (D,B), (C,C)
    assert bias.confusion.to_numpy().tolist() == [
        [2, 0, 0, 0],
        [1, 0, 0, 0],
        [1, 0, 1, 0],
        [0, 1, 0, 0],
    ]
    # expected 1.5 per letter: (2.5^2 + 0.5^2 + 0.5^2 + 1.5^2) / 1.5 = 9 / 1.5 = 6
    assert bias.chi2 == pytest.approx(6.0)
    # chi-square survival with 3 dof in closed form: erfc(sqrt(x/2)) + sqrt(2x/pi) exp(-x/2)
    expected_p = math.erfc(math.sqrt(3.0)) + math.sqrt(12.0 / math.pi) * math.exp(-3.0)
    assert bias.pvalue == pytest.approx(expected_p)


def test_uniform_predictions_give_chi_square_zero():
    chi2, pvalue = metrics.uniformity_test([0, 1, 2, 3] * 5, 4)
    assert chi2 == 0.0
    assert pvalue == pytest.approx(1.0)


def test_majority_letter_baseline_first_letter_on_ties():
    baseline = metrics.majority_letter_baseline([0, 1, 2, 3, 2, 0])
    assert (baseline.label, baseline.index, baseline.n_items) == ("A", 0, 6)
    assert baseline.accuracy == pytest.approx(2 / 6)
    baseline = metrics.majority_letter_baseline([1, 1, 3], labels=("no", "yes", "maybe", "x"))
    assert baseline.label == "yes"
    assert baseline.accuracy == pytest.approx(2 / 3)


def test_letter_bias_rejects_bad_labels():
    with pytest.raises(MetricError, match="outside 0..3"):
        metrics.letter_bias([0, 4], [0, 1])
    with pytest.raises(MetricError, match="predicted has 2 items but gold has 3"):
        metrics.letter_bias([0, 1], [0, 1, 2])


# ------------------------------------------------------------------- arithmetic


def test_continuation_metrics_from_scores():
    scores = [
        Score(logprob=-0.6, is_greedy=True, n_tokens=2, token_logprobs=(-0.2, -0.4), token_is_greedy=(True, True)),
        Score(
            logprob=-3.0,
            is_greedy=False,
            n_tokens=3,
            token_logprobs=(-0.5, -2.0, -0.5),
            token_is_greedy=(True, False, True),
        ),
        Score(logprob=-1.0, is_greedy=False, n_tokens=1),
    ]
    table = metrics.continuation_metrics(scores)
    assert table["exact_match"].tolist() == [True, False, False]
    assert table["nll_per_token"].tolist() == pytest.approx([0.3, 1.0, 1.0])
    assert table["mean_token_loss"].iloc[:2].tolist() == pytest.approx([0.3, 1.0])
    assert table["greedy_token_fraction"].iloc[:2].tolist() == pytest.approx([1.0, 2 / 3])
    assert np.isnan(table["mean_token_loss"].iloc[2]) and np.isnan(table["greedy_token_fraction"].iloc[2])


def test_continuation_metrics_reject_inconsistent_scores():
    wrong_length = Score(logprob=-1.0, is_greedy=True, n_tokens=2, token_logprobs=(-1.0,))
    with pytest.raises(MetricError, match="1 token_logprobs but n_tokens=2"):
        metrics.continuation_metrics([wrong_length])
    wrong_greedy = Score(logprob=-1.0, is_greedy=True, n_tokens=2, token_is_greedy=(True, False))
    with pytest.raises(MetricError, match="disagrees"):
        metrics.continuation_metrics([wrong_greedy])


def test_token_level_helpers():
    assert metrics.exact_match(np.array([True, False])).tolist() == [True, False]
    assert metrics.greedy_token_fraction([[True, False, False, True], [False]]).tolist() == [0.5, 0.0]
    assert metrics.mean_token_loss([[-1.0, -3.0], [-0.5]]).tolist() == [2.0, 0.5]
    with pytest.raises(MetricError, match="bool"):
        metrics.exact_match(np.array([1, 0]))
    with pytest.raises(MetricError, match="empty"):
        metrics.mean_token_loss([[]])


# -------------------------------------------------------------------- intervals


@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
@pytest.mark.parametrize(("k", "n"), [(0, 10), (3, 10), (10, 10), (227, 1064), (1, 2), (500, 1000)])
def test_wilson_matches_statsmodels(k, n, confidence):
    from statsmodels.stats.proportion import proportion_confint

    expected_low, expected_high = proportion_confint(k, n, alpha=1 - confidence, method="wilson")
    interval = intervals.wilson_interval(k, n, confidence=confidence)
    assert interval.low == pytest.approx(expected_low, abs=1e-12)
    assert interval.high == pytest.approx(expected_high, abs=1e-12)
    assert interval.low <= k / n <= interval.high


def test_wilson_zero_successes_hand_value():
    # k = 0: low = 0, high = z^2 / (n + z^2) with z = 1.959963985
    z_squared = 1.959963984540054**2
    interval = intervals.wilson_interval(0, 10)
    assert interval.low == pytest.approx(0.0, abs=1e-15)
    assert interval.high == pytest.approx(z_squared / (10 + z_squared))


def test_wilson_is_computed_by_statsmodels(monkeypatch):
    # The interval comes from the library, not a hand formula (the verdicts issue).
    calls = []
    library = intervals.proportion_confint

    def spy(*args, **kwargs):
        calls.append((args, kwargs))
        return library(*args, **kwargs)

    monkeypatch.setattr(intervals, "proportion_confint", spy)
    interval = intervals.wilson_interval(3, 10, confidence=0.9)
    assert len(calls) == 1 and calls[0][1]["method"] == "wilson"
    assert calls[0][1]["alpha"] == pytest.approx(0.1)
    assert (interval.low, interval.high) == pytest.approx(library(3, 10, alpha=0.1, method="wilson"))


@pytest.mark.parametrize(("k", "n"), [(0, 1), (1, 1), (0, 10), (10, 10), (0, 1064), (1064, 1064)])
def test_wilson_edge_cases_are_exact_at_the_ends(k, n):
    # 0/n: [0, z^2/(n + z^2)]; n/n: [n/(n + z^2), 1]; n = 1 gives [0, 0.7935] and [0.2065, 1].
    z_squared = 1.959963984540054**2
    interval = intervals.wilson_interval(k, n)
    if k == 0:
        assert interval.low == 0.0 and interval.high == pytest.approx(z_squared / (n + z_squared))
    else:
        assert interval.high == 1.0 and interval.low == pytest.approx(n / (n + z_squared))
    assert 0.0 <= interval.low <= k / n <= interval.high <= 1.0


@pytest.mark.parametrize(
    ("k", "n", "confidence", "message"),
    [
        (11, 10, 0.95, "0..n"),
        (1, 0, 0.95, "positive"),
        (-1, 10, 0.95, "0..n"),
        (1.5, 10, 0.95, "integer"),
        (1, 10, 95, "confidence"),
    ],
)
def test_wilson_bad_input(k, n, confidence, message):
    with pytest.raises(MetricError, match=message):
        intervals.wilson_interval(k, n, confidence)


def test_harness_stderr_matches_lm_eval():
    from lm_eval.api.metrics import mean_stderr

    scores = [1.0] * 227 + [0.0] * 837
    assert intervals.harness_stderr(227, 1064) == pytest.approx(mean_stderr(scores), rel=1e-12)


def test_bootstrap_is_deterministic_and_sensible():
    rng = np.random.default_rng(3)
    values = (rng.random(1000) < 0.3).astype(float)
    first = intervals.bootstrap_mean_ci(values, seed=7)
    again = intervals.bootstrap_mean_ci(values, seed=7)
    other = intervals.bootstrap_mean_ci(values, seed=8)
    assert first == again
    assert (first.low, first.high) != (other.low, other.high)
    mean = values.mean()
    assert first.low < mean < first.high
    # close to the normal-approximation half-width 1.96 * sqrt(p(1-p)/n)
    normal_half_width = 1.959964 * math.sqrt(mean * (1 - mean) / values.size)
    assert (first.high - first.low) / 2 == pytest.approx(normal_half_width, rel=0.12)
    bca = intervals.bootstrap_mean_ci(values, seed=7, method="BCa")
    assert bca.low < mean < bca.high


def test_bootstrap_degenerate_and_bad_input():
    assert intervals.bootstrap_mean_ci([1.0, 1.0, 1.0]) == intervals.Interval(1.0, 1.0, 0.95)
    with pytest.raises(MetricError, match="at least 2"):
        intervals.bootstrap_mean_ci([1.0])
    with pytest.raises(MetricError, match="not finite"):
        intervals.bootstrap_mean_ci([1.0, np.nan])
    with pytest.raises(MetricError, match="method"):
        intervals.bootstrap_mean_ci([0.0, 1.0], method="studentised")


def test_binomial_test_hand_values():
    # k = 0 of 3 at p = 0.5: P(X <= 0) = 1/8; two-sided doubles it (symmetric) = 1/4.
    result = intervals.binomial_test_vs_chance(0, 3, 0.5)
    assert result.pvalue_less == pytest.approx(0.125)
    assert result.pvalue_two_sided == pytest.approx(0.25)
    assert result.pvalue_greater == pytest.approx(1.0)
    # k = 3 of 3 at p = 0.25: P(X >= 3) = 0.25^3 = 1/64.
    assert intervals.binomial_test_vs_chance(3, 3, 0.25).pvalue_greater == pytest.approx(1 / 64)
    # exactly at chance
    assert intervals.binomial_test_vs_chance(25, 100, 0.25).pvalue_two_sided == pytest.approx(1.0)
    with pytest.raises(MetricError, match="p_chance"):
        intervals.binomial_test_vs_chance(1, 4, 1.0)


def test_relative_change():
    assert intervals.relative_change(2.0, 3.0) == pytest.approx(0.5)
    assert intervals.relative_change(142.429, 3.924) == pytest.approx(3.924 / 142.429 - 1)
    assert intervals.relative_change(np.array([1.0, 4.0]), np.array([2.0, 1.0])).tolist() == [1.0, -0.75]
    with pytest.raises(MetricError, match="a == 0"):
        intervals.relative_change(0.0, 1.0)


# ------------------------------------------------- parity with lm-evaluation-harness


@pytest.mark.slow
def test_parity_with_lm_eval_multiple_choice_process_results():
    """Run lm-eval 0.4.13's own ConfigurableTask on a toy in-memory dataset and compare."""
    import datasets
    from lm_eval.api.task import ConfigurableTask

    rng = np.random.default_rng(4)
    choice_pool = ["A", "BB", "ccc", "é", "ünï", "Paris", "no", "yes", "42", "x y z"]
    n_items = 40
    docs = {
        "question": [f"q{index}" for index in range(n_items)],
        "choices": [list(rng.choice(choice_pool, size=4, replace=False)) for _ in range(n_items)],
        "answer": [int(value) for value in rng.integers(0, 4, size=n_items)],
    }

    def make_dataset(**_kwargs):
        return datasets.DatasetDict({"test": datasets.Dataset.from_dict(docs)})

    task = ConfigurableTask(
        config={
            "task": "toy_parity",
            "custom_dataset": make_dataset,
            "test_split": "test",
            "output_type": "multiple_choice",
            "doc_to_text": "{{question}}",
            "doc_to_choice": "{{choices}}",
            "doc_to_target": "{{answer}}",
            "metric_list": [
                {"metric": name, "aggregation": "mean", "higher_is_better": True}
                for name in ("acc", "acc_norm", "acc_bytes")
            ]
            + [{"metric": "brier_score", "aggregation": "brier_score", "higher_is_better": False}],
        }
    )
    # log-likelihoods roughly proportional to length, so that the normalisation decides
    lengths = np.array([[len(choice) for choice in choices] for choices in docs["choices"]])
    choice_logprobs = -(lengths + 1) * rng.uniform(0.5, 1.5, size=(n_items, 4))
    choice_logprobs[0, 1] = choice_logprobs[0, 2]  # a tie
    continuations, harness = [], []
    for row, doc in enumerate(task.test_docs()):
        requests = task.construct_requests(doc, task.doc_to_text(doc))
        continuations.append([request.arguments[1] for request in requests])
        harness.append(task.process_results(doc, [(float(lp), False) for lp in choice_logprobs[row]]))
    gold = np.asarray(docs["answer"])
    choice_texts = metrics.choice_texts_from_continuations(continuations)
    assert choice_texts == docs["choices"]
    assert metrics.correct(choice_logprobs, gold).tolist() == [bool(result["acc"]) for result in harness]
    assert metrics.correct_norm(choice_logprobs, gold, choice_texts).tolist() == [
        bool(result["acc_norm"]) for result in harness
    ]
    assert metrics.correct_bytes(choice_logprobs, gold, choice_texts).tolist() == [
        bool(result["acc_bytes"]) for result in harness
    ]
    for ours, result in zip(metrics.choice_probabilities(choice_logprobs), harness):
        assert ours == pytest.approx(result["brier_score"][1], rel=1e-12)
    # the toy data must exercise the normalisations, or the test proves nothing: acc, acc_norm
    # and acc_bytes differ, and counting the delimiter in the length would change acc_norm
    harness_norm = [bool(result["acc_norm"]) for result in harness]
    assert [bool(result["acc"]) for result in harness] != harness_norm
    assert harness_norm != [bool(result["acc_bytes"]) for result in harness]
    with_delimiter = [[" " + text for text in texts] for texts in choice_texts]
    assert metrics.correct_norm(choice_logprobs, gold, with_delimiter).tolist() != harness_norm
