"""Sections 3b and 4: the scoring format of MMLU-math, and arithmetic under three metrics.

* :func:`format_comparison`: accuracy per model under letter scoring, full-answer-text scoring
  (``acc``) and full-text scoring normalised per character (``acc_norm``), Wilson intervals;
  :func:`published_formats`: the same contrast in the published Pythia/OPT/BLOOM results, with
  exact intervals (the number of items right is exact: each subject's accuracy times its size).
* :func:`arithmetic_metric_view`: exact match against teacher-forced digits correct and the loss
  per token (Schaeffer et al. 2023: emergence can be an artefact of the metric), per task kind or
  per difficulty (the item's ``task``: 2da, 2ds, 3da, 3ds, 2dm).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from helpers.analysis.inference import holm, mcnemar_change
from helpers.analysis.published import mmlu_math_long
from helpers.analysis.summaries import accuracy_summary, chance_level, mean_interval
from helpers.experiments.task_contrast.views import (
    KIND_LABELS,
    ContrastInputError,
    model_families,
    require,
    short_model_name,
    view_inputs,
)

FORMAT_LABELS = {
    "letter_acc": "letter (acc)",
    "fulltext_acc": "full text (acc)",
    "fulltext_acc_norm": "full text (acc_norm)",
}

ARITHMETIC_METRICS = (
    ("correct", "exact match"),
    ("greedy_token_fraction", "digits correct (teacher-forced)"),
    ("gold_nll_per_token", "loss per token (nats)"),
)
"""(item-table column, label) of the continuous-versus-discrete view of arithmetic."""
ARITHMETIC_KINDS = ("procedure",)


def format_comparison(
    items: pd.DataFrame,
    families: Mapping[str, Sequence[str]],
    *,
    letter_kind: str = "knowledge",
    fulltext_kind: str = "knowledge_fulltext",
    size_column: str = "n_params_nonembedding",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Accuracy per model under three scorings of MMLU-math, with Wilson intervals.

    ``format``: ``letter (acc)`` (argmax over " A".." D"), ``full text (acc)`` (argmax of the
    summed log-likelihood of each answer's text) and ``full text (acc_norm)`` (per character,
    as lm-evaluation-harness). Columns: ``family, model_id, model, n_params, format, n_items,
    n_correct, accuracy, accuracy_low, accuracy_high, chance``. Formats whose kind is absent
    are left out; neither kind present raises.
    """
    require(items, ["model_id", "kind", "correct", "correct_norm", "n_choices", size_column], "format_comparison")
    present = set(items["kind"].unique())
    scorings = [
        (key, kind, column)
        for key, kind, column in (
            ("letter_acc", letter_kind, "correct"),
            ("fulltext_acc", fulltext_kind, "correct"),
            ("fulltext_acc_norm", fulltext_kind, "correct_norm"),
        )
        if kind in present
    ]
    if not scorings:
        raise ContrastInputError(
            f"neither {letter_kind!r} nor {fulltext_kind!r} is in the item table (kinds: {sorted(present)}); "
            "score the MMLU-math tasks first."
        )
    models = model_families(items, families, size_column)
    rows = []
    for key, kind, column in scorings:
        of_kind = items[items["kind"] == kind]
        for model in models.itertuples(index=False):
            model_items = of_kind[of_kind["model_id"] == model.model_id]
            if model_items.empty:
                continue
            rows.append(
                {
                    **model._asdict(),
                    "format": FORMAT_LABELS[key],
                    **accuracy_summary(model_items[column].to_numpy(dtype=bool), confidence),
                    "chance": chance_level(model_items["n_choices"]),
                }
            )
    return pd.DataFrame(rows)


def published_formats(summary: pd.DataFrame) -> pd.DataFrame:
    """Published MMLU-math ``acc`` and ``acc_norm`` (:func:`helpers.analysis.published.mmlu_math_summary`) in long form.

    Columns: ``family, model, params, metric, n, k, value, stderr, low, high`` (exact
    Clopper-Pearson 95% from ``k`` of ``n`` items).
    """
    require(
        summary,
        ["family", "model", "params", "n_items", "acc", "acc_stderr", "acc_norm", "acc_norm_stderr"],
        "published_formats",
    )
    return mmlu_math_long(summary)


