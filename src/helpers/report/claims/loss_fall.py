"""Claim 3: the MMLU answer loss falls 31% from the smallest to the largest model.

Claim 3 needs per-item losses, which published results do not give: it is judged on stored runs
of a Pythia/OPT profile in the study's format (MMLU-math, 0-shot, full answer text). The loss is
the mean over items of the per-token cross-entropy of the gold answer (nats per token); per
byte beside it (shown, not judged: the study names no formula). The relative fall from the smallest
to the largest model of a family has paired bootstrap intervals over items (BCa, 90% and 95%). It
is reproduced only when it is consistent with the study's 31% (the 95% interval contains it) and
placed within 31% +- 10 points (the 90% interval inside: two one-sided tests at 5%); a 95%
interval excluding 31% says the fall is smaller (or larger) than the study's: not reproduced;
otherwise inconclusive with the minimum detectable departure from 31%. Fewer than ``MIN_ITEMS``
items or a zero-width interval decide nothing (inconclusive, with the reason).
"""

from __future__ import annotations

from functools import partial

from helpers.analysis.claims import wording
from helpers.analysis.claims.records import Part
from helpers.analysis.inference import paired_mean_change
from helpers.analysis.power import mde_slope
from helpers.analysis.verdicts import MIN_ITEMS, InferenceError, undecidable
from helpers.render.numbers import pct
from helpers.report.claims.common import ALPHA, ClaimResult, not_judged
from helpers.report.claims.evidence import Evidence, FamilyRuns
from helpers.report.claims.paired import NEEDS_RUN, illustration, judged_verdict, paired, problems, se_from

CLAIM_3 = "The loss on the MMLU-math answers falls 31% from the smallest to the largest model"
CLAIMED_FALL, FALL_MARGIN = 0.31, 0.10


def fall_code(n: int, fall: float, low90: float, high90: float, low95: float, high95: float):
    """(code, words, mde, why) of a relative fall against the study's 31%.

    Undecidable (fewer than ``MIN_ITEMS`` items, no interval, zero width) -> inconclusive with the reason;
    the 95% interval excluding 31% -> not reproduced: the fall is smaller (or larger) than the study's;
    the 95% interval containing 31% *and* the 90% interval inside 31% +- 10 points (two one-sided tests
    at 5%) -> reproduced; else inconclusive with the MDE (the smallest departure from 31% the items detect).
    """
    why = undecidable(n, low95, high95)
    if why:
        return "inconclusive", f"undecided: {why}", None, why
    if high95 < CLAIMED_FALL or low95 > CLAIMED_FALL:
        side = "smaller" if high95 < CLAIMED_FALL else "larger"
        return (
            "not reproduced",
            f"the fall is {side} than the study's {pct(CLAIMED_FALL, 0)} (95% interval excludes it)",
            None,
            None,
        )
    if CLAIMED_FALL - FALL_MARGIN <= low90 and high90 <= CLAIMED_FALL + FALL_MARGIN:
        return (
            "reproduced",
            f"consistent with {pct(CLAIMED_FALL, 0)} and within ±{100 * FALL_MARGIN:g} pts of it",
            None,
            None,
        )
    return (
        "inconclusive",
        f"consistent with {pct(CLAIMED_FALL, 0)} but too wide to place within ±{100 * FALL_MARGIN:g} pts",
        mde_slope(se_from(low95, high95)),
        None,
    )


def _fall(before, after):
    """(n, fall, low90, high90, low95, high95, method) of the relative fall of the mean, paired BCa intervals."""
    c90 = paired_mean_change(before, after, confidence=1 - 2 * ALPHA)
    c95 = paired_mean_change(before, after, confidence=1 - ALPHA)
    return (
        c90.n,
        -c90.relative,
        -c90.relative_high,
        -c90.relative_low,
        -c95.relative_high,
        -c95.relative_low,
        c90.method,
    )


def loss_fall_parts(found: list[FamilyRuns]) -> list[Part]:
    """One record per family: the relative fall of the per-token loss (judged) and of the per-byte loss
    (shown, in ``extra``), each with its 90% and 95% paired BCa intervals."""
    parts = []
    for runs in found:
        small, large = runs.tables[0], runs.tables[-1]
        before, after = paired(small, large, "gold_nll_per_token")
        label = f"{runs.family} ({runs.models[0]} → {runs.models[-1]})"
        try:
            n, fall, low90, high90, low95, high95, method = _fall(before, after)
            byte = _fall(*paired(small, large, "gold_nll_per_byte"))
        except InferenceError as error:  # NaN or infinite losses: no verdict on this family, no crash
            parts.append(
                Part(
                    "no_test",
                    label,
                    "inconclusive",
                    why="NaN or infinite losses: no interval",
                    extra=(("missing", "interval"),),
                    note=str(error),
                )
            )
            continue
        code, words, mde, why = fall_code(n, fall, low90, high90, low95, high95)
        extra = (
            ("low90", low90),
            ("high90", high90),
            ("method", method),
            ("words", words),
            ("byte_fall", byte[1]),
            ("byte_low90", byte[2]),
            ("byte_high90", byte[3]),
            ("byte_low95", byte[4]),
            ("byte_high95", byte[5]),
        )
        parts.append(
            Part(
                "loss_fall",
                label,
                code,
                (runs.models[0], runs.models[-1]),
                float(before.mean()),
                float(after.mean()),
                fall,
                low95,
                high95,
                "relative",
                "paired BCa bootstrap",
                n,
                None,
                mde,
                why,
                extra,
            )
        )
    return parts


def loss_fall_lines(found: list[FamilyRuns], illustrate: bool = False):
    """(codes, details, keys, mdes, whys) per family, rendered from :func:`loss_fall_parts`.
    ``illustrate``: no verdict words."""
    parts = loss_fall_parts(found)
    return (
        [p.code for p in parts],
        wording.details(parts, judged=not illustrate),
        [wording.fall_key(p) for p in parts],
        [p.mde for p in parts],
        [p.why for p in parts],
    )


def claim3(evidence: Evidence) -> ClaimResult:
    runs = [r for r in evidence.judging_runs("knowledge_fulltext") if r.shots == 0]
    shown = illustration(evidence, "knowledge_fulltext", partial(loss_fall_lines, illustrate=True))
    if not runs:
        return not_judged(
            "3", CLAIM_3, "published results give no per-item loss" + problems(evidence), NEEDS_RUN, shown
        )
    parts = loss_fall_parts(runs)
    details, verdict = judged_verdict(
        parts,
        "relative fall of the mean per-token gold-answer loss (the per-byte fall shown beside it), paired "
        "bootstrap (BCa) intervals over items: the 95% interval must contain 31% and the 90% interval lie "
        "within the margin (two one-sided tests at 5%); a 95% interval excluding 31% says the fall is "
        f"smaller or larger; fewer than {MIN_ITEMS} items or a zero-width interval decide nothing",
        f"our runs of profile `{runs[0].profile}` (MMLU-math, 0-shot, full answer text)",
        margin=f"{pct(CLAIMED_FALL, 0)} ± {100 * FALL_MARGIN:g} pts",
        mde_unit="points of relative fall",
    )
    return ClaimResult(
        "3",
        CLAIM_3,
        verdict,
        "; ".join(wording.fall_key(p) for p in parts),
        f"our runs, profile `{runs[0].profile}`",
        tuple(details),
        shown,
        parts=tuple(parts),
    )
