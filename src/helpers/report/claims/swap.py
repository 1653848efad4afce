"""Claim 5: swapping attention patterns between models collapses accuracy completely.

Per (donor, recipient, task kind) of a Pythia/OPT profile's swap experiment, on the same items:

- the drop from the recipient alone (baseline) to the full swap (alpha 1, every layer) by the
  exact McNemar test, Holm across the task kinds of the pair;
- the full swap's accuracy against chance (:func:`helpers.analysis.summaries.chance_level`):
  "complete" when its exact 95% upper bound is within 10 points of chance.

Reproduced: a significant drop *and* an upper bound within the margin. Not reproduced: the swap
keeps accuracy clearly above the margin (lower bound above chance + 10 points), or accuracy does
not drop significantly although the baseline is above chance and the test had power. Anything
else, including a baseline already at chance (no accuracy to lose), is inconclusive.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.analysis.inference import binomial_vs_chance, holm, mcnemar_change
from helpers.analysis.items import item_table
from helpers.analysis.power import mde_paired_proportions
from helpers.analysis.summaries import chance_level
from helpers.analysis.verdicts import Verdict, combine
from helpers.infra.store import ResultNotFoundError
from helpers.report.claims.common import ALPHA, ClaimResult, interval, not_judged, p_text, pct, points
from helpers.report.claims.evidence import JUDGING_PROFILES, Evidence

CLAIM_5 = "Swapping attention patterns between models collapses accuracy completely"
COLLAPSE_MARGIN = 0.10


def swap_items(profile: str, stack=None) -> pd.DataFrame | None:
    """Item tables of the baseline and full-swap conditions of ``profile``'s swap, or None if not stored."""
    from helpers.experiments.config import configure
    from helpers.experiments.swap.compute import swap_rows
    from helpers.experiments.swap.plan import swap_plan

    config = configure(profile, None, {"compute_missing": False}, experiment="swap")
    if config.profile.swap is None:
        return None
    try:
        rows = swap_rows(swap_plan(config), stack=stack, compute_missing=False)
    except ResultNotFoundError:
        return None
    rows = rows[rows["condition"].isin(["baseline", "swap a=1"])]
    tables = [item_table(group).assign(donor_id=donor, condition=condition)
              for (donor, condition), group in rows.groupby(["donor_id", "condition"], sort=False)]
    return pd.concat(tables, ignore_index=True) if tables else None


def collapse_lines(items: pd.DataFrame) -> tuple[list[str], list[str], list[float]]:
    """Per (pair, kind): verdict code and detail line (see the module docstring)."""
    codes, details, mdes = [], [], []
    for (donor, recipient), pair in items.groupby(["donor_id", "model_id"], sort=False):
        parts = []
        for kind, group in pair.groupby("kind", sort=False):
            base = group[group["condition"] == "baseline"].set_index(["task", "item_id"])["correct"]
            swap = group[group["condition"] == "swap a=1"].set_index(["task", "item_id"])["correct"]
            both = base.index.intersection(swap.index)
            change = mcnemar_change(base[both].astype(int).to_numpy(), swap[both].astype(int).to_numpy())
            chance = chance_level(group["n_choices"])
            swapped = binomial_vs_chance(int(swap[both].sum()), len(both), chance if chance > 0 else 0.5, "greater")
            baseline = binomial_vs_chance(int(base[both].sum()), len(both), chance if chance > 0 else 0.5, "greater")
            parts.append((kind, change, swapped, baseline, chance))
        _, p_holm = holm([part[1].pvalue for part in parts], ALPHA)
        for (kind, change, swapped, baseline, chance), p in zip(parts, p_holm):
            code = _collapse_code(change, swapped, baseline, chance, p)
            codes.append(code)
            mdes.append(mde_paired_proportions(change.n, max((change.n_up + change.n_down) / change.n, 0.01)))
            details.append(f"{donor} → {recipient}, {kind} ({change.n} items): {pct(change.before)} → "
                           f"{pct(change.after)} {interval(swapped.low, swapped.high)}, chance {pct(chance)}; drop "
                           f"{points(change.difference)}, exact McNemar Holm {p_text(p)} ({code})")
    return codes, details, mdes


def _collapse_code(change, swapped, baseline, chance: float, p_holm: float) -> str:
    if baseline.low <= chance:  # the recipient alone is not clearly above chance: nothing to lose
        return "inconclusive"
    dropped = p_holm < ALPHA and change.difference < 0
    if dropped and swapped.high <= chance + COLLAPSE_MARGIN:
        return "reproduced"
    if swapped.low > chance + COLLAPSE_MARGIN:
        return "not reproduced"
    return "inconclusive"


def claim5(evidence: Evidence) -> ClaimResult:
    illustration = None
    if evidence.profile_name not in JUDGING_PROFILES:
        own = swap_items(evidence.profile_name, evidence.stack)
        if own is not None:
            codes, details, _ = collapse_lines(own)
            illustration = f"stand-ins, same rule: {combine(codes)}: " + "; ".join(details)
    for name in JUDGING_PROFILES:
        items = swap_items(name, evidence.stack)
        if items is None:
            continue
        codes, details, mdes = collapse_lines(items)
        code = combine(codes)
        finite = [m for m in mdes if not np.isnan(m)]
        verdict = Verdict(code, "; ".join(details),
                          "exact McNemar baseline vs full swap (Holm across task kinds) and exact upper bound of "
                          "the swapped accuracy", f"our swap experiment, profile `{name}`",
                          margin=f"upper bound within {100 * COLLAPSE_MARGIN:g} pts of chance",
                          mde=max(finite) if code == "inconclusive" and finite else None)
        return ClaimResult("5", CLAIM_5, verdict, details[0].split(" (")[0] if details else "—",
                           f"our swap experiment, profile `{name}`", tuple(details), illustration)
    return not_judged("5", CLAIM_5, "the published results have no attention swaps",
                      "a swap run of Pythia/OPT: `make run PROFILE=small` (or `paper`)", illustration)
