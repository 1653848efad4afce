"""Multiple-choice accuracy: ``acc``, ``acc_norm`` (characters), ``acc_bytes`` and choice lengths.

The accuracy variants follow lm-evaluation-harness 0.4.13 ``ConfigurableTask.process_results``
(``output_type: multiple_choice``) exactly; ``choice_texts`` are the choices *without* the target
delimiter (see :mod:`helpers.analysis.metrics`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from helpers.analysis.metrics.validation import MetricError, _as_choice_logprobs, _checked

# ------------------------------------------------------------------ choice lengths


def choice_texts_from_continuations(
    continuations: Sequence[Sequence[str]], target_delimiter: str = " "
) -> list[list[str]]:
    """Strip the target delimiter from each request continuation (``" A"`` -> ``"A"``).

    lm-evaluation-harness builds each multiple-choice continuation as
    ``f"{target_delimiter}{choice}"`` but normalises by ``len(choice)``; this recovers
    ``choice``. Raises :class:`MetricError` if a continuation does not start with the
    delimiter (pass ``target_delimiter=""`` for tasks without one).
    """
    texts: list[list[str]] = []
    for item_index, item_continuations in enumerate(continuations):
        row = []
        for choice_index, continuation in enumerate(item_continuations):
            if not continuation.startswith(target_delimiter):
                raise MetricError(
                    f"continuation {continuation!r} (item {item_index}, choice {choice_index}) "
                    f"does not start with target_delimiter {target_delimiter!r}; pass the "
                    'delimiter the task used ("" for none).'
                )
            row.append(continuation[len(target_delimiter) :])
        texts.append(row)
    return texts


def choice_lengths(choice_texts: Sequence[Sequence[str]], unit: str = "chars") -> np.ndarray:
    """Length of every choice string: ``[n_items, n_choices]`` float array.

    ``unit="chars"`` counts Python characters (lm-eval ``acc_norm``), ``unit="bytes"`` UTF-8
    bytes (lm-eval ``acc_bytes``). Empty strings raise (their normalised score is undefined).
    """
    if unit not in ("chars", "bytes"):
        raise MetricError(f"unit must be 'chars' or 'bytes'; got {unit!r}.")
    rows = [
        [float(len(text) if unit == "chars" else len(text.encode("utf-8"))) for text in item] for item in choice_texts
    ]
    widths = {len(row) for row in rows}
    if len(widths) > 1:
        raise MetricError(
            f"choice_texts rows have different numbers of choices {sorted(widths)}; "
            "score tasks with a fixed number of choices together."
        )
    lengths = np.asarray(rows, dtype=np.float64)  # [n_items, n_choices]
    if lengths.ndim != 2 or lengths.size == 0:
        raise MetricError("choice_texts is empty; pass one list of choice strings per item.")
    if (lengths == 0).any():
        bad = np.argwhere(lengths == 0)[0]
        raise MetricError(
            f"choice {bad[1]} of item {bad[0]} is an empty string; length normalisation "
            "needs non-empty choices (did you strip the whole continuation?)."
        )
    return lengths


# ------------------------------------------------------------------------- accuracy


def predicted_choice(choice_logprobs) -> np.ndarray:
    """Index of the highest summed log-likelihood per item, first maximum on ties: ``[n_items]``."""
    return np.argmax(_as_choice_logprobs(choice_logprobs), axis=1)


def correct(choice_logprobs, gold) -> np.ndarray:
    """Per-item correctness of the argmax choice (lm-eval ``acc``): bool ``[n_items]``."""
    logprobs, gold_index = _checked(choice_logprobs, gold)
    return np.argmax(logprobs, axis=1) == gold_index


def _correct_normalised(choice_logprobs, gold, choice_texts, unit: str) -> np.ndarray:
    logprobs, gold_index = _checked(choice_logprobs, gold)
    lengths = choice_lengths(choice_texts, unit=unit)  # [n_items, n_choices]
    if lengths.shape != logprobs.shape:
        raise MetricError(
            f"choice_texts has shape {lengths.shape} but choice_logprobs {logprobs.shape}; "
            "pass one string per scored choice."
        )
    return np.argmax(logprobs / lengths, axis=1) == gold_index


def correct_norm(choice_logprobs, gold, choice_texts) -> np.ndarray:
    """Per-item lm-eval ``acc_norm``: argmax of log-likelihood / characters of the choice."""
    return _correct_normalised(choice_logprobs, gold, choice_texts, unit="chars")


def correct_bytes(choice_logprobs, gold, choice_texts) -> np.ndarray:
    """Per-item lm-eval ``acc_bytes``: argmax of log-likelihood / UTF-8 bytes of the choice."""
    return _correct_normalised(choice_logprobs, gold, choice_texts, unit="bytes")


def accuracy(choice_logprobs, gold) -> float:
    """Mean of :func:`correct` (lm-eval ``acc``)."""
    return float(np.mean(correct(choice_logprobs, gold)))


def acc_norm(choice_logprobs, gold, choice_texts) -> float:
    """Mean of :func:`correct_norm` (lm-eval ``acc_norm``, character-length normalised)."""
    return float(np.mean(correct_norm(choice_logprobs, gold, choice_texts)))


def acc_bytes(choice_logprobs, gold, choice_texts) -> float:
    """Mean of :func:`correct_bytes` (lm-eval ``acc_bytes``, byte-length normalised)."""
    return float(np.mean(correct_bytes(choice_logprobs, gold, choice_texts)))
