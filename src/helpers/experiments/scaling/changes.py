"""From the smallest to the largest model of a family: did accuracy and loss change? (decision-grade)

One row per family and task kind with at least two model sizes (a family differs in size only,
so no comparison crosses families; a family with one model gets no row). The two models are
compared on the items both scored, paired by item (``STATISTICS.md`` rules 1, 3, 4, 7):

* **accuracy** (0/1 per item): exact McNemar test (:func:`helpers.analysis.inference.mcnemar_change`),
  Holm across every accuracy comparison in the table; Newcombe interval of the change.
  "rose"/"fell" when the Holm-adjusted p is below ``alpha``; "no change" only by equivalence:
  the 90% Newcombe interval lies inside +-``accuracy_margin`` (two one-sided tests at 5%,
  :func:`~helpers.analysis.inference.equivalence_paired_proportions`); anything else is
  "inconclusive", with the minimum detectable change at 80% power for its n and its observed
  share of discordant items (:func:`helpers.analysis.power.mde_paired_observed`).
* **loss** (continuous, nats per token): paired BCa bootstrap of the relative change
  (:func:`~helpers.analysis.inference.paired_mean_change`) and the Wilcoxon signed-rank p,
  Holm across the table's loss comparisons. "fell"/"rose" when the Holm-adjusted p is below
  ``alpha`` and the 95% interval of the mean change excludes 0 on the same side; "no change"
  when the 90% interval of the relative change lies inside +-``loss_margin``; else
  "inconclusive" with the minimum detectable relative change ``(z_0.975 + z_0.8) sd / sqrt(n)``.
* **the confidence-competence gap**: relative loss fall over relative accuracy rise. It is a
  bounded number only when the accuracy changed significantly and the small model got some
  item right; its interval is a paired BCa bootstrap over items (``scipy.stats.bootstrap``).

The rows in words (a sentence per row, a reader's table, a count of the verdicts) come from
:mod:`helpers.experiments.scaling.change_words`, re-exported here.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from helpers.analysis.baselines import answer_share
from helpers.analysis.inference import equivalence_paired_proportions, holm, mcnemar_change, paired_mean_change, rejects
from helpers.analysis.power import mde_paired_observed, mde_slope
from helpers.analysis.resampling import check_resamples
from helpers.analysis.verdicts import ALPHA
from helpers.experiments.scaling.change_words import balance_words as balance_words
from helpers.experiments.scaling.change_words import change_sentence as change_sentence
from helpers.experiments.scaling.change_words import changes_markdown as changes_markdown
from helpers.experiments.scaling.change_words import changes_summary as changes_summary
from helpers.experiments.scaling.change_words import gap_words as gap_words
from helpers.experiments.scaling.views import ITEM_KEY, LOSS_COLUMN, ScalingViewError, family_groups, paired_values
from helpers.render.numbers import count_text

ACCURACY_MARGIN = 0.05  # +-5 accuracy points: "no change"
LOSS_MARGIN = 0.05  # +-5% relative change of the loss: "no change"
CHANGE_WORDS = ("rose", "fell", "no change", "inconclusive")


def _accuracy_part(before: np.ndarray, after: np.ndarray, margin: float, alpha: float) -> dict:
    change = mcnemar_change(before, after, confidence=1 - alpha)
    tost = equivalence_paired_proportions(before, after, margin, alpha)
    n = change.n
    discordant = (change.n_up + change.n_down) / n
    return {
        "n_items": n,
        "accuracy_small": change.before,
        "accuracy_large": change.after,
        "accuracy_change": change.difference,
        "accuracy_change_low": change.low,
        "accuracy_change_high": change.high,
        "n_up": change.n_up,
        "n_down": change.n_down,
        "accuracy_p": change.pvalue,
        "accuracy_tost_low": tost["low"],
        "accuracy_tost_high": tost["high"],
        "accuracy_equivalent": tost["equivalent"],
        "accuracy_margin": margin,
        "accuracy_mde": mde_paired_observed(n, discordant, alpha=alpha),
    }


def _loss_part(before: np.ndarray, after: np.ndarray, margin: float, alpha: float, bootstrap: int, seed: int) -> dict:
    n, diffs = before.size, after - before
    part = {
        "loss_small": float(before.mean()),
        "loss_large": float(after.mean()),
        "loss_change": float(diffs.mean()),
        "loss_relative": float(after.mean() / before.mean() - 1),
        "loss_low": math.nan,
        "loss_high": math.nan,
        "loss_relative_low": math.nan,
        "loss_relative_high": math.nan,
        "loss_tost_low": math.nan,
        "loss_tost_high": math.nan,
        "loss_margin": margin,
        "loss_method": "no interval (bootstrap = 0)",
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        part["loss_p"] = math.nan if np.all(diffs == 0) else float(stats.wilcoxon(diffs).pvalue)
    if bootstrap:
        change = paired_mean_change(before, after, confidence=1 - alpha, n_resamples=int(bootstrap), seed=seed)
        tost = paired_mean_change(before, after, confidence=1 - 2 * alpha, n_resamples=int(bootstrap), seed=seed)
        part.update(
            loss_low=change.low,
            loss_high=change.high,
            loss_relative_low=change.relative_low,
            loss_relative_high=change.relative_high,
            loss_tost_low=tost.relative_low,
            loss_tost_high=tost.relative_high,
            loss_method=change.method,
        )
    standard_error = float(np.std(diffs, ddof=1) / math.sqrt(n)) if n >= 2 else math.nan
    part["loss_mde"] = mde_slope(standard_error, alpha=alpha) / part["loss_small"] if n >= 2 else math.inf
    return part


def _accuracy_status(row: Mapping, alpha: float) -> str:
    if rejects(row["accuracy_p_holm"], alpha):
        return "rose" if row["accuracy_change"] > 0 else "fell"
    return "no change" if row["accuracy_equivalent"] else "inconclusive"


def _loss_status(row: Mapping, alpha: float) -> str:
    significant = bool(rejects(row["loss_p_holm"], alpha))
    if significant and row["loss_change"] < 0 and row["loss_high"] < 0:  # a NaN bound (no interval) decides nothing
        return "fell"
    if significant and row["loss_change"] > 0 and row["loss_low"] > 0:
        return "rose"
    low, high, margin = row["loss_tost_low"], row["loss_tost_high"], row["loss_margin"]
    if math.isfinite(low) and math.isfinite(high) and -margin < low and high < margin:
        return "no change"
    return "inconclusive"


def _gap_statistic(loss_small, loss_large, acc_small, acc_large, axis=-1):
    with np.errstate(divide="ignore", invalid="ignore"):
        fall = 1 - np.mean(loss_large, axis=axis) / np.mean(loss_small, axis=axis)
        rise = np.mean(acc_large, axis=axis) / np.mean(acc_small, axis=axis) - 1
        return fall / rise


def _gap(loss: tuple, accuracy: tuple, accuracy_status: str, bootstrap: int, seed: int, alpha: float) -> dict:
    """The ratio of relative loss fall to relative accuracy rise, bounded only when it can be."""
    ratio = float(_gap_statistic(*loss, *accuracy))
    empty = {"gap": math.nan, "gap_low": math.nan, "gap_high": math.nan}
    if accuracy[0].mean() == 0:
        return {**empty, "gap_status": "undefined: the small model gets no item right"}
    if accuracy_status not in ("rose", "fell"):
        return {**empty, "gap_status": "not bounded: the accuracy change is not significant"}
    result = {"gap": ratio, "gap_low": math.nan, "gap_high": math.nan, "gap_status": "no interval (bootstrap = 0)"}
    if not bootstrap:
        return result
    for method in ("BCa", "percentile"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            interval = stats.bootstrap(
                (*loss, *accuracy),
                _gap_statistic,
                paired=True,
                vectorized=True,
                method=method,
                confidence_level=1 - alpha,
                n_resamples=int(bootstrap),
                rng=np.random.default_rng(seed),
            ).confidence_interval
        if math.isfinite(interval.low) and math.isfinite(interval.high):
            return {
                **result,
                "gap_low": float(interval.low),
                "gap_high": float(interval.high),
                "gap_status": f"bounded ({method} bootstrap over items)",
            }
    return {**result, "gap_status": "no interval: resampled accuracy changes reach 0"}


def change_table(
    items: pd.DataFrame,
    families: Mapping[str, Sequence[str]],
    *,
    bootstrap: int = 1000,
    seed: int = 0,
    alpha: float = ALPHA,
    accuracy_margin: float = ACCURACY_MARGIN,
    loss_margin: float = LOSS_MARGIN,
) -> pd.DataFrame:
    """Smallest vs largest model (by total parameters) per family and task kind (module docstring).

    Columns: ``family, kind, small_model, large_model, n_params_small, n_params_large, n_items``
    (paired), the accuracy part (``accuracy_small, accuracy_large, accuracy_change`` +
    ``_low/_high`` (Newcombe 95%), ``n_up, n_down, accuracy_p, accuracy_p_holm,
    accuracy_tost_low/high, accuracy_margin, accuracy_mde, accuracy_status``), the loss part
    (``loss_small, loss_large, loss_change`` + ``_low/_high``, ``loss_relative`` + ``_low/_high``,
    ``loss_p, loss_p_holm, loss_tost_low/high, loss_margin, loss_mde, loss_status``), the gap
    (``gap, gap_low, gap_high, gap_status``) and ``n_comparisons`` (the Holm family size).
    """
    check_resamples(bootstrap, error=ScalingViewError)
    records = []
    for family, kind, frame, model_ids in family_groups(items, families):
        sizes = frame.groupby("model_id")["n_params_total"].first()
        small, large = model_ids[0], model_ids[-1]
        if sizes[small] == sizes[large]:
            continue  # one model (or one size): nothing to compare
        acc_small, acc_large = paired_values(frame, small, large, "correct")
        loss_small, loss_large = paired_values(frame, small, large, LOSS_COLUMN)
        if acc_small.size == 0:
            continue  # no common items: not a paired comparison
        records.append(
            {
                "family": family,
                "kind": kind,
                "small_model": small,
                "large_model": large,
                "n_params_small": int(sizes[small]),
                "n_params_large": int(sizes[large]),
                **_accuracy_part(acc_small, acc_large, accuracy_margin, alpha),
                **_loss_part(loss_small, loss_large, loss_margin, alpha, bootstrap, seed),
                **label_balance(frame, small, large),
                "_arrays": ((loss_small, loss_large), (acc_small, acc_large)),
            }
        )
    if not records:
        return pd.DataFrame(
            columns=[
                "family",
                "kind",
                "small_model",
                "large_model",
                "n_items",
                "accuracy_status",
                "loss_status",
                "gap_status",
            ]
        )
    table = pd.DataFrame.from_records(records)
    table["accuracy_p_holm"] = holm(table["accuracy_p"].to_numpy(), alpha)[1]
    loss_p = table["loss_p"].to_numpy()
    table["loss_p_holm"] = holm(loss_p, alpha)[1] if np.isfinite(loss_p).any() else np.nan
    table["n_comparisons"] = len(table)
    table["accuracy_status"] = [_accuracy_status(row, alpha) for row in table.to_dict("records")]
    table["loss_status"] = [_loss_status(row, alpha) for row in table.to_dict("records")]
    gaps = [_gap(*row["_arrays"], row["accuracy_status"], bootstrap, seed, alpha) for row in table.to_dict("records")]
    table = pd.concat([table.drop(columns="_arrays"), pd.DataFrame(gaps, index=table.index)], axis=1)
    return table


# ----------------------------------------------------------------------------- methods and label balance


def methods_text(table: pd.DataFrame, alpha: float = ALPHA) -> str:
    """The tests behind :func:`change_table`, with the size of each Holm family."""
    n = len(table)
    acc_margin = table["accuracy_margin"].iloc[0] if n else ACCURACY_MARGIN
    loss_margin = table["loss_margin"].iloc[0] if n else LOSS_MARGIN
    return (
        f"Accuracy: exact McNemar test, Holm across the {count_text(n, 'comparison')} in this table; "
        f'"no change" only when the 90% Newcombe interval of the change lies within ±{100 * acc_margin:g} '
        f"points (two one-sided tests at {alpha:g}). Loss: Wilcoxon signed-rank test, Holm across the same "
        f"{count_text(n, 'comparison')}, with a paired BCa bootstrap interval of the relative change; "
        f'"no change" only when its 90% interval lies within ±{100 * loss_margin:g}%. '
        "Otherwise the row is inconclusive and gives the smallest change detectable at 80% power."
    )


def label_balance(frame: pd.DataFrame, small: str, large: str) -> dict:
    """On the paired items of a task with a fixed label set: the majority baseline (always the most common
    gold answer) and each model's most common answer with its share (NaN/None otherwise)."""
    result = {
        "majority": math.nan,
        "majority_label": None,
        "top_small": math.nan,
        "top_small_label": None,
        "top_large": math.nan,
        "top_large_label": None,
    }
    needed = {"gold_label", "predicted_label", "n_choices"}
    if not needed <= set(frame.columns) or int(frame["n_choices"].min()) < 2:
        return result
    columns = [*ITEM_KEY, "gold_label", "predicted_label"]
    merged = frame.loc[frame["model_id"] == small, columns].merge(
        frame.loc[frame["model_id"] == large, columns], on=ITEM_KEY, suffixes=("_small", "_large")
    )
    if merged.empty:
        return result
    result["majority_label"], result["majority"] = answer_share(merged["gold_label_small"].astype(str))
    result["top_small_label"], result["top_small"] = answer_share(merged["predicted_label_small"].astype(str))
    result["top_large_label"], result["top_large"] = answer_share(merged["predicted_label_large"].astype(str))
    return result
