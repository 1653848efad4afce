"""The generated sentences of the Published Pythia chapter, sections 6-7 and the summary: the joint fit in
training compute and shots, MMLU-math against compute, and the chapter's five findings.

Inputs as in :mod:`.text`; ``fits`` and ``failures`` map an operation to
:func:`~helpers.analysis.pythia_arithmetic.fit_compute_shots` and
:func:`~helpers.analysis.pythia_arithmetic.where_fit_fails`; ``mmlu`` is
:func:`~helpers.analysis.pythia_arithmetic.mmlu_math_vs_compute` (``value``/``low``/``high`` proportions).
Chance on MMLU is :data:`helpers.core.tasks.mmlu.CHANCE`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from helpers.analysis import pythia_arithmetic as pa
from helpers.core.tasks.mmlu import CHANCE
from helpers.experiments.published_pythia import views
from helpers.experiments.published_pythia.claim4a import ScaleChanges
from helpers.experiments.published_pythia.text import acc_text, interval_text, name
from helpers.render.numbers import signed

__all__ = ["odds_ratio_per_tenfold", "fit_lines", "mmlu_coverage", "mmlu_final_table", "mmlu_lines", "summary_lines"]


def odds_ratio_per_tenfold(fit, shots: int) -> tuple[float, float, float]:
    """Odds ratio of a correct answer per tenfold compute at ``shots``, with its 95% (quasi) interval:
    ``exp(b1 + b3 * log2(1 + shots))`` and the normal interval from the fit's covariance."""
    weights = np.array([0.0, 1.0, 0.0, math.log2(1 + shots)])
    estimate = float(weights @ fit.coefficients["estimate"].to_numpy())
    se = float(math.sqrt(weights @ np.asarray(fit.result.cov_params()) @ weights))
    z = stats.norm.ppf(0.975)
    return math.exp(estimate), math.exp(estimate - z * se), math.exp(estimate + z * se)


def fit_lines(fits: dict, failures: dict) -> str:
    """Section 6: per operation, odds ratios per tenfold compute, the interaction, overdispersion, the worst
    cell and the held-out largest model."""
    lines = []
    top = max(pa.SHOTS)
    for operation in pa.OPERATIONS:
        fit, fail = fits[operation], failures[operation]
        interaction = fit.coefficients.set_index("term").loc["log10_compute:log2_1p_shots"]
        ratios = {shots: odds_ratio_per_tenfold(fit, shots) for shots in (0, top)}
        worst = fail.worst_cells.iloc[0]
        held = fail.held_out.by_shots.set_index("shots")
        excludes = interaction["low"] > 0 or interaction["high"] < 0
        lines += [
            f"**{operation.capitalize()}.** Per tenfold training compute the fitted odds of a correct answer are "
            f"multiplied by {ratios[0][0]:.1f} (95% {ratios[0][1]:.1f} to {ratios[0][2]:.1f}) at 0 shots and by "
            f"{ratios[top][0]:.1f} ({ratios[top][1]:.1f} to {ratios[top][2]:.1f}) at {top} shots; the interaction "
            f"b3 = {interaction['estimate']:.2f} has a 95% interval from {interaction['low']:.2f} to "
            f"{interaction['high']:.2f} ({'excluding' if excludes else 'including'} zero). "
            f"The Pearson X²/df is {fit.scale:.0f}: the cells scatter about {math.sqrt(fit.scale):.0f} times further "
            "from the surface than binomial sampling alone would put them. "
            f"The worst cell is {name(worst['size'])} at step {int(worst['step']):,} with {int(worst['shots'])} shots: "
            f"observed {100 * worst['observed']:.1f}%, fitted {100 * worst['predicted']:.1f}%; "
            f"{(fail.worst_cells['size'] == worst['size']).sum()} of the {len(fail.worst_cells)} worst cells belong "
            f"to {name(worst['size'])}. "
            f"Fitted without {name(fail.held_out.model.split('-')[1])}, the surface predicts "
            f"{100 * held.loc[top, 'final_predicted']:.1f}% for its {top}-shot accuracy at the final step, against "
            f"{100 * held.loc[top, 'final_observed']:.1f}% observed ({signed(100 * held.loc[top, 'final_error'])} "
            f"points); over all its steps and shots the prediction misses by "
            f"{100 * fail.held_out.cells['error'].abs().mean():.1f} points on average, and by up to "
            f"{100 * fail.held_out.cells['error'].abs().max():.1f}.",
            "",
        ]
    return "\n".join(lines)


def mmlu_coverage(mmlu: pd.DataFrame) -> str:
    """Section 7: families, sizes and checkpoints of the published MMLU-math rows."""
    steps = mmlu.groupby("shots")["step"].agg(["min", "max", "nunique"])
    return (
        f"The published MMLU-math rows cover {mmlu['family'].nunique()} families "
        f"({', '.join(sorted(mmlu['family'].unique()))}) and {mmlu['size'].nunique()} sizes each; "
        + "; ".join(
            f"{shots}-shot at {int(row['nunique'])} checkpoints (steps {int(row['min']):,} to {int(row['max']):,})"
            for shots, row in steps.iterrows()
        )
        + "."
    )


def mmlu_final_table(mmlu: pd.DataFrame) -> pd.DataFrame:
    """Section 7: MMLU-math at the last checkpoint, one row per model, one column per (family, shots)."""
    final = mmlu[mmlu["step"] == mmlu["step"].max()].sort_values(["family", "shots", "n_params"])
    table = final.assign(
        accuracy=[views.format_percent(r.value, r.low, r.high) for r in final.itertuples()],
        model=final["size"].map(name),
    ).pivot(index="model", columns=["family", "shots"], values="accuracy")
    table = table.loc[[name(size) for size in pa.PYTHIA_SIZES]]
    table.columns = [f"{family}, {shots}-shot" for family, shots in table.columns]
    return table


