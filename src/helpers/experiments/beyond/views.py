"""Tables behind the "Beyond Pythia and OPT" notebook, from the obsscaling files and :mod:`.judged`.

Every view returns the rows it shows *and* the models it left out (:class:`Exclusion`), which the
notebook prints by name; nothing is dropped silently. Numbers for readers are rounded to what their
intervals support (accuracies to 0.1 point).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from helpers.analysis.family_fits import leave_one_family_out, span_changes, threshold_fit
from helpers.analysis.obsscaling import (
    ARITHMETIC_LABELS,
    BENCHMARK_COLUMNS,
    X_AXES,
    Exclusion,
    ObsScalingDataError,
    read_emergent,
    usable,
)
from helpers.core.tasks.mmlu import CHANCE as MMLU_CHANCE
from helpers.experiments.beyond import judged
from helpers.render.numbers import p_value, signed

HIGHLIGHT = ("Pythia", "OPT", "RWKV")
"""Families drawn in colour (the study's two, and the recurrent model trained on Pythia's corpus)."""
FOUR_WAY_CHANCE = 1 / 4  # ARC-Challenge and HellaSwag: four answer options
BENCHMARKS = {
    "mmlu": ("MMLU (5-shot, letter, 57 subjects)", MMLU_CHANCE),
    "arc_c": ("ARC-Challenge (25-shot)", FOUR_WAY_CHANCE),
    "hellaswag": ("HellaSwag (10-shot)", FOUR_WAY_CHANCE),
    "winogrande": ("Winogrande (5-shot)", 0.5),
    "truthfulqa": ("TruthfulQA (mc2, 0-shot)", None),
    "gsm8k": ("GSM8K (5-shot)", None),
    "xwinograd": ("XWinograd", 0.5),
    "humaneval": ("HumanEval (pass@1)", None),
}
"""Benchmark column -> (label, chance for a uniform guess or None where none applies)."""
X_FORMAT = {"flops": ".0e", "tokens": ".0e", "params": "~s"}
"""d3 format of each x axis's labels (1e+21 FLOPs; 100M, 1G parameters)."""


def check_parameters(frame: pd.DataFrame, model_families, x_axis: str, benchmark: str) -> list[str]:
    """Validate the notebook's parameters; returns the families to show (all when None)."""
    if x_axis not in X_AXES:
        raise ObsScalingDataError(f"x_axis={x_axis!r}; choose one of {sorted(X_AXES)}.")
    if benchmark not in BENCHMARKS:
        raise ObsScalingDataError(
            f"benchmark={benchmark!r}; choose one of {sorted(BENCHMARKS)} "
            f"(columns of the benchmark file: {list(BENCHMARK_COLUMNS)})."
        )
    known = sorted(frame["family"].unique())
    if model_families is None:
        return known
    if isinstance(model_families, str) or not all(isinstance(f, str) for f in model_families):
        raise ObsScalingDataError(f"model_families must be a list of family names (or None); got {model_families!r}.")
    unknown = sorted(set(model_families) - set(known))
    if unknown:
        raise ObsScalingDataError(f"model_families {unknown} are not in the file; known: {known}.")
    return list(model_families)


def landscape(frame: pd.DataFrame, families, x_axis: str, benchmark: str) -> tuple[pd.DataFrame, list[Exclusion]]:
    """One row per model with an ``x`` and ``y`` value: ``family, model, x, y, group`` (the highlighted
    family, or "other families")."""
    column = X_AXES[x_axis][0]
    rows, excluded = usable(frame, column, benchmark, families=families)
    out = rows[["family", "model"]].assign(x=rows[column].to_numpy(float), y=rows[benchmark].to_numpy(float))
    out["group"] = np.where(out["family"].isin(HIGHLIGHT), out["family"], "other families")
    return out, excluded


FAMILIES_SHOWN = 12
"""How many of the largest families the chapter's first table lists (``family_counts(frame).head(FAMILIES_SHOWN)``)."""


def family_counts(frame: pd.DataFrame) -> pd.DataFrame:
    """Families with their model counts and size range, largest family first."""
    grouped = frame.groupby("family").agg(
        models=("model", "size"),
        smallest=("params_b", "min"),
        largest=("params_b", "max"),
        with_flops=("flops", "count"),
    )
    return grouped.sort_values(["models", "largest"], ascending=False)


