"""Section 3: is a below-chance accuracy on letter-scored MMLU-math explained by letter bias?

A model that nearly always answers one letter scores that letter's share among the gold
answers, which may be below 25%. Per model (each model once), on the items it scored:

* **below chance**: exact one-sided binomial test of the accuracy against 1/letters
  (:func:`helpers.analysis.inference.binomial_vs_chance`), Holm-corrected across the models
  scored in the letter format (the family of tests: ``n_tests`` models);
* **letter bias**: are the predicted letters uniform? The chi-square statistic of the predicted
  letter counts, with a Monte Carlo p-value from 9,999 uniform multinomial draws (seeded;
  valid at any n, where the chi-square approximation is not), Holm-corrected across the same
  models;
* ``bias_expected_accuracy``: the accuracy of a guesser that keeps the model's letter
  frequencies but ignores the question (sum over letters of predicted share x gold share).

Verdicts (:data:`VERDICTS`) for a model significantly below chance:

* *consistent with letter bias*: its letters are significantly non-uniform, its most-predicted
  letter is over-predicted relative to the gold answers, and the bias-expected accuracy is below
  chance and inside the accuracy's exact (Clopper-Pearson) interval at 1 - alpha (95%). "Consistent", not
  "explained": the interval's width (printed) bounds how closely the guesser matches;
* *not explained by letter bias*: the bias-expected accuracy is at or above chance (bias cannot
  produce the deficit), or outside the accuracy's interval (the accuracy differs significantly
  from the letter-biased guesser's);
* *undecided* otherwise (for example, letters not significantly non-uniform on these items).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from helpers.analysis.baselines import most_common_gold
from helpers.analysis.inference import binomial_vs_chance, holm, rejects
from helpers.core.tasks.mmlu import CHANCE as MMLU_CHANCE
from helpers.experiments.task_contrast.views import (
    ALPHA,
    ContrastInputError,
    check_alpha,
    check_size_column,
    require,
    short_model_name,
)
from helpers.render.numbers import p_text, setting_percent

VERDICTS = (
    "not significantly below chance",
    "below chance, consistent with letter bias",
    "below chance, not explained by letter bias",
    "below chance, letter bias undecided",
)
N_DRAWS = 9_999


def _letter_items(items: pd.DataFrame, kind: str, labels: Sequence[str]) -> pd.DataFrame:
    require(items, ["model_id", "kind", "gold", "predicted", "correct", "n_choices"], "letter_diagnosis")
    of_kind = items[items["kind"] == kind]
    if of_kind.empty:
        raise ContrastInputError(
            f"no items of kind {kind!r} in the table (kinds: {sorted(items['kind'].unique())}); "
            "score the letter-format MMLU task first."
        )
    if (of_kind["n_choices"] != len(labels)).any():
        raise ContrastInputError(
            f"kind {kind!r} has items with {sorted(of_kind['n_choices'].unique())} choices but "
            f"labels={list(labels)}; pass one label per choice."
        )
    return of_kind


def letter_uniformity(predicted: np.ndarray, n_letters: int, seed: int = 0) -> tuple[float, float]:
    """Chi-square statistic of the predicted letters against uniform, Monte Carlo p-value.

    The p-value is ``(1 + draws at least as extreme) / (1 + 9,999)`` over uniform multinomial
    draws of the same size (``scipy.stats.monte_carlo_test``), so it is valid at any n.
    """
    predicted = np.asarray(predicted, dtype=np.int64)  # [n_items]
    rng = np.random.default_rng(seed)
    letters = np.arange(n_letters)

    def chi2(sample, axis=-1):
        counts = (np.moveaxis(sample, axis, -1)[..., None] == letters).sum(axis=-2)  # [..., n_letters]
        expected = sample.shape[axis] / n_letters
        return ((counts - expected) ** 2 / expected).sum(axis=-1)

    result = stats.monte_carlo_test(
        predicted,
        lambda size: rng.integers(0, n_letters, size=size),
        chi2,
        vectorized=True,
        n_resamples=N_DRAWS,
        batch=1000,
        alternative="greater",
    )
    return float(result.statistic), float(result.pvalue)


def letter_diagnosis(
    items: pd.DataFrame,
    kind: str = "knowledge",
    labels: Sequence[str] = ("A", "B", "C", "D"),
    *,
    alpha: float = ALPHA,
    size_column: str = "n_params_nonembedding",
    seed: int = 0,
) -> pd.DataFrame:
    """One row per model (smallest first) with the tests of the module docstring.

    Columns: ``model_id, model, n_params, n_items, n_correct, accuracy, accuracy_low,
    accuracy_high`` (Clopper-Pearson at 1 - ``alpha``: 95%), ``chance``, ``p_below, p_below_holm, chi2,
    letters_p, letters_p_holm, n_tests, top_letter, top_predicted_share, top_gold_share,
    bias_expected_accuracy, majority_letter, majority_accuracy`` (always the gold-most-common
    letter, chosen on these items) and ``verdict`` (one of :data:`VERDICTS`).
    """
    check_alpha(alpha)
    check_size_column(size_column)
    require(items, [size_column], "letter_diagnosis")
    labels = list(labels)
    of_kind = _letter_items(items, kind, labels)
    chance = 1.0 / len(labels)
    rows = []
    for model_id, model_items in of_kind.groupby("model_id", sort=False):
        predicted = model_items["predicted"].to_numpy(dtype=np.int64)  # [n_items]
        gold = model_items["gold"].to_numpy(dtype=np.int64)  # [n_items]
        correct = model_items["correct"].to_numpy(dtype=bool)
        test = binomial_vs_chance(int(correct.sum()), correct.size, chance, "less", confidence=1 - alpha)
        chi2, letters_p = letter_uniformity(predicted, len(labels), seed)
        predicted_share = np.bincount(predicted, minlength=len(labels)) / predicted.size
        gold_share = np.bincount(gold, minlength=len(labels)) / gold.size
        top = int(np.argmax(predicted_share))
        majority, majority_share = most_common_gold(gold, len(labels))
        rows.append(
            {
                "model_id": model_id,
                "model": short_model_name(model_id),
                "n_params": int(model_items[size_column].iloc[0]),
                "n_items": test.n,
                "n_correct": test.k,
                "accuracy": test.estimate,
                "accuracy_low": test.low,
                "accuracy_high": test.high,
                "chance": chance,
                "p_below": test.pvalue,
                "chi2": chi2,
                "letters_p": letters_p,
                "top_letter": labels[top],
                "top_predicted_share": float(predicted_share[top]),
                "top_gold_share": float(gold_share[top]),
                "bias_expected_accuracy": float((predicted_share * gold_share).sum()),
                "majority_letter": labels[majority],
                "majority_accuracy": majority_share,
            }
        )
    table = pd.DataFrame(rows).sort_values(["n_params", "model_id"], kind="stable").reset_index(drop=True)
    table["p_below_holm"] = holm(table["p_below"].to_numpy(), alpha)[1]
    table["letters_p_holm"] = holm(table["letters_p"].to_numpy(), alpha)[1]
    table["n_tests"] = len(table)
    table["verdict"] = [_verdict(row, alpha) for row in table.to_dict("records")]
    return table


def _verdict(row, alpha: float) -> str:
    if row["p_below_holm"] >= alpha:
        return VERDICTS[0]
    expected = row["bias_expected_accuracy"]
    inside = row["accuracy_low"] <= expected <= row["accuracy_high"]
    if expected >= row["chance"] or not inside:
        return VERDICTS[2]
    if rejects(row["letters_p_holm"], alpha) and row["top_predicted_share"] > row["top_gold_share"]:
        return VERDICTS[1]
    return VERDICTS[3]


def letter_shares(
    items: pd.DataFrame, kind: str = "knowledge", labels: Sequence[str] = ("A", "B", "C", "D")
) -> pd.DataFrame:
    """Long table of letter shares per model: ``model_id, model, letter, predicted_share, gold_share``."""
    labels = list(labels)
    of_kind = _letter_items(items, kind, labels)
    rows = []
    for model_id, model_items in of_kind.groupby("model_id", sort=False):
        n_items = len(model_items)
        predicted = np.bincount(model_items["predicted"].to_numpy(dtype=np.int64), minlength=len(labels))
        gold = np.bincount(model_items["gold"].to_numpy(dtype=np.int64), minlength=len(labels))
        for index, letter in enumerate(labels):
            rows.append(
                {
                    "model_id": model_id,
                    "model": short_model_name(model_id),
                    "letter": letter,
                    "predicted_share": predicted[index] / n_items,
                    "gold_share": gold[index] / n_items,
                }
            )
    return pd.DataFrame(rows)


def tests_text(diagnosis: pd.DataFrame) -> str:
    """The family of tests behind :func:`letter_diagnosis`, in one sentence."""
    n = int(diagnosis["n_tests"].iloc[0]) if len(diagnosis) else 0
    chance = diagnosis["chance"].iloc[0] if len(diagnosis) else MMLU_CHANCE
    return (
        f"Tests: exact one-sided binomial test of each model's accuracy against {100 * chance:.0f}%, and a "
        f"chi-square test of uniform predicted letters with a Monte Carlo p-value ({N_DRAWS:,} draws); "
        f"each Holm-corrected across the {n} model{'s' if n != 1 else ''} scored in the letter format, "
        "each model counted once."
    )


def letter_verdict_markdown(diagnosis: pd.DataFrame, alpha: float = ALPHA, findings: bool = True) -> str:
    """The verdict on "below-chance accuracy is explained by letter bias", generated from the numbers.

    ``findings=False`` (the ``ci`` profile) prefixes it with a note that it is not a finding.
    """
    require(
        diagnosis,
        [
            "model",
            "accuracy",
            "accuracy_low",
            "accuracy_high",
            "p_below_holm",
            "verdict",
            "top_letter",
            "top_predicted_share",
            "top_gold_share",
            "bias_expected_accuracy",
            "n_tests",
        ],
        "letter_verdict_markdown",
    )
    below = diagnosis[diagnosis["verdict"] != VERDICTS[0]]
    explained = below[below["verdict"] == VERDICTS[1]]
    refuted = below[below["verdict"] == VERDICTS[2]]
    caveat = "" if findings else "(Random-weight models: this verdict exercises the test and is not a finding.) "
    if below.empty:
        head = (
            f"{caveat}**Verdict: not supported.** No model's letter-format accuracy is significantly below "
            f"chance (Holm-adjusted p >= {alpha:g}; lowest accuracy {100 * diagnosis['accuracy'].min():.1f}%, "
            f"{len(diagnosis)} models), so there is no below-chance accuracy for letter bias to explain."
        )
        return f"{head}\n\n{tests_text(diagnosis)}"
    lines = []
    for row in below.itertuples(index=False):
        lines.append(
            f"- `{row.model}`: accuracy {100 * row.accuracy:.1f}% [{100 * row.accuracy_low:.1f}%, "
            f"{100 * row.accuracy_high:.1f}%] ({p_text(row.p_below_holm, 'Holm p ')}); predicts {row.top_letter} "
            f"for {row.top_predicted_share:.0%} of items, gold is {row.top_letter} for "
            f"{row.top_gold_share:.0%}; a letter-biased guesser would score "
            f"{100 * row.bias_expected_accuracy:.1f}%: {row.verdict}."
        )
    if len(explained) == len(below):
        head = (
            "**Verdict: supported.** Every model significantly below chance is consistent with letter bias (a "
            f"guesser with its letter preferences and no knowledge scores within its {setting_percent(1 - alpha)} "
            "interval):"
        )
    elif len(refuted) == len(below):
        head = "**Verdict: refuted.** Models are significantly below chance, but letter bias does not account for it:"
    elif explained.empty and refuted.empty:
        head = "**Verdict: inconclusive.** These data cannot say whether letter bias accounts for the deficit:"
    else:
        head = (
            f"**Verdict: partly supported.** {len(explained)} of the {len(below)} models significantly below "
            f"chance are consistent with letter bias, {len(refuted)} are not:"
        )
    return "\n".join([caveat + head, *lines, "", tests_text(diagnosis)])
