"""The Schaeffer et al. (2024) chain of metrics and the multi-class Brier score.

"Why Has Predicting Downstream Capabilities of Frontier AI Models with Scale Remained
Elusive?": from the log-probability the model puts on the correct choice's tokens, through the
probability mass it puts on the choices at all, to the choice-normalised probability, the Brier
score and finally accuracy; each step discards information about the loss.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special

from helpers.analysis.metrics.validation import MetricError, _as_choice_logprobs, _checked


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
