"""The decision-grade numbers of the "Beyond Pythia and OPT" chapter, shared with the claims table (6, 7, 4c).

* :func:`rwkv_vs_pythia`: RWKV-4 (recurrent) and Pythia-deduped (decoder-only Transformer), both
  trained on the Pile: MMLU (letter) trend per decade of parameters and level at 1B, per family by
  :func:`helpers.analysis.family_fits.family_trend`, compared within stated margins.
* :func:`small_above_chance`: every decoder-only model of at most 2B parameters, exact binomial
  test of MMLU against chance plus 5 points, Holm across the models tested.
* :func:`minimal_gains`: per family and format, the MMLU slope per decade of parameters from 1B
  up, against a margin of 2 points per decade (letter format from this data; full text from the
  published Pythia/OPT runs).
* :func:`arithmetic_trends`: OPT and Pythia-deduped GPT-3 arithmetic, exact Spearman per family and
  operation, Holm across the 8 tests; a weighted slope beside it; Pythia's peak stated.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import confint_proportions_2indep, test_proportions_2indep

from helpers.analysis.family_fits import compare_trends, family_trend
from helpers.analysis.inference import binomial_vs_chance, holm, spearman_exact
from helpers.analysis.obsscaling import (
    ARITHMETIC_LABELS,
    ARITHMETIC_N,
    MMLU_CHANCE,
    adjusted_se,
    effective_n,
    leaderboard_mmlu_se,
    mmlu_subjects,
    read_benchmark,
    read_emergent,
    subject_mean_se,
    usable,
)
from helpers.analysis.power import mde_slope
from helpers.analysis.trend import item_floor
from helpers.analysis.verdicts import ALPHA

PILE_FAMILIES = ("RWKV", "Pythia")
NOT_BASE = {"RWKV/rwkv-raven-14b": "RWKV-4 Raven 14B is instruction-tuned, not one of the Pile base models"}
NOT_DECODER_ONLY = {"RWKV": "recurrent (RWKV-4)", "Jamba": "hybrid state-space and attention (Jamba)"}
SLOPE_MARGIN = 0.02
"""Equivalence margin for slopes: 2 accuracy points per decade of parameters."""
LEVEL_MARGIN = 0.02
"""Equivalence margin for levels: 2 accuracy points at 1B parameters."""
LEVEL_AT = 9.0
"""log10 of the size where levels are compared (1B: inside both the RWKV-4 and Pythia ranges)."""
SMALL_MAX_PARAMS = 2e9
CLEAR_LIFT = 0.05
""""Clearly above chance": above 25% + 5 points, one-sided."""
GAIN_MIN_PARAMS = 1e9
GAIN_MARGIN = 0.02
""""Minimal gains": less than 2 accuracy points per tenfold increase in parameters."""
ARITHMETIC_FAMILIES = ("OPT", "Pythia")


def benchmark() -> pd.DataFrame:
    """The benchmark file with each model's MMLU standard error (``mmlu_se``, see obsscaling)."""
    frame = read_benchmark()
    return frame.assign(mmlu_se=leaderboard_mmlu_se(frame["mmlu"].to_numpy(float)))


def _trend(rows: pd.DataFrame, family: str, y="mmlu", se="mmlu_se", x="params"):
    return family_trend(family, rows["model"], rows[x], rows[y], rows[se], x0=LEVEL_AT)


def rwkv_vs_pythia(frame: pd.DataFrame | None = None, y: str = "mmlu") -> dict:
    """Trends, the two differences (RWKV minus Pythia) and the models left out, named."""
    frame = benchmark() if frame is None else frame
    rows, excluded = usable(frame, "params", y, families=PILE_FAMILIES, exclude_models=NOT_BASE)
    trends = {family: _trend(rows[rows["family"] == family], family, y) for family in PILE_FAMILIES}
    slope, level = compare_trends(trends["RWKV"], trends["Pythia"], SLOPE_MARGIN, LEVEL_MARGIN)
    return {"rows": rows, "excluded": excluded, "trends": trends, "slope": slope, "level": level}