def pile_table(result: dict) -> pd.DataFrame:
    """RWKV-4 and Pythia-deduped side by side by size: MMLU with its 95% interval."""
    rows = result["rows"].sort_values(["params", "family"])
    return pd.DataFrame(
        {
            "family": rows["family"].to_numpy(),
            "model": rows["model"].str.split("/").str[-1].to_numpy(),
            "parameters (B)": rows["params_b"].map("{:g}".format).to_numpy(),
            "MMLU (%)": (100 * rows["mmlu"]).map("{:.1f}".format).to_numpy(),
            "95% interval (%)": [
                f"[{100 * (a - 1.96 * s):.1f}, {100 * (a + 1.96 * s):.1f}]"
                for a, s in zip(rows["mmlu"], rows["mmlu_se"])
            ],
        }
    )


def trend_line(trend, x_values) -> pd.DataFrame:
    """The fitted line of a :class:`FamilyTrend` over the range of ``x_values`` (for a chart)."""
    logx = np.log10(np.asarray(x_values, float))
    grid = np.linspace(logx.min(), logx.max(), 20)
    fitted = trend.level + trend.slope.slope * (grid - trend.x0)
    return pd.DataFrame({"family": trend.family, "x": 10**grid, "y": fitted})


THRESHOLD_LIFT = 0.05
"""Where the sigmoid "leaves chance": the compute at which it first rises this far (proportion) above chance."""


def threshold_view(
    frame: pd.DataFrame, n_boot: int, seed: int, x_axis: str = "flops", benchmark: str = "mmlu"
) -> tuple[dict | None, pd.DataFrame, list[Exclusion]]:
    """The sigmoid fit over every model with the chosen x (the fit, its curve, the models left out).
    No fit (None) for a benchmark without a chance level."""
    chance = BENCHMARKS[benchmark][1]
    column = X_AXES[x_axis][0]
    rows, excluded = usable(frame, column, benchmark)
    if chance is None or len(rows) < 10:
        return None, pd.DataFrame(columns=["x", "y"]), excluded
    logx = np.log10(rows[column].to_numpy(float))
    fit = threshold_fit(
        logx,
        rows[benchmark].to_numpy(float),
        rows["family"].to_numpy(),
        chance=chance,
        lift=THRESHOLD_LIFT,
        n_boot=n_boot,
        seed=seed,
    )
    grid = np.linspace(logx.min(), logx.max(), 80)
    curve = chance + (fit["top"] - chance) / (1 + np.exp(-(grid - fit["mid"]) / fit["width"]))
    return fit, pd.DataFrame({"x": 10**grid, "y": curve}), excluded


def lofo_view(frame: pd.DataFrame, n_boot: int, seed: int, benchmark: str = "mmlu"):
    """Leave-one-family-out errors (size alone vs size + tokens), and the models left out."""
    rows, excluded = usable(frame, "tokens", benchmark)
    rows = rows[rows["params"].notna()]
    chance = BENCHMARKS[benchmark][1]
    result = leave_one_family_out(
        rows.rename(columns={benchmark: "target"}),
        y="target",
        chance=chance if chance is not None else 0.0,
        n_boot=n_boot,
        seed=seed,
    )
    return result, excluded


def contrast_view(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[Exclusion]]:
    """Per family, smallest to largest model with every column: change in MMLU, in 2-digit addition
    and in GSM8K (points), over the same models; families left out are named."""
    emergent = read_emergent(benchmark=frame)
    columns = ["mmlu", "arith_2da", "gsm8k"]
    complete = emergent.dropna(subset=["family", "params", *columns])
    changes = span_changes(complete, columns)
    excluded = [
        Exclusion(m, "" if pd.isna(f) else f, "no family, size or one of MMLU / 2-digit addition / GSM8K")
        for m, f in zip(emergent["model"], emergent["family"])
        if m not in set(complete["model"])
    ]
    kept = set(changes["family"]) if len(changes) else set()
    excluded += [
        Exclusion(m, f, "the only model of its family in the arithmetic file")
        for m, f in zip(complete["model"], complete["family"])
        if f not in kept
    ]
    return changes, excluded


