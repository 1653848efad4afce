"""The right null for full-answer-text scoring (``STATISTICS.md``, rule 5).

25% is chance for a uniform guess over four choices, not for a model that scores each full
answer text by its summed log-likelihood: longer answers collect more negative log-probability,
so such a model leans to short answers. On the 1,064 MMLU-math test items "always pick the
shortest answer" scores about 21.6% and "always A" about 19.9%. These baselines are computed
from the items themselves and shown beside 25%:

* :func:`shortest_answer_correct`: 0/1 per item for "pick the shortest answer text";
* :func:`always_letter_correct`, :func:`most_common_gold`: "always pick choice ``index``";
* :func:`majority_label_share`: for binary tasks (MRPC), the majority label's share of the items
  actually scored, beside 50%;
* :func:`baseline_table`: all of them with Wilson 95% intervals;
* :func:`answer_share` and :func:`is_near_constant`: how often a model gives its most common
  answer; a model that gives one answer on at least :data:`NEAR_CONSTANT_SHARE` of the items is a
  (near-)constant answerer, and its accuracy says more about the label balance than about it.

Units: accuracies and shares are proportions in [0, 1]; lengths are Python characters (as
lm-evaluation-harness ``acc_norm`` counts them). Bad input raises
:class:`~helpers.analysis.verdicts.InferenceError` (a ``ValueError``), or
:class:`~helpers.analysis.metrics.MetricError` from :func:`~helpers.analysis.metrics.choice_lengths`.
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from helpers.analysis.intervals import wilson_interval
from helpers.analysis.metrics import choice_lengths
from helpers.analysis.verdicts import InferenceError, as_finite

__all__ = [
    "shortest_answer_correct",
    "always_letter_correct",
    "most_common_gold",
    "majority_label_share",
    "baseline_table",
    "answer_share",
    "is_near_constant",
    "NEAR_CONSTANT_SHARE",
]

NEAR_CONSTANT_SHARE = 0.8
"""A model that gives its most common answer on at least this share of the items is near-constant."""


def _gold(gold, n_choices: int | None = None) -> np.ndarray:
    """``gold`` as a 1-D int array of choice indices (``< n_choices`` when given)."""
    array = as_finite(gold, "gold")
    if np.any(array != np.round(array)) or np.any(array < 0):
        raise InferenceError(f"gold must hold non-negative integer choice indices; got {array.tolist()[:10]}...")
    array = array.astype(np.int64)
    if n_choices is not None and np.any(array >= n_choices):
        bad = int(np.argmax(array >= n_choices))
        raise InferenceError(f"gold[{bad}] = {array[bad]} but items have {n_choices} choices (0..{n_choices - 1}).")
    return array


def _lengths(choice_texts, gold) -> tuple[np.ndarray, np.ndarray]:
    lengths = choice_lengths(choice_texts, unit="chars")  # [n_items, n_choices]; checks emptiness
    gold = _gold(gold, lengths.shape[1])
    if gold.size != lengths.shape[0]:
        raise InferenceError(f"gold has {gold.size} entries but choice_texts {lengths.shape[0]} items; align them.")
    return lengths, gold


def shortest_answer_correct(choice_texts: Sequence[Sequence[str]], gold) -> np.ndarray:
    """Credit per item of "pick the shortest answer text (in characters)": its expected accuracy.

    Ties share the credit: a rule that picks at random among the ``t`` shortest choices is right
    with probability ``1/t`` when the gold answer is one of them, else 0. (Breaking ties towards
    the first choice would score a position bias, not a length rule.) Floats in [0, 1]; every
    item needs the same number of choices.
    """
    lengths, gold = _lengths(choice_texts, gold)
    shortest = lengths == lengths.min(axis=1, keepdims=True)  # [n_items, n_choices]
    gold_is_shortest = shortest[np.arange(gold.size), gold]
    return np.where(gold_is_shortest, 1.0 / shortest.sum(axis=1), 0.0)


def always_letter_correct(gold, index) -> np.ndarray:
    """0/1 per item: is choice ``index`` (0 = "A") the gold one?"""
    if not isinstance(index, Integral) or isinstance(index, bool) or index < 0:
        raise InferenceError(f"index must be a choice index >= 0 (0 for 'A'); got {index!r}.")
    return (_gold(gold) == int(index)).astype(np.int64)


def most_common_gold(gold, n_choices) -> tuple[int, float]:
    """The most common gold index and its share of the items; ties go to the lowest index."""
    if not isinstance(n_choices, Integral) or isinstance(n_choices, bool) or n_choices < 1:
        raise InferenceError(f"n_choices must be a positive integer (4 for MMLU); got {n_choices!r}.")
    gold = _gold(gold, int(n_choices))
    counts = np.bincount(gold, minlength=int(n_choices))
    index = int(np.argmax(counts))
    return index, float(counts[index] / gold.size)


def majority_label_share(gold) -> tuple[int, float]:
    """The majority label (e.g. MRPC 0/1) and its share of the items scored; ties -> lowest."""
    gold = _gold(gold)
    counts = np.bincount(gold)
    label = int(np.argmax(counts))
    return label, float(counts[label] / gold.size)


def answer_share(predicted) -> tuple[object, float]:
    """The most common predicted answer (any label: index, letter, "yes") and its share of the items.

    Ties go to the answer seen first. An empty sequence gives ``(None, nan)``.
    """
    answers = pd.Series(list(predicted), dtype=object)
    if answers.empty:
        return None, float("nan")
    counts = answers.value_counts(sort=False)
    label = counts.idxmax()
    return label, float(counts[label] / len(answers))


def is_near_constant(share: float) -> bool:
    """Whether an answer share from :func:`answer_share` marks a (near-)constant answerer."""
    return bool(share == share and share >= NEAR_CONSTANT_SHARE)


def _row(name: str, k: float, n: int, note: str) -> dict:
    """A baseline row; ``k`` may be an expected count (ties sharing credit): Wilson at that count."""
    if float(k).is_integer():
        interval = wilson_interval(int(k), n)
        low, high = interval.low, interval.high
    else:
        low, high = (float(b) for b in proportion_confint(k, n, alpha=0.05, method="wilson"))
    return {"baseline": name, "accuracy": k / n, "low": low, "high": high, "k": k, "n": n, "note": note}


def baseline_table(choice_texts, gold, labels=("A", "B", "C", "D")) -> pd.DataFrame:
    """Length-aware baselines for a multiple-choice task, one row each.

    Rows: "uniform guess" (``1 / n_choices``, exact: its interval is the point), "shortest
    answer" (:func:`shortest_answer_correct`) and "always <letter>" for the most common gold
    letter (:func:`most_common_gold`). Columns: ``baseline, accuracy, low, high`` (Wilson 95%
    for the rule baselines), ``k, n, note``. ``labels`` names the choices (at least as many as
    the items have choices).
    """
    lengths, gold = _lengths(choice_texts, gold)
    n_items, n_choices = lengths.shape
    labels = tuple(labels)
    if len(labels) < n_choices:
        raise InferenceError(f"labels {labels} name fewer than the {n_choices} choices; pass one label per choice.")
    index, _ = most_common_gold(gold, n_choices)
    shortest = float(shortest_answer_correct(choice_texts, gold).sum())  # expected count, ties share credit
    always = int(always_letter_correct(gold, index).sum())
    uniform = {
        "baseline": "uniform guess",
        "accuracy": 1.0 / n_choices,
        "low": 1.0 / n_choices,
        "high": 1.0 / n_choices,
        "k": pd.NA,
        "n": n_items,
        "note": f"expected accuracy of a uniform guess over {n_choices} choices (exact)",
    }
    rows = [
        uniform,
        _row(
            "shortest answer",
            shortest,
            n_items,
            "pick the shortest answer text (characters); ties share the credit (expected accuracy)",
        ),
        _row(
            f"always {labels[index]}",
            always,
            n_items,
            "always pick the gold letter most common on these items (chosen on them: optimistic)",
        ),
    ]
    table = pd.DataFrame(rows)
    table["k"] = table["k"].astype("Float64")
    return table
