"""What a referee asks of claims 1 and 2: per-subject heterogeneity, sensitivity, the checkpoint axis.

All on the published lm-evaluation-harness results (full answer text, hendrycksTest v0), by the
same rules as the claims (``helpers.report.claims.knowledge``), each variant labelled:

* :func:`sensitivity_lines`: claim 1's verdict per family with acc_norm in place of acc, at 5
  shots (Pythia only is published), with OPT-66B added, and with deduped Pythia in place of the
  standard one; claim 2's count of models significantly below 25% (Holm within the variant).
* :func:`subject_lines`: the slope per MMLU-math subject (model-level fit on each subject's
  accuracies) and a Wald test that the five subjects share one slope, per family.
* :func:`checkpoint_lines`: does published Pythia MMLU-math rise with training tokens at a fixed
  size? The same model-level slope on log10(step) over the checkpoints from step 1,000 on.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import statsmodels.api as sm

from helpers.analysis.power import mde_one_proportion
from helpers.analysis.published import MMLU_MATH_SIZES, final_checkpoint
from helpers.analysis.trend import FLAT_MARGIN, item_floor, model_slope, slope_equivalence
from helpers.analysis.verdicts import combine
from helpers.render.numbers import interval, p_text, points
from helpers.report.claims.evidence import MMLU_CHANCE, mmlu_math_counts

FIRST_STEP = 1000
"""Checkpoints before step 1,000 (a few million tokens) are left out of the checkpoint axis: the
model has barely started training and its accuracy is a guess's."""


def _variant_table(published: pd.DataFrame, shots: int, families: tuple[str, ...], max_params: float) -> pd.DataFrame:
    counts = mmlu_math_counts(published, shots, families, max_params)
    columns = ["family", "model", "params", "n", "k_acc", "acc_stderr", "k_norm", "acc_norm_stderr"]
    return counts[columns].reset_index(drop=True)


VARIANTS = (  # (label, shots, families, max params, metric)
    ("acc_norm in place of acc", 0, ("pythia", "opt"), 30e9, "norm"),
    ("5-shot (Pythia only is published at 5 shots)", 5, ("pythia",), 30e9, "acc"),
    ("OPT-66B added", 0, ("opt",), 70e9, "acc"),
    ("deduped Pythia in place of the standard", 0, ("pythia-deduped",), 30e9, "acc"),
)


def sensitivity_lines(
    published: pd.DataFrame, claim1_part, chance_tests, below_chance_code
) -> tuple[list[str], list[str]]:
    """(claim-1 lines, claim-2 lines): each variant's verdict by the claims' own rules, labelled.

    The rules are passed in (``knowledge._claim1_part``, ``_chance_tests``, ``_below_chance_code``), so
    this module does not import the module that shows its lines.
    """
    one, two = [], []
    for label, shots, families, max_params, metric in VARIANTS:
        table = _variant_table(published, shots, families, max_params)
        k, se = ("k_norm", "acc_norm_stderr") if metric == "norm" else ("k_acc", "acc_stderr")
        codes, parts = [], []
        for family, group in table.groupby("family", sort=False):
            slope = model_slope(group["params"], group[k], group["n"], group[se])
            code, _, mde, _, why = claim1_part(str(family), slope, group[k], group["n"], group["model"].tolist())
            codes.append(code)
            shape = slope_equivalence(slope, FLAT_MARGIN)
            extra = (
                f", MDE {100 * mde:.1f} pts/decade"
                if mde is not None and np.isfinite(mde)
                else f", {why}"
                if why
                else ""
            )
            parts.append(
                f"{family} {points(slope.slope)}/decade {interval(slope.low, slope.high, 'pts')} "
                f"({shape}; {len(group)} models{extra})"
            )
        one.append(f"sensitivity, {label}: {combine(codes)} ({'; '.join(parts)})")
        tests = chance_tests(table, k)
        below = combine([below_chance_code(tests[tests["family"] == f]) for f in tests["family"].unique()])
        mde = (
            f"; MDE {100 * mde_one_proportion(int(table['n'].iloc[0]), MMLU_CHANCE, alternative='smaller'):.1f} "
            "pts below 25%"
            if below == "inconclusive"
            else ""
        )
        two.append(
            f"sensitivity, {label}: {below} ({int(tests['significant'].sum())} of {len(tests)} models "
            f"significantly below {100 * MMLU_CHANCE:.0f}%, Holm over {len(tests)}{mde})"
        )
    return one, two


