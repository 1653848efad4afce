"""The words of claims 1 and 2 (MMLU-math), rendered from their records.

:mod:`helpers.analysis.claims.wording` dispatches ``trend_level``, ``below_chance`` and ``baseline`` parts
here (:func:`~helpers.analysis.claims.wording.detail`); the claims' rows take their key numbers
(:func:`trend_level_key`, :func:`chance_key`), verdict reasons (:func:`chance_reason`), tests, margins,
data and source cells, stand-in lines and other-format lines from the functions below. Numbers are
formatted by :mod:`helpers.render.numbers`; the rules (:mod:`helpers.report.claims.knowledge`,
:mod:`helpers.report.claims.below_chance`) write no sentence.
"""

from __future__ import annotations

from helpers.analysis.claims.records import Part, by_family, chance_models, shortest_answer
from helpers.analysis.trend import FLAT_MARGIN, MIN_MODELS
from helpers.render.numbers import interval, p_text, pct, points, setting_percent, setting_points

__all__ = [
    "chance_margin",
    "LEVEL_WORDS",
    "trend_level",
    "below_chance",
    "baseline",
    "no_trend_reason",
    "trend_level_key",
    "trend_level_test",
    "trend_level_margin",
    "published_data",
    "published_source",
    "runs_data",
    "runs_source",
    "other_format_line",
    "checkpoint_axis_line",
    "illustration",
    "chance_family_lines",
    "chance_details",
    "chance_reason",
    "chance_key",
    "chance_test",
    "chance_illustration",
]

LEVEL_WORDS = {
    "reproduced": "every model's 90% interval inside 17–22%",
    "not reproduced": "a model's simultaneous 95% interval outside 17–22%",
    "inconclusive": "the level undecided against 17–22%",
}
"""Claim 1's level test outcome in words, for stand-in lines (no verdict words on stand-in evidence)."""


def _change_text(part: Part) -> str:
    """A two-model family's change in place of a slope: Newcombe 95%, paired by item when ``paired_n`` is there."""
    first, last = part.models
    extra = dict(part.extra)
    how = (
        f"paired by item, {extra['paired_n']} items, Newcombe 95%, {p_text(extra['mcnemar_p'], 'exact McNemar p ')}"
        if "paired_n" in extra
        else "Newcombe 95%"
    )
    return (
        f"{part.label}: no trend from two models; change {first} → {last} {points(part.get('change'))} "
        f"{interval(part.get('change_low'), part.get('change_high'), 'pts')} ({how})"
    )


def trend_level(part: Part, judged: bool = True) -> str:
    """Claim 1's line for one family: the slope (or, under three sizes, the change), the power to call it flat,
    the range of levels and the two tests' codes (``judged=False``: the level test's outcome in words)."""
    if part.get("power") is None:  # fewer than MIN_MODELS sizes: a change, no trend, no power
        head, power = _change_text(part), ""
    else:
        head = (
            f"{part.label}: slope {points(part.estimate)} per decade, 95% {interval(part.low, part.high, 'pts')} "
            f"({part.get('shape')}; {part.test}, {part.n} models)"
        )
        power = f"; power to call a truly flat family flat: {100 * part.get('power'):.0f}%" + (
            f", MDE {100 * part.mde:.1f} pts/decade" if part.mde is not None else ""
        )
    outcome = f"level {part.get('level')}, trend {part.get('trend')}" if judged else LEVEL_WORDS[part.get("level")]
    profile = f" [profile `{part.get('profile')}`]" if part.get("profile") else ""
    return f"{head}{power}; level {pct(part.get('level_low'))}–{pct(part.get('level_high'))} ({outcome}){profile}"


def no_trend_reason(part: Part) -> str | None:
    """Why a claim-1 family has no slope to judge (fewer than ``MIN_MODELS`` sizes), or None."""
    if part.get("power") is not None:
        return None
    return f"{part.label} has {part.n} model sizes: no trend from fewer than {MIN_MODELS}"


