"""Losses per token and per byte, and the continuous metrics of single-continuation tasks.

* cross-entropy of the gold continuation per token / per UTF-8 byte, per item and corpus-weighted
  (lm-eval's ``weighted_mean``), and bits per byte;
* arithmetic-style tasks scored as one continuation: exact match (every token greedy), mean
  token loss, share of greedy tokens, and :func:`continuation_metrics` from engine scores.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from helpers.analysis.metrics.validation import MetricError, _as_1d_float, _checked
from helpers.core.requests import Score

LN2 = math.log(2.0)


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
            f"{name}[{index}] = {float(array[index]):g}; every continuation must have at least one token / byte."
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


# ------------------------------------------------------ arithmetic / continuous metrics


def exact_match(is_greedy) -> np.ndarray:
    """Per-item exact match of a single continuation: every token greedy. bool ``[n_items]``."""
    array = np.asarray(is_greedy)
    if array.ndim != 1 or array.dtype != np.bool_:
        raise MetricError(f"is_greedy must be a 1-D bool array; got dtype {array.dtype}, shape {array.shape}.")
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
            raise MetricError(f"token_is_greedy[{item_index}] must be a non-empty 1-D bool sequence; got {values!r}.")
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
