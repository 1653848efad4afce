"""From the stored per-request rows to one row per (model, task, item) with every metric.

:func:`helpers.experiments.evaluation.evaluate` stores one row per request (one per answer choice).
:func:`item_table` regroups them per item and computes, with :mod:`helpers.analysis.metrics`:

- multiple choice (MMLU, QQP, MRPC): predicted and gold labels, ``correct`` (argmax of the
  summed log-likelihood), ``correct_norm`` (lm-evaluation-harness ``acc_norm``: per
  character of the choice), ``correct_bytes``, the Schaeffer et al. (2024) chain
  (``log_p_vocab_correct`` ... ``brier``), and the gold answer's loss per token and per byte;
- single continuation (arithmetic): ``correct`` = exact match (every token greedy), the
  fraction of answer tokens that are greedy (teacher-forced "digits correct"), and the loss
  per token and per byte. Rows imported from lm-evaluation-harness carry no per-token data
  (empty ``token_is_greedy``): their digits-correct fraction is NaN (:func:`lacking` names what
  such rows lack), everything else is computed from the summed log-probability and greedy flag.

``gold_nll_per_token`` is "the loss on the answers" of the reproduced study.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.analysis import metrics

ITEM_KEYS = ["model_id", "task", "kind", "item_id"]
CARRIED = ["subject", "n_params_total", "n_params_nonembedding"]


def _multiple_choice(group: pd.DataFrame) -> pd.DataFrame:
    """Rows of one (model, task) whose items have several choices: one row per item."""
    group = group.sort_values(["item_id", "choice"], kind="stable")
    n_choices = int(group.groupby("item_id", sort=False).size().iloc[0])
    firsts = group[group["choice"] == 0].reset_index(drop=True)
    n_items = len(firsts)
    logprobs = group["logprob"].to_numpy(dtype=float).reshape(n_items, n_choices)  # [item, choice]
    gold = firsts["gold"].to_numpy(dtype=np.int64)  # [item]
    labels = group["label"].to_numpy().reshape(n_items, n_choices)  # [item, choice]
    continuations = group["continuation"].to_numpy().reshape(n_items, n_choices)
    n_tokens = group["n_tokens"].to_numpy(dtype=float).reshape(n_items, n_choices)
    choice_texts = metrics.choice_texts_from_continuations(continuations.tolist())
    predicted = metrics.predicted_choice(logprobs)
    rows = np.arange(n_items)
    gold_continuations = continuations[rows, gold].tolist()
    frame = firsts[ITEM_KEYS + CARRIED].copy()
    frame["n_choices"] = n_choices
    frame["gold"] = gold
    frame["gold_label"] = labels[rows, gold]
    frame["predicted"] = predicted
    frame["predicted_label"] = labels[rows, predicted]
    frame["correct_norm"] = metrics.correct_norm(logprobs, gold, choice_texts)
    frame["correct_bytes"] = metrics.correct_bytes(logprobs, gold, choice_texts)
    chain = metrics.schaeffer_chain(logprobs, gold)
    for column in chain.columns:
        frame[column] = chain[column].to_numpy()
    frame["gold_n_tokens"] = n_tokens[rows, gold]
    frame["gold_nll_per_token"] = metrics.nll_per_token(logprobs[rows, gold], n_tokens[rows, gold])
    frame["gold_nll_per_byte"] = metrics.nll_per_byte(logprobs[rows, gold], gold_continuations)
    frame["greedy_token_fraction"] = np.nan
    return frame


def _single_continuation(group: pd.DataFrame) -> pd.DataFrame:
    """Rows of one (model, task) with one request per item (arithmetic)."""
    group = group.reset_index(drop=True)
    frame = group[ITEM_KEYS + CARRIED].copy()
    frame["n_choices"] = 1
    frame["gold"] = 0
    frame["gold_label"] = group["label"].to_numpy()
    frame["predicted"] = 0
    frame["predicted_label"] = ""
    frame["correct"] = metrics.exact_match(group["is_greedy"].to_numpy())
    frame["log_p_vocab_correct"] = group["logprob"].to_numpy(dtype=float)
    frame["p_vocab_correct"] = np.exp(frame["log_p_vocab_correct"])
    frame["gold_n_tokens"] = group["n_tokens"].to_numpy(dtype=float)
    frame["gold_nll_per_token"] = metrics.nll_per_token(frame["log_p_vocab_correct"], frame["gold_n_tokens"])
    frame["gold_nll_per_byte"] = metrics.nll_per_byte(frame["log_p_vocab_correct"], group["continuation"].tolist())
    per_token = group["token_is_greedy"].map(lambda values: values is not None and len(values) > 0).to_numpy()
    fractions = np.full(len(group), np.nan)
    if per_token.any():
        fractions[per_token] = metrics.greedy_token_fraction(group.loc[per_token, "token_is_greedy"].tolist())
    frame["greedy_token_fraction"] = fractions
    return frame


def lacking(items: pd.DataFrame) -> dict[str, list[str]]:
    """``{metric: [model_id, ...]}`` of the per-item metrics some models' single-continuation items lack.

    Rows imported from lm-evaluation-harness carry no per-token data (no digits-correct fraction)
    and, when the model's tokenizer was not available at import, no token counts (no loss per
    token). Multiple-choice items never have a digits-correct fraction and are not counted.
    """
    missing: dict[str, list[str]] = {}
    single = items[items["n_choices"] == 1] if "n_choices" in items.columns else items.iloc[0:0]
    for metric in ("greedy_token_fraction", "gold_nll_per_token"):
        if metric in single.columns:
            models = single.loc[single[metric].isna(), "model_id"].drop_duplicates().tolist()
            if models:
                missing[metric] = models
    return missing


def item_table(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per (model_id, task, kind, item_id) with every per-item metric (module docstring)."""
    missing = set(ITEM_KEYS + CARRIED + ["choice", "logprob", "gold", "label"]) - set(rows.columns)
    if missing:
        raise ValueError(
            f"rows lack columns {sorted(missing)}: pass the table returned by helpers.experiments.evaluation.evaluate."
        )
    frames = []
    for _, group in rows.groupby(["model_id", "task", "kind"], sort=False):
        is_multiple_choice = group.groupby("item_id").size().max() > 1
        frames.append(_multiple_choice(group) if is_multiple_choice else _single_continuation(group))
    if not frames:
        return pd.DataFrame(columns=ITEM_KEYS + CARRIED)
    table = pd.concat(frames, ignore_index=True)
    table["correct"] = table["correct"].astype(bool)
    return table