def _subject_rows(published: pd.DataFrame, family: str) -> pd.DataFrame:
    rows = final_checkpoint(published)
    rows = rows[
        (rows["family"] == family)
        & (rows["num_fewshot"] == 0)
        & (rows["metric"] == "acc")
        & rows["task"].isin(list(MMLU_MATH_SIZES))
        & (rows["params"] <= 30e9)
    ]
    return rows.assign(n=rows["task"].map(MMLU_MATH_SIZES).astype(float))


def subject_lines(published: pd.DataFrame, families=("pythia", "opt")) -> list[str]:
    """Per family: the slope per subject and a Wald test (chi-square, 4 df) of one common slope."""
    lines = []
    for family in families:
        rows = _subject_rows(published, family).reset_index(drop=True)
        subjects = sorted(rows["task"].unique())
        if rows["model"].nunique() < 3:
            lines.append(f"per-subject slopes, {family}: fewer than 3 models, no slopes")
            continue
        variance = rows["stderr"].to_numpy(dtype=float) ** 2
        for _, part in rows.groupby("task", sort=False):  # each subject's binomial floor (pooled / Wilson-adjusted)
            floor = item_floor(part["value"].to_numpy(dtype=float), part["n"].to_numpy())
            variance[part.index] = np.maximum(variance[part.index], floor)
        x = np.log10(rows["params"].to_numpy(dtype=float))
        design = np.column_stack(
            [(rows["task"] == s).to_numpy(float) for s in subjects]
            + [(rows["task"] == s).to_numpy(float) * x for s in subjects]
        )
        fit = sm.WLS(rows["value"].to_numpy(), design, weights=1 / variance).fit()
        fit = sm.WLS(rows["value"].to_numpy(), design, weights=1 / variance).fit(
            cov_type="fixed scale", cov_kwds={"scale": max(float(fit.scale), 1.0)}
        )  # never below the items
        k = len(subjects)
        contrast = np.zeros((k - 1, 2 * k))
        for i in range(k - 1):
            contrast[i, k + i], contrast[i, 2 * k - 1] = 1.0, -1.0
        wald = fit.wald_test(contrast, scalar=True, use_f=False)
        slopes = ", ".join(
            f"{s.removeprefix('hendrycksTest-').replace('_', ' ')} {points(fit.params[k + i])}/decade"
            for i, s in enumerate(subjects)
        )
        lines.append(
            f"per-subject slopes, {family} (model-level WLS, residual scale >= 1): {slopes}; one common slope: "
            f"Wald chi² = {float(wald.statistic):.1f} on {k - 1} df, {p_text(float(wald.pvalue))}"
        )
    return lines


def checkpoint_lines(published: pd.DataFrame, family: str = "pythia") -> list[str]:
    """Per Pythia size: slope of MMLU-math 0-shot accuracy on log10(step) from step 1,000 on (model-level fit)."""
    rows = published[
        (published["family"] == family)
        & (published["num_fewshot"] == 0)
        & (published["metric"] == "acc")
        & published["task"].isin(list(MMLU_MATH_SIZES))
        & (published["step"] >= FIRST_STEP)
    ]
    lines = []
    n_items = sum(MMLU_MATH_SIZES.values())  # the five subjects' test items (1,064)
    for model, part in rows.groupby("model", sort=False):
        by_step = (
            part.groupby("step")
            .apply(
                lambda g: pd.Series(
                    {"acc": float((g["value"] * g["task"].map(MMLU_MATH_SIZES)).sum() / n_items), "n": float(n_items)}
                ),
                include_groups=False,
            )
            .reset_index()
        )
        if len(by_step) < 3:
            continue
        k = np.rint(by_step["acc"] * n_items)
        slope = model_slope(by_step["step"].astype(float), k, by_step["n"])
        lines.append(
            f"{model}: {points(slope.slope)} per tenfold training steps {interval(slope.low, slope.high, 'pts')} "
            f"({slope_equivalence(slope, FLAT_MARGIN)}, {len(by_step)} checkpoints)"
        )
    return lines


__all__ = ["sensitivity_lines", "subject_lines", "checkpoint_lines", "VARIANTS", "FIRST_STEP"]
