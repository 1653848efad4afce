"""Per-item metrics computed from the scoring engine's log-likelihoods.

Everything here is plain numpy / pandas: the scoring engine (``helpers.core.scoring``) turns each
:class:`~helpers.core.requests.Item` into one summed log-likelihood per answer choice, and these
functions turn those numbers into the quantities the report plots. The package is split by
purpose; every name is importable from here (``from helpers.analysis.metrics import accuracy``):

* :mod:`~helpers.analysis.metrics.choices`: multiple-choice ``acc`` / ``acc_norm`` /
  ``acc_bytes`` and choice lengths;
* :mod:`~helpers.analysis.metrics.losses`: losses per token and per byte, and the continuous
  metrics of single-continuation (arithmetic) tasks;
* :mod:`~helpers.analysis.metrics.chain`: the Schaeffer et al. (2024) chain and the Brier score;
* :mod:`~helpers.analysis.metrics.bias`: letter bias and the majority-letter baseline;
* :mod:`~helpers.analysis.metrics.validation`: the shared input checks and :class:`MetricError`.

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

Bad input raises :class:`MetricError` naming the bad value and the remedy.
"""

from __future__ import annotations

from helpers.analysis.metrics.bias import (
    LetterBias,
    MajorityBaseline,
    letter_bias,
    majority_letter_baseline,
    uniformity_test,
)
from helpers.analysis.metrics.chain import (
    SCHAEFFER_COLUMNS,
    brier_score,
    choice_probabilities,
    schaeffer_chain,
)
from helpers.analysis.metrics.choices import (
    acc_bytes,
    acc_norm,
    accuracy,
    choice_lengths,
    choice_texts_from_continuations,
    correct,
    correct_bytes,
    correct_norm,
    predicted_choice,
)
from helpers.analysis.metrics.losses import (
    LN2,
    bits_per_byte,
    continuation_metrics,
    corpus_nll_per_byte,
    corpus_nll_per_token,
    exact_match,
    gold_logprob,
    greedy_token_fraction,
    mean_token_loss,
    nll_per_byte,
    nll_per_token,
    utf8_lengths,
)
from helpers.analysis.metrics.validation import POSITIVE_LOGPROB_TOLERANCE, MetricError

__all__ = [
    "LN2",
    "POSITIVE_LOGPROB_TOLERANCE",
    "MetricError",
    # choices
    "choice_texts_from_continuations",
    "choice_lengths",
    "predicted_choice",
    "correct",
    "correct_norm",
    "correct_bytes",
    "accuracy",
    "acc_norm",
    "acc_bytes",
    # losses
    "gold_logprob",
    "utf8_lengths",
    "nll_per_token",
    "nll_per_byte",
    "corpus_nll_per_token",
    "corpus_nll_per_byte",
    "bits_per_byte",
    "exact_match",
    "mean_token_loss",
    "greedy_token_fraction",
    "continuation_metrics",
    # chain
    "choice_probabilities",
    "brier_score",
    "SCHAEFFER_COLUMNS",
    "schaeffer_chain",
    # bias
    "LetterBias",
    "uniformity_test",
    "letter_bias",
    "MajorityBaseline",
    "majority_letter_baseline",
]
