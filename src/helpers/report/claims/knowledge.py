"""Claims 1 and 2: MMLU-math accuracy "flat at 19-20%" and "below the 25% of chance".

Both are judged in the study's format: 0-shot, full answer text scored by summed log-likelihood
(lm-evaluation-harness hendrycksTest v0, the format of the published Pythia/OPT results). Runs in
other formats (answer letter, 5-shot) are shown as their own labelled lines, never swapped in.

Claim 1, per family (Pythia, OPT):

- *trend*: the slope of accuracy against log10(parameters): a model-level weighted least squares
  fit on per-model accuracies whose error carries the items' binomial sampling (floor) and the
  models' scatter around the line (:func:`helpers.analysis.trend.wls_slope`), for published
  aggregates and stored runs alike; no trend from fewer than three models (two give a change with
  its Newcombe interval and "no trend from two models"). "Flat" only through an
  equivalence test (TOST at 5%: the 90% interval inside +-1 point per decade); a slope whose 95%
  interval excludes 0 is "rising"/"falling"; anything else is inconclusive, with the minimum
  detectable slope at 80% power.
- *level*: exact (Clopper-Pearson) intervals against the claimed band 19-20% widened by 2 points
  (17-22%): every model's 90% interval inside -> reproduced (one TOST per model, all must pass);
  any model's Bonferroni-simultaneous 95% interval wholly outside -> not reproduced.

Claim 2: each model's accuracy against the 25% of chance, by the rule of
:mod:`helpers.report.claims.below_chance`; its row is assembled here, beside claim 1, because both
show the same referee lines (:func:`referee_lines`).

Both rules build records (:class:`~helpers.analysis.claims.records.Part` of kinds ``trend_level``,
``below_chance`` and ``baseline``); every word and number of their rows is rendered from those records
by :mod:`helpers.analysis.claims.wording`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import confint_proportions_2indep

from helpers.analysis.claims import wording
from helpers.analysis.claims import wording_knowledge as words
from helpers.analysis.claims.records import Part
from helpers.analysis.inference import binomial_vs_chance, mcnemar_change
from helpers.analysis.power import mde_one_proportion, mde_slope, power_flat
from helpers.analysis.trend import FLAT_MARGIN, MIN_MODELS, Slope, item_slope, model_slope, slope_equivalence
from helpers.analysis.verdicts import Verdict, combine
from helpers.core.tasks.mmlu import CHANCE
from helpers.report.claims.below_chance import (
    CHANCE_MARGIN,
    baseline_parts,
    below_chance_code,
    chance_parts,
    chance_tests,
    family_codes,
    scoring_artefact,
)
from helpers.report.claims.common import ALPHA, ILLUSTRATION, ClaimResult
from helpers.report.claims.evidence import Evidence, FamilyRuns

CLAIM_1 = "MMLU-math accuracy is flat across scale at 19–20%"
CLAIM_2 = "MMLU-math accuracy is below the 25% of chance"
CLAIMED_BAND = (0.19, 0.20)
LEVEL_MARGIN = 0.02  # points either side of the band
STUDY_FORMAT = "0-shot, full answer text (hendrycksTest v0), acc"


# ----------------------------------------------------------------------------- claim 1


def _trend_code(slope: Slope) -> str:
    shape = slope_equivalence(slope, FLAT_MARGIN)
    return {"flat": "reproduced", "rising": "not reproduced", "falling": "not reproduced"}.get(shape, "inconclusive")


def _level_code(ks, ns) -> str:
    """Level against the band 19-20% +- 2 pts: reproduced when every model's 90% interval lies inside
    (one TOST per model at 5%, all must pass: an intersection-union test, no correction); not
    reproduced when any model's simultaneous 95% interval (Bonferroni over the family's models)
    lies wholly outside; else inconclusive. Intervals are exact (Clopper-Pearson)."""
    band_low, band_high = CLAIMED_BAND[0] - LEVEL_MARGIN, CLAIMED_BAND[1] + LEVEL_MARGIN
    inside = [binomial_vs_chance(k, n, CHANCE, confidence=1 - 2 * ALPHA) for k, n in zip(ks, ns)]
    if all(band_low <= t.low and t.high <= band_high for t in inside):
        return "reproduced"
    simultaneous = [binomial_vs_chance(k, n, CHANCE, confidence=1 - ALPHA / len(ks)) for k, n in zip(ks, ns)]
    if any(t.high < band_low or t.low > band_high for t in simultaneous):
        return "not reproduced"
    return "inconclusive"


def _independent_change(ks, ns) -> tuple:
    """Two models give a change, not a trend: larger minus smaller accuracy, Newcombe 95% (independent samples)."""
    low, high = confint_proportions_2indep(ks[-1], ns[-1], ks[0], ns[0], method="newcomb")
    return (("change", ks[-1] / ns[-1] - ks[0] / ns[0]), ("change_low", low), ("change_high", high))


def _paired_change(runs: FamilyRuns) -> tuple:
    """Two models scored on the same items: the paired change, Newcombe's paired interval and exact McNemar."""
    merged = runs.tables[0].merge(runs.tables[-1], on=["task", "item_id"], suffixes=("_small", "_large"))
    change = mcnemar_change(merged["correct_small"].astype(int), merged["correct_large"].astype(int))
    return (
        ("change", change.difference),
        ("change_low", change.low),
        ("change_high", change.high),
        ("paired_n", change.n),
        ("mcnemar_p", change.pvalue),
    )


