"""Claims 3 and 4: the MMLU answer loss falls 31%; arithmetic improves in loss and accuracy.

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

Claim 4 has two halves, two rows:

- 4a *accuracy*: from stored runs (lm-evaluation-harness arithmetic, log-likelihood, exact
  match of every answer token), smallest vs largest model per difficulty by the exact McNemar
  test, Holm across every (family, difficulty) test; without runs, from the published Pythia deduped v0 arithmetic
  (free generation with exact match, a different metric: said so), 160M vs 12B at the final
  checkpoint, paired by first operand (cluster bootstrap interval, sign-flip test), Holm across
  operations and shot counts.
- 4b *loss*: stored runs only: paired per-item change of the gold answer's loss per difficulty
  (Wilcoxon signed-rank test, Holm across difficulties); a fall also needs the paired bootstrap
  interval of the mean change below 0.

In both, "improves" needs a significant change in the right direction; a family of
non-significant changes is inconclusive, with the minimum detectable change printed. Stand-in
models get the same tests as an illustration: their numbers, Holm across every model shown, no
verdict words.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from scipy import stats

from helpers.analysis.inference import holm, mcnemar_change, paired_mean_change
from helpers.analysis.power import mde_paired_observed, mde_slope
from helpers.analysis.verdicts import MIN_ITEMS, InferenceError, Verdict, combine, undecidable
from helpers.report.claims.common import ALPHA, ILLUSTRATION, ClaimResult, interval, not_judged, p_text, pct, points
from helpers.report.claims.evidence import Evidence, FamilyRuns

CLAIM_3 = "The loss on the MMLU-math answers falls 31% from the smallest to the largest model"
CLAIM_4A = "Arithmetic accuracy improves with scale"
CLAIM_4B = "Arithmetic loss improves (falls) with scale"
CLAIMED_FALL, FALL_MARGIN = 0.31, 0.10
PUBLISHED_SHOTS = (0, 16)
NEEDS_RUN = "a run of Pythia/OPT: `make run PROFILE=small` (or `paper`), or lm-evaluation-harness samples imported"


def _paired(small: pd.DataFrame, large: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray]:
    """``column`` of the items both models scored, aligned by (task, item)."""
    merged = small.merge(large, on=["task", "item_id"], suffixes=("_small", "_large"))
    return merged[f"{column}_small"].to_numpy(dtype=float), merged[f"{column}_large"].to_numpy(dtype=float)


# ----------------------------------------------------------------------------- claim 3


def _se_from(low: float, high: float, confidence: float = 0.95) -> float:
    """Standard error implied by a symmetric-normal reading of an interval (for the MDE only)."""
    return (high - low) / (2.0 * float(stats.norm.ppf(0.5 + confidence / 2.0)))


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
        return "not reproduced", f"the fall is {side} than the study's {pct(CLAIMED_FALL, 0)} (95% interval excludes it)", \
            None, None
    if CLAIMED_FALL - FALL_MARGIN <= low90 and high90 <= CLAIMED_FALL + FALL_MARGIN:
        return "reproduced", f"consistent with {pct(CLAIMED_FALL, 0)} and within ±{100 * FALL_MARGIN:g} pts of it", \
            None, None
    return "inconclusive", f"consistent with {pct(CLAIMED_FALL, 0)} but too wide to place within ±{100 * FALL_MARGIN:g} pts", \
        mde_slope(_se_from(low95, high95)), None


def _fall(before, after):
    """(n, fall, low90, high90, low95, high95, method) of the relative fall of the mean, paired BCa intervals."""
    c90 = paired_mean_change(before, after, confidence=1 - 2 * ALPHA)
    c95 = paired_mean_change(before, after, confidence=1 - ALPHA)
    return (c90.n, -c90.relative, -c90.relative_high, -c90.relative_low, -c95.relative_high, -c95.relative_low,
            c90.method)


def loss_fall_lines(found: list[FamilyRuns], illustrate: bool = False):
    """(codes, details, keys, mdes, whys) per family: the relative fall of the per-token loss (judged) and of
    the per-byte loss (shown), each with its 90% and 95% paired BCa intervals. ``illustrate``: no verdict words."""
    codes, details, keys, mdes, whys = [], [], [], [], []
    for runs in found:
        small, large = runs.tables[0], runs.tables[-1]
        before, after = _paired(small, large, "gold_nll_per_token")
        label = f"{runs.family} ({runs.models[0]} → {runs.models[-1]})"
        try:
            n, fall, low90, high90, low95, high95, method = _fall(before, after)
            byte = _fall(*_paired(small, large, "gold_nll_per_byte"))
        except InferenceError as error:  # NaN or infinite losses: no verdict on this family, no crash
            codes.append("inconclusive")
            details.append(f"{label}: losses contain NaN or infinite values, so no interval ({error})")
            keys.append(f"{label}: no interval (NaN or infinite losses)")
            mdes.append(None)
            whys.append("NaN or infinite losses: no interval")
            continue
        code, words, mde, why = fall_code(n, fall, low90, high90, low95, high95)
        codes.append(code)
        mdes.append(mde)
        whys.append(why)
        details.append(f"{label}, {n} items: per-token loss {before.mean():.3f} → {after.mean():.3f} nats, fall "
                       f"{pct(fall)}, 90% {interval(low90, high90)}, 95% {interval(low95, high95)} ({method}): {words}"
                       f"{'' if illustrate else f' ({code})'}; per-byte loss fall {pct(byte[1])}, 90% "
                       f"{interval(byte[2], byte[3])}, 95% {interval(byte[4], byte[5])} (shown, not judged)")
        keys.append(f"{label}: per-token loss fall {pct(fall)}, 95% {interval(low95, high95)}; per byte {pct(byte[1])}")
    return codes, details, keys, mdes, whys


def _no_mde(code: str, mdes, whys) -> dict:
    """The ``mde``/``no_mde`` of an inconclusive verdict: the largest MDE of its parts, or their reasons."""
    if code != "inconclusive":
        return {}
    finite = [m for m in mdes if m is not None and np.isfinite(m)]
    if finite:
        return {"mde": max(finite)}
    return {"no_mde": "; ".join(dict.fromkeys(w for w in whys if w)) or "no part could detect an effect"}


def claim3(evidence: Evidence) -> ClaimResult:
    runs = [r for r in evidence.judging_runs("knowledge_fulltext") if r.shots == 0]
    illustration = _illustration(evidence, "knowledge_fulltext", loss_fall_lines)
    if not runs:
        return not_judged("3", CLAIM_3, "published results give no per-item loss" + _problems(evidence), NEEDS_RUN,
                          illustration)
    codes, details, keys, mdes, whys = loss_fall_lines(runs)
    code = combine(codes)
    verdict = Verdict(code, "; ".join(details),
                      "relative fall of the mean per-token gold-answer loss (the per-byte fall shown beside it), paired "
                      "bootstrap (BCa) intervals over items: the 95% interval must contain 31% and the 90% interval lie "
                      "within the margin (two one-sided tests at 5%); a 95% interval excluding 31% says the fall is "
                      f"smaller or larger; fewer than {MIN_ITEMS} items or a zero-width interval decide nothing",
                      f"our runs of profile `{runs[0].profile}` (MMLU-math, 0-shot, full answer text)",
                      margin=f"{pct(CLAIMED_FALL, 0)} ± {100 * FALL_MARGIN:g} pts", mde_unit="points of relative fall",
                      **_no_mde(code, mdes, whys))
    return ClaimResult("3", CLAIM_3, verdict, "; ".join(keys), f"our runs, profile `{runs[0].profile}`",
                       tuple(details), illustration)


# ----------------------------------------------------------------------------- claim 4a


def accuracy_lines(found: list[FamilyRuns], illustrate: bool = False):
    """(codes, details, mdes, whys) per (family, difficulty): exact McNemar, Holm across every test shown."""
    tests = []
    for runs in found:
        small, large = runs.tables[0], runs.tables[-1]
        for task in sorted(set(small["task"]) & set(large["task"])):
            before, after = _paired(small[small["task"] == task], large[large["task"] == task], "correct")
            tests.append((runs, task, mcnemar_change(before.astype(int), after.astype(int))))
    reject, p_holm = holm([change.pvalue for _, _, change in tests], ALPHA) if tests else ([], [])
    codes, details, mdes, whys = [], [], [], []
    for (runs, task, change), significant, p in zip(tests, reject, p_holm):
        why = f"{change.n} items, fewer than the {MIN_ITEMS} a test needs to decide" if change.n < MIN_ITEMS else None
        up = significant and change.difference > 0
        code = "inconclusive" if why else "reproduced" if up else "not reproduced" if significant else "inconclusive"
        codes.append(code)
        whys.append(why)
        # at Holm's first-step level (alpha / k): the level the most significant test must reach
        mdes.append(None if why else mde_paired_observed(change.n, (change.n_up + change.n_down) / change.n,
                                                         alpha=ALPHA / len(tests)))
        details.append(f"{runs.family} {task} ({runs.models[0]} → {runs.models[-1]}, {change.n} items): "
                       f"{pct(change.before)} → {pct(change.after)}, {points(change.difference)} "
                       f"{interval(change.low, change.high, 'pts')}, exact McNemar Holm {p_text(p)}"
                       + (f" ({why})" if why else ""))
    return codes, details, mdes, whys


def published_arithmetic_lines(evidence: Evidence) -> tuple[list[str], list[str]]:
    from helpers.analysis.pythia_arithmetic import scale_change

    frame = evidence.pythia_arithmetic
    changes = [scale_change(frame, operation, shots) for operation in ("addition", "multiplication")
               for shots in PUBLISHED_SHOTS]
    reject, p_holm = holm([c.p_value_permutation for c in changes], ALPHA)
    codes, details = [], []
    for change, significant, p in zip(changes, reject, p_holm):
        up = significant and change.difference > 0
        codes.append("reproduced" if up else "not reproduced" if significant else "inconclusive")
        details.append(f"{change.operation}, {change.shots}-shot ({change.small_model} → {change.large_model}): "
                       f"{pct(change.acc_small)} → {pct(change.acc_large)}, {points(change.difference)} "
                       f"{interval(change.low, change.high, 'pts')}, sign-flip test over {change.n_clusters} "
                       f"operands, Holm {p_text(p)}")
    return codes, details


def claim4a(evidence: Evidence) -> ClaimResult:
    runs = evidence.judging_runs("procedure")
    illustration = _illustration(evidence, "procedure", accuracy_lines)
    whys = []
    if runs:
        codes, details, mdes, whys = accuracy_lines(runs)
        data = f"our runs of profile `{runs[0].profile}` (GPT-3 arithmetic, log-likelihood, exact match)"
        test = "exact McNemar test smallest vs largest model per difficulty, Holm across difficulties"
    else:
        codes, details = published_arithmetic_lines(evidence)
        mdes = []
        data = ("published Pythia deduped v0 arithmetic (EleutherAI/pythia evals, term-frequency study): free "
                "generation scored by exact match, not the log-likelihood arithmetic of the study; final "
                "checkpoint, 5,000 items per cell")
        test = ("cluster-paired comparison 160M vs 12B over 100 first operands (BCa bootstrap interval, "
                "sign-flip test), Holm across 2 operations x 2 shot counts")
    code = combine(codes)
    no_mde = {} if mdes or code != "inconclusive" else {
        "no_mde": "the published arithmetic is per operand cluster: no paired MDE (sign-flip test over 100 operands)"}
    verdict = Verdict(code, "; ".join(details), test, data, margin="a significant increase at 5% after Holm",
                      **(_no_mde(code, mdes, whys) if mdes else no_mde))
    key = _accuracy_key(details, runs=bool(runs))
    short = (f"our runs, profile `{runs[0].profile}`" if runs
             else "published Pythia deduped v0 arithmetic (free generation), 160M and 12B")
    return ClaimResult("4a", CLAIM_4A, verdict, key, short, tuple(details), illustration)


def _accuracy_key(details: list[str], runs: bool) -> str:
    """``addition 0-shot +4.1 pts, ...`` (or per difficulty for runs): the changes, briefly."""
    parts = []
    for detail in details:
        label = detail.split(" (")[0]
        change = detail.split("%, ")[-1].split(" [")[0] if not runs else detail.split("%, ")[-1].split(" [")[0]
        parts.append(f"{label} {change}")
    return ("largest vs smallest model: " if runs else "12B vs 160M: ") + "; ".join(parts)


# ----------------------------------------------------------------------------- claim 4b


def loss_lines(found: list[FamilyRuns], illustrate: bool = False):
    """(codes, details, mdes, whys) per (family, difficulty): paired change of the per-token loss, Wilcoxon
    signed-rank, Holm across every test shown; the MDE of the mean change in nats per token."""
    tests, codes, details, mdes, whys = [], [], [], [], []
    for runs in found:
        small, large = runs.tables[0], runs.tables[-1]
        tasks = sorted(set(small["task"]) & set(large["task"]))
        try:
            tests += [(runs, t, paired_mean_change(*_paired(small[small["task"] == t], large[large["task"] == t],
                                                            "gold_nll_per_token"))) for t in tasks]
        except InferenceError as error:
            codes.append("inconclusive")
            details.append(f"{runs.family}: losses contain NaN or infinite values, so no test ({error})")
            mdes.append(None)
            whys.append("NaN or infinite losses: no test")
    reject, p_holm = holm([c.pvalue for _, _, c in tests], ALPHA) if tests else ([], [])
    for (runs, task, change), significant, p in zip(tests, reject, p_holm):
        why = undecidable(change.n, change.low, change.high)
        code = "inconclusive" if why else _loss_change_code(significant, change.rank_direction, change.low, change.high)
        codes.append(code)
        whys.append(why)
        mdes.append(None if why else mde_slope(_se_from(change.low, change.high)))
        details.append(f"{runs.family} {task}: loss {change.before:.3f} → {change.after:.3f} nats/token, change "
                       f"{change.difference:+.3f} [{change.low:+.3f}, {change.high:+.3f}], Wilcoxon Holm {p_text(p)}"
                       + (f" ({why})" if why else ""))
    return codes, details, mdes, whys


def _loss_change_code(significant: bool, rank_direction: int, low: float, high: float) -> str:
    """Falls: Wilcoxon significant after Holm, its statistic on the falling side (``W+ < W-``)
    *and* the 95% interval of the mean change below 0; rises: all three the other way; otherwise
    inconclusive (the rank test and the mean can disagree: a few large rises among many small falls)."""
    if significant and rank_direction < 0 and high < 0:
        return "reproduced"
    if significant and rank_direction > 0 and low > 0:
        return "not reproduced"
    return "inconclusive"


def claim4b(evidence: Evidence) -> ClaimResult:
    runs = evidence.judging_runs("procedure")
    illustration = _illustration(evidence, "procedure", loss_lines)
    if not runs:
        return not_judged("4b", CLAIM_4B, "the published arithmetic results give accuracy only, no loss"
                          + _problems(evidence), NEEDS_RUN, illustration)
    codes, details, mdes, whys = loss_lines(runs)
    code = combine(codes)
    verdict = Verdict(code, "; ".join(details),
                      "paired change of the per-token gold-answer loss: Wilcoxon signed-rank, Holm across difficulties, "
                      "and the paired bootstrap interval of the mean change on the same side of 0; fewer than "
                      f"{MIN_ITEMS} items or a zero-width interval decide nothing",
                      f"our runs of profile `{runs[0].profile}` (GPT-3 arithmetic)",
                      margin="a significant decrease at 5% after Holm", mde_unit="nats per token (mean change)",
                      **_no_mde(code, mdes, whys))
    return ClaimResult("4b", CLAIM_4B, verdict, details[0].split(", Wilcoxon")[0], f"our runs, profile `{runs[0].profile}`",
                       tuple(details), illustration)


def _problems(evidence: Evidence) -> str:
    return ("; stored runs not usable: " + "; ".join(evidence.problems)) if evidence.problems else ""


def _illustration(evidence: Evidence, kind: str, lines) -> str | None:
    """The same test on this profile's stand-in models: its numbers and what they show, no verdict words,
    one Holm family across every model shown."""
    found = evidence.illustration_runs(kind)
    if not found:
        return None
    return f"{ILLUSTRATION}: " + "; ".join(lines(found, illustrate=True)[1])
