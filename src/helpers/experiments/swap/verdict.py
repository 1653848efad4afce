"""Is the collapse complete? The one rule, used by the swap chapter and the claims table (claim 5).

Per (donor, recipient, task kind), on the items scored under both conditions:

- the drop from the recipient alone (``baseline``) to the full swap (``swap a=1``: alpha 1 on every
  layer) by the exact McNemar test, Holm-corrected across the task kinds of the pair;
- the full swap's accuracy against chance (:func:`helpers.analysis.summaries.chance_level`) by its
  exact (Clopper-Pearson) 95% interval.

``complete``: a significant drop *and* an upper bound within :data:`COLLAPSE_MARGIN` of chance.
``not complete``: the swap keeps accuracy clearly above the margin (lower bound above chance +
margin). ``inconclusive``: anything else, including a baseline not clearly above chance (nothing
to lose) and too few items to bound the swapped accuracy. A swap that keeps most answers right
is never called a complete collapse because a handful of items cannot reject chance.
"""

from __future__ import annotations

import pandas as pd

from helpers.analysis.inference import binomial_vs_chance, holm, mcnemar_change, rejects
from helpers.analysis.power import mde_paired_observed
from helpers.analysis.summaries import chance_level

ALPHA = 0.05
COLLAPSE_MARGIN = 0.10
FULL_SWAP = "swap a=1"
CODES = {"complete": "reproduced", "not complete": "not reproduced", "inconclusive": "inconclusive"}
"""The chapter's words and the claims table's verdict codes for claim 5."""


def collapse_code(difference: float, swapped_low: float, swapped_high: float, baseline_low: float,
                  chance: float, p_holm: float) -> str:
    """``complete``, ``not complete`` or ``inconclusive`` (see the module docstring)."""
    if baseline_low <= chance:  # the recipient alone is not clearly above chance: nothing to lose
        return "inconclusive"
    if rejects(p_holm, ALPHA) and difference < 0 and swapped_high <= chance + COLLAPSE_MARGIN:
        return "complete"
    if swapped_low > chance + COLLAPSE_MARGIN:
        return "not complete"
    return "inconclusive"


def _paired_correct(group: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    base = group[group["condition"] == "baseline"].set_index(["task", "item_id"])["correct"]
    swap = group[group["condition"] == FULL_SWAP].set_index(["task", "item_id"])["correct"]
    both = base.index.intersection(swap.index)
    return base[both].astype(int), swap[both].astype(int)


def collapse_table(items: pd.DataFrame) -> pd.DataFrame:
    """One row per (donor, recipient, kind) with the collapse test.

    ``items``: :func:`helpers.experiments.swap.views.condition_items` (or any item table with
    ``donor, recipient, kind, condition, task, item_id, correct, n_choices``). Columns:
    ``donor, recipient, kind, n_items, chance, baseline, baseline_low, swapped, swapped_low,
    swapped_high, drop, drop_low, drop_high, p_mcnemar, p_holm, collapse, mde``.
    """
    records = []
    for (donor, recipient), pair in items.groupby(["donor", "recipient"], sort=False):
        rows = []
        for kind, group in pair.groupby("kind", sort=False):
            base, swap = _paired_correct(group)
            if not len(base):
                continue
            chance = chance_level(group["n_choices"])
            change = mcnemar_change(base.to_numpy(), swap.to_numpy())
            null = chance if chance > 0 else 0.5  # the intervals do not depend on the null
            swapped = binomial_vs_chance(int(swap.sum()), len(swap), null, "greater")
            baseline = binomial_vs_chance(int(base.sum()), len(base), null, "greater")
            rows.append({"donor": donor, "recipient": recipient, "kind": kind, "n_items": change.n,
                         "chance": chance, "baseline": change.before, "baseline_low": baseline.low,
                         "swapped": change.after, "swapped_low": swapped.low, "swapped_high": swapped.high,
                         "drop": change.difference, "drop_low": change.low, "drop_high": change.high,
                         "p_mcnemar": change.pvalue, "mde": mde_paired_observed(change.n, (change.n_up + change.n_down) / change.n)})
        _, p_holm = holm([row["p_mcnemar"] for row in rows], ALPHA)
        for row, p in zip(rows, p_holm):
            row["p_holm"] = float(p)
            row["collapse"] = collapse_code(row["drop"], row["swapped_low"], row["swapped_high"],
                                            row["baseline_low"], row["chance"], row["p_holm"])
            records.append(row)
    columns = ["donor", "recipient", "kind", "n_items", "chance", "baseline", "baseline_low", "swapped", "swapped_low",
               "swapped_high", "drop", "drop_low", "drop_high", "p_mcnemar", "p_holm", "collapse", "mde"]
    return pd.DataFrame.from_records(records, columns=columns)


def collapse_sentence(row) -> str:
    """One generated sentence for a row of :func:`collapse_table`."""
    from helpers.experiments.swap.views import short_name

    pair = f"{short_name(row.donor)} → {short_name(row.recipient)}"
    bounds = f"[{100 * row.swapped_low:.1f}%, {100 * row.swapped_high:.1f}%]"
    head = (f"{pair}, {row.kind} ({row.n_items} items): {100 * row.baseline:.1f}% alone, {100 * row.swapped:.1f}% "
            f"{bounds} under the full swap (chance {100 * row.chance:.1f}%), a change of {100 * row.drop:+.1f} points "
            f"(exact McNemar, Holm p = {row.p_holm:.3g})")
    if row.collapse == "complete":
        return f"{head}: a complete collapse (upper bound within {100 * COLLAPSE_MARGIN:g} points of chance)."
    if row.collapse == "not complete":
        return f"{head}: not a complete collapse (the swapped accuracy stays more than {100 * COLLAPSE_MARGIN:g} points above chance)."
    if row.baseline_low <= row.chance:
        rose = (" The swap raised accuracy significantly: the donor's patterns helped this recipient."
                if rejects(row.p_holm, ALPHA) and row.drop > 0 else "")
        return f"{head}: undecided, the recipient alone is not clearly above chance, so there is nothing to lose.{rose}"
    if rejects(row.p_holm, ALPHA) and row.drop < 0:  # the drop is detected; the bound is what is missing
        return (f"{head}: undecided; the drop is significant, but the swapped accuracy's upper bound is more than "
                f"{100 * COLLAPSE_MARGIN:g} points above chance and its lower bound not, so neither a complete "
                "collapse nor its absence is shown (more items narrow the interval).")
    return (f"{head}: undecided; with {row.n_items} items a paired change smaller than {100 * row.mde:.0f} points "
            "would go undetected (80% power).")
