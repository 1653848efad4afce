"""Claims 6, 7 and 4c: the study's open question, its engineering conclusion, and arithmetic on OPT.

Judged on published numbers (:mod:`helpers.experiments.beyond.judged`), here in the chapter "Beyond
Pythia and OPT", which shows them; the claims table (:mod:`helpers.report.claims.beyond`) prints the same
results. Each rule builds its parts as records (:class:`~helpers.analysis.claims.records.Part`) and every
word is rendered from them by :mod:`helpers.analysis.claims.wording`.

- **6**, "the ceiling is a property of decoder-only architectures": (a) RWKV-4, a recurrent model
  trained on the Pile like Pythia: trend and level of letter-format MMLU within 2 points (per
  decade; at 1B) of Pythia's contradicts it, a significant difference supports it; (b) any
  decoder-only model of at most 2B parameters significantly above 30% (chance + 5 points; exact
  binomial, Holm over the models) contradicts it.
- **7**, "scaling OPT/Pythia beyond 1-2B gives minimal accuracy gains": per family and format, the
  MMLU slope per decade of parameters from 1B up; minimal when its 90% upper bound is below 2
  points per decade, not minimal when its 90% lower bound is above.
- **4c**, claim 4's accuracy half on OPT and Pythia-deduped (GPT-3 arithmetic, few-shot): exact
  Spearman per family and operation, Holm across the 8 tests.

For rows 7 and 4c (statements the study makes) *reproduced* means the data support the statement,
*not reproduced* that they contradict it; row 6 judges a question the study left open, so the table
prints the same codes as *supported* / *not supported* (``ClaimResult.question``; the methods page
defines the words).
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

from scipy import stats

from helpers.analysis.claims import wording, wording_trends
from helpers.analysis.claims.records import Part
from helpers.analysis.claims.result import ClaimResult
from helpers.analysis.obsscaling import ARITHMETIC_N, ARITHMETIC_SHOTS, effective_n, exclusion_text, mmlu_subjects
from helpers.analysis.verdicts import ALPHA, Verdict, combine
from helpers.experiments.beyond import judged
from helpers.render.numbers import param_label, setting_billions, setting_percent, setting_points

__all__ = ["CLAIM_4C", "CLAIM_6", "CLAIM_7", "claim4c", "claim6", "claim7", "claim7_from"]

CLAIM_6 = "The ceiling is a property of decoder-only architectures (the study's open question)"
CLAIM_7 = "Scaling OPT/Pythia beyond 1–2B parameters gives minimal MMLU accuracy gains"
CLAIM_4C = "Arithmetic accuracy improves with scale, on OPT as well as Pythia (claim 4's accuracy half)"
SOURCE = "Observational Scaling Laws data (Ruan et al. 2024): Open LLM Leaderboard v1"
ARITHMETIC_SOURCE = (
    "Observational Scaling Laws data (Ruan et al. 2024): the authors' lm-evaluation-harness runs (`f78e2da45`)"
)
HIGHLIGHT = "OPT 2-digit addition"
"""The 4c part whose smallest → largest accuracy the key number shows."""


# ----------------------------------------------------------------------------- claim 6


def pile_part(pile: dict) -> Part:
    """Claim 6(a) as a record: RWKV-4 minus Pythia-deduped
    (:func:`~helpers.experiments.beyond.judged.rwkv_vs_pythia`)."""
    slope, level, trends = pile["slope"], pile["level"], pile["trends"]
    return Part(
        "trend_difference",
        "(a)",
        judged.pile_code(slope, level),
        ("RWKV-4", "Pythia-deduped"),
        estimate=slope.estimate,
        low=slope.low90,
        high=slope.high90,
        test="difference of model-level WLS trends, two one-sided tests",
        mde=max(slope.mde, level.mde),
        extra=(
            ("names", ("RWKV-4", "Pythia")),
            ("n_first", len(trends["RWKV"].models)),
            ("n_second", len(trends["Pythia"].models)),
            ("slope_code", slope.code),
            ("level", level.estimate),
            ("level_low", level.low90),
            ("level_high", level.high90),
            ("level_code", level.code),
            ("level_first", trends["RWKV"].level),
            ("level_second", trends["Pythia"].level),
            ("at_floor", _at_floor(trends)),
            ("margin", judged.SLOPE_MARGIN),
            ("level_at", 10**judged.LEVEL_AT),
            ("excluded", tuple(pile["excluded"])),
        ),
        level=1 - 2 * ALPHA,
    )


def _at_floor(trends) -> bool:
    """Whether every family's fitted level at 1B has its (1 - ALPHA) upper bound below chance + CLEAR_LIFT."""
    z = stats.norm.ppf(1 - ALPHA / 2)
    return all(t.level + z * t.level_se < judged.MMLU_CHANCE + judged.CLEAR_LIFT for t in trends.values())