def pile_code(slope, level) -> str:
    """Claim 6(a): the same plateau in a recurrent model contradicts "a property of decoder-only"."""
    if slope.code == "equivalent" and level.code == "equivalent":
        return "not reproduced"
    if "different" in (slope.code, level.code):
        return "reproduced"
    return "inconclusive"


def small_above_chance(frame: pd.DataFrame | None = None) -> tuple[pd.DataFrame, list]:
    """Decoder-only models <= 2B: exact binomial test of MMLU against 30% (one-sided), Holm.

    The leaderboard's MMLU is an unweighted mean of 57 subjects, not a pooled proportion; it is
    tested as a binomial with the effective number of items ``57**2 / sum(1/n_s)`` (9,528, the
    pooled n with the same variance) and ``k = round(acc * n_eff)``.
    """
    frame = benchmark() if frame is None else frame
    exclude = {
        m: f"not decoder-only: {NOT_DECODER_ONLY[f]}"
        for m, f in zip(frame["model"], frame["family"])
        if f in NOT_DECODER_ONLY
    }
    rows, excluded = usable(frame[frame["params"] <= SMALL_MAX_PARAMS], "params", "mmlu", exclude_models=exclude)
    n = int(round(effective_n()))
    tests = [
        binomial_vs_chance(int(round(acc * n)), n, MMLU_CHANCE + CLEAR_LIFT, alternative="greater")
        for acc in rows["mmlu"]
    ]
    out = rows[["family", "model", "params", "mmlu", "mmlu_se"]].copy()
    out["n_eff"], out["k_eff"] = n, [t.k for t in tests]
    out["low"], out["high"], out["pvalue"] = [t.low for t in tests], [t.high for t in tests], [t.pvalue for t in tests]
    out["clearly_above"], out["p_holm"] = holm(out["pvalue"].to_numpy(), ALPHA)
    return out.sort_values("mmlu", ascending=False).reset_index(drop=True), excluded


# ----------------------------------------------------------------------------- claim 7


def fulltext_mmlu(published: pd.DataFrame | None = None, families=("pythia", "opt")) -> pd.DataFrame:
    """Published full-text MMLU (hendrycksTest v0, 0-shot) as the unweighted mean of 57 subjects.

    One row per model at its final checkpoint: ``family, model, params, mmlu, mmlu_se`` with the
    standard error from each subject's own accuracy and size.
    """
    from helpers.analysis.published import final_checkpoint, load_published

    published = load_published() if published is None else published
    sizes = mmlu_subjects()
    rows = final_checkpoint(published)
    rows = rows[
        rows["task"].str.startswith("hendrycksTest-")
        & (rows["metric"] == "acc")
        & (rows["num_fewshot"] == 0)
        & rows["family"].isin(list(families))
    ]
    out = []
    for (family, model, params), group in rows.groupby(["family", "model", "params"], sort=False):
        subjects = group["task"].str.removeprefix("hendrycksTest-")
        if set(subjects) != set(sizes):
            raise ValueError(
                f"{model}: has {subjects.nunique()} of the 57 MMLU subjects; missing "
                f"{sorted(set(sizes) - set(subjects))[:5]}."
            )
        p, n = group["value"].to_numpy(float), np.array([sizes[s] for s in subjects], float)
        out.append((family, model, float(params), float(p.mean()), subject_mean_se(p, n)))
    frame = pd.DataFrame(out, columns=["family", "model", "params", "mmlu", "mmlu_se"])
    return frame.sort_values(["family", "params"]).reset_index(drop=True)


def gain_code(trend) -> str:
    """Minimal gains: the 90% upper bound of the slope below the margin (one-sided test at 5%);
    not minimal: the 90% lower bound above it; else inconclusive."""
    slope = trend.slope
    if not (math.isfinite(slope.low90) and math.isfinite(slope.high90)):
        return "inconclusive"
    if slope.high90 < GAIN_MARGIN:
        return "reproduced"
    return "not reproduced" if slope.low90 > GAIN_MARGIN else "inconclusive"


