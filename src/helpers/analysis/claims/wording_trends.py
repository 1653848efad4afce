"""The words of the published-trend parts (claims 4c and 6), rendered from their records.

:mod:`helpers.analysis.claims.wording` dispatches ``rank_trend``, ``trend_difference`` and
``above_chance`` parts here (:func:`~helpers.analysis.claims.wording.detail`); the claims' key numbers
are :func:`rank_trend_key` (4c) and :func:`question_key` (6). Numbers are formatted by
:mod:`helpers.render.numbers`; the models left out are named by
:func:`helpers.analysis.obsscaling.exclusion_text`.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from helpers.analysis.claims.records import Part
from helpers.analysis.obsscaling import MMLU_CHANCE, exclusion_text
from helpers.render.numbers import interval, p_text, pct, points, points_interval, setting_billions

__all__ = [
    "floor_caveat",
    "model_name",
    "rank_trend",
    "peak_drop_line",
    "trend_difference",
    "above_chance",
    "rank_trend_key",
    "question_key",
]


def model_name(model_id: str) -> str:
    """A hub id without its organisation: ``EleutherAI/pythia-160m`` -> ``pythia-160m``."""
    return PurePosixPath(str(model_id)).name


def _per_decade(low: float, high: float) -> str:
    return interval(low, high, "pts") + " per decade"


def _has_peak(part: Part) -> bool:
    return any(name == "peak" for name, _ in part.extra)


def rank_trend(part: Part, judged: bool = True) -> str:
    """Claim 4c's line for one family and operation: smallest → largest, Spearman ρ, its Holm p, the slope
    per decade with its interval and the part's code; a peak before the largest model and the drop after it."""
    small, large = part.models
    line = (
        f"{part.label} ({part.n} models): {pct(part.before)} ({model_name(small)}) → {pct(part.after)} "
        f"({model_name(large)}), Spearman ρ = {part.get('rho'):.2f}, exact Holm {p_text(part.p)}; slope "
        f"{points(part.estimate)} per decade {_per_decade(part.low, part.high)} ({part.code})"
    )
    if not _has_peak(part):
        return line
    return line + (
        f"; not monotone: peak {pct(part.get('peak'))} at {model_name(part.get('peak_model'))}, then "
        f"{points(part.get('drop'))} {interval(part.get('drop_low'), part.get('drop_high'), 'pts')} to the largest "
        f"(two-proportion test {p_text(part.get('drop_p'))})"
    )


def peak_drop_line(part: Part) -> str | None:
    """A ``rank_trend`` part's fall after its peak, for the chapter's list under claim 4c (None when the curve
    peaks at the largest model): peak, the change to the largest model with its Newcombe 95% interval, the
    two-proportion test's p, and whether the fall is beyond sampling noise (the interval's upper end below 0)."""
    if not _has_peak(part):
        return None
    reading = (
        "the curve is not monotone; the rank test above does not smooth that away."
        if part.get("drop_high") < 0
        else "a fall within sampling noise."
    )
    return (
        f"{part.label}: peak {pct(part.get('peak'))} at {model_name(part.get('peak_model'))}, then "
        f"{points_interval(part.get('drop'), part.get('drop_low'), part.get('drop_high'))} to "
        f"{model_name(part.models[1])} (two-proportion test {p_text(part.get('drop_p'))}): {reading}"
    )


def floor_caveat(part: Part) -> str | None:
    """What claim 6(a)'s record cannot show when both families sit at the chance floor (its ``at_floor``), or None."""
    if not part.get("at_floor"):
        return None
    return (
        f"both at the {pct(MMLU_CHANCE, 0)} floor: the same plateau is what {part.label} asks, but it cannot show "
        "that the two architectures would also agree off the floor"
    )


def trend_difference(part: Part, judged: bool = True) -> str:
    """Claim 6(a)'s line: first minus second family (``models``), slope per decade and level at ``level_at``
    (parameters) with their
    90% intervals and codes against the margins, each family's fitted level, the floor caveat, the models left out."""
    first, second = part.models
    short_first, short_second = part.get("names")
    floor = f" ({floor_caveat(part)})" if part.get("at_floor") else ""
    at = setting_billions(part.get("level_at"))
    return (
        f"{part.label} {first} ({part.get('n_first')} Pile models) minus {second} ({part.get('n_second')}), "
        f"letter-format MMLU: slope {points(part.estimate)} per decade, {100 * part.level:g}% "
        f"{_per_decade(part.low, part.high)} ({part.get('slope_code')}); level at {at} {points(part.get('level'))}, "
        f"{100 * part.level:g}% {interval(part.get('level_low'), part.get('level_high'), 'pts')} "
        f"({part.get('level_code')}); fitted levels at {at}: {short_first} {pct(part.get('level_first'))}, "
        f"{short_second} {pct(part.get('level_second'))}{floor}; {exclusion_text(list(part.get('excluded')))}"
    )


def above_chance(part: Part, judged: bool = True) -> str:
    """Claim 6(b)'s line: how many small decoder-only models are significantly above the threshold (Holm), the
    highest with its interval, the models left out."""
    return (
        f"{part.label} {part.get('n_above')} of {part.n} decoder-only models of at most "
        f"{setting_billions(part.get('max_params'))} parameters are "
        f"significantly above {pct(part.get('threshold'), 0)} (Holm); the highest, {part.models[0]}, "
        f"{pct(part.estimate)} {interval(part.low, part.high)}; {exclusion_text(list(part.get('excluded')))}"
    )


def rank_trend_key(parts, highlight: str) -> str:
    """Claim 4c's key number: how many trends rise, the ``highlight`` part's smallest → largest accuracy, and
    each family that falls significantly after a peak (the drop's interval below 0)."""
    shown = next(part for part in parts if part.label == highlight)
    n_up = sum(part.code == "reproduced" for part in parts)
    peaks = sorted(
        {
            (part.get("family"), model_name(part.get("peak_model")))
            for part in parts
            if _has_peak(part) and part.get("drop_high") < 0
        }
    )
    peak_text = "; ".join(
        f"{family} falls significantly after its peak at {model} on some operations" for family, model in peaks
    )
    return (
        f"{n_up} of {len(parts)} family × operation trends rise (exact Spearman, Holm); {highlight} "
        f"{pct(shown.before)} → {pct(shown.after)}" + (f"; {peak_text}" if peak_text else "")
    )


def question_key(difference: Part, above: Part) -> str:
    """Claim 6's key number: the difference of slopes and levels and whether both are within the margin; how
    many small models are above the threshold and the highest accuracy."""
    slope_code, level_code = difference.get("slope_code"), difference.get("level_code")
    margin = f"±{100 * difference.get('margin'):g} pts"
    agreement = (
        f"both within {margin}"
        if slope_code == level_code == "equivalent"
        else f"slope {slope_code}, level {level_code} against {margin}"
    )
    short_first, short_second = difference.get("names")
    return (
        f"{short_first} − {short_second}: slope {points(difference.estimate)}/decade, level "
        f"{points(difference.get('level'))} ({agreement}); {above.get('n_above')} of {above.n} decoder-only "
        f"≤ {setting_billions(above.get('max_params'))} "
        f"models > {pct(above.get('threshold'), 0)}, best {pct(above.estimate)}"
    )
