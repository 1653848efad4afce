"""helpers.experiments.task_contrast.{text, tables, letters.letter_verdict_markdown}: sentences and
reader tables generated from hand-made tables; no sentence claims more than its table supports."""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.experiments.task_contrast import letters as cl
from helpers.experiments.task_contrast import tables as ct
from helpers.experiments.task_contrast import text as cx


def _positions(rows, kind_label="knowledge: MMLU-math (letter)", chance=0.25, n_tests=None):
    frame = pd.DataFrame(rows, columns=["model", "accuracy", "position", "p_holm"])
    return frame.assign(
        kind="knowledge",
        kind_label=kind_label,
        model_id=frame["model"],
        n_items=40,
        n_correct=(frame["accuracy"] * 40).round().astype(int),
        chance=chance,
        low=np.nan,
        high=np.nan,
        pvalue=frame["p_holm"],
        n_tests=len(frame) if n_tests is None else n_tests,
    )


def test_side_sentences_count_models_by_their_exact_tests():
    positions = _positions(
        [
            ("a", 0.10, "below chance", 0.01),
            ("b", 0.50, "above chance", 0.02),
            ("c", 0.27, "not distinguishable from chance", 1.0),
        ]
    )
    (sentence,) = cx.side_sentences(positions)
    assert sentence == (
        "knowledge: MMLU-math (letter): 1 of 3 models significantly below 25% and 1 above "
        "(below: a; above: b) (exact two-sided binomial tests, Holm across the 3 models)."
    )
    assert "close to chance" not in sentence
    arithmetic = _positions(
        [("a", 0.0, "no item right", np.nan), ("b", 0.1, "any item right", np.nan)],
        kind_label="procedure: arithmetic",
        chance=0.0,
        n_tests=0,
    )
    (sentence,) = cx.side_sentences(arithmetic)
    assert sentence.startswith("procedure: arithmetic: 1 of 2 models get any item right by exact match (best 10.0%)")


def test_majority_sentence_reports_the_share_of_the_items_scored():
    majority = pd.DataFrame(
        {
            "model_id": ["a", "b"],
            "model": ["a", "b"],
            "n_items": [1725, 1725],
            "accuracy": [0.665, 0.70],
            "majority_label": "yes",
            "majority_share": 0.665,
            "chance": 0.5,
        }
    )
    sentence = cx.majority_sentence(majority)
    assert 'the majority label "yes" is 66.5% of them' in sentence and "1,725 items" in sentence
    assert "50%" in sentence
    assert '62.5% ("yes")' in ct.majority_markdown(majority.assign(majority_share=0.625))


def _chain(n_models, correlation, p_holm, note=""):
    return pd.DataFrame(
        {
            "family": "f",
            "kind": "knowledge",
            "kind_label": "knowledge",
            "metric": "correct",
            "metric_label": "accuracy",
            "level": ["per item", "model means"],
            "n_models": n_models,
            "n_items": 40,
            "correlation": correlation,
            "correlation_low": np.nan,
            "correlation_high": np.nan,
            "share_positive": 0.5,
            "n_constant": 0,
            "pvalue": [np.nan, p_holm],
            "p_holm": [np.nan, p_holm],
            "n_tests": 1,
            "note": note,
        }
    )


def test_chain_sentences_say_what_the_number_of_models_allows():
    (three,) = cx.chain_sentences(_chain(3, 1.0, 1 / 3))
    assert "smallest possible exact two-sided p-value of a model-means correlation is 0.333" in three
    assert "no correlation can be significant at 5% with this many models" in three
    (eight,) = cx.chain_sentences(_chain(8, 0.95, 0.001))
    assert "significant after Holm across the 1 tests: accuracy on knowledge (rho +0.95)" in eight
    none = cx.chain_sentences(_chain(2, np.nan, np.nan, note="2 models in f"))
    assert none[0].startswith("No family has 3 or more models")
    assert cx.smallest_exact_p(4) == 2 / 24


