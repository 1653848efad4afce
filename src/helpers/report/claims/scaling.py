"""Claim 4: arithmetic improves in loss and accuracy (claim 3, the loss fall, is in :mod:`.loss_fall`).

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

from helpers.analysis.claims import wording
from helpers.analysis.claims.records import Part
from helpers.analysis.inference import holm, mcnemar_change, paired_mean_change
from helpers.analysis.power import mde_paired_observed, mde_slope
from helpers.analysis.verdicts import MIN_ITEMS, InferenceError, Verdict, combine, undecidable
from helpers.experiments.published_pythia import claim4a as claim4a_published
from helpers.render.numbers import setting_percent
from helpers.report.claims.common import ALPHA, ClaimResult, not_judged
from helpers.report.claims.evidence import Evidence, FamilyRuns
from helpers.report.claims.paired import NEEDS_RUN, judged_verdict, mde_or_reason, paired, problems, se_from
from helpers.report.claims.paired import illustration as _illustration

CLAIM_4A = "Arithmetic accuracy improves with scale"
CLAIM_4B = "Arithmetic loss improves (falls) with scale"


# ----------------------------------------------------------------------------- claim 4a


def _holm_tests(found: list[FamilyRuns], column: str, test, broken=None) -> tuple[list[tuple], list[Part]]:
    """Per family, ``column`` of the smallest and largest model paired by item (:func:`.paired.paired`) and
    ``test(before, after)`` (a change with ``pvalue``) per difficulty, Holm across every test shown.

    Returns ``([(runs, task, change, significant, holm_p), ...], failed)``: ``failed`` holds ``broken(runs,
    error)`` for each family whose test raised :class:`InferenceError` (without ``broken``, the error is raised).
    """
    tests, failed = [], []
    for runs in found:
        small, large = runs.tables[0], runs.tables[-1]
        tasks = sorted(set(small["task"]) & set(large["task"]))
        try:
            tests += [
                (runs, task, test(*paired(small[small["task"] == task], large[large["task"] == task], column)))
                for task in tasks
            ]
        except InferenceError as error:
            if broken is None:
                raise
            failed.append(broken(runs, error))
    reject, p_holm = holm([change.pvalue for _, _, change in tests], ALPHA) if tests else ([], [])
    return [(*test, significant, p) for test, significant, p in zip(tests, reject, p_holm)], failed


def _change_part(kind: str, runs: FamilyRuns, task: str, change, code: str, unit: str, test: str, p, mde, why):
    """One (family, difficulty) record: smallest → largest model, the paired ``change`` and its interval."""
    return Part(
        kind,
        f"{runs.family} {task}",
        code,
        (runs.models[0], runs.models[-1]),
        change.before,
        change.after,
        change.difference,
        change.low,
        change.high,
        unit,
        test,
        change.n,
        p,
        mde,
        why,
    )


def _mcnemar(before, after):
    return mcnemar_change(before.astype(int), after.astype(int))


def accuracy_parts(found: list[FamilyRuns]) -> list[Part]:
    """One record per (family, difficulty): exact McNemar, Holm across every test shown."""
    tests, _ = _holm_tests(found, "correct", _mcnemar)
    parts = []
    for runs, task, change, significant, p in tests:
        why = f"{change.n} items, fewer than the {MIN_ITEMS} a test needs to decide" if change.n < MIN_ITEMS else None
        up = significant and change.difference > 0
        code = "inconclusive" if why else "reproduced" if up else "not reproduced" if significant else "inconclusive"
        # at Holm's first-step level (alpha / k): the level the most significant test must reach
        mde = (
            None
            if why
            else mde_paired_observed(change.n, (change.n_up + change.n_down) / change.n, alpha=ALPHA / len(tests))
        )
        parts.append(_change_part("mcnemar", runs, task, change, code, "proportion", "exact McNemar", p, mde, why))
    return parts


def accuracy_lines(found: list[FamilyRuns]):
    """(codes, details, mdes, whys) per (family, difficulty), rendered from :func:`accuracy_parts`."""
    parts = accuracy_parts(found)
    return [p.code for p in parts], wording.details(parts), [p.mde for p in parts], [p.why for p in parts]


def published_arithmetic_parts(evidence: Evidence) -> list[Part]:
    """Claim 4a's records on the published Pythia arithmetic of ``evidence``
    (:func:`helpers.experiments.published_pythia.claim4a.published_arithmetic_parts`, which the chapter shows)."""
    return claim4a_published.published_arithmetic_parts(evidence.pythia_arithmetic)


def claim4a(evidence: Evidence) -> ClaimResult:
    runs = evidence.judging_runs("procedure")
    illustration = _illustration(evidence, "procedure", accuracy_lines)
    whys = []
    if runs:
        parts = accuracy_parts(runs)
        mdes, whys = [p.mde for p in parts], [p.why for p in parts]
        data = f"our runs of profile `{runs[0].profile}` (GPT-3 arithmetic, log-likelihood, exact match)"
        test = "exact McNemar test smallest vs largest model per difficulty, Holm across difficulties"
        short = f"our runs, profile `{runs[0].profile}`"
    else:
        design = claim4a_published.published_design(evidence.pythia_arithmetic)
        parts = claim4a_published.published_arithmetic_parts(evidence.pythia_arithmetic, design=design)
        mdes = []
        data = (
            "published Pythia deduped v0 arithmetic (EleutherAI/pythia evals, term-frequency study): free "
            "generation scored by exact match, not the log-likelihood arithmetic of the study; final "
            f"checkpoint, {design.items_per_cell:,} items per cell"
        )
        test = (
            f"cluster-paired comparison {design.small} vs {design.large} over {design.operands} first operands "
            f"(BCa bootstrap interval, sign-flip test), Holm across {design.operations} operations x "
            f"{design.shot_counts} shot counts"
        )
        short = f"published Pythia deduped v0 arithmetic (free generation), {design.small} and {design.large}"
    details = wording.details(parts)
    code = combine([p.code for p in parts])
    no_mde = (
        {}
        if runs or code != "inconclusive"
        else {
            "no_mde": "the published arithmetic is per operand cluster: "
            f"no paired MDE (sign-flip test over {design.operands} operands)"
        }
    )
    verdict = Verdict(
        code,
        "; ".join(details),
        test,
        data,
        margin=f"a significant increase at {setting_percent(ALPHA)} after Holm",
        **(mde_or_reason(code, mdes, whys) if mdes else no_mde),
    )
    return ClaimResult(
        "4a",
        CLAIM_4A,
        verdict,
        wording.accuracy_key(parts, runs=bool(runs)),
        short,
        tuple(details),
        illustration,
        parts=tuple(parts),
    )


# ----------------------------------------------------------------------------- claim 4b


def _no_test(runs: FamilyRuns, error: InferenceError) -> Part:
    return Part(
        "no_test",
        runs.family,
        "inconclusive",
        why="NaN or infinite losses: no test",
        extra=(("missing", "test"),),
        note=str(error),
    )


def loss_parts(found: list[FamilyRuns]) -> list[Part]:
    """One record per (family, difficulty): paired change of the per-token loss, Wilcoxon signed-rank, Holm
    across every test shown; the MDE of the mean change in nats per token. A family whose losses are not all
    finite gives one ``no_test`` record, first."""
    tests, parts = _holm_tests(found, "gold_nll_per_token", paired_mean_change, broken=_no_test)
    for runs, task, change, significant, p in tests:
        why = undecidable(change.n, change.low, change.high)
        code = "inconclusive" if why else _loss_change_code(significant, change.rank_direction, change.low, change.high)
        mde = None if why else mde_slope(se_from(change.low, change.high))
        parts.append(
            _change_part("wilcoxon", runs, task, change, code, "nats per token", "Wilcoxon signed-rank", p, mde, why)
        )
    return parts


def loss_lines(found: list[FamilyRuns]):
    """(codes, details, mdes, whys) per (family, difficulty), rendered from :func:`loss_parts`."""
    parts = loss_parts(found)
    return [p.code for p in parts], wording.details(parts), [p.mde for p in parts], [p.why for p in parts]


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
        return not_judged(
            "4b",
            CLAIM_4B,
            "the published arithmetic results give accuracy only, no loss" + problems(evidence),
            NEEDS_RUN,
            illustration,
        )
    parts = loss_parts(runs)
    details, verdict = judged_verdict(
        parts,
        "paired change of the per-token gold-answer loss: Wilcoxon signed-rank, Holm across difficulties, "
        "and the paired bootstrap interval of the mean change on the same side of 0; fewer than "
        f"{MIN_ITEMS} items or a zero-width interval decide nothing",
        f"our runs of profile `{runs[0].profile}` (GPT-3 arithmetic)",
        margin=f"a significant decrease at {setting_percent(ALPHA)} after Holm",
        mde_unit="nats per token (mean change)",
    )
    return ClaimResult(
        "4b",
        CLAIM_4B,
        verdict,
        wording.loss_key(parts),
        f"our runs, profile `{runs[0].profile}`",
        tuple(details),
        illustration,
        parts=tuple(parts),
    )
