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

Claim 2: exact one-sided binomial test of each model against 25%, Holm-corrected across all the
models judged (each counted once); per family, all below -> reproduced, some -> partly, none with
every one-sided 95% lower bound at or above 23% -> not reproduced, else inconclusive. Beside 25%,
the length-aware views on the same 1,064 items: acc_norm (per-character normalisation; same
test), and the baselines "always the shortest answer" and "always the most common gold letter"
(Wilson intervals). When no model is significantly below chance in acc_norm and the
shortest-answer baseline's interval lies below 25%, the verdict calls the effect a scoring artefact.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import confint_proportions_2indep

from helpers.analysis.baselines import baseline_table
from helpers.analysis.inference import binomial_vs_chance, chance_family, mcnemar_change
from helpers.analysis.power import mde_one_proportion, mde_slope, power_flat
from helpers.analysis.trend import MIN_MODELS, Slope, item_slope, model_slope, slope_equivalence
from helpers.analysis.verdicts import Verdict, combine
from helpers.render.numbers import interval, pct, points
from helpers.report.claims.common import ALPHA, ILLUSTRATION, ClaimResult
from helpers.report.claims.evidence import MMLU_CHANCE, Evidence, FamilyRuns

CLAIM_1 = "MMLU-math accuracy is flat across scale at 19–20%"
CLAIM_2 = "MMLU-math accuracy is below the 25% of chance"
CLAIMED_BAND = (0.19, 0.20)
LEVEL_MARGIN = 0.02  # points either side of the band
FLAT_MARGIN = 0.01  # proportion per decade of parameters
CHANCE_MARGIN = 0.02  # "not below chance": every model's one-sided 95% lower bound at or above 23%
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
    inside = [binomial_vs_chance(k, n, MMLU_CHANCE, confidence=1 - 2 * ALPHA) for k, n in zip(ks, ns)]
    if all(band_low <= t.low and t.high <= band_high for t in inside):
        return "reproduced"
    simultaneous = [binomial_vs_chance(k, n, MMLU_CHANCE, confidence=1 - ALPHA / len(ks)) for k, n in zip(ks, ns)]
    if any(t.high < band_low or t.low > band_high for t in simultaneous):
        return "not reproduced"
    return "inconclusive"


def _slope_text(family: str, slope: Slope) -> str:
    shape = slope_equivalence(slope, FLAT_MARGIN)
    return (
        f"{family}: slope {points(slope.slope)} per decade, 95% {interval(slope.low, slope.high, 'pts')} "
        f"({shape}; {slope.method}, {slope.n_models} models)"
    )


LEVEL_WORDS = {
    "reproduced": "every model's 90% interval inside 17–22%",
    "not reproduced": "a model's simultaneous 95% interval outside 17–22%",
    "inconclusive": "the level undecided against 17–22%",
}
"""The level test's outcome in words, for illustrations (no verdict words on stand-in evidence)."""


def _two_model_change(family: str, ks, ns, models) -> str:
    """Two models give a change, not a trend: larger minus smaller accuracy, Newcombe 95% (independent samples)."""
    low, high = confint_proportions_2indep(ks[-1], ns[-1], ks[0], ns[0], method="newcomb")
    return (
        f"{family}: no trend from two models; change {models[0]} → {models[-1]} "
        f"{points(ks[-1] / ns[-1] - ks[0] / ns[0])} {interval(low, high, 'pts')} (Newcombe 95%)"
    )


def _paired_two_model_change(family: str, runs: FamilyRuns) -> str:
    """Two models scored on the same items: the paired change, exact McNemar and Newcombe's paired interval."""
    merged = runs.tables[0].merge(runs.tables[-1], on=["task", "item_id"], suffixes=("_small", "_large"))
    change = mcnemar_change(merged["correct_small"].astype(int), merged["correct_large"].astype(int))
    return (
        f"{family}: no trend from two models; change {runs.models[0]} → {runs.models[-1]} "
        f"{points(change.difference)} {interval(change.low, change.high, 'pts')} (paired by item, {change.n} items, "
        f"Newcombe 95%, exact McNemar p = {change.pvalue:.3g})"
    )


