"""The published reference results in the scaling chapter, tested as the report's rules require.

Published lm-evaluation-harness results for Pythia, Pythia-deduped, OPT and BLOOM
(:mod:`helpers.analysis.published`; MMLU is harness ``hendrycksTest`` v0: the full answer text is
scored, not the letter). MMLU-math pools five subjects (1,064 items); the number of items right
is exact (each subject's accuracy times its size is an integer), so every model is tested with:

* :func:`published_chance_table`: an exact two-sided binomial test against 25%, Holm-corrected
  across the models of each family within each setting (shots x acc/acc_norm): each model is
  one test, counted once; a family of 8 models is a family of 8 tests;
* :func:`published_trend_table`: the slope of accuracy against log10(parameters) per family
  (weighted least squares on per-model accuracies, t interval with ``n - 2`` residual df) and
  an equivalence test of "flat" against +-1 point per decade (:mod:`helpers.analysis.trend`);
* :func:`published_baselines`: the length-aware baselines on the same 1,064 full-text items
  (:func:`helpers.analysis.baselines.baseline_table`), shown beside 25%.

LAMBADA (:func:`published_lambada_table`) gives perplexity of the target word; its fold change
from the smallest to the largest model of each family is described by :func:`lambada_sentence`
in the words its numbers support.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from helpers.analysis import published as reference
from helpers.analysis.baselines import baseline_table
from helpers.analysis.inference import chance_family
from helpers.analysis.power import mde_slope
from helpers.analysis.trend import FLAT_MARGIN, slope_equivalence, wls_slope
from helpers.analysis.verdicts import ALPHA
from helpers.core.tasks.mmlu import CHANCE as MMLU_CHANCE
from helpers.experiments.scaling.views import ScalingViewError

MMLU_MATH_PATTERN = (
    "hendrycksTest-(" + "|".join(task.removeprefix("hendrycksTest-") for task in reference.MMLU_MATH_SIZES) + ")"
)
"""Regular expression matching the five MMLU-math subjects of the published table."""
PUBLISHED_LABEL = "published lm-evaluation-harness results (hendrycksTest v0: full-answer-text scoring)"
POSITIONS = ("below chance", "above chance", "not distinguishable from chance")


def _published(published: pd.DataFrame | None) -> pd.DataFrame:
    return reference.load_published() if published is None else published


def _check_n_stderr(n_stderr: float) -> None:
    if isinstance(n_stderr, bool) or not isinstance(n_stderr, (int, float)) or not n_stderr > 0:
        raise ScalingViewError(f"n_stderr={n_stderr!r}: need a positive number of standard errors, e.g. 2.")


# ----------------------------------------------------------------------------- MMLU


def published_mmlu_table(published: pd.DataFrame | None = None, *, shots: Sequence[int] = (0, 5)) -> pd.DataFrame:
    """Published MMLU-math accuracy (5 subjects pooled) per model, long format.

    One row per (model, shots, metric in acc/acc_norm): ``family, model, params, shots, metric,
    setting`` (e.g. "0-shot acc"), ``n`` (1,064), ``k`` (items right), ``value, stderr`` (as
    published), ``low, high`` (exact Clopper-Pearson 95%), ``chance`` (0.25). 5-shot rows exist
    for the Pythia families only.
    """
    table = _published(published)
    frames = []
    for shot in shots:
        part = reference.mmlu_math_long(reference.mmlu_math_summary(table, shots=shot))
        frames.append(part.assign(shots=shot, setting=part["metric"].map(lambda metric: f"{shot}-shot {metric}")))  # noqa: B023 (called within this iteration)
    long = pd.concat(frames, ignore_index=True).assign(chance=MMLU_CHANCE)
    return long[
        [
            "family",
            "model",
            "params",
            "shots",
            "metric",
            "setting",
            "n",
            "value",
            "k",
            "stderr",
            "low",
            "high",
            "chance",
        ]
    ]


def published_chance_table(mmlu: pd.DataFrame, *, alpha: float = ALPHA) -> pd.DataFrame:
    """Which published models differ from chance: exact binomial test, Holm within each family.

    Takes :func:`published_mmlu_table`. For every setting and family, each model once:
    two-sided exact binomial test of ``k`` of ``n`` against 25%, Holm across that family's
    models (``n_tests`` of them). Columns: ``family, model, params, setting, shots, metric, n,
    k, value, low, high, pvalue, p_holm, n_tests, position`` (one of :data:`POSITIONS`).
    """
    frames = []
    for (_, _, _), part in mmlu.groupby(["shots", "metric", "family"], sort=False):
        tested = chance_family(part[["model", "k", "n"]].reset_index(drop=True), MMLU_CHANCE, "two-sided", alpha)
        part = part.reset_index(drop=True).assign(
            pvalue=tested["pvalue"], p_holm=tested["p_holm"], significant=tested["significant"], n_tests=len(part)
        )
        frames.append(part)
    checked = pd.concat(frames, ignore_index=True)
    checked["position"] = np.where(
        ~checked["significant"], POSITIONS[2], np.where(checked["value"] < MMLU_CHANCE, POSITIONS[0], POSITIONS[1])
    )
    return checked[
        [
            "family",
            "model",
            "params",
            "setting",
            "shots",
            "metric",
            "n",
            "k",
            "value",
            "low",
            "high",
            "pvalue",
            "p_holm",
            "n_tests",
            "position",
        ]
    ]


def published_baselines() -> pd.DataFrame:
    """Length-aware baselines on the 1,064 MMLU-math items in the full-text format (beside 25%).

    :func:`helpers.analysis.baselines.baseline_table` on ``build_items("mmlu_math_fulltext")``:
    uniform guess, always the shortest answer, always the most common gold letter.
    """
    from helpers.core.tasks import build_items

    items = build_items("mmlu_math_fulltext", shots=0)
    choice_texts = [[request.continuation for request in item.requests] for item in items]
    return baseline_table(choice_texts, [item.gold for item in items])


def published_trend_table(
    mmlu: pd.DataFrame, setting: str = "0-shot acc", *, margin: float = FLAT_MARGIN
) -> pd.DataFrame:
    """Slope of published accuracy against log10(parameters), one family at a time.

    The model-level slope of ``helpers.analysis.trend.wls_slope`` (published standard errors floored by the
    items' binomial variance, residual scale >= 1), t intervals with ``n_models - 2`` residual df; a family of
    two models gives no trend (NaN interval and MDE, ``note`` says why); ``shape`` from
    :func:`~helpers.analysis.trend.slope_equivalence` ("flat" only if the 90% interval lies within
    +-``margin`` per decade), ``mde`` for inconclusive slopes. Columns: ``family, setting, n_models,
    residual_df, slope, low, high, shape, mde, margin, note``.
    """
    rows = mmlu[mmlu["setting"] == setting]
    if rows.empty:
        raise ScalingViewError(f"setting {setting!r} is not in the table; it has {sorted(mmlu['setting'].unique())}.")
    records = []
    for family, group in rows.groupby("family", sort=False):
        slope = wls_slope(group["params"].astype(float), group["value"], group["stderr"], n=group["n"])
        shape = slope_equivalence(slope, margin)
        records.append(
            {
                "family": family,
                "setting": setting,
                "n_models": slope.n_models,
                "residual_df": slope.df,
                "slope": slope.slope,
                "low": slope.low,
                "high": slope.high,
                "shape": shape,
                "mde": mde_slope(slope.se, df=slope.df) if shape == "inconclusive" else np.nan,
                "margin": margin,
                "note": slope.note,
            }
        )
    return pd.DataFrame.from_records(records)


# ----------------------------------------------------------------------------- LAMBADA


def published_lambada_table(published: pd.DataFrame | None = None, *, n_stderr: float = 2.0) -> pd.DataFrame:
    """Published 0-shot LAMBADA (OpenAI) perplexity per model with ``ppl_low``/``ppl_high`` bars.

    ``ppl_low`` is floored at half the value so a log axis can draw it (only for bars wider
    than the value itself, which the published data do not have).
    """
    _check_n_stderr(n_stderr)
    summary = reference.lambada_summary(_published(published), shots=0)
    summary["ppl_low"] = np.maximum(summary["ppl"] - n_stderr * summary["ppl_stderr"], summary["ppl"] / 2)
    summary["ppl_high"] = summary["ppl"] + n_stderr * summary["ppl_stderr"]
    summary["family"] = summary["family"].astype(str)
    summary["model"] = summary["model"].astype(str)
    return summary


def lambada_fold_changes(lambada: pd.DataFrame) -> pd.DataFrame:
    """Per family: smallest and largest model's perplexity and their ratio (``reference.fold_change``)."""
    records = []
    for family in lambada["family"].drop_duplicates():
        fold = reference.fold_change(lambada, family, "ppl")
        sizes = lambada[lambada["family"] == family].set_index("model")["params"]
        records.append(
            {
                "family": family,
                "smallest_model": fold.smallest_model,
                "largest_model": fold.largest_model,
                "smallest_params": int(sizes[fold.smallest_model]),
                "largest_params": int(sizes[fold.largest_model]),
                "smallest_ppl": fold.smallest_value,
                "largest_ppl": fold.largest_value,
                "fold_change": fold.ratio,
            }
        )
    return pd.DataFrame.from_records(records)


# ----------------------------------------------------------------------------- training steps


def pythia_size_label(model: str) -> str:
    """``"pythia-1b-bf16"`` and ``"pythia-1b-deduped"`` -> ``"1b"``: the size shared by both runs."""
    return model.removeprefix("pythia-").removesuffix("-deduped").removesuffix("-bf16")


def published_training_table(
    published: pd.DataFrame | None = None, *, metric: str = "acc", shots: int = 0, n_stderr: float = 2.0
) -> pd.DataFrame:
    """Published MMLU-math ``metric`` along Pythia's training steps (5 subjects size-weighted).

    ``reference.over_training(..., combine=True)`` plus ``size`` (e.g. "1.4b", shared by the
    standard and deduped runs), ``low``/``high`` bars (``±n_stderr`` standard errors) and
    ``chance``. Step 0 is dropped (a log step axis cannot show it, and its weights equal step
    1's). ``suspect`` marks the 2.8b rows at steps <= 43000 (SOURCES.md caveat 1).
    """
    _check_n_stderr(n_stderr)
    table = reference.over_training(_published(published), MMLU_MATH_PATTERN, metric, shots=shots, combine=True)
    table = table[table["step"] > 0].reset_index(drop=True)
    table["step"] = table["step"].astype("int64")
    table["family"] = table["family"].astype(str)
    table["model"] = table["model"].astype(str)
    table["size"] = table["model"].map(pythia_size_label)
    table["low"] = table["value"] - n_stderr * table["stderr"]
    table["high"] = table["value"] + n_stderr * table["stderr"]
    table["chance"] = MMLU_CHANCE
    return table
