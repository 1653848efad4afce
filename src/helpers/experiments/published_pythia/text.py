"""The generated sentences of the Published Pythia chapter, sections 1-5: data, size, claim 4a, training, shots.

Each function takes the tables of :mod:`helpers.analysis.pythia_arithmetic` (``frame``: the loaded
arithmetic rows; ``points``: :func:`~helpers.experiments.published_pythia.views.accuracy_points`;
``final``: its rows at the final checkpoint) and returns Markdown (lines joined by newlines) that the
notebook displays as it is. Accuracies are proportions in [0, 1], printed with their 95% cluster
interval rounded to what the interval supports (:func:`~.views.format_percent_bracketed`). Sections
6-7 and the summary are in :mod:`.fit_text`.
"""

from __future__ import annotations

import math

import pandas as pd

from helpers.analysis import pythia_arithmetic as pa
from helpers.experiments.published_pythia import views
from helpers.experiments.published_pythia.claim4a import ScaleChanges

__all__ = [
    "acc_text",
    "name",
    "data_sentence",
    "models_table",
    "design_effect_lines",
    "size_lines",
    "scale_change_table",
    "scale_change_lines",
    "claim4a_lines",
    "trend_sentence",
    "training_lines",
    "shots_lines",
]

name = views.model_label
interval_text = views.format_percent_bracketed


def acc_text(row) -> str:
    """A row's ``acc`` with its 95% cluster interval ``[low–high%]``."""
    return interval_text(row["acc"], row["low"], row["high"])


def _size_name(model: str) -> str:
    """``"pythia-160m-deduped"`` -> ``"pythia-160m"`` (the renamed v0 model of a file's model name)."""
    return name(model.split("-")[1])


def data_sentence(frame: pd.DataFrame) -> str:
    """Section 1: rows, models, checkpoints, shots, operations, operands, items per cell, compute range."""
    cell_items = frame.groupby(pa.CELL, observed=True)["n_items"].sum()
    steps = ", ".join(f"{int(step):,}" for step in sorted(frame["step"].unique()))
    return (
        f"The files hold {len(frame):,} rows: {frame['model'].nunique()} models × {frame['step'].nunique()} "
        f"checkpoints (steps {steps}) × {frame['shots'].nunique()} shot counts "
        f"({', '.join(str(s) for s in sorted(frame['shots'].unique()))}) × {frame['operation'].nunique()} "
        f"operations × {frame['operand'].nunique()} first operands. Each row is the accuracy over "
        f"{int(frame['n_items'].iloc[0])} items, so every cell (model, checkpoint, operation, shots) holds "
        f"{int(cell_items.min()):,} items in {frame['operand'].nunique()} clusters of one first operand each. "
        f"Training compute runs from {frame['compute'].min():.1e} to {frame['compute'].max():.1e} FLOPs."
    )