def mmlu_lines(mmlu: pd.DataFrame, points: pd.DataFrame) -> str:
    """Section 7: per (family, shots), models above chance at the end, the largest model's move, and the
    Spearman correlation with training compute (scipy), beside that of 16-shot addition."""
    lines = []
    arithmetic = points[(points["operation"] == "addition") & (points["shots"] == 16)]
    rho_arithmetic = stats.spearmanr(arithmetic["compute"], arithmetic["acc"]).statistic
    for (family, shots), rows in mmlu[mmlu["step"] >= pa.STEPS[0]].groupby(["family", "shots"]):
        at_end = rows[rows["step"] == rows["step"].max()]
        above = at_end[at_end["low"] > CHANCE]
        largest = rows[rows["n_params"] == rows["n_params"].max()].sort_values("step")
        rho = stats.spearmanr(rows["compute"], rows["value"]).statistic
        first, last = largest.iloc[0], largest.iloc[-1]
        lines.append(
            f"- **{family}, {shots}-shot**: models whose interval lies wholly above chance at step "
            f"{int(at_end['step'].iloc[0]):,}: {len(above)} of {len(at_end)}"
            + (f" ({', '.join(name(s) for s in above['size'])})" if len(above) else "")
            + "; "
            f"{name(largest['size'].iloc[0])} moves from {interval_text(first['value'], first['low'], first['high'])} "
            f"at step {int(first['step']):,} to {interval_text(last['value'], last['low'], last['high'])}. "
            f"Spearman correlation with training compute over its {len(rows)} model × checkpoint points: {rho:.2f}."
        )
    lines.append(
        f"- For comparison, addition at 16 shots (exact match of greedy generation) has a Spearman correlation "
        f"of {rho_arithmetic:.2f} with training compute over its {len(arithmetic)} points."
    )
    return "\n".join(lines)


def summary_lines(
    frame: pd.DataFrame,
    points: pd.DataFrame,
    mmlu: pd.DataFrame,
    found: ScaleChanges,
    verdict: str,
    fits: dict,
    failures: dict,
) -> str:
    """The summary: size, claim 4a (``verdict``: the claims table's code on these data), clustering, the joint
    fit, MMLU-math against arithmetic on the same compute axis."""
    top = max(pa.SHOTS)
    final = points[points["step"] == pa.FINAL_STEP]
    cell_items = frame.groupby(pa.CELL, observed=True)["n_items"].sum()
    zero = final[final["shots"] == 0]
    largest_add = points[
        (points["operation"] == "addition")
        & (points["shots"] == top)
        & (points["n_params"] == points["n_params"].max())
    ].sort_values("step")
    add16 = final[(final["operation"] == "addition") & (final["shots"] == top)].sort_values("n_params")
    mul16 = final[(final["operation"] == "multiplication") & (final["shots"] == top)].sort_values("n_params")
    mmlu_end = mmlu[(mmlu["step"] == mmlu["step"].max()) & (mmlu["family"] == "pythia-deduped")]
    first = found.changes[0]
    fit_word = "does not describe" if min(f.scale for f in fits.values()) > 2 else "describes"
    return "\n".join(
        [
            f"- **Size.** At the final checkpoint and {top} shots, exact match of greedy generation rises from "
            f"{acc_text(add16.iloc[0])} for the {views.format_params(add16['n_params'].iloc[0])} model to "
            f"{acc_text(add16.iloc[-1])} for the {views.format_params(add16['n_params'].iloc[-1])} model on addition, "
            f"and from {acc_text(mul16.iloc[0])} to {acc_text(mul16.iloc[-1])} on multiplication; at 0 shots no model "
            f"reaches {math.ceil(100 * zero['acc'].max())}%.",
            f"- **Claim 4a.** The claims table's comparison ({name(first.small_model.split('-')[1])} against "
            f"{name(first.large_model.split('-')[1])}, paired by operand, Holm over {len(found.changes)}) finds "
            f"{sum(found.increases)} of {len(found.changes)} increases significant: verdict **{verdict}**, on a metric "
            "(free generation) other than the study's.",
            f"- **Clustering.** Design effects as large as {final['design_effect'].max():.1f}: intervals that treat "
            f"the {int(cell_items.min()):,} items of a cell as independent would be up to "
            f"{math.sqrt(final['design_effect'].max()):.1f} times too narrow.",
            f"- **Compute × shots.** One logistic surface {fit_word} the cells: Pearson X²/df "
            + " and ".join(f"{fits[op].scale:.0f} ({op})" for op in pa.OPERATIONS)
            + "; fitted without pythia-12b it misses that model's addition by "
            f"{100 * failures['addition'].held_out.cells['error'].abs().mean():.0f} points on average.",
            f"- **MMLU-math.** At step {int(mmlu_end['step'].iloc[0]):,} the deduplicated runs' MMLU-math ranges from "
            f"{100 * mmlu_end['value'].min():.1f}% to {100 * mmlu_end['value'].max():.1f}% across sizes and shot "
            f"counts (chance {CHANCE:.0%}), while on the same compute axis {name(largest_add['size'].iloc[0])}'s "
            f"{top}-shot addition rises by {100 * (largest_add['acc'].iloc[-1] - largest_add['acc'].iloc[0]):.0f} "
            f"points between steps {int(largest_add['step'].iloc[0]):,} and {int(largest_add['step'].iloc[-1]):,}.",
        ]
    )
