"""Per-item metrics computed from the scoring engine's log-likelihoods.

Everything here is plain numpy / pandas: the scoring engine (``helpers.core.scoring``) turns each
:class:`~helpers.core.requests.Item` into one summed log-likelihood per answer choice, and these
functions turn those numbers into the quantities the report plots.

Conventions
-----------
* ``choice_logprobs``: ``[n_items, n_choices]`` float array of summed natural-log
  probabilities, one per (item, choice): the ``logprob`` of each choice's
  :class:`~helpers.core.requests.Score`.
* ``gold``: ``[n_items]`` integer array, the index of the correct choice.
* ``choice_texts``: ``n_items`` sequences of ``n_choices`` strings, the answer choices *as
  lm-evaluation-harness's* ``doc_to_choice`` *returns them*, i.e. **without** the target
  delimiter (``"A"``, not ``" A"``). :func:`choice_texts_from_continuations` strips it from
  the request continuations.

Accuracy variants follow lm-evaluation-harness 0.4.13 ``ConfigurableTask.process_results``
(``output_type: multiple_choice``) exactly:

* ``acc``: ``np.argmax(lls) == gold`` (ties go to the first maximum);
* ``acc_norm``: ``np.argmax(lls / len(choice)) == gold``, the length in *characters* of the
  choice string without the delimiter;
* ``acc_bytes``: the same with the UTF-8 byte length.

The Schaeffer et al. (2024) chain (:func:`schaeffer_chain`) follows "Why Has Predicting
Downstream Capabilities of Frontier AI Models with Scale Remained Elusive?": from the
log-probability the model puts on the correct choice's tokens, through the probability mass
it puts on the choices at all, to the choice-normalised probability, the Brier score and
finally accuracy; each step discards information about the loss.

Bad input raises :class:`MetricError` naming the bad value and the remedy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd
from scipy import special, stats

from helpers.core.requests import Score

LN2 = math.log(2.0)
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
        raise MetricError(
            f"gold must have shape [{n_items}] (one index per item); got shape {array.shape}."
        )
    if not np.issubdtype(array.dtype, np.integer):
        if np.issubdtype(array.dtype, np.floating) and np.all(np.isfinite(array)) and np.all(
            array == np.round(array)
        ):
            array = array.astype(np.int64)
        else:
            raise MetricError(
                f"gold must hold integer choice indices; got dtype {array.dtype}. "
                "Map labels to indices first."
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
                    "delimiter the task used (\"\" for none)."
                )
            row.append(continuation[len(target_delimiter):])
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
        [float(len(text) if unit == "chars" else len(text.encode("utf-8"))) for text in item]
        for item in choice_texts
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


# ---------------------------------------------------------------------- cross-entropy


def gold_logprob(choice_logprobs, gold) -> np.ndarray:
    """Summed log-likelihood of the gold continuation per item: ``[n_items]``."""
    logprobs, gold_index = _checked(choice_logprobs, gold)
    return logprobs[np.arange(logprobs.shape[0]), gold_index]


def utf8_lengths(texts: Sequence[str]) -> np.ndarray:
    """UTF-8 byte length of each string: ``[n_items]`` float array."""
    return np.asarray([float(len(text.encode("utf-8"))) for text in texts], dtype=np.float64)


def _positive_counts(counts, name: str, n_items: int) -> np.ndarray:
    array = _as_1d_float(counts, name, n_items)
    if (array <= 0).any():
        index = int(np.argmax(array <= 0))
        raise MetricError(
            f"{name}[{index}] = {float(array[index]):g}; every continuation must have at least one "
            "token / byte."
        )
    return array


def nll_per_token(logprobs, n_tokens) -> np.ndarray:
    """Per-item cross-entropy in nats per token: ``-logprob / n_tokens``, ``[n_items]``."""
    logprob_array = _as_1d_float(logprobs, "logprobs")
    counts = _positive_counts(n_tokens, "n_tokens", logprob_array.shape[0])
    return -logprob_array / counts


def nll_per_byte(logprobs, continuations: Sequence[str]) -> np.ndarray:
    """Per-item cross-entropy in nats per UTF-8 byte of the scored continuation, ``[n_items]``.

    The bytes counted are those of the continuation exactly as scored (leading space
    included), because that is the text whose tokens the log-likelihood covers.
    """
    logprob_array = _as_1d_float(logprobs, "logprobs")
    counts = _positive_counts(utf8_lengths(continuations), "continuation bytes", logprob_array.shape[0])
    return -logprob_array / counts


def corpus_nll_per_token(logprobs, n_tokens) -> float:
    """Token-weighted cross-entropy over items: ``-sum(logprob) / sum(n_tokens)`` (nats).

    This is the "loss" a language-modelling paper reports (every token counts once), the
    analogue of lm-eval's ``weighted_mean`` aggregation.
    """
    logprob_array = _as_1d_float(logprobs, "logprobs")
    counts = _positive_counts(n_tokens, "n_tokens", logprob_array.shape[0])
    return float(-logprob_array.sum() / counts.sum())


def corpus_nll_per_byte(logprobs, continuations: Sequence[str]) -> float:
    """Byte-weighted cross-entropy over items: ``-sum(logprob) / sum(bytes)`` (nats per byte)."""
    logprob_array = _as_1d_float(logprobs, "logprobs")
    counts = _positive_counts(utf8_lengths(continuations), "continuation bytes", logprob_array.shape[0])
    return float(-logprob_array.sum() / counts.sum())


def bits_per_byte(nats_per_byte):
    """Convert nats per byte to bits per byte (divide by ln 2); works on scalars and arrays."""
    bits = np.asarray(nats_per_byte, dtype=np.float64) / LN2
    return float(bits) if bits.ndim == 0 else bits


# ------------------------------------------------------------- Schaeffer et al. chain


def choice_probabilities(choice_logprobs) -> np.ndarray:
    """Softmax over the choices' summed log-likelihoods: ``[n_items, n_choices]``, rows sum to 1."""
    logprobs = _as_choice_logprobs(choice_logprobs)
    if np.isneginf(logprobs).all(axis=1).any():
        index = int(np.argmax(np.isneginf(logprobs).all(axis=1)))
        raise MetricError(f"item {index} has log-probability -inf for every choice; cannot normalise.")
    return special.softmax(logprobs, axis=1)