def _trend_key(part: Part) -> str:
    levels = f"levels {pct(part.get('level_low'))}–{pct(part.get('level_high'))}"
    if no_trend_reason(part):  # two sizes: the change between them, never a slope through two points
        change = f"{points(part.get('change'))} {interval(part.get('change_low'), part.get('change_high'), 'pts')}"
        return f"{part.label} change {change} (two models, no slope), {levels}"
    return f"{part.label} {points(part.estimate)}/decade {interval(part.low, part.high, 'pts')}, {levels}"


def trend_level_key(parts) -> str:
    """Claim 1's key number: per family the slope per decade with its 95% interval and the range of levels (a
    family of fewer than ``MIN_MODELS`` sizes: its change between the two, as its detail line gives it)."""
    head = "slope per decade: " if not any(map(no_trend_reason, parts)) else "per family: "
    return head + "; ".join(map(_trend_key, parts))


def trend_level_test() -> str:
    """Claim 1's test, in words."""
    return (
        "model-level slope: WLS on per-model accuracies, variance max(stderr², binomial at the pooled or "
        "Wilson-adjusted proportion), residual scale >= 1 (items and models), t on n_models - 2 df, TOST "
        f"±{setting_points(FLAT_MARGIN)} pt/decade, no trend from fewer than {MIN_MODELS} models; exact binomial level "
        "intervals"
    )


def chance_margin(alpha: float) -> str:
    """Claim 2's margin: significance at ``alpha`` after Holm."""
    return f"significance at {setting_percent(alpha)} after Holm"


def trend_level_margin(flat_margin: float, band: tuple[float, float], level_margin: float) -> str:
    """Claim 1's margins: ``flat_margin`` (proportion per decade), the claimed ``band`` and its ``level_margin``."""
    return (
        f"flat: slope within ±{100 * flat_margin:g} pt per decade; level: {100 * band[0]:g}–{pct(band[1], 0)} "
        f"±{100 * level_margin:g} pts"
    )


def published_data(study_format: str, n_models: int, n_items: int) -> str:
    """The published results a claim rests on (its verdict's ``data``)."""
    return (
        f"published lm-evaluation-harness results ({study_format}), {n_models} Pythia/OPT models, "
        f"{n_items:,} items each"
    )


def published_source(n_models: int, n_items: int) -> str:
    """The claims table's source cell for the published results."""
    return f"published Pythia/OPT lm-eval results, {n_models} models x {n_items:,} items"


def runs_data(study_format: str, profile: str, n_models: int) -> str:
    """Stored runs a claim rests on (its verdict's ``data``)."""
    return f"our runs of profile `{profile}` ({study_format}), {n_models} models"


def runs_source(profile: str, n_models: int) -> str:
    """The claims table's source cell for stored runs."""
    return f"our runs, profile `{profile}`, {n_models} models"


def other_format_line(label: str, shots: int, profile: str, models, accuracies) -> str:
    """One stored run of another MMLU format, shown and never judged: each model's accuracy."""
    values = ", ".join(f"{model} {pct(accuracy)}" for model, accuracy in zip(models, accuracies))
    return f"{label} ({shots}-shot, profile `{profile}`, not the study's format): {values}"


def checkpoint_axis_line(steps: list[str], first_step: int, last_step: int) -> list[str]:
    """Claim 1's referee line on published Pythia checkpoints (``steps``: one slope line per size, fitted from
    ``first_step`` to ``last_step``), or none."""
    if not steps:
        return []
    return [
        f"checkpoint axis (published Pythia, 0-shot acc, steps {first_step:,} to {last_step:,}; checkpoints share "
        "items, so read as descriptive): " + "; ".join(steps)
    ]


def illustration(prefix: str, details: list[str]) -> str:
    """A stand-in line: ``prefix`` (:data:`helpers.report.claims.common.ILLUSTRATION`), then the detail lines."""
    return f"{prefix}: " + "; ".join(details)