def contrast_table(changes: pd.DataFrame) -> pd.DataFrame:
    """:func:`contrast_view` for readers: changes in percentage points (the Δ columns), decades spanned."""
    return pd.DataFrame(
        {
            "family": changes["family"],
            "models": changes["n_models"],
            "from → to": [
                f"{a.split('/')[-1]} → {b.split('/')[-1]}" for a, b in zip(changes["smallest"], changes["largest"])
            ],
            "decades": changes["decades"].map("{:.1f}".format),
            "Δ MMLU": (100 * changes["d_mmlu"]).map(signed),
            "Δ 2-digit add.": (100 * changes["d_arith_2da"]).map(signed),
            "Δ GSM8K": (100 * changes["d_gsm8k"]).map(signed),
        }
    ).set_index("family")


def arithmetic_table(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`judged.arithmetic_trends` for readers."""
    return pd.DataFrame(
        {
            "family": table["family"],
            "operation": table["operation"],
            "models": table["n_models"],
            "smallest → largest (%)": [
                f"{100 * a:.1f} → {100 * b:.1f}" for a, b in zip(table["acc_smallest"], table["acc_largest"])
            ],
            "peak (%)": [f"{100 * p:.1f} ({m.split('/')[-1]})" for p, m in zip(table["acc_peak"], table["peak_model"])],
            "Spearman ρ": table["rho"].map("{:.2f}".format),
            "p (Holm)": table["p_holm"].map(p_value),
            "verdict": table["code"],
        }
    ).set_index(["family", "operation"])


def arithmetic_points() -> pd.DataFrame:
    """Long table of OPT and Pythia-deduped arithmetic accuracy with 95% Wilson-type intervals."""
    from helpers.analysis.obsscaling import ARITHMETIC_N, adjusted_se

    emergent = read_emergent()
    rows = emergent[emergent["family"].isin(judged.ARITHMETIC_FAMILIES)]
    long = rows.melt(
        id_vars=["family", "model", "params"], value_vars=list(ARITHMETIC_LABELS), var_name="column", value_name="acc"
    ).dropna(subset=["acc"])
    se = adjusted_se(long["acc"].to_numpy(float), ARITHMETIC_N)
    centre = (long["acc"] * ARITHMETIC_N + 2) / (ARITHMETIC_N + 4)
    return long.assign(
        operation=long["column"].map(ARITHMETIC_LABELS),
        low=np.clip(centre - 1.96 * se, 0, 1),
        high=np.clip(centre + 1.96 * se, 0, 1),
    )


SMALL_SHOWN = 12
"""How many of claim 6b's small models the chapter's table lists (the highest)."""


def small_table(small: pd.DataFrame, rows: int = SMALL_SHOWN) -> pd.DataFrame:
    """Claim 6b's models for readers: the ``rows`` highest, short names, MMLU and its exact interval."""
    top = small.head(rows)
    return pd.DataFrame(
        {
            "model": top["model"].str.split("/").str[-1],
            "family": top["family"],
            "params (B)": (top["params"] / 1e9).map("{:g}".format),
            "MMLU (%)": (100 * top["mmlu"]).map("{:.1f}".format),
            "95% CI (%)": [f"{100 * a:.1f}–{100 * b:.1f}" for a, b in zip(top["low"], top["high"])],
            "> 30% (Holm)": top["clearly_above"].map({True: "yes", False: "no"}),
        }
    ).set_index("model")


def gains_table(parts: list[dict]) -> pd.DataFrame:
    """Claim 7's per-family slopes for readers (slopes, intervals and MDE in points per decade)."""
    out = []
    for part in parts:
        s = part["trend"].slope
        out.append(
            {
                "format": part["format"].split(" (")[0].split(",")[0].replace(" format", ""),
                "family": part["family"],
                "models": len(part["rows"]),
                "slope": f"{signed(100 * s.slope)}",
                "90% CI": f"{signed(100 * s.low90)} to {signed(100 * s.high90)}",
                "scale": f"{part['trend'].scale:.2f}",
                "verdict": part["code"],
                "MDE": "—"
                if part["code"] != "inconclusive" or not math.isfinite(part["mde"])
                else f"{100 * part['mde']:.1f}",
            }
        )
    return pd.DataFrame(out).set_index(["format", "family"])