def _claim1_part(family: str, slope: Slope, ks, ns, models, illustrate: bool = False, change: str | None = None):
    """(verdict code, detail line, mde, key text, why no mde) of one family; ``ks``/``ns``: correct and
    items per model, smallest model first. ``illustrate``: the test's outcomes in words, no verdict words."""
    ks, ns = [int(k) for k in ks], [int(n) for n in ns]
    levels = [k / n for k, n in zip(ks, ns)]
    trend, level = _trend_code(slope), _level_code(ks, ns)
    no_trend = slope.n_models < MIN_MODELS
    head = (change or _two_model_change(family, ks, ns, models)) if no_trend else _slope_text(family, slope)
    outcome = LEVEL_WORDS[level] if illustrate else f"level {level}, trend {trend}"
    mde = mde_slope(slope.se, df=slope.df) if trend == "inconclusive" and not no_trend else None
    power = (
        ""
        if no_trend
        else (
            f"; power to call a truly flat family flat: "
            f"{100 * power_flat(slope.se, FLAT_MARGIN, slope.df):.0f}%"
            + (f", MDE {100 * mde:.1f} pts/decade" if mde is not None else "")
        )
    )
    detail = f"{head}{power}; level {pct(min(levels))}–{pct(max(levels))} ({outcome})"
    why = f"{family} has {slope.n_models} model sizes: no trend from fewer than {MIN_MODELS}" if no_trend else None
    key = (
        f"{family} {points(slope.slope)}/decade {interval(slope.low, slope.high, 'pts')}, "
        f"levels {pct(min(levels))}–{pct(max(levels))}"
    )
    return combine([trend, level]), detail, mde, key, why


def claim1_published(evidence: Evidence):
    codes, details, mdes, keys, whys = [], [], [], [], []
    for family, group in evidence.mmlu.groupby("family", sort=False):
        slope = model_slope(group["params"], group["k_acc"], group["n"], group["acc_stderr"])
        code, detail, mde, key, why = _claim1_part(
            str(family), slope, group["k_acc"], group["n"], group["model"].tolist()
        )
        codes.append(code)
        details.append(detail)
        mdes.append(mde)
        keys.append(key)
        whys.append(why)
    return codes, details, mdes, keys, whys


def _run_slope(runs: FamilyRuns) -> Slope:
    frame = pd.concat(runs.tables, ignore_index=True)
    return item_slope(frame["correct"].astype(float), frame["n_params_total"], frame["task"] + "/" + frame["item_id"])


def claim1_runs(found: list[FamilyRuns], illustrate: bool = False):
    codes, details, mdes, keys, whys = [], [], [], [], []
    for runs in found:
        ks, ns = [int(t["correct"].sum()) for t in runs.tables], [len(t) for t in runs.tables]
        change = _paired_two_model_change(runs.family, runs) if len(runs.tables) == 2 else None
        code, detail, mde, key, why = _claim1_part(
            runs.family, _run_slope(runs), ks, ns, runs.models, illustrate, change
        )
        codes.append(code)
        details.append(f"{detail} [profile `{runs.profile}`]")
        mdes.append(mde)
        keys.append(key)
        whys.append(why)
    return codes, details, mdes, keys, whys


def claim1(evidence: Evidence) -> ClaimResult:
    """Claim 1 on the study-format runs of a Pythia/OPT profile if stored, else on the published results."""
    runs = evidence.judging_runs("knowledge_fulltext")
    runs = [r for r in runs if r.shots == 0]
    if runs:
        codes, details, mdes, keys, whys = claim1_runs(runs)
        data = f"our runs of profile `{runs[0].profile}` ({STUDY_FORMAT}), {sum(len(r.tables) for r in runs)} models"
    else:
        codes, details, mdes, keys, whys = claim1_published(evidence)
        n_models = len(evidence.mmlu)
        data = (
            f"published lm-evaluation-harness results ({STUDY_FORMAT}), {n_models} Pythia/OPT models, 1,064 items each"
        )
    test = (
        "model-level slope: WLS on per-model accuracies, variance max(stderr², binomial at the pooled or "
        "Wilson-adjusted proportion), residual scale >= 1 (items and models), t on n_models - 2 df, TOST "
        f"±1 pt/decade, no trend from fewer than {MIN_MODELS} models; exact binomial level intervals"
    )
    code = combine(codes)
    finite = [m for m in mdes if m is not None and not np.isnan(m)]
    why = "; ".join(w for w in whys if w) or "no slope interval could be made"
    verdict = Verdict(
        code,
        "; ".join(details),
        test,
        data,
        margin=f"flat: slope within ±{100 * FLAT_MARGIN:g} pt per decade; level: 19–20% ±{100 * LEVEL_MARGIN:g} pts",
        mde=max(finite) if code == "inconclusive" and finite else None,
        mde_unit="points per decade",
        no_mde=why if code == "inconclusive" and not finite else None,
    )
    key = "slope per decade: " + "; ".join(keys)
    short = (
        f"our runs, profile `{runs[0].profile}`, {sum(len(r.tables) for r in runs)} models"
        if runs
        else f"published Pythia/OPT lm-eval results, {len(evidence.mmlu)} models x 1,064 items"
    )
    return ClaimResult(
        "1",
        CLAIM_1,
        verdict,
        key,
        short,
        (*details, *referee_lines(evidence)[0]),
        illustration=illustration_claim1(evidence),
        other_lines=other_format_lines(evidence),
    )


