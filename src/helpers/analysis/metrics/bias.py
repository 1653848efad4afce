"""Letter bias of multiple-choice answers and the majority-letter baseline.

Which letters a model predicts against the gold letters (counts, confusion table, chi-square
test of uniform predictions), and the accuracy of always answering the most common gold letter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from helpers.analysis.metrics.validation import MetricError


@dataclass(frozen=True)
class LetterBias:
    """How a model's predicted letters are distributed, against the gold letters.

    ``predicted_counts`` / ``gold_counts``: counts per label (all labels present, zeros
    included); ``confusion``: rows = gold label, columns = predicted label; ``chi2`` and
    ``pvalue``: Pearson chi-square test that the predicted letters are uniform over the
    labels (expected count ``n / n_labels``; the approximation wants expected counts >= 5).
    """

    predicted_counts: pd.Series
    gold_counts: pd.Series
    confusion: pd.DataFrame
    chi2: float
    pvalue: float


def _label_indices(indices, n_labels: int, name: str) -> np.ndarray:
    array = np.asarray(indices)
    if array.ndim != 1 or array.size == 0:
        raise MetricError(f"{name} must be a non-empty 1-D array of label indices; got shape {array.shape}.")
    if not np.issubdtype(array.dtype, np.integer):
        raise MetricError(f"{name} must hold integer label indices; got dtype {array.dtype}.")
    if ((array < 0) | (array >= n_labels)).any():
        bad = int(array[(array < 0) | (array >= n_labels)][0])
        raise MetricError(f"{name} contains {bad}, outside 0..{n_labels - 1} for {n_labels} labels.")
    return array.astype(np.int64)


def uniformity_test(predicted, n_labels: int) -> tuple[float, float]:
    """Chi-square test that ``predicted`` label indices are uniform over ``n_labels``: (chi2, p)."""
    if n_labels < 2:
        raise MetricError(f"n_labels must be >= 2 for a uniformity test; got {n_labels}.")
    predicted_index = _label_indices(predicted, n_labels, "predicted")
    observed = np.bincount(predicted_index, minlength=n_labels)
    result = stats.chisquare(observed)
    return float(result.statistic), float(result.pvalue)


def letter_bias(predicted, gold, labels: Sequence[str] = ("A", "B", "C", "D")) -> LetterBias:
    """Distribution of predicted vs gold labels (counts, confusion table, uniformity test).

    ``predicted`` and ``gold`` are ``[n_items]`` label indices (e.g. :func:`predicted_choice`).
    """
    labels = list(labels)
    predicted_index = _label_indices(predicted, len(labels), "predicted")
    gold_index = _label_indices(gold, len(labels), "gold")
    if predicted_index.shape != gold_index.shape:
        raise MetricError(f"predicted has {predicted_index.size} items but gold has {gold_index.size}.")
    n_labels = len(labels)
    confusion = np.zeros((n_labels, n_labels), dtype=np.int64)  # [gold, predicted]
    np.add.at(confusion, (gold_index, predicted_index), 1)
    chi2, pvalue = uniformity_test(predicted_index, n_labels)
    return LetterBias(
        predicted_counts=pd.Series(confusion.sum(axis=0), index=labels, name="predicted"),
        gold_counts=pd.Series(confusion.sum(axis=1), index=labels, name="gold"),
        confusion=pd.DataFrame(
            confusion,
            index=pd.Index(labels, name="gold"),
            columns=pd.Index(labels, name="predicted"),
        ),
        chi2=chi2,
        pvalue=pvalue,
    )


@dataclass(frozen=True)
class MajorityBaseline:
    """Always answering the most common gold label: which label, and the accuracy it gets."""

    label: str
    index: int
    accuracy: float
    n_items: int


def majority_letter_baseline(gold, labels: Sequence[str] = ("A", "B", "C", "D")) -> MajorityBaseline:
    """Accuracy of always answering the gold-most-common label (first label on ties)."""
    labels = list(labels)
    gold_index = _label_indices(gold, len(labels), "gold")
    counts = np.bincount(gold_index, minlength=len(labels))
    best = int(np.argmax(counts))
    return MajorityBaseline(
        label=labels[best],
        index=best,
        accuracy=float(counts[best] / gold_index.size),
        n_items=int(gold_index.size),
    )