def models_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Section 1: the seven models at the final step: file name, parameters, tokens and compute 6·N·D."""
    final = frame[frame["step"] == pa.FINAL_STEP].drop_duplicates("model").sort_values("n_params")
    return pd.DataFrame(
        {
            "name in the files": ("pythia-" + final["old_name"] + "-deduped").to_numpy(),
            "parameters (total)": final["n_params"].map(views.format_params).to_numpy(),
            "exact count": final["n_params"].map("{:,}".format).to_numpy(),
            f"tokens at step {pa.FINAL_STEP:,}": [f"{tokens / 1e9:.0f}B" for tokens in final["tokens"]],
            f"compute 6·N·D at step {pa.FINAL_STEP:,} (FLOPs)": final["compute"].map("{:.2e}".format).to_numpy(),
        },
        index=pd.Index(final["model"].to_numpy(), name="model (renamed, v0 weights)"),
    )


def design_effect_lines(final: pd.DataFrame) -> str:
    """Section 2: per operation, how much wider the cluster intervals are; cells that fall back to Wilson."""
    lines = []
    for operation in pa.OPERATIONS:
        effects = final.loc[final["operation"] == operation, "design_effect"].dropna()
        lines.append(
            f"- **{operation}**: design effect median {effects.median():.1f} (from {effects.min():.1f} to "
            f"{effects.max():.1f}) over the {len(effects)} model × shots cells at step {pa.FINAL_STEP:,} "
            f"with some correct answers: the cluster intervals are typically "
            f"{math.sqrt(effects.median()):.1f} times as wide as intervals that treat the items as independent."
        )
    wilson = final[final["interval"] != "cluster"]
    if len(wilson):
        lines.append(
            f"- {len(wilson)} cell(s) score the same on every operand and fall back to the Wilson interval: "
            + "; ".join(
                f"{name(r.size)} {r.operation} {r.shots}-shot, {interval_text(r.acc, r.low, r.high)}"
                for r in wilson.itertuples()
            )
            + "."
        )
    return "\n".join(lines)


def size_lines(final: pd.DataFrame) -> str:
    """Section 2: smallest and largest model at the most shots, larger models wholly below smaller ones, 0 shots."""
    by_size = final.sort_values("n_params")
    lines = []
    for operation in pa.OPERATIONS:
        top = by_size[(by_size["operation"] == operation) & (by_size["shots"] == max(pa.SHOTS))]
        small, large = top.iloc[0], top.iloc[-1]
        lines.append(
            f"- At {large['shots']} shots the {views.format_params(large['n_params'])} model scores "
            f"{acc_text(large)} on {operation}, the {views.format_params(small['n_params'])} model "
            f"{acc_text(small)}."
        )
        rows = list(top.itertuples())
        inversions = [
            (a, b) for i, a in enumerate(rows) for b in rows[i + 1 :] if b.high < a.low
        ]  # a larger model whose whole interval lies below a smaller model's
        if inversions:
            lines.append(
                "  Accuracy does not rise steadily with size: "
                + "; ".join(
                    f"{name(b.size)} at {interval_text(b.acc, b.low, b.high)} lies wholly below {name(a.size)} "
                    f"at {interval_text(a.acc, a.low, a.high)}"
                    for a, b in inversions
                )
                + "."
            )
        else:
            lines.append(f"  No larger model's interval lies wholly below a smaller model's at {max(pa.SHOTS)} shots.")
    zero = by_size[by_size["shots"] == 0]
    best = zero.loc[zero["acc"].idxmax()]
    lines.append(
        "- At 0 shots every model stays below "
        f"{math.ceil(100 * zero['acc'].max())}% on both operations (the best: {name(best['size'])}"
        f" on {best['operation']}, {acc_text(best)})."
    )
    return "\n".join(lines)


def scale_change_table(frame: pd.DataFrame, found: ScaleChanges, shots, seed: int) -> pd.DataFrame:
    """:func:`~.views.scale_change_view` with the Holm p and the decision, the two models named in the headers."""
    table = views.scale_change_view(frame, shots=shots, seed=seed)
    if list(zip(table["operation"], table["shots"])) != [(c.operation, c.shots) for c in found.changes]:
        raise views.PublishedPythiaViewError(
            "the scale-change table and the Holm family list different cells; build both with the same shots."
        )
    table["Holm p"] = [views.format_p(p) for p in found.p_holm]
    table["increase?"] = ["yes" if up else "no" for up in found.increases]
    table = table.rename(
        columns={  # the same two models in every row: named in the column headers
            "accuracy smallest": f"{table['smallest'].iloc[0]}",
            "accuracy largest": f"{table['largest'].iloc[0]}",
        }
    )
    return table.drop(columns=["smallest", "largest", "p (paired t)", "p (sign-flip)"]).set_index(
        ["operation", "shots"]
    )


def scale_change_lines(found: ScaleChanges) -> list[str]:
    """Section 3: per comparison, the two accuracies, the change, operands ahead/behind, the p-values."""
    lines = []
    for change, up, p in zip(found.changes, found.increases, found.p_holm):
        lines.append(
            f"- **{change.operation}, {change.shots}-shot**: {_size_name(change.small_model)} "
            f"{100 * change.acc_small:.1f}% → {_size_name(change.large_model)} {100 * change.acc_large:.1f}%, "
            f"{views.format_difference(change.difference, change.low, change.high)}; the larger model is "
            f"ahead on {change.n_better} of {change.n_clusters} operands and behind on {change.n_worse}; "
            f"sign-flip p {views.format_p(change.p_value_permutation)}, Holm-adjusted {views.format_p(p)}"
            f" ({'a significant increase' if up else 'not a significant increase'})."
        )
    return lines


def claim4a_lines(found: ScaleChanges, verdict: str, details: list[str], seed: int) -> str:
    """Section 3: :func:`scale_change_lines`, then the claims table's rule on these comparisons (``verdict``, with
    its detail lines ``details``, computed from ``found`` at this run's ``seed``; the claims table runs seed 0)."""
    lines = scale_change_lines(found)
    lines += [
        "",
        f"The claims table's rule gives claim 4a the verdict **{verdict}** on these data"
        + (":" if seed == 0 else f" (at this run's seed {seed}; the claims table uses seed 0):"),
    ]
    lines += [f"- {detail}" for detail in details]
    return "\n".join(lines)


