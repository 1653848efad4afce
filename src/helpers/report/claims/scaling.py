"""Claims 3 and 4: the MMLU answer loss falls 31%; arithmetic improves in loss and accuracy.

Claim 3 needs per-item losses, which published results do not give: it is judged on stored runs
of a Pythia/OPT profile in the study's format (MMLU-math, 0-shot, full answer text). The loss is
the mean over items of the per-token cross-entropy of the gold answer (nats per token); per
byte beside it. The relative fall from the smallest to the largest model of a family has a
paired bootstrap interval over items (BCa, 90%); the claim is reproduced only when that interval
lies inside 31% +- 10 points (two one-sided tests at 5%), not reproduced when it lies wholly
outside, else inconclusive.

Claim 4 has two halves, two rows:

- 4a *accuracy*: from stored runs (lm-evaluation-harness arithmetic, log-likelihood, exact
  match of every answer token), smallest vs largest model per difficulty by the exact McNemar
  test, Holm across difficulties; without runs, from the published Pythia deduped v0 arithmetic
  (free generation with exact match, a different metric: said so), 160M vs 12B at the final
  checkpoint, paired by first operand (cluster bootstrap interval, sign-flip test), Holm across
  operations and shot counts.
- 4b *loss*: stored runs only: paired per-item change of the gold answer's loss per difficulty
  (Wilcoxon signed-rank test, Holm across difficulties); a fall also needs the paired bootstrap
  interval of the mean change below 0.

In both, "improves" needs a significant change in the right direction; a family of
non-significant changes is inconclusive, with the minimum detectable change printed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.analysis.inference import holm, mcnemar_change, paired_mean_change
from helpers.analysis.power import mde_paired_observed
from helpers.analysis.verdicts import InferenceError, Verdict, combine
from helpers.report.claims.common import ALPHA, ClaimResult, interval, not_judged, p_text, pct, points
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


def _fall_code(low: float, high: float) -> str:
    band_low, band_high = CLAIMED_FALL - FALL_MARGIN, CLAIMED_FALL + FALL_MARGIN
    if not (np.isfinite(low) and np.isfinite(high)):
        return "inconclusive"
    if band_low <= low and high <= band_high:
        return "reproduced"
    return "not reproduced" if high < band_low or low > band_high else "inconclusive"


def loss_fall_lines(found: list[FamilyRuns]) -> tuple[list[str], list[str], list[str]]:
    """(codes, details, keys) per family: the relative fall with its 90% paired BCa interval.

    The 90% interval inside 31% +- 10 points is two one-sided tests at 5% (as for claim 1's
    "flat"); wholly outside, a one-sided test at 5% in each direction.
    """
    codes, details, keys = [], [], []
    for runs in found:
        small, large = runs.tables[0], runs.tables[-1]
        before, after = _paired(small, large, "gold_nll_per_token")
        label = f"{runs.family} ({runs.models[0]} → {runs.models[-1]})"
        try:
            change = paired_mean_change(before, after, confidence=1 - 2 * ALPHA)
        except InferenceError as error:  # NaN or infinite losses: no verdict on this family, no crash
            codes.append("inconclusive")
            details.append(f"{label}: losses contain NaN or infinite values, so no interval ({error})")
            keys.append(f"{label}: no interval (NaN or infinite losses)")
            continue
        fall, low, high = -change.relative, -change.relative_high, -change.relative_low
        bytes_before, bytes_after = _paired(small, large, "gold_nll_per_byte")
        code = _fall_code(low, high)
        codes.append(code)
        details.append(f"{runs.family} ({runs.models[0]} → {runs.models[-1]}, {change.n} items): loss per token "
                       f"{before.mean():.3f} → {after.mean():.3f} nats, fall {pct(fall)}, 90% {interval(low, high)} "
                       f"({change.method}); per byte {bytes_before.mean():.3f} → {bytes_after.mean():.3f} ({code})")
        keys.append(f"{label}: fall {pct(fall)}, 90% {interval(low, high)}")
    return codes, details, keys


def claim3(evidence: Evidence) -> ClaimResult:
    runs = [r for r in evidence.judging_runs("knowledge_fulltext") if r.shots == 0]
    illustration = _illustration(evidence, "knowledge_fulltext", loss_fall_lines)
    if not runs:
        return not_judged("3", CLAIM_3, "published results give no per-item loss" + _problems(evidence), NEEDS_RUN,
                          illustration)
    codes, details, keys = loss_fall_lines(runs)
    verdict = Verdict(combine(codes), "; ".join(details),
                      "relative fall of the mean per-token gold-answer loss, 90% paired bootstrap (BCa) interval over "
                      "items inside the margin (two one-sided tests at 5%)",
                      f"our runs of profile `{runs[0].profile}` (MMLU-math, 0-shot, full answer text)",
                      margin=f"{pct(CLAIMED_FALL, 0)} ± {100 * FALL_MARGIN:g} pts")
    return ClaimResult("3", CLAIM_3, verdict, "; ".join(keys), f"our runs, profile `{runs[0].profile}`",
                       tuple(details), illustration)


# ----------------------------------------------------------------------------- claim 4a


def accuracy_lines(found: list[FamilyRuns]) -> tuple[list[str], list[str], list[float]]:
    codes, details, mdes = [], [], []
    for runs in found:
        small, large = runs.tables[0], runs.tables[-1]
        tasks = sorted(set(small["task"]) & set(large["task"]))
        changes = []
        for task in tasks:
            before, after = _paired(small[small["task"] == task], large[large["task"] == task], "correct")
            changes.append(mcnemar_change(before.astype(int), after.astype(int)))
        reject, p_holm = holm([c.pvalue for c in changes], ALPHA)
        for task, change, significant, p in zip(tasks, changes, reject, p_holm):
            up = significant and change.difference > 0
            codes.append("reproduced" if up else "not reproduced" if significant else "inconclusive")
            # at Holm's first-step level (alpha / k): the level the most significant difficulty must reach
            mdes.append(mde_paired_observed(change.n, (change.n_up + change.n_down) / change.n,
                                            alpha=ALPHA / len(tasks)))
            details.append(f"{runs.family} {task} ({runs.models[0]} → {runs.models[-1]}, {change.n} items): "
                           f"{pct(change.before)} → {pct(change.after)}, {points(change.difference)} "
                           f"{interval(change.low, change.high, 'pts')}, exact McNemar Holm {p_text(p)}")
    return codes, details, mdes


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
    illustration = _illustration(evidence, "procedure", lambda found: accuracy_lines(found)[:2])
    if runs:
        codes, details, mdes = accuracy_lines(runs)
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
    verdict = Verdict(code, "; ".join(details), test, data, margin="a significant increase at 5% after Holm",
                      mde=max(mdes) if code == "inconclusive" and mdes else None)
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


def loss_lines(found: list[FamilyRuns]) -> tuple[list[str], list[str]]:
    codes, details = [], []
    for runs in found:
        small, large = runs.tables[0], runs.tables[-1]
        tasks = sorted(set(small["task"]) & set(large["task"]))
        try:
            changes = [paired_mean_change(*_paired(small[small["task"] == t], large[large["task"] == t],
                                                   "gold_nll_per_token")) for t in tasks]
        except InferenceError as error:
            codes.append("inconclusive")
            details.append(f"{runs.family}: losses contain NaN or infinite values, so no test ({error})")
            continue
        reject, p_holm = holm([c.pvalue for c in changes], ALPHA)
        for task, change, significant, p in zip(tasks, changes, reject, p_holm):
            codes.append(_loss_change_code(significant, change.rank_direction, change.low, change.high))
            details.append(f"{runs.family} {task}: loss {change.before:.3f} → {change.after:.3f} nats/token, change "
                           f"{change.difference:+.3f} [{change.low:+.3f}, {change.high:+.3f}], Wilcoxon Holm {p_text(p)}")
    return codes, details


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
    codes, details = loss_lines(runs)
    verdict = Verdict(combine(codes), "; ".join(details),
                      "paired change of the per-token gold-answer loss: Wilcoxon signed-rank, Holm across difficulties, "
                      "and the paired bootstrap interval of the mean change on the same side of 0",
                      f"our runs of profile `{runs[0].profile}` (GPT-3 arithmetic)",
                      margin="a significant decrease at 5% after Holm")
    return ClaimResult("4b", CLAIM_4B, verdict, details[0].split(", Wilcoxon")[0], f"our runs, profile `{runs[0].profile}`",
                       tuple(details), illustration)


def _problems(evidence: Evidence) -> str:
    return ("; stored runs not usable: " + "; ".join(evidence.problems)) if evidence.problems else ""


def _illustration(evidence: Evidence, kind: str, lines) -> str | None:
    found = evidence.illustration_runs(kind)
    if not found:
        return None
    codes, details = lines(found)[:2]
    return f"stand-ins, same rule: {combine(codes)}: " + "; ".join(details)