def _settings() -> dict[str, str]:
    """The beyond rules' settings as the verdicts write them (levels, margins, sizes: from their constants)."""
    return {
        "alpha": setting_percent(ALPHA),
        "tost": setting_percent(1 - 2 * ALPHA),
        "slope": setting_points(judged.SLOPE_MARGIN),
        "level": setting_points(judged.LEVEL_MARGIN),
        "gain": setting_points(judged.GAIN_MARGIN),
        "lift": setting_points(judged.CLEAR_LIFT),
        "chance": setting_percent(judged.MMLU_CHANCE),
        "threshold": setting_percent(judged.MMLU_CHANCE + judged.CLEAR_LIFT),
        "level_at": setting_billions(10**judged.LEVEL_AT),
        "small_max": setting_billions(judged.SMALL_MAX_PARAMS),
        "gain_min": setting_billions(judged.GAIN_MIN_PARAMS),
        "subjects": f"{len(mmlu_subjects())}",
    }


def small_part(small, left_out) -> Part:
    """Claim 6(b) as a record: small decoder-only models above chance + 5 points
    (:func:`~helpers.experiments.beyond.judged.small_above_chance`)."""
    above, best = small[small["clearly_above"]], small.iloc[0]
    return Part(
        "above_chance",
        "(b)",
        "not reproduced" if len(above) else "inconclusive",
        (best["model"], ""),
        estimate=best["mmlu"],
        low=best["low"],
        high=best["high"],
        test="exact binomial test, one-sided, Holm",
        n=len(small),
        extra=(
            ("n_above", len(above)),
            ("threshold", judged.MMLU_CHANCE + judged.CLEAR_LIFT),
            ("max_params", judged.SMALL_MAX_PARAMS),
            ("excluded", tuple(left_out)),
        ),
    )


def claim6(evidence=None) -> ClaimResult:
    """Claim 6 (published data only: the same for every profile, computed once per process)."""
    return _claim6()


@lru_cache(maxsize=1)
def _claim6() -> ClaimResult:
    pile, (small, left_out) = judged.rwkv_vs_pythia(), judged.small_above_chance()
    parts = (pile_part(pile), small_part(small, left_out))
    details = tuple(wording.details(parts))
    code = combine([part.code for part in parts])
    w = _settings()
    verdict = Verdict(
        code,
        f"{details[0]}. {details[1]}.",
        "(a) difference of model-level WLS trends (weights 1/SE², residual scale floored at 1, t with the smaller "
        f"fit's df), two one-sided tests at {w['alpha']} against ±{w['slope']} pts per decade (slope) and "
        f"±{w['level']} pts at {w['level_at']} (level); (b) exact binomial test vs {w['threshold']} (chance "
        f"{w['chance']} + {w['lift']} pts), one-sided, n_eff = {effective_n():,.0f}, Holm over the {len(small)} "
        "models tested",
        f"{SOURCE}, MMLU 5-shot, letter format, mean of {w['subjects']} subjects (SE from subject sizes, each subject "
        "at the model's aggregate accuracy: per-subject numbers are not published)",
        margin=f"(a) ±{w['slope']} pts per decade and ±{w['level']} pts at {w['level_at']}; (b) {w['lift']} pts "
        "above chance",
        mde=parts[0].mde if code == "inconclusive" else None,
    )
    return ClaimResult(
        "6",
        CLAIM_6,
        verdict,
        wording.question_key(*parts),
        f"published: RWKV-4, Pythia, {len(small)} decoder-only models ≤ {w['small_max']}",
        details,
        question=True,
        parts=parts,
    )


# ----------------------------------------------------------------------------- claim 7


def claim7(evidence=None) -> ClaimResult:
    """Claim 7; ``evidence.published`` (when set) replaces the bundled full-text results."""
    published = getattr(evidence, "published", None)
    return _claim7() if published is None else claim7_from(published)


@lru_cache(maxsize=1)
def _claim7() -> ClaimResult:
    return claim7_from(None)


def claim7_from(published) -> ClaimResult:
    """Claim 7 on ``published`` (the full-text results; None: the bundled ones)."""
    records = []
    for part in judged.minimal_gains(published=published):
        trend, rows = part["trend"], part["rows"]
        s = trend.slope
        records.append(
            Part(
                "slope",
                {"pythia": "Pythia", "opt": "OPT"}.get(part["family"], part["family"]),
                part["code"],
                (rows["model"].iloc[0], rows["model"].iloc[-1]),
                rows["mmlu"].iloc[0],
                rows["mmlu"].iloc[-1],
                s.slope,
                s.low90,
                s.high90,
                "proportion",
                "model-level WLS slope on log10 parameters",
                len(rows),
                mde=part["mde"],
                extra=(
                    ("family", part["family"]),
                    ("format", part["format"]),
                    ("format_name", part["format_name"]),
                    ("note", trend.note),
                ),
                level=1 - 2 * ALPHA,
            )
        )
    details = wording.details(records)
    code = combine([part.code for part in records])
    mdes = [part.mde for part in records if part.code == "inconclusive" and math.isfinite(part.mde)]
    w = _settings()
    letter_opt = judged.benchmark().query("family == 'OPT'")["params"].max()
    verdict = Verdict(
        code,
        "; ".join(details),
        f"per family and format, model-level WLS slope of MMLU on log10 parameters from {w['gain_min']} up (weights "
        f"1/SE², residual scale floored at 1, t intervals); minimal when the {w['tost']} upper bound < +{w['gain']} "
        f"pts per decade (one-sided test at {w['alpha']}), not minimal when the {w['tost']} lower bound > "
        f"+{w['gain']} pts",
        f"letter: {SOURCE} (MMLU 5-shot, OPT to {param_label(letter_opt)}); full text: published "
        "lm-evaluation-harness hendrycksTest v0, 0-shot (the study's format), unweighted mean of "
        f"{w['subjects']} subjects, SE from each subject's accuracy and size",
        margin=f"+{w['gain']} accuracy points per tenfold increase in parameters",
        mde=max(mdes) if code == "inconclusive" and mdes else None,
        mde_unit=f"points per decade away from the +{w['gain']}-point margin (one-sided test at {w['alpha']})",
    )
    return ClaimResult(
        "7",
        CLAIM_7,
        verdict,
        wording.slope_key(records),
        f"published: Pythia and OPT ≥ {w['gain_min']}, letter and full-text MMLU",
        tuple(details),
        parts=tuple(records),
    )


