"""Every claim part's words, rendered from its record: detail lines and key numbers.

The one place a :class:`~helpers.analysis.claims.records.Part` becomes text. :func:`detail` writes a
part's line for the claim's details (and its verdict's reason); :func:`accuracy_key`,
:func:`loss_key`, :func:`fall_key` and :func:`swap_key` write the claims table's key number from the
same records. Numbers are formatted by the report's one set of formatters (``pct``, ``points``,
``interval``, ``p_text`` of :mod:`helpers.render.numbers`); nothing here reads a number back out of text.
"""

from __future__ import annotations

from helpers.analysis.claims import wording_knowledge, wording_trends
from helpers.analysis.claims.records import Part
from helpers.analysis.claims.wording_trends import model_name, question_key, rank_trend_key
from helpers.analysis.power import POWER
from helpers.render.numbers import interval, p_text, pct, points, setting_percent, signed

__all__ = [
    "finding_sentence",
    "mde_text",
    "detail",
    "details",
    "accuracy_key",
    "loss_key",
    "fall_key",
    "slope_key",
    "swap_key",
]
__all__ += ["model_name", "rank_trend_key", "question_key"]  # claims 4c and 6 (helpers.analysis.claims.wording_trends)


def _why(part: Part) -> str:
    return f" ({part.why})" if part.why else ""


def _mcnemar(part: Part, judged: bool) -> str:
    small, large = part.models
    return (
        f"{part.label} ({small} → {large}, {part.n} items): {pct(part.before)} → {pct(part.after)}, "
        f"{points(part.estimate)} {interval(part.low, part.high, 'pts')}, exact McNemar Holm {p_text(part.p)}"
        + _why(part)
    )


def _sign_flip(part: Part, judged: bool) -> str:
    small, large = part.models
    return (
        f"{part.label} ({small} → {large}): {pct(part.before)} → {pct(part.after)}, {points(part.estimate)} "
        f"{interval(part.low, part.high, 'pts')}, sign-flip test over {part.n} operands, Holm {p_text(part.p)}"
    )


def _wilcoxon_head(part: Part) -> str:
    return (
        f"{part.label}: loss {part.before:.3f} → {part.after:.3f} nats/token, change {signed(part.estimate, 3)} "
        f"[{signed(part.low, 3)}, {signed(part.high, 3)}]"
    )


def _wilcoxon(part: Part, judged: bool) -> str:
    return f"{_wilcoxon_head(part)}, Wilcoxon Holm {p_text(part.p)}" + _why(part)


def _loss_fall(part: Part, judged: bool) -> str:
    get = part.get
    return (
        f"{part.label}, {part.n} items: per-token loss {part.before:.3f} → {part.after:.3f} nats, fall "
        f"{pct(part.estimate)}, 90% {interval(get('low90'), get('high90'))}, 95% {interval(part.low, part.high)} "
        f"({get('method')}): {get('words')}{f' ({part.code})' if judged else ''}; per-byte loss fall "
        f"{pct(get('byte_fall'))}, 90% {interval(get('byte_low90'), get('byte_high90'))}, 95% "
        f"{interval(get('byte_low95'), get('byte_high95'))} (shown, not judged)"
    )


def _slope(part: Part, judged: bool) -> str:
    first, last = part.models
    mde = (
        f"; detectable at 80% power: a slope {100 * part.mde:.1f} pts/decade from the margin"
        if part.code == "inconclusive"
        else ""
    )
    return (
        f"{part.get('family')} ({part.get('format')}; {first} → {last}, {part.n} models): {pct(part.before)} → "
        f"{pct(part.after)}, slope {points(part.estimate)} per decade, {100 * part.level:g}% "
        f"{interval(part.low, part.high, 'pts')} per decade, {part.get('note')} ({part.code}{mde})"
    )


def _no_test(part: Part, judged: bool) -> str:
    return f"{part.label}: losses contain NaN or infinite values, so no {part.get('missing')} ({part.note})"


def _collapse(part: Part, judged: bool) -> str:
    return part.note  # the swap chapter's sentence (helpers.experiments.swap.verdict.collapse_sentence), shared


