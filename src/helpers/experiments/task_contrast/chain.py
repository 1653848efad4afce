"""Section 2: which metrics move with scale, within each family (Schaeffer et al. 2024).

Schaeffer et al. follow one item through a chain of metrics, each derived from the one before
and each throwing information away: ``log p_vocab(correct)``, ``p_vocab(correct)``,
``p_vocab(all choices)``, ``p_choices(correct)``, the Brier score and accuracy. Here each
metric is oriented so that a positive correlation means "better with scale" and correlated
with model size **within one family** (a family differs in size only; a correlation across
families would mix architecture and training data with size, ``STATISTICS.md`` rule 7):

* ``level="per item"``: the Spearman correlation with size across the family's models, for each
  item scored by all of them; ``correlation`` is the median over items whose metric varies,
  ``share_positive`` the share of those items with a positive correlation, ``n_constant`` the
  items on which every model scores the same; the interval is a percentile bootstrap over items;
* ``level="model means"``: Spearman's rho of the per-model means with size, its p-value exact
  (all ``n!`` pairings, :func:`helpers.analysis.inference.spearman_exact`, for up to 10 models)
  and Holm-corrected across every model-means test in the table (``n_tests``).

A family with fewer than 3 models, or fewer than 2 distinct sizes, gets rows with NaN and the
reason in ``note``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from helpers.analysis.inference import holm, spearman_exact
from helpers.analysis.verdicts import ALPHA
from helpers.experiments.task_contrast.views import KIND_LABELS, view_inputs

CHAIN_METRICS = (
    ("log_p_vocab_correct", "log p_vocab(correct)", 1.0),
    ("p_vocab_correct", "p_vocab(correct)", 1.0),
    ("p_vocab_all_choices", "p_vocab(all choices)", 1.0),
    ("p_choices_correct", "p_choices(correct)", 1.0),
    ("brier", "Brier score (negated)", -1.0),
    ("correct", "accuracy", 1.0),
)
"""(item-table column, label, sign) of the chain, from the loss end to accuracy. The sign orients
every metric so that a positive correlation means "better with scale" (a lower Brier score is
better, so it is negated)."""

CHAIN_LEVELS = ("per item", "model means")
MIN_MODELS = 3


def row_spearman(values: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Spearman correlation of each row of ``values`` [rows, models] with ``sizes`` [models].

    Rows where the metric is constant give NaN.
    """
    value_ranks = stats.rankdata(values, axis=-1, method="average")  # [rows, models]
    size_ranks = stats.rankdata(sizes, method="average")  # [models]
    value_centred = value_ranks - value_ranks.mean(axis=-1, keepdims=True)
    size_centred = size_ranks - size_ranks.mean()
    numerator = value_centred @ size_centred  # [rows]
    denominator = np.sqrt((value_centred**2).sum(axis=-1) * (size_centred**2).sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1.0), np.nan)


def _percentiles(samples: np.ndarray, confidence: float) -> tuple[float, float]:
    finite = samples[np.isfinite(samples)]
    if finite.size == 0:
        return math.nan, math.nan
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(finite, [tail, 1.0 - tail])
    return float(low), float(high)


def _metric_matrix(of_kind: pd.DataFrame, column: str, model_ids: list[str]) -> np.ndarray:
    """Items scored by every model: ``[n_items, n_models]`` values of ``column`` (rows with NaN dropped)."""
    wide = of_kind.pivot_table(
        index=["task", "item_id"], columns="model_id", values=column, aggfunc="first", dropna=False
    )
    wide = wide.reindex(columns=model_ids).astype(float)
    return wide.dropna(axis=0, how="any").to_numpy()


_EMPTY = {
    "correlation": math.nan,
    "correlation_low": math.nan,
    "correlation_high": math.nan,
    "share_positive": math.nan,
    "n_constant": 0,
    "pvalue": math.nan,
}