def referee_lines(evidence: Evidence) -> tuple[list[str], list[str]]:
    """(claim 1, claim 2) lines a referee asks for, on the published results: sensitivity of the verdict,
    per-subject slopes and the checkpoint axis (``helpers.report.claims.sensitivity``)."""
    from helpers.analysis.published import load_published
    from helpers.report.claims.sensitivity import checkpoint_lines, sensitivity_lines, subject_lines

    if "_referee" in evidence.__dict__:  # computed once per Evidence, shared by claims 1 and 2
        return evidence.__dict__["_referee"]
    published = evidence.published if evidence.published is not None else load_published()
    one, two = sensitivity_lines(published, _claim1_part, _chance_tests, _below_chance_code)
    steps = "; ".join(checkpoint_lines(published))
    one += subject_lines(published) + (
        [
            f"checkpoint axis (published Pythia, 0-shot acc, steps 1,000 to 143,000; "
            f"checkpoints share items, so read as descriptive): {steps}"
        ]
        if steps
        else []
    )
    evidence.__dict__["_referee"] = (one, two)
    return one, two


def illustration_claim1(evidence: Evidence) -> str | None:
    found = [r for r in evidence.illustration_runs("knowledge_fulltext") if r.shots == 0]
    if not found:
        return None
    details = claim1_runs(found, illustrate=True)[1]
    return f"{ILLUSTRATION}: " + "; ".join(details)


def other_format_lines(evidence: Evidence) -> tuple[str, ...]:
    """Per-model accuracies of the other MMLU formats stored for this profile: shown, never judged."""
    lines = []
    for kind, label in (("knowledge", "letter format"), ("knowledge_5shot", "letter format, 5-shot")):
        for runs in evidence.runs(evidence.profile_name, kind, pythia_opt_only=False):
            values = ", ".join(f"{t['model_id'].iloc[0]} {pct(t['correct'].mean())}" for t in runs.tables)
            lines.append(f"{label} ({runs.shots}-shot, profile `{runs.profile}`, not the study's format): {values}")
    return tuple(lines)


# ----------------------------------------------------------------------------- claim 2


def _chance_tests(mmlu: pd.DataFrame, k_column: str) -> pd.DataFrame:
    """One exact one-sided binomial test per model against 25%, Holm across all the models (each once).

    The family of "k of 15 models below chance" is the 15 tests (STATISTICS.md, rule 4). Adds
    ``low_one_sided``: the one-sided 95% lower bound (Clopper-Pearson), for "not below chance".
    """
    table = mmlu.rename(columns={k_column: "k"})[["model", "family", "k", "n"]]
    tests = chance_family(table, MMLU_CHANCE, "less", ALPHA)
    tests["low_one_sided"] = [
        binomial_vs_chance(k, n, MMLU_CHANCE, "less", confidence=1 - 2 * ALPHA).low
        for k, n in zip(tests["k"], tests["n"])
    ]
    return tests


def _below_chance_code(tests: pd.DataFrame) -> str:
    """Per family: all models significantly below 25% (Holm) -> reproduced; some -> partly; none and every
    model's one-sided 95% lower bound at or above 25% - 2 pts (an intersection-union test, no correction
    needed) -> not reproduced; none otherwise -> inconclusive (absence of evidence decides nothing)."""
    n_below = int(tests["significant"].sum())
    if n_below:
        return "reproduced" if n_below == len(tests) else "partly"
    return "not reproduced" if (tests["low_one_sided"] >= MMLU_CHANCE - CHANCE_MARGIN).all() else "inconclusive"