def claim1_part(family: str, slope: Slope, ks, ns, models, change: tuple | None = None, profile=None) -> Part:
    """One family's ``trend_level`` record: the trend test on ``slope`` and the level test on ``ks`` correct
    of ``ns`` items per model (smallest model first). Under ``MIN_MODELS`` sizes there is no trend: the
    record carries the change from the smallest to the largest model instead (``change``: the paired
    change's extras when the models share items, else the independent Newcombe change is computed here)."""
    ks, ns = [int(k) for k in ks], [int(n) for n in ns]
    levels = [k / n for k, n in zip(ks, ns)]
    trend, level = _trend_code(slope), _level_code(ks, ns)
    no_trend = slope.n_models < MIN_MODELS
    extra = (
        ("level_low", min(levels)),
        ("level_high", max(levels)),
        ("shape", slope_equivalence(slope, FLAT_MARGIN)),
        ("trend", trend),
        ("level", level),
        ("power", None if no_trend else power_flat(slope.se, FLAT_MARGIN, slope.df)),
        ("profile", profile),
    )
    return Part(
        "trend_level",
        family,
        combine([trend, level]),
        (models[0], models[-1]),
        estimate=slope.slope,
        low=slope.low,
        high=slope.high,
        test=slope.method,
        n=slope.n_models,
        mde=mde_slope(slope.se, df=slope.df) if trend == "inconclusive" and not no_trend else None,
        extra=extra + ((change or _independent_change(ks, ns)) if no_trend else ()),
    )


def _claim1_part(family: str, slope: Slope, ks, ns, models):
    """The contract :func:`helpers.report.claims.sensitivity.sensitivity_lines` calls: (verdict code, detail
    line, mde, key text, why no mde) of one family, rendered from :func:`claim1_part`."""
    part = claim1_part(family, slope, ks, ns, models)
    return part.code, wording.detail(part), part.mde, words.trend_level_key([part]), words.no_trend_reason(part)


def claim1_published(evidence: Evidence) -> list[Part]:
    """One ``trend_level`` record per family of the published results (model-level slope)."""
    return [
        claim1_part(
            str(family),
            model_slope(group["params"], group["k_acc"], group["n"], group["acc_stderr"]),
            group["k_acc"],
            group["n"],
            group["model"].tolist(),
        )
        for family, group in evidence.mmlu.groupby("family", sort=False)
    ]


def _run_slope(runs: FamilyRuns) -> Slope:
    frame = pd.concat(runs.tables, ignore_index=True)
    return item_slope(frame["correct"].astype(float), frame["n_params_total"], frame["task"] + "/" + frame["item_id"])


def claim1_runs(found: list[FamilyRuns]) -> list[Part]:
    """One ``trend_level`` record per family of stored runs (slope on items; two models: the paired change)."""
    parts = []
    for runs in found:
        ks, ns = [int(t["correct"].sum()) for t in runs.tables], [len(t) for t in runs.tables]
        change = _paired_change(runs) if len(runs.tables) == 2 else None
        parts.append(claim1_part(runs.family, _run_slope(runs), ks, ns, runs.models, change, runs.profile))
    return parts


def claim1(evidence: Evidence) -> ClaimResult:
    """Claim 1 on the study-format runs of a Pythia/OPT profile if stored, else on the published results."""
    runs = [r for r in evidence.judging_runs("knowledge_fulltext") if r.shots == 0]
    if runs:
        parts, n_models = claim1_runs(runs), sum(len(r.tables) for r in runs)
        data = words.runs_data(STUDY_FORMAT, runs[0].profile, n_models)
        short = words.runs_source(runs[0].profile, n_models)
    else:
        parts, n_models, n_items = claim1_published(evidence), len(evidence.mmlu), int(evidence.mmlu["n"].iloc[0])
        data = words.published_data(STUDY_FORMAT, n_models, n_items)
        short = words.published_source(n_models, n_items)
    details = wording.details(parts)
    code = combine([part.code for part in parts])
    finite = [part.mde for part in parts if part.mde is not None and not np.isnan(part.mde)]
    why = "; ".join(w for w in map(words.no_trend_reason, parts) if w) or "no slope interval could be made"
    verdict = Verdict(
        code,
        "; ".join(details),
        words.trend_level_test(),
        data,
        margin=words.trend_level_margin(FLAT_MARGIN, CLAIMED_BAND, LEVEL_MARGIN),
        mde=max(finite) if code == "inconclusive" and finite else None,
        mde_unit="points per decade",
        no_mde=why if code == "inconclusive" and not finite else None,
    )
    return ClaimResult(
        "1",
        CLAIM_1,
        verdict,
        words.trend_level_key(parts),
        short,
        (*details, *referee_lines(evidence)[0]),
        illustration=illustration_claim1(evidence),
        other_lines=other_format_lines(evidence),
        parts=tuple(parts),
    )