# claim 2: each model's accuracy against chance (kind "below_chance"), the length-aware baselines ("baseline")


def _count(models, name: str) -> int:
    """How many of ``models`` have the extra flag ``name`` (``significant``, ``norm_significant``) set."""
    return sum(bool(part.get(name)) for part in models)


def _chance(parts) -> str:
    return pct(chance_models(parts)[0].get("chance"), 0)


def below_chance(part: Part, judged: bool = True) -> str:
    """Claim 2's stand-in line for one model: acc and acc_norm with their Holm p-values."""
    return (
        f"{part.label}: acc {pct(part.estimate)} ({p_text(part.p, 'Holm p ')}), acc_norm {pct(part.get('norm'))} "
        f"({p_text(part.get('norm_p'), 'Holm p ')})"
    )


def baseline(part: Part, judged: bool = True) -> str:
    """A baseline's line: its accuracy and Wilson 95% interval."""
    return f"baseline {part.label}: {pct(part.estimate)} {interval(part.low, part.high)}"


def chance_family_lines(parts) -> list[str]:
    """Claim 2's line per family: how many models are significantly below chance (Holm), which, in acc and acc_norm."""
    lines = []
    for family, models in by_family(parts).items():
        below = ", ".join(f"{part.label} {pct(part.estimate)}" for part in models if part.get("significant"))
        lines.append(
            f"{family}: {_count(models, 'significant')} of {len(models)} models significantly below {_chance(parts)} "
            f"in acc{' (' + below + ')' if below else ''}; {_count(models, 'norm_significant')} of {len(models)} "
            "in acc_norm"
        )
    return lines


def chance_details(parts) -> list[str]:
    """Claim 2's detail lines: one per family, then one per baseline."""
    return chance_family_lines(parts) + [baseline(part) for part in parts if part.kind == "baseline"]


def chance_reason(parts, artefact: bool) -> str:
    """Claim 2's verdict reason: the family lines; when ``artefact``, the shortest-answer baseline that explains it."""
    shortest = shortest_answer(parts)
    return "; ".join(chance_family_lines(parts)) + (
        ". A scoring artefact: with per-character normalisation (acc_norm) no model is significantly below chance "
        f"(Holm), and always choosing the shortest answer scores {pct(shortest.estimate)} "
        f"{interval(shortest.low, shortest.high)} on the same items, below {_chance(parts)}"
        if artefact
        else ""
    )


def chance_key(parts, artefact: bool) -> str:
    """Claim 2's key number: models below chance in acc (per family) and acc_norm, the shortest-answer baseline."""
    models, shortest = chance_models(parts), shortest_answer(parts)
    counts = ", ".join(f"{family} {_count(group, 'significant')}" for family, group in by_family(parts).items())
    return (
        f"{_count(models, 'significant')} of {len(models)} models below {_chance(parts)} in acc (Holm over "
        f"{len(models)}: {counts}), {_count(models, 'norm_significant')} in acc_norm; shortest-answer baseline "
        f"{pct(shortest.estimate)} {interval(shortest.low, shortest.high)}"
        + (": a scoring artefact" if artefact else "")
    )


def chance_test(n_models: int, chance: float, margin: float) -> str:
    """Claim 2's test, in words: one-sided exact binomial tests, Holm over ``n_models``, the "not below" margin."""
    return (
        f"exact binomial test vs {pct(chance, 0)}, one-sided, Holm across the {n_models} models; 'not below chance' "
        f"needs every one-sided 95% lower bound at or above {pct(chance - margin, 0)}"
    )


def chance_illustration(prefix: str, parts) -> str:
    """Claim 2's stand-in line after ``prefix``: each model's acc and acc_norm with Holm p-values, no verdict words."""
    models = chance_models(parts)
    return (
        f"{prefix} (full text, 0-shot; exact binomial test vs {_chance(parts)}, one-sided, Holm across the "
        f"{len(models)} models shown): " + "; ".join(below_chance(part) for part in models)
    )
