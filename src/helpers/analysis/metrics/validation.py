"""Input checks shared by the metric modules, and :class:`MetricError`.

Every metric validates its inputs here, so a bad array fails with one message naming the bad
value and the remedy, whichever metric met it first.
"""

from __future__ import annotations

import numpy as np

POSITIVE_LOGPROB_TOLERANCE = 1e-4
"""Summed log-probabilities above this are rejected (rounding can give tiny positives)."""


class MetricError(ValueError):
    """Raised when the inputs of a metric have the wrong shape, range or values."""


# --------------------------------------------------------------------------- validation


def _as_choice_logprobs(choice_logprobs) -> np.ndarray:
    """Return ``choice_logprobs`` as a float64 ``[n_items, n_choices]`` array, checked."""
    array = np.asarray(choice_logprobs, dtype=np.float64)
    if array.ndim != 2:
        raise MetricError(
            f"choice_logprobs must be 2-D [n_items, n_choices]; got shape {array.shape}. "
            "Stack one row of per-choice summed log-likelihoods per item."
        )
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise MetricError(f"choice_logprobs is empty (shape {array.shape}); score some items first.")
    if np.isnan(array).any():
        bad = np.argwhere(np.isnan(array))[0]
        raise MetricError(
            f"choice_logprobs has NaN at item {bad[0]}, choice {bad[1]}; "
            "re-run scoring for that item (NaN usually means an fp16 overflow: use float32)."
        )
    if (array > POSITIVE_LOGPROB_TOLERANCE).any():
        bad = np.argwhere(array > POSITIVE_LOGPROB_TOLERANCE)[0]
        raise MetricError(
            f"choice_logprobs[{bad[0]}, {bad[1]}] = {float(array[tuple(bad)])!r} is positive; "
            "log-probabilities must be <= 0 (pass natural-log probabilities, not logits or NLL)."
        )
    return array


def _as_gold(gold, n_items: int, n_choices: int) -> np.ndarray:
    """Return ``gold`` as an int64 ``[n_items]`` array of indices in ``[0, n_choices)``."""
    array = np.asarray(gold)
    if array.ndim != 1 or array.shape[0] != n_items:
        raise MetricError(f"gold must have shape [{n_items}] (one index per item); got shape {array.shape}.")
    if not np.issubdtype(array.dtype, np.integer):
        if np.issubdtype(array.dtype, np.floating) and np.all(np.isfinite(array)) and np.all(array == np.round(array)):
            array = array.astype(np.int64)
        else:
            raise MetricError(
                f"gold must hold integer choice indices; got dtype {array.dtype}. Map labels to indices first."
            )
    out_of_range = (array < 0) | (array >= n_choices)
    if out_of_range.any():
        index = int(np.argmax(out_of_range))
        raise MetricError(
            f"gold[{index}] = {int(array[index])} is out of range for {n_choices} choices "
            f"(valid: 0..{n_choices - 1}); check the task's label mapping."
        )
    return array.astype(np.int64)


def _checked(choice_logprobs, gold) -> tuple[np.ndarray, np.ndarray]:
    logprobs = _as_choice_logprobs(choice_logprobs)  # [n_items, n_choices]
    gold_index = _as_gold(gold, *logprobs.shape)  # [n_items]
    return logprobs, gold_index


def _as_1d_float(values, name: str, n_items: int | None = None) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise MetricError(f"{name} must be 1-D; got shape {array.shape}.")
    if n_items is not None and array.shape[0] != n_items:
        raise MetricError(f"{name} has {array.shape[0]} entries but there are {n_items} items.")
    if np.isnan(array).any():
        raise MetricError(f"{name}[{int(np.argmax(np.isnan(array)))}] is NaN; re-run scoring.")
    return array