def arithmetic_metric_view(
    items: pd.DataFrame,
    families: Mapping[str, Sequence[str]],
    kinds: Sequence[str] | None = None,
    *,
    by_task: bool = False,
    size_column: str = "n_params_nonembedding",
    bootstrap: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """Exact match, teacher-forced digits correct and loss per token, per model, for arithmetic.

    Long table: ``family, model_id, model, n_params, kind, kind_label, task, metric,
    metric_label, value, low, high, n_items``. Exact match has a Wilson interval; the two
    continuous metrics a bootstrap interval of the mean (NaN when ``bootstrap == 0``).
    ``by_task=True`` gives one group per difficulty (``task``), else the kind pools them
    (``task`` is then "all"). ``kinds=None`` takes the present kinds of :data:`ARITHMETIC_KINDS`.
    A metric a model's rows lack (no per-token data in rows imported from lm-evaluation-harness:
    :func:`helpers.analysis.items.lacking`) has no row for that model.
    """
    columns = ["model_id", "kind", "task", "correct", "greedy_token_fraction", "gold_nll_per_token"]
    what = "arithmetic_metric_view"
    chosen, models = view_inputs(items, families, kinds, ARITHMETIC_KINDS, size_column, bootstrap, columns, what)
    rows = []
    for kind in chosen:
        of_kind = items[items["kind"] == kind]
        several = (
            (of_kind["n_choices"] > 1) if "n_choices" in of_kind.columns else of_kind["greedy_token_fraction"].isna()
        )
        if several.any():
            raise ContrastInputError(
                f"kind {kind!r} has multiple-choice items (no greedy_token_fraction); "
                "pass an arithmetic kind such as 'procedure'."
            )
        groups = of_kind.groupby("task", sort=False) if by_task else [("all", of_kind)]
        for task, of_task in groups:
            for model in models.itertuples(index=False):
                model_items = of_task[of_task["model_id"] == model.model_id]
                if model_items.empty:
                    continue
                for column, label in ARITHMETIC_METRICS:
                    values = model_items[column].to_numpy(dtype=float)  # [n_items]
                    if np.isnan(values).all():
                        continue  # rows without per-token data (lm-eval imports): the metric is absent
                    if column == "correct":
                        accuracy = accuracy_summary(values.astype(bool), confidence)
                        value, low, high = accuracy["accuracy"], accuracy["accuracy_low"], accuracy["accuracy_high"]
                    else:
                        value = float(values.mean())
                        low, high = mean_interval(values, bootstrap, confidence, seed)
                    rows.append(
                        {
                            **model._asdict(),
                            "kind": kind,
                            "kind_label": KIND_LABELS.get(kind, kind),
                            "task": str(task).removeprefix("arithmetic_"),
                            "metric": column,
                            "metric_label": label,
                            "value": value,
                            "low": low,
                            "high": high,
                            "n_items": int(values.size),
                        }
                    )
    return pd.DataFrame(rows)


def format_tests(items: pd.DataFrame, kind: str = "knowledge_fulltext", *, alpha: float = 0.05) -> pd.DataFrame:
    """Does per-character normalisation change each model's full-text accuracy? (paired, exact)

    Per model (each once), on the same items: ``correct`` (acc) vs ``correct_norm`` (acc_norm),
    exact McNemar test (:func:`helpers.analysis.inference.mcnemar_change`), Holm across the
    models (``n_tests``). Columns: ``model_id, model, n_items, acc, acc_norm, difference, low,
    high`` (Newcombe 95%), ``pvalue, p_holm, n_tests, direction`` ("acc_norm higher", "acc_norm
    lower", "no significant difference"). Empty when ``kind`` was not scored.
    """
    require(items, ["model_id", "kind", "correct", "correct_norm"], "format_tests")
    of_kind = items[items["kind"] == kind]
    rows = []
    for model_id, model_items in of_kind.groupby("model_id", sort=False):
        change = mcnemar_change(
            model_items["correct"].to_numpy(dtype=int), model_items["correct_norm"].to_numpy(dtype=int)
        )
        rows.append(
            {
                "model_id": model_id,
                "model": short_model_name(model_id),
                "n_items": change.n,
                "acc": change.before,
                "acc_norm": change.after,
                "difference": change.difference,
                "low": change.low,
                "high": change.high,
                "pvalue": change.pvalue,
            }
        )
    table = pd.DataFrame(
        rows, columns=["model_id", "model", "n_items", "acc", "acc_norm", "difference", "low", "high", "pvalue"]
    )
    if table.empty:
        return table.assign(p_holm=[], n_tests=[], direction=[])
    reject, table["p_holm"] = holm(table["pvalue"].to_numpy(), alpha)
    table["n_tests"] = len(table)
    table["direction"] = np.where(
        ~reject, "no significant difference", np.where(table["difference"] > 0, "acc_norm higher", "acc_norm lower")
    )
    return table