def _per_item(
    matrix: np.ndarray, sizes: np.ndarray, bootstrap: int, confidence: float, rng: np.random.Generator
) -> dict:
    rhos = row_spearman(matrix, sizes)  # [n_items]
    varying = rhos[np.isfinite(rhos)]
    summary = {**_EMPTY, "n_constant": int(np.sum(~np.isfinite(rhos)))}
    if varying.size == 0:
        return summary
    summary["correlation"] = float(np.median(varying))
    summary["share_positive"] = float(np.mean(varying > 0))
    if bootstrap:
        picks = rng.integers(0, varying.size, size=(bootstrap, varying.size))  # [bootstrap, n_varying]
        summary["correlation_low"], summary["correlation_high"] = _percentiles(
            np.median(varying[picks], axis=1), confidence
        )
    return summary


def _model_means(
    matrix: np.ndarray, sizes: np.ndarray, bootstrap: int, confidence: float, rng: np.random.Generator
) -> dict:
    means = matrix.mean(axis=0)  # [n_models]
    rho, pvalue = spearman_exact(sizes, means)
    summary = {**_EMPTY, "correlation": rho, "pvalue": pvalue, "n_constant": int(np.all(means == means[0]))}
    if bootstrap:
        picks = rng.integers(0, matrix.shape[0], size=(bootstrap, matrix.shape[0]))  # [bootstrap, n_items]
        resampled_means = matrix[picks].mean(axis=1)  # [bootstrap, n_models]
        summary["correlation_low"], summary["correlation_high"] = _percentiles(
            row_spearman(resampled_means, sizes), confidence
        )
    return summary


def chain_correlations(
    items: pd.DataFrame,
    families: Mapping[str, Sequence[str]],
    kinds: Sequence[str] | None = None,
    *,
    size_column: str = "n_params_nonembedding",
    bootstrap: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
    alpha: float = ALPHA,
) -> pd.DataFrame:
    """The chain's correlations with size, per family, task kind, metric and level (module docstring).

    Columns: ``family, kind, kind_label, metric, metric_label, level, n_models, n_items,
    correlation, correlation_low, correlation_high, share_positive, n_constant, pvalue, p_holm,
    n_tests, note``. Metrics a kind does not have (arithmetic has no choices) are left out.
    """
    columns, what = ["model_id", "task", "kind", "item_id"], "chain_correlations"
    chosen, members = view_inputs(items, families, kinds, tuple(KIND_LABELS), size_column, bootstrap, columns, what)
    rng = np.random.default_rng(seed)
    rows = []
    for family, group in members.groupby("family", sort=False):
        model_ids = group["model_id"].tolist()
        sizes = group["n_params"].to_numpy(dtype=float)  # [n_models], smallest first
        enough = len(model_ids) >= MIN_MODELS and np.unique(sizes).size >= 2
        note = (
            ""
            if enough
            else (
                f"{len(model_ids)} model{'s' if len(model_ids) != 1 else ''} in {family}: "
                f"a rank correlation within a family needs {MIN_MODELS} or more"
            )
        )
        for kind in chosen:
            of_kind = items[(items["kind"] == kind) & items["model_id"].isin(model_ids)]
            for column, label, sign in CHAIN_METRICS:
                if column not in of_kind.columns or of_kind[column].isna().all():
                    continue
                matrix = sign * _metric_matrix(of_kind, column, model_ids)  # [n_items, n_models]
                base = {
                    "family": family,
                    "kind": kind,
                    "kind_label": KIND_LABELS.get(kind, kind),
                    "metric": column,
                    "metric_label": label,
                    "n_models": len(model_ids),
                    "n_items": int(matrix.shape[0]),
                    "note": note,
                }
                usable = enough and matrix.shape[0] > 0
                rows.append(
                    {
                        **base,
                        "level": "per item",
                        **(_per_item(matrix, sizes, bootstrap, confidence, rng) if usable else _EMPTY),
                    }
                )
                rows.append(
                    {
                        **base,
                        "level": "model means",
                        **(_model_means(matrix, sizes, bootstrap, confidence, rng) if usable else _EMPTY),
                    }
                )
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    tested = table["pvalue"].notna()
    table["p_holm"] = np.nan
    table["n_tests"] = int(tested.sum())
    if tested.any():
        table.loc[tested, "p_holm"] = holm(table.loc[tested, "pvalue"].to_numpy(), alpha)[1]
    return table