# ----------------------------------------------------------------------------- claim 4c


def _size(model: str) -> str:
    """A model's size as its hub name writes it: ``facebook/opt-125m`` -> ``125m``,
    ``EleutherAI/pythia-12b-deduped`` -> ``12b``."""
    found = re.search(r"-(\d+(?:\.\d+)?[mb])(?:-deduped)?$", model)
    if found is None:
        raise ValueError(f"no size in the model name {model!r}; expected e.g. 'facebook/opt-125m'.")
    return found.group(1)


def arithmetic_part(row) -> Part:
    """Claim 4c's record for one family and operation (a row of
    :func:`~helpers.experiments.beyond.judged.arithmetic_trends`), with the drop after its peak when there is one."""
    drop = judged.peak_drop(row)
    peak = (
        ()
        if drop is None
        else (
            ("peak", row["acc_peak"]),
            ("peak_model", row["peak_model"]),
            ("drop", drop["difference"]),
            ("drop_low", drop["low"]),
            ("drop_high", drop["high"]),
            ("drop_p", drop["pvalue"]),
        )
    )
    return Part(
        "rank_trend",
        f"{row['family']} {row['operation']}",
        row["code"],
        (row["smallest"], row["largest"]),
        row["acc_smallest"],
        row["acc_largest"],
        row["slope"],
        row["slope_low"],
        row["slope_high"],
        "proportion",
        "exact Spearman",
        int(row["n_models"]),
        row["p_holm"],
        extra=(("rho", row["rho"]), ("family", row["family"]), ("operation", row["operation"])) + peak,
    )


def claim4c(evidence=None) -> ClaimResult:
    """Claim 4c (published data only, computed once per process)."""
    return _claim4c()


@lru_cache(maxsize=1)
def _claim4c() -> ClaimResult:
    table, excluded = judged.arithmetic_trends()
    parts = tuple(arithmetic_part(row) for _, row in table.iterrows())
    details = wording.details(parts) + ([exclusion_text(excluded)] if excluded else [])
    orderings = "/".join(f"{n}!" for n in sorted(set(table["n_models"]), reverse=True))
    ranges = ", ".join(
        f"{family}{'-deduped' if family == 'Pythia' else ''} {_size(rows['smallest'].iloc[0])}–"
        f"{_size(rows['largest'].iloc[0])}"
        for family, rows in table.groupby("family", sort=True)
    )
    verdict = Verdict(
        combine([part.code for part in parts]),
        "; ".join(details),
        "exact Spearman rank correlation of accuracy with log10 parameters (permutation p-value over all "
        f"{orderings} orderings), Holm across {table['family'].nunique()} families × {table['operation'].nunique()} "
        "operations; weighted slope per decade beside it (Agresti-Coull SE, residual scale floored at 1); "
        "peak-to-largest drops by an unpaired two-proportion test",
        f"{ARITHMETIC_SOURCE} of GPT-3 arithmetic (`arithmetic_2da/3da/3ds/2dm`, "
        f"{ARITHMETIC_SHOTS}), {ARITHMETIC_N:,} items per task (assumed: the task's full test set); {ranges}",
        margin=f"a significant monotone increase at {setting_percent(ALPHA)} after Holm",
    )
    return ClaimResult(
        "4c",
        CLAIM_4C,
        verdict,
        wording.rank_trend_key(parts, HIGHLIGHT),
        "published: OPT and Pythia-deduped, GPT-3 arithmetic",
        tuple(details),
        parts=parts,
    )


def claim4c_text(result: ClaimResult) -> str:
    """The chapter's claim-4c paragraph (markdown): the verdict and key number, then one bullet per family ×
    operation whose curve peaks before its largest model, each rendered from its part
    (:func:`helpers.analysis.claims.wording_trends.peak_drop_line`)."""
    drops = [wording_trends.peak_drop_line(part) for part in result.parts]
    head = f"Claim 4c: **{result.verdict_word}**: {result.key_number}."
    return "\n".join([head] + [f"- {line}" for line in drops if line is not None])
