"""The swap experiment's summary for the claims table: dose-response, checks and the collapse verdict.

Read from stored results only (:class:`~helpers.experiments.swap.compute.SwapResultMissing`
when they were never computed).
"""

from __future__ import annotations

import math

import pandas as pd

from helpers.experiments.swap.compute import swap_rows
from helpers.experiments.swap.plan import SwapPlan


def swap_summary(plan: SwapPlan, *, stack=None, bootstrap: int = 0) -> pd.DataFrame:
    """One row per (donor, recipient, kind, alpha) of the dose-response on all layers, with the
    baseline, the full swap, the verification checks and the collapse verdict (:func:`collapse_table`)."""
    from helpers.experiments.swap.views import condition_summary, verification_table

    rows = swap_rows(plan, stack=stack, compute_missing=False)
    return collapse_table(condition_summary(rows, bootstrap=bootstrap), verification_table(rows))


def _p_above_chance(n_correct: int, n_items: int, chance: float) -> float:
    """One-sided exact binomial p-value of ``n_correct / n_items`` above ``chance`` (chance 0: 0 or 1)."""
    from helpers.analysis.intervals import binomial_test_vs_chance

    if chance <= 0.0:  # arithmetic exact match: any correct answer is above chance
        return 1.0 if n_correct == 0 else 0.0
    return binomial_test_vs_chance(n_correct, n_items, chance).pvalue_greater


def collapse_table(summary: pd.DataFrame, verification: pd.DataFrame, significance: float = 0.05) -> pd.DataFrame:
    """The dose-response rows of ``summary`` with the baseline, full swap, checks and collapse verdict."""
    pair_keys = ["donor", "recipient", "kind"]
    doses = summary[summary["condition_kind"] == "swap"]
    doses = doses[doses["layers"] == "all"].copy()
    baseline = summary[summary["condition_kind"] == "baseline"].set_index(pair_keys)["accuracy"]
    full = doses[doses["alpha"] == 1.0].set_index(pair_keys)
    base_rows = summary[summary["condition_kind"] == "baseline"].set_index(pair_keys)
    records = []
    for key, row in full.iterrows():
        p_value = _p_above_chance(int(row["n_correct"]), int(row["n_items"]), float(row["chance"]))
        base_above = bool(key in base_rows.index and _p_above_chance(
            int(base_rows.loc[key, "n_correct"]), int(base_rows.loc[key, "n_items"]), float(row["chance"])) < significance)
        records.append((*key, float(baseline.get(key, math.nan)), base_above, float(row["accuracy"]), p_value,
                        "complete" if p_value >= significance else "graceful"))
    verdicts = pd.DataFrame(records, columns=[*pair_keys, "baseline_accuracy", "baseline_above_chance",
                                              "full_swap_accuracy", "full_swap_p_above_chance", "collapse"])
    checks = verification.rename(columns={"self_max_abs_diff": "self_swap_max_diff",
                                          "alpha0_max_abs_diff": "alpha0_max_diff"})
    table = doses.merge(verdicts, on=pair_keys, how="left").merge(
        checks[[*pair_keys, "self_swap_max_diff", "alpha0_max_diff"]], on=pair_keys, how="left")
    columns = [*pair_keys, "alpha", "n_items", "accuracy", "accuracy_low", "accuracy_high", "chance",
               "baseline_accuracy", "baseline_above_chance", "full_swap_accuracy", "self_swap_max_diff", "alpha0_max_diff",
               "full_swap_p_above_chance", "collapse"]
    return table[columns].sort_values([*pair_keys, "alpha"], kind="stable").reset_index(drop=True)