def trend_sentence(frame: pd.DataFrame, found: ScaleChanges) -> str:
    """Section 3: the slope on log10 parameters per setting, and whether it agrees with the comparison."""
    trends = [pa.scale_trend(frame, operation, shots) for operation in pa.OPERATIONS for shots in pa.SHOTS]
    rising = [t for t in trends if t.low > 0]
    flat = [t for t in trends if t.low <= 0 <= t.high]
    steepest = max(trends, key=lambda t: t.slope)
    compared = {(c.operation, c.shots): up for c, up in zip(found.changes, found.increases)}
    trend_up = {(t.operation, t.shots): bool(t.low > 0) for t in trends if (t.operation, t.shots) in compared}
    agree = "agrees with" if trend_up == compared else "does not fully agree with"
    return (
        f"At the shot counts of the comparison above the trend {agree} it (a rising slope where the largest model "
        f"is significantly ahead). The slope's 95% interval lies above zero in {len(rising)} of {len(trends)} "
        "operation × shots settings"
        + (f" ({', '.join(f'{t.operation} {t.shots}-shot' for t in rising)})" if rising else "")
        + (f" and includes zero in the other {len(flat)}" if flat else "")
        + f". The steepest slope, {steepest.operation} at {steepest.shots} shots, is "
        + views.format_difference(steepest.slope, steepest.low, steepest.high)
        + " per tenfold parameters"
        + (
            f": with {steepest.points['model'].nunique()} models, the scatter between neighbouring sizes leaves "
            "a straight line in log parameters uncertain even where the smallest and largest model differ clearly."
            if flat
            else "."
        )
    )


def training_lines(points: pd.DataFrame) -> str:
    """Section 4: the largest model from first to last checkpoint; models that end wholly below their peak."""
    lines = []
    top_shots = max(pa.SHOTS)
    for operation in pa.OPERATIONS:
        rows = points[(points["operation"] == operation) & (points["shots"] == top_shots)]
        largest = rows[rows["n_params"] == rows["n_params"].max()].sort_values("step")
        first, last = largest.iloc[0], largest.iloc[-1]
        lines.append(
            f"- **{operation}, {top_shots}-shot**: {name(first['size'])} goes from {acc_text(first)} at step "
            f"{first['step']:,} to {acc_text(last)} at step {last['step']:,}."
        )
        fallen = []
        for size, model_rows in rows.groupby("size", sort=False):
            peak, end = model_rows.loc[model_rows["acc"].idxmax()], model_rows.loc[model_rows["step"].idxmax()]
            if end["high"] < peak["low"]:
                fallen.append(f"{name(size)} (peak {acc_text(peak)} at step {peak['step']:,}, final {acc_text(end)})")
        lines.append(
            "  Models whose final accuracy lies wholly below their own peak: "
            + ("; ".join(fallen) if fallen else "none")
            + "."
        )
    return "\n".join(lines)


def shots_lines(final: pd.DataFrame) -> str:
    """Section 5: the largest model at 0, 2 and the most shots; models whose most shots fall below their best."""
    lines = []
    most = max(pa.SHOTS)
    for operation in pa.OPERATIONS:
        rows = final[final["operation"] == operation]
        largest = rows[rows["n_params"] == rows["n_params"].max()].set_index("shots")
        lines.append(
            f"- **{operation}**: {name(largest['size'].iloc[0])} scores {acc_text(largest.loc[0])} at 0 shots, "
            f"{acc_text(largest.loc[2])} at 2 shots and {acc_text(largest.loc[most])} at {most} shots."
        )
        past_peak = []
        for size, model_rows in rows.sort_values("n_params").groupby("size", sort=False):
            peak, at_most = model_rows.loc[model_rows["acc"].idxmax()], model_rows.loc[model_rows["shots"].idxmax()]
            if at_most["high"] < peak["low"]:
                past_peak.append(
                    f"{name(size)} ({acc_text(peak)} at {peak['shots']} shots, {acc_text(at_most)} at "
                    f"{at_most['shots']})"
                )
        lines.append(
            f"  Models for which {most} shots score wholly below their best shot count: "
            + ("; ".join(past_peak) if past_peak else "none")
            + "."
        )
    return "\n".join(lines)