def referee_lines(evidence: Evidence) -> tuple[list[str], list[str]]:
    """(claim 1, claim 2) lines a referee asks for, on the published results: sensitivity of the verdict,
    per-subject slopes and the checkpoint axis (``helpers.report.claims.sensitivity``)."""
    from helpers.analysis.published import load_published
    from helpers.report.claims.sensitivity import FIRST_STEP, checkpoint_lines, sensitivity_lines, subject_lines

    if "_referee" in evidence.__dict__:  # computed once per Evidence, shared by claims 1 and 2
        return evidence.__dict__["_referee"]
    published = evidence.published if evidence.published is not None else load_published()
    one, two = sensitivity_lines(published, _claim1_part, chance_tests, below_chance_code)
    last_step = int(published.loc[published["family"] == "pythia", "step"].max())
    one += subject_lines(published) + words.checkpoint_axis_line(checkpoint_lines(published), FIRST_STEP, last_step)
    evidence.__dict__["_referee"] = (one, two)
    return one, two


def illustration_claim1(evidence: Evidence) -> str | None:
    """Claim 1's test on this profile's stand-in full-text runs, numbers only (no verdict words)."""
    found = [r for r in evidence.illustration_runs("knowledge_fulltext") if r.shots == 0]
    if not found:
        return None
    return words.illustration(ILLUSTRATION, wording.details(claim1_runs(found), judged=False))


def other_format_lines(evidence: Evidence) -> tuple[str, ...]:
    """Per-model accuracies of the other MMLU formats stored for this profile: shown, never judged."""
    return tuple(
        words.other_format_line(
            label,
            runs.shots,
            runs.profile,
            [t["model_id"].iloc[0] for t in runs.tables],
            [t["correct"].mean() for t in runs.tables],
        )
        for kind, label in (("knowledge", "letter format"), ("knowledge_5shot", "letter format, 5-shot"))
        for runs in evidence.runs(evidence.profile_name, kind, pythia_opt_only=False)
    )


# ----------------------------------------------------------------------------- claim 2


def claim2(evidence: Evidence) -> ClaimResult:
    """Claim 2 on the published results (each model once, Holm across all of them), by the rule of
    :mod:`helpers.report.claims.below_chance`."""
    mmlu = evidence.mmlu
    parts = [*chance_parts(mmlu), *baseline_parts(*evidence.fulltext_items)]
    n_items = int(mmlu["n"].iloc[0])
    code = combine(family_codes(parts))
    artefact = scoring_artefact(parts)
    # the MDE of the Holm family's first step (alpha / m, as Bonferroni): what the corrected tests can detect
    mde = mde_one_proportion(n_items, CHANCE, alpha=ALPHA / len(mmlu), alternative="smaller")
    verdict = Verdict(
        code,
        words.chance_reason(parts, artefact),
        words.chance_test(len(mmlu), CHANCE, CHANCE_MARGIN),
        words.published_data(STUDY_FORMAT + " and acc_norm", len(mmlu), n_items),
        margin=words.chance_margin(ALPHA),
        mde=mde if code == "inconclusive" else None,
    )
    return ClaimResult(
        "2",
        CLAIM_2,
        verdict,
        words.chance_key(parts, artefact),
        words.published_source(len(mmlu), n_items),
        (*words.chance_details(parts), *referee_lines(evidence)[1]),
        illustration=illustration_claim2(evidence),
        parts=tuple(parts),
    )


def illustration_claim2(evidence: Evidence) -> str | None:
    """The same test on the stand-in models shown, Holm across all of them (one family: the models shown)."""
    rows = [
        {
            "model": str(t["model_id"].iloc[0]),
            "family": runs.family,
            "k_acc": int(t["correct"].sum()),
            "k_norm": int(t["correct_norm"].sum()),
            "n": len(t),
        }
        # the study's format, as its words say ("full text, 0-shot"); any number of models (a family of one is shown)
        for runs in evidence.illustration_runs("knowledge_fulltext", minimum=1)
        if runs.shots == 0
        for t in runs.tables
    ]
    return words.chance_illustration(ILLUSTRATION, chance_parts(pd.DataFrame(rows))) if rows else None