def minimal_gains(frame: pd.DataFrame | None = None, published: pd.DataFrame | None = None) -> list[dict]:
    """One dict per (format, family): label, short format name, models, trend, code, mde (per decade)."""
    frame = benchmark() if frame is None else frame
    letter = frame[frame["family"].isin(["Pythia", "OPT"])].assign(family=lambda f: f["family"].str.lower())
    formats = (
        ("letter", "letter format, 5-shot (Open LLM Leaderboard v1; Pythia deduped)", letter),
        (
            "full answer text",
            "full answer text, 0-shot (published hendrycksTest v0, the study's format)",
            fulltext_mmlu(published),
        ),
    )
    parts = []
    for name, label, table in formats:
        for family in ("pythia", "opt"):
            rows = table[(table["family"] == family) & (table["params"] >= GAIN_MIN_PARAMS)].sort_values("params")
            trend = _trend(rows, family)
            parts.append(
                {
                    "format": label,
                    "format_name": name,
                    "family": family,
                    "rows": rows,
                    "trend": trend,
                    "code": gain_code(trend),
                    # the one-sided test at 5% against the margin: (t_.95 + t_.80) * se from it
                    "mde": mde_slope(trend.slope.se, alpha=2 * ALPHA, df=trend.df) if trend.df else math.nan,
                }
            )
    return parts


# ----------------------------------------------------------------------------- claim 4c


def arithmetic_trends(emergent: pd.DataFrame | None = None) -> tuple[pd.DataFrame, list]:
    """Per family (OPT, Pythia-deduped) and operation: exact Spearman of accuracy with size, Holm
    across all 8 tests; slope per decade (adjusted standard errors, floored residual scale)."""
    emergent = read_emergent(benchmark=read_benchmark()) if emergent is None else emergent
    out, excluded = [], []
    for column, label in ARITHMETIC_LABELS.items():
        rows, left = usable(emergent, "params", column, families=ARITHMETIC_FAMILIES)
        excluded += left
        for family in ARITHMETIC_FAMILIES:
            part = rows[rows["family"] == family].sort_values("params")
            rho, p = spearman_exact(np.log10(part["params"]), part[column])
            accuracy = part[column].to_numpy(float)
            # the larger of the model's Agresti-Coull variance and the family's pooled one, so the
            # models at 0% cannot carry the weighted slope (methods page, "Trends are slopes")
            se = np.sqrt(np.maximum(adjusted_se(accuracy, ARITHMETIC_N) ** 2, item_floor(accuracy, ARITHMETIC_N)))
            trend = family_trend(family, part["model"], part["params"], part[column], se)
            peak = part.iloc[int(np.argmax(part[column].to_numpy()))]
            out.append(
                {
                    "family": family,
                    "operation": label,
                    "column": column,
                    "n_models": len(part),
                    "smallest": part["model"].iloc[0],
                    "largest": part["model"].iloc[-1],
                    "acc_smallest": part[column].iloc[0],
                    "acc_largest": part[column].iloc[-1],
                    "peak_model": peak["model"],
                    "acc_peak": peak[column],
                    "rho": rho,
                    "pvalue": p,
                    "slope": trend.slope.slope,
                    "slope_low": trend.slope.low,
                    "slope_high": trend.slope.high,
                }
            )
    table = pd.DataFrame(out)
    table["significant"], table["p_holm"] = holm(table["pvalue"].to_numpy(), ALPHA)
    table["code"] = np.where(
        table["significant"] & (table["rho"] > 0),
        "reproduced",
        np.where(table["significant"], "not reproduced", "inconclusive"),
    )
    return table, excluded


def peak_drop(row) -> dict | None:
    """From the peak model to the largest: difference, Newcombe 95% interval, two-proportion test
    (unpaired over the same 2,000 items: conservative when the models' errors correlate)."""
    if row["peak_model"] == row["largest"]:
        return None
    n = ARITHMETIC_N
    k_large, k_peak = round(row["acc_largest"] * n), round(row["acc_peak"] * n)
    low, high = confint_proportions_2indep(k_large, n, k_peak, n, method="newcomb")
    p = test_proportions_2indep(k_large, n, k_peak, n, method="wald").pvalue
    return {
        "difference": row["acc_largest"] - row["acc_peak"],
        "low": float(low),
        "high": float(high),
        "pvalue": float(p),
    }