def claim2(evidence: Evidence) -> ClaimResult:
    """Claim 2 on the published results (each model once, Holm across all of them)."""
    mmlu = evidence.mmlu
    acc, norm = _chance_tests(mmlu, "k_acc"), _chance_tests(mmlu, "k_norm")
    details, codes, counts = [], [], []
    for family in mmlu["family"].unique():
        in_family = (acc["family"] == family).to_numpy()
        family_acc, family_norm = acc[in_family], norm[in_family]
        n_acc, n_norm = int(family_acc["significant"].sum()), int(family_norm["significant"].sum())
        counts.append(f"{family} {n_acc}")
        below = ", ".join(
            f"{m} {pct(e)}"
            for m, e, s in zip(family_acc["model"], family_acc["estimate"], family_acc["significant"])
            if s
        )
        details.append(
            f"{family}: {n_acc} of {len(family_acc)} models significantly below 25% in acc"
            f"{' (' + below + ')' if below else ''}; {n_norm} of {len(family_norm)} in acc_norm"
        )
        codes.append(_below_chance_code(family_acc))
    acc_total, norm_total = int(acc["significant"].sum()), int(norm["significant"].sum())
    baselines = baseline_table(*evidence.fulltext_items)
    shortest = baselines[baselines["baseline"] == "shortest answer"].iloc[0]
    n_items = int(mmlu["n"].iloc[0])
    code = combine(codes)
    artefact = norm_total == 0 and acc_total > 0 and shortest["high"] < MMLU_CHANCE
    reason = "; ".join(details) + (
        f". A scoring artefact: with per-character normalisation (acc_norm) no model is significantly below chance "
        f"(Holm), and always choosing the shortest answer scores {pct(shortest['accuracy'])} "
        f"{interval(shortest['low'], shortest['high'])} on the same items, below 25%"
        if artefact
        else ""
    )
    data = (
        f"published lm-evaluation-harness results ({STUDY_FORMAT} and acc_norm), {len(mmlu)} Pythia/OPT models, "
        f"{n_items:,} items each"
    )
    test = (
        f"exact binomial test vs 25%, one-sided, Holm across the {len(mmlu)} models; 'not below chance' needs "
        f"every one-sided 95% lower bound at or above {pct(MMLU_CHANCE - CHANCE_MARGIN, 0)}"
    )
    mde = mde_one_proportion(n_items, MMLU_CHANCE, alternative="smaller")
    verdict = Verdict(
        code, reason, test, data, margin="significance at 5% after Holm", mde=mde if code == "inconclusive" else None
    )
    baseline_lines = tuple(
        f"baseline {row.baseline}: {pct(row.accuracy)} {interval(row.low, row.high)}"
        for row in baselines.itertuples()
        if row.baseline != "uniform guess"
    )
    key = (
        f"{acc_total} of {len(mmlu)} models below 25% in acc (Holm over {len(mmlu)}: {', '.join(counts)}), "
        f"{norm_total} in acc_norm; shortest-answer baseline {pct(shortest['accuracy'])} "
        f"{interval(shortest['low'], shortest['high'])}" + (": a scoring artefact" if artefact else "")
    )
    short = f"published Pythia/OPT lm-eval results, {len(mmlu)} models x {n_items:,} items"
    return ClaimResult(
        "2",
        CLAIM_2,
        verdict,
        key,
        short,
        (*details, *baseline_lines, *referee_lines(evidence)[1]),
        illustration=illustration_claim2(evidence),
    )


def illustration_claim2(evidence: Evidence) -> str | None:
    """The same test on the stand-in models shown, Holm across all of them (one family: the models shown)."""
    if evidence.profile_name in ("small", "paper"):
        return None
    tables = [
        t
        for runs in evidence.runs(evidence.profile_name, "knowledge_fulltext", pythia_opt_only=False)
        for t in runs.tables
    ]
    if not tables:
        return None
    table = pd.DataFrame(
        {
            "model": [str(t["model_id"].iloc[0]) for t in tables],
            "k": [int(t["correct"].sum()) for t in tables],
            "k_norm": [int(t["correct_norm"].sum()) for t in tables],
            "n": [len(t) for t in tables],
        }
    )
    acc = chance_family(table[["model", "k", "n"]], MMLU_CHANCE, "less", ALPHA)
    norm = chance_family(table[["model", "k_norm", "n"]].rename(columns={"k_norm": "k"}), MMLU_CHANCE, "less", ALPHA)
    lines = [
        f"{m}: acc {pct(e)} (Holm p {p:.3g}), acc_norm {pct(en)} (Holm p {pn:.3g})"
        for m, e, p, en, pn in zip(acc["model"], acc["estimate"], acc["p_holm"], norm["estimate"], norm["p_holm"])
    ]
    return (
        f"{ILLUSTRATION} (full text, 0-shot; exact binomial test vs 25%, one-sided, Holm across the "
        f"{len(tables)} models shown): " + "; ".join(lines)
    )