def brier_score(choice_logprobs, gold) -> np.ndarray:
    """Per-item multi-class Brier score over the choices: ``sum_k (p_k - 1[k == gold])**2``.

    ``p`` is :func:`choice_probabilities`; the mean over items is lm-eval's ``brier_score``.
    """
    logprobs, gold_index = _checked(choice_logprobs, gold)
    probabilities = choice_probabilities(logprobs)  # [n_items, n_choices]
    one_hot = np.eye(logprobs.shape[1])[gold_index]  # [n_items, n_choices]
    return np.sum((probabilities - one_hot) ** 2, axis=1)


SCHAEFFER_COLUMNS = (
    "log_p_vocab_correct",
    "p_vocab_correct",
    "log_p_vocab_all_choices",
    "p_vocab_all_choices",
    "p_choices_correct",
    "brier",
    "correct",
)


def schaeffer_chain(choice_logprobs, gold, index=None) -> pd.DataFrame:
    """The Schaeffer et al. (2024) chain of metrics, one row per item.

    Columns (see :data:`SCHAEFFER_COLUMNS`):

    * ``log_p_vocab_correct``: summed log-probability of the correct choice's tokens;
    * ``p_vocab_correct``: its exponential, the probability over the whole vocabulary;
    * ``log_p_vocab_all_choices`` / ``p_vocab_all_choices``: log / probability of the mass on
      any of the choices, ``logsumexp_k logprob_k``;
    * ``p_choices_correct``: the correct choice's share of that mass (softmax over choices);
    * ``brier``: multi-class Brier score of the softmax over choices (:func:`brier_score`);
    * ``correct``: argmax accuracy (:func:`correct`).

    ``index`` (optional, length ``n_items``) labels the rows, e.g. with item ids.
    """
    logprobs, gold_index = _checked(choice_logprobs, gold)
    if index is not None and len(index) != logprobs.shape[0]:
        raise MetricError(f"index has {len(index)} labels but there are {logprobs.shape[0]} items.")
    rows = np.arange(logprobs.shape[0])
    log_p_correct = logprobs[rows, gold_index]  # [n_items]
    log_p_all = special.logsumexp(logprobs, axis=1)  # [n_items]
    with np.errstate(invalid="ignore"):
        log_share = log_p_correct - log_p_all  # [n_items]
    if np.isnan(log_share).any():
        index_bad = int(np.argmax(np.isnan(log_share)))
        raise MetricError(f"item {index_bad} has log-probability -inf for every choice; cannot normalise.")
    frame = pd.DataFrame(
        {
            "log_p_vocab_correct": log_p_correct,
            "p_vocab_correct": np.exp(log_p_correct),
            "log_p_vocab_all_choices": log_p_all,
            "p_vocab_all_choices": np.exp(log_p_all),
            "p_choices_correct": np.exp(log_share),
            "brier": brier_score(logprobs, gold_index),
            "correct": np.argmax(logprobs, axis=1) == gold_index,
        },
        index=index,
    )
    return frame