_RENDERERS = {
    "mcnemar": _mcnemar,
    "sign_flip": _sign_flip,
    "wilcoxon": _wilcoxon,
    "loss_fall": _loss_fall,
    "slope": _slope,
    "no_test": _no_test,
    "collapse": _collapse,
}
_RENDERERS.update(  # claims 4c and 6: the published trends' parts, worded in helpers.analysis.claims.wording_trends
    {
        "rank_trend": wording_trends.rank_trend,
        "trend_difference": wording_trends.trend_difference,
        "above_chance": wording_trends.above_chance,
    }
)
_RENDERERS.update(  # claims 1 and 2: the MMLU-math parts, worded in helpers.analysis.claims.wording_knowledge
    {
        "trend_level": wording_knowledge.trend_level,
        "below_chance": wording_knowledge.below_chance,
        "baseline": wording_knowledge.baseline,
    }
)


def detail(part: Part, judged: bool = True) -> str:
    """The part's detail line; ``judged=False`` (stand-in models) leaves out the verdict code."""
    return _RENDERERS[part.kind](part, judged)


def details(parts, judged: bool = True) -> list[str]:
    """:func:`detail` of each part, in order."""
    return [detail(part, judged) for part in parts]


def accuracy_key(parts, runs: bool) -> str:
    """Claim 4a's key number: each part's label and change in points, e.g.
    ``12B vs 160M: addition, 0-shot +4.1 pts; ...`` (``runs``: from stored runs, per difficulty; else the
    published arithmetic's records, whose extras name the two sizes)."""
    changes = "; ".join(f"{part.label} {points(part.estimate)}" for part in parts)
    if runs:
        return "largest vs smallest model: " + changes
    return f"{parts[0].get('large_size')} vs {parts[0].get('small_size')}: " + changes


def loss_key(parts) -> str:
    """Claim 4b's key number: the first part's losses, change and interval (or why there is no test)."""
    first = parts[0]
    return _wilcoxon_head(first) if first.kind == "wilcoxon" else detail(first)


def fall_key(part: Part) -> str:
    """Claim 3's key number for one family: the per-token fall with its 95% interval, the per-byte fall."""
    if part.kind == "no_test":
        return f"{part.label}: no interval (NaN or infinite losses)"
    return (
        f"{part.label}: per-token loss fall {pct(part.estimate)}, 95% {interval(part.low, part.high)}; "
        f"per byte {pct(part.get('byte_fall'))}"
    )


def slope_key(parts) -> str:
    """Claim 7's key number: per family and format, the slope per decade with its interval."""
    return "; ".join(
        f"{part.label}, {part.get('format_name')}: {points(part.estimate)} per decade, "
        f"{100 * part.level:g}% {interval(part.low, part.high, 'pts')}"
        for part in parts
    )


def swap_key(parts) -> str:
    """Claim 5's key number: the first (donor → recipient, task kind) judged, or ``—`` when there is none."""
    return parts[0].label if parts else "—"


# ----------------------------------------------------------------------------- whole claims


def finding_sentence(result) -> str:
    """One sentence a reader can take away from a :class:`~helpers.analysis.claims.result.ClaimResult`: claim,
    verdict, what decides it, the data (the claims table's findings and the chapters' summaries)."""
    verdict = result.verdict
    if verdict.code == "not judged":
        return f"**Claim {result.claim_id}** ({result.claim}): **not judged**: {verdict.reason}."
    mde = ""
    if verdict.code == "inconclusive":
        mde = f" The data cannot decide it: {mde_text(verdict)}."
    return (
        f"**Claim {result.claim_id}** ({result.claim}): **{result.verdict_word}**: {result.key_number} "
        f"({result.source}).{mde}"
    )


def mde_text(verdict) -> str:
    """What an inconclusive verdict could have detected (at :data:`~helpers.analysis.power.POWER`), or why nothing
    can be said."""
    value = verdict.mde
    if value is None or value != value:  # None or NaN: the reason there is no MDE
        return verdict.no_mde or "no minimum detectable effect"
    if value == float("inf"):
        return f"they are too few to detect any effect at {setting_percent(POWER)} power"
    shown = f"{100 * value:.1f}" if verdict.mde_unit.startswith("points") else f"{value:.3f}"
    return f"the smallest effect they would detect ({setting_percent(POWER)} power) is {shown} {verdict.mde_unit}"
