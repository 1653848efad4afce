"""Shared definitions for per-group summaries: the one definition of chance.

Chance is the accuracy of a uniform guess among an item's choices: ``1 / n_choices`` for a
multiple-choice item (0.25 for four-way MMLU, 0.5 for MRPC/QQP yes/no). A single-continuation
task scored by exact match (arithmetic) has no choices to guess among: a guess essentially never
produces the exact answer, so its chance accuracy is 0.0, and "above chance" means "any item
right". Every view, chart and verdict uses :func:`chance_level`.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np


def chance_level(n_choices: int | Iterable[int]) -> float:
    """Chance accuracy for items with ``n_choices`` choices (a number, or one per item: the mean).

    ``1/n`` for ``n >= 2``, 0.0 for a single continuation (exact match). ValueError for a count
    below 1.
    """
    counts = np.atleast_1d(np.asarray(list(n_choices) if not np.isscalar(n_choices) else [n_choices], dtype=float))
    if counts.size == 0 or np.isnan(counts).any() or (counts < 1).any():
        raise ValueError(f"n_choices={n_choices!r}: every item needs at least one choice.")
    return float(np.mean(np.where(counts >= 2, 1.0 / counts, 0.0)))