def test_letter_verdict_names_its_family_of_tests_and_the_ci_caveat():
    diagnosis = pd.DataFrame(
        {
            "model": ["a", "b"],
            "accuracy": [0.05, 0.3],
            "accuracy_low": [0.01, 0.2],
            "accuracy_high": [0.17, 0.4],
            "p_below_holm": [0.0001, 1.0],
            "verdict": [cl.VERDICTS[1], cl.VERDICTS[0]],
            "top_letter": ["A", "B"],
            "top_predicted_share": [1.0, 0.3],
            "top_gold_share": [0.05, 0.3],
            "bias_expected_accuracy": [0.05, 0.25],
            "n_tests": 2,
            "chance": 0.25,
        }
    )
    text = cl.letter_verdict_markdown(diagnosis, findings=False)
    assert text.startswith("(Random-weight models: this verdict exercises the test and is not a finding.)")
    assert "**Verdict: supported.**" in text and "`a`" in text and "`b`" not in text
    assert "Holm-corrected across the 2 models scored in the letter format" in text
    clear = cl.letter_verdict_markdown(diagnosis.assign(verdict=cl.VERDICTS[0]))
    assert clear.startswith("**Verdict: not supported.**")


def test_format_sentences_from_paired_tests_and_published_gaps():
    tests = pd.DataFrame({"model": ["a", "b"], "direction": ["acc_norm higher", "no significant difference"]})
    published = pd.DataFrame(
        {"model": ["x", "x", "y", "y"], "metric": ["acc", "acc_norm"] * 2, "value": [0.21, 0.25, 0.26, 0.25]}
    )
    ours, theirs = cx.format_sentences(tests, published)
    assert "significantly higher than acc for 1 and lower for 0 of 2 models" in ours and "higher for a" in ours
    assert "runs from -1.0 to +4.0 points across 2 models and is positive for 1" in theirs


def test_arithmetic_sentences_compare_within_a_family_only():
    rows = []
    for family, model, size, exact, digits, loss in (
        ("f", "s", 10, 0.0, 0.1, 3.0),
        ("f", "l", 100, 0.5, 0.8, 1.0),
        ("g", "solo", 50, 0.2, 0.3, 2.0),
    ):
        for metric, value in (("correct", exact), ("greedy_token_fraction", digits), ("gold_nll_per_token", loss)):
            rows.append(
                {
                    "family": family,
                    "model": model,
                    "n_params": size,
                    "task": "all",
                    "metric": metric,
                    "value": value,
                    "low": value - 0.05,
                    "high": value + 0.05,
                }
            )
    sentences = cx.arithmetic_sentences(pd.DataFrame(rows))
    assert sentences[0].startswith("f, s → l: exact match 0.0% → 50.0% (intervals do not overlap)")
    assert sentences[1] == "g has one model (solo): no change with size to describe."


def test_summary_leads_with_not_findings_on_ci():
    class Profile:
        findings, name = False, "ci"

    positions = _positions([("a", 0.3, "not distinguishable from chance", 1.0)])
    majority = pd.DataFrame(columns=["model", "n_items", "accuracy", "majority_label", "majority_share"])
    summary = cx.contrast_summary(
        Profile,
        positions=positions,
        majority=majority,
        chain=_chain(2, np.nan, np.nan, "2 models in f"),
        diagnosis=None,
        tests=None,
        published=None,
        arithmetic=None,
    )
    assert summary.startswith("- Profile ci: random-weight models.") and "not a finding" in summary
    Profile.findings, Profile.name = True, "offline"
    offline = cx.contrast_summary(
        Profile,
        positions=positions,
        majority=majority,
        chain=_chain(2, np.nan, np.nan),
        diagnosis=None,
        tests=None,
        published=None,
        arithmetic=None,
        caveats=["Within q, quantization differs."],
    )
    assert "not a finding" not in offline and offline.startswith("- Within q, quantization differs.")


def test_reader_tables_have_labels_and_no_exponents():
    diagnosis = pd.DataFrame(
        {
            "model": ["a"],
            "n_items": [1064],
            "accuracy": [0.2],
            "accuracy_low": [0.176],
            "accuracy_high": [0.225],
            "p_below_holm": [1e-9],
            "top_letter": ["A"],
            "top_predicted_share": [0.9],
            "top_gold_share": [0.2],
            "letters_p_holm": [1e-4],
            "bias_expected_accuracy": [0.21],
            "verdict": [cl.VERDICTS[1]],
        }
    )
    table = ct.diagnosis_markdown(diagnosis)
    assert "| model | items | accuracy [95% exact] |" in table and "p < 0.001" in table
    assert "e-0" not in table and "1,064" in table
