"""Per-group summaries: the one definition of chance, and the one accuracy-and-loss summary of a group.

Chance is the accuracy of a uniform guess among an item's choices: ``1 / n_choices`` for a
multiple-choice item (0.25 for four-way MMLU, 0.5 for MRPC/QQP yes/no). A single-continuation
task scored by exact match (arithmetic) has no choices to guess among: a guess essentially never
produces the exact answer, so its chance accuracy is 0.0, and "above chance" means "any item
right". Every view, chart and verdict uses :func:`chance_level`.

A group of items (one model on one task kind in the scaling and task-contrast chapters, one swap
condition in the swap chapter) is summarised by :func:`group_summary`: accuracy with its Wilson
interval, the mean gold-answer loss per token with a percentile bootstrap interval over items,
chance and the majority baseline (always the most common gold answer on the items scored).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pandas as pd

from helpers.analysis.baselines import answer_share
from helpers.analysis.intervals import bootstrap_mean_ci, wilson_interval
from helpers.analysis.resampling import check_resamples


def chance_level(n_choices: int | Iterable[int]) -> float:
    """Chance accuracy for items with ``n_choices`` choices (a number, or one per item: the mean).

    ``1/n`` for ``n >= 2``, 0.0 for a single continuation (exact match). ValueError for a count
    below 1.
    """
    counts = np.atleast_1d(np.asarray(list(n_choices) if not np.isscalar(n_choices) else [n_choices], dtype=float))
    if counts.size == 0 or np.isnan(counts).any() or (counts < 1).any():
        raise ValueError(f"n_choices={n_choices!r}: every item needs at least one choice.")
    return float(np.mean(np.where(counts >= 2, 1.0 / counts, 0.0)))


# ------------------------------------------------------------------------ the per-group summary


def accuracy_summary(correct, confidence: float = 0.95) -> dict[str, float]:
    """``n_items, n_correct, accuracy, accuracy_low, accuracy_high`` (Wilson) of 0/1 values ``[n_items]``."""
    values = np.asarray(correct, dtype=bool)  # [n_items]
    n_items, n_correct = int(values.size), int(values.sum())
    interval = wilson_interval(n_correct, n_items, confidence)
    return {
        "n_items": n_items,
        "n_correct": n_correct,
        "accuracy": n_correct / n_items,
        "accuracy_low": interval.low,
        "accuracy_high": interval.high,
    }


def mean_interval(values, bootstrap: int, confidence: float = 0.95, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of ``values`` ``[n]`` over items, seeded.

    ``(nan, nan)`` when ``bootstrap == 0`` (no intervals asked for) or fewer than 2 values.
    ``bootstrap`` follows :func:`helpers.analysis.resampling.check_resamples`.
    """
    array = np.asarray(values, dtype=float)  # [n]
    if check_resamples(bootstrap) == 0 or array.size < 2:
        return math.nan, math.nan
    interval = bootstrap_mean_ci(array, n_resamples=int(bootstrap), confidence=confidence, seed=seed)
    return interval.low, interval.high


def majority_share(items: pd.DataFrame) -> float:
    """Accuracy of always giving the gold answer most common on these items (the majority baseline).

    From the gold choice indices ``gold`` (or ``gold_label`` when the table has no indices; the
    two name the same answers, one label per choice index of a task). NaN for exact-match items
    (``n_choices`` below 2: no fixed set of answers to always give) or a table without gold answers.
    """
    gold = next((items[column] for column in ("gold", "gold_label") if column in items.columns), None)
    if gold is None or int(items["n_choices"].min()) < 2:
        return math.nan
    return answer_share(gold.astype(str))[1]


def group_summary(
    items: pd.DataFrame,
    *,
    bootstrap: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
    loss_column: str = "gold_nll_per_token",
) -> dict[str, float]:
    """Accuracy and loss of one group of items (one model on one task kind, one swap condition, ...).

    ``items``: rows of :func:`helpers.analysis.items.item_table` for the group, with ``correct``,
    ``n_choices`` and ``loss_column``. Returns ``n_items, n_correct, accuracy, accuracy_low,
    accuracy_high`` (Wilson), ``loss, loss_low, loss_high`` (mean loss in nats per token; percentile
    bootstrap over items, NaN when ``bootstrap=0`` or one item), ``chance`` (:func:`chance_level`)
    and ``majority`` (:func:`majority_share`). ValueError for an empty group or missing columns.
    """
    missing = [column for column in ("correct", "n_choices", loss_column) if column not in items.columns]
    if missing or items.empty:
        raise ValueError(
            f"group_summary needs a non-empty item table with {missing or 'rows'}; "
            "pass rows of helpers.analysis.items.item_table."
        )
    losses = items[loss_column].to_numpy(dtype=float)  # [n_items]
    loss_low, loss_high = mean_interval(losses, bootstrap, confidence, seed)
    return {
        **accuracy_summary(items["correct"].astype(bool).to_numpy(), confidence),
        "loss": float(losses.mean()),
        "loss_low": loss_low,
        "loss_high": loss_high,
        "chance": chance_level(items["n_choices"]),
        "majority": majority_share(items),
    }
