"""Claim 5: swapping attention patterns between models collapses accuracy completely.

Judged on the swap experiment of a Pythia/OPT profile by the one collapse rule of
:mod:`helpers.experiments.swap.verdict` (a significant paired drop by the exact McNemar test,
Holm across task kinds, *and* the swapped accuracy's exact upper bound within 10 points of
chance), per (donor, recipient, task kind); the parts combine into the claim's verdict.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.analysis.claims import wording
from helpers.analysis.claims.records import Part
from helpers.analysis.inference import rejects
from helpers.analysis.verdicts import Verdict, combine
from helpers.experiments.swap.verdict import ALPHA, CODES, COLLAPSE_MARGIN, collapse_sentence, collapse_table
from helpers.experiments.swap.views import short_name
from helpers.infra.store import ResultNotFoundError
from helpers.report.claims.common import ILLUSTRATION, ClaimResult, not_judged
from helpers.report.claims.evidence import JUDGING_PROFILES, Evidence, profiles_file_of

CLAIM_5 = "Swapping attention patterns between models collapses accuracy completely"


def swap_items(profile: str, stack=None) -> pd.DataFrame | None:
    """Item tables of the baseline and full-swap conditions of ``profile``'s swap, or None if not stored."""
    from helpers.experiments.swap.compute import swap_rows
    from helpers.experiments.swap.plan import swap_config, swap_plan
    from helpers.experiments.swap.settings import swap_settings

    config = swap_config(profile, profiles_file_of(profile), overrides={"compute_missing": False})
    if swap_settings(config.profile) is None:
        return None
    try:
        rows = swap_rows(swap_plan(config), stack=stack, compute_missing=False)
    except ResultNotFoundError:
        return None
    from helpers.experiments.swap.views import condition_items

    return condition_items(rows[rows["condition"].isin(["baseline", "swap a=1"])])


def collapse_parts(items: pd.DataFrame) -> list[Part]:
    """One record per (donor → recipient, task kind): baseline and swapped accuracy, the drop and the swapped
    accuracy's exact bounds, the Holm-adjusted McNemar p, the MDE (NaN when a drop was detected: then the bound,
    not power, is missing); its sentence is the swap chapter's own (:func:`collapse_sentence`)."""
    table = collapse_table(items)
    detected = rejects(table["p_holm"], ALPHA) & (
        table["drop"] < 0
    )  # a detected drop: the bound, not power, is missing
    mdes = table["mde"].where(~detected, np.nan)
    return [
        Part(
            "collapse",
            f"{short_name(row.donor)} → {short_name(row.recipient)}, {row.kind}",
            CODES[row.collapse],
            (str(row.donor), str(row.recipient)),
            row.baseline,
            row.swapped,
            row.drop,
            row.swapped_low,
            row.swapped_high,
            "proportion",
            "exact McNemar",
            int(row.n_items),
            row.p_holm,
            float(mde),
            note=collapse_sentence(row),
        )
        for row, mde in zip(table.itertuples(), mdes)
    ]


def collapse_lines(items: pd.DataFrame) -> tuple[list[str], list[str], list[float]]:
    """Per (pair, kind): verdict code, generated sentence and minimum detectable change."""
    parts = collapse_parts(items)
    return [p.code for p in parts], wording.details(parts), [p.mde for p in parts]


def claim5(evidence: Evidence) -> ClaimResult:
    illustration = None
    if evidence.profile_name not in JUDGING_PROFILES:
        own = swap_items(evidence.profile_name, evidence.stack)
        if own is not None:
            details = collapse_lines(own)[1]  # the test's numbers and outcome; no verdict words on stand-ins
            illustration = f"{ILLUSTRATION}: " + "; ".join(details)
    for name in JUDGING_PROFILES:
        items = swap_items(name, evidence.stack)
        if items is None:
            continue
        parts = collapse_parts(items)
        codes, details, mdes = [p.code for p in parts], wording.details(parts), [p.mde for p in parts]
        code = combine(codes)
        finite = [m for m in mdes if not np.isnan(m)]
        verdict = Verdict(
            code,
            "; ".join(details),
            "exact McNemar baseline vs full swap (Holm across task kinds) and exact upper bound of "
            "the swapped accuracy",
            f"our swap experiment, profile `{name}`",
            margin=f"upper bound within {100 * COLLAPSE_MARGIN:g} pts of chance",
            mde=max(finite) if code == "inconclusive" and finite else None,
            no_mde="every undecided part has a significant drop; what is missing is the bound near chance"
            if code == "inconclusive" and not finite
            else None,
        )
        return ClaimResult(
            "5",
            CLAIM_5,
            verdict,
            wording.swap_key(parts),
            f"our swap experiment, profile `{name}`",
            tuple(details),
            illustration,
            parts=tuple(parts),
        )
    return not_judged(
        "5",
        CLAIM_5,
        "the published results have no attention swaps",
        "a swap run of Pythia/OPT: `make run PROFILE=small` (or `paper`)",
        illustration,
    )