# ------------------------------------------------------------------------ letter bias


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
        raise MetricError(
            f"predicted has {predicted_index.size} items but gold has {gold_index.size}."
        )
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


# ------------------------------------------------------ arithmetic / continuous metrics


def exact_match(is_greedy) -> np.ndarray:
    """Per-item exact match of a single continuation: every token greedy. bool ``[n_items]``."""
    array = np.asarray(is_greedy)
    if array.ndim != 1 or array.dtype != np.bool_:
        raise MetricError(
            f"is_greedy must be a 1-D bool array; got dtype {array.dtype}, shape {array.shape}."
        )
    return array.copy()


def mean_token_loss(token_logprobs: Sequence[Sequence[float]]) -> np.ndarray:
    """Per-item mean negative log-likelihood over the continuation's tokens (nats): ``[n_items]``."""
    losses = []
    for item_index, values in enumerate(token_logprobs):
        array = np.asarray(values, dtype=np.float64)
        if array.ndim != 1 or array.size == 0:
            raise MetricError(f"token_logprobs[{item_index}] is empty; each continuation needs >= 1 token.")
        if np.isnan(array).any():
            raise MetricError(f"token_logprobs[{item_index}] contains NaN; re-run scoring.")
        losses.append(-array.mean())
    return np.asarray(losses, dtype=np.float64)


def greedy_token_fraction(token_is_greedy: Sequence[Sequence[bool]]) -> np.ndarray:
    """Per-item fraction of continuation tokens that are the argmax (teacher-forced).

    For answers tokenised one digit per token this is the "digits correct" metric.
    """
    fractions = []
    for item_index, values in enumerate(token_is_greedy):
        array = np.asarray(values)
        if array.ndim != 1 or array.size == 0 or array.dtype != np.bool_:
            raise MetricError(
                f"token_is_greedy[{item_index}] must be a non-empty 1-D bool sequence; got {values!r}."
            )
        fractions.append(array.mean())
    return np.asarray(fractions, dtype=np.float64)


def continuation_metrics(scores: Sequence[Score], index=None) -> pd.DataFrame:
    """Per-item metrics of single-continuation tasks (arithmetic) from engine :class:`Score` s.

    Columns: ``logprob``, ``n_tokens``, ``exact_match`` (``is_greedy``), ``nll_per_token``
    and, when the scores carry per-token values, ``mean_token_loss`` and
    ``greedy_token_fraction`` (NaN where absent). Inconsistent scores raise: the per-token
    lists must have ``n_tokens`` entries and be all-greedy exactly when ``is_greedy``.
    """
    if len(scores) == 0:
        raise MetricError("scores is empty; score some items first.")
    token_loss = np.full(len(scores), np.nan)
    token_greedy = np.full(len(scores), np.nan)
    for item_index, score in enumerate(scores):
        if score.token_logprobs is not None:
            if len(score.token_logprobs) != score.n_tokens:
                raise MetricError(
                    f"scores[{item_index}] has {len(score.token_logprobs)} token_logprobs but "
                    f"n_tokens={score.n_tokens}; the engine returned inconsistent values."
                )
            token_loss[item_index] = mean_token_loss([score.token_logprobs])[0]
        if score.token_is_greedy is not None:
            if len(score.token_is_greedy) != score.n_tokens:
                raise MetricError(
                    f"scores[{item_index}] has {len(score.token_is_greedy)} token_is_greedy but "
                    f"n_tokens={score.n_tokens}; the engine returned inconsistent values."
                )
            if all(score.token_is_greedy) != bool(score.is_greedy):
                raise MetricError(
                    f"scores[{item_index}]: is_greedy={score.is_greedy} disagrees with "
                    f"token_is_greedy={score.token_is_greedy}; the engine returned inconsistent values."
                )
            token_greedy[item_index] = greedy_token_fraction([list(score.token_is_greedy)])[0]
    logprobs = np.asarray([score.logprob for score in scores], dtype=np.float64)
    n_tokens = np.asarray([score.n_tokens for score in scores], dtype=np.int64)
    return pd.DataFrame(
        {
            "logprob": logprobs,
            "n_tokens": n_tokens,
            "exact_match": np.asarray([bool(score.is_greedy) for score in scores]),
            "nll_per_token": nll_per_token(logprobs, n_tokens),
            "mean_token_loss": token_loss,
            "greedy_token_fraction": token_greedy,
        },
        index=index,
    )
