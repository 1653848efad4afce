"""Every claim part's words, rendered from its record: detail lines and key numbers.

The one place a :class:`~helpers.report.claims.records.Part` becomes text. :func:`detail` writes a
part's line for the claim's details (and its verdict's reason); :func:`accuracy_key`,
:func:`loss_key`, :func:`fall_key` and :func:`swap_key` write the claims table's key number from the
same records. Numbers are formatted by the report's one set of formatters (``pct``, ``points``,
``interval``, ``p_text`` of :mod:`helpers.render.numbers`); nothing here reads a number back out of text.
"""

from __future__ import annotations

from helpers.analysis.trend import MIN_MODELS
from helpers.render.numbers import interval, p_text, pct, points
from helpers.report.claims.common import ILLUSTRATION
from helpers.report.claims.records import Part

__all__ = ["detail", "details", "accuracy_key", "loss_key", "fall_key", "slope_key", "swap_key"]


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
        f"{part.label}: loss {part.before:.3f} → {part.after:.3f} nats/token, change {part.estimate:+.3f} "
        f"[{part.low:+.3f}, {part.high:+.3f}]"
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


def detail(part: Part, judged: bool = True) -> str:
    """The part's detail line; ``judged=False`` (stand-in models) leaves out the verdict code."""
    return _RENDERERS[part.kind](part, judged)


def details(parts, judged: bool = True) -> list[str]:
    """:func:`detail` of each part, in order."""
    return [detail(part, judged) for part in parts]


def accuracy_key(parts, runs: bool) -> str:
    """Claim 4a's key number: each part's label and change in points, e.g.
    ``12B vs 160M: addition, 0-shot +4.1 pts; ...`` (``runs``: from stored runs, per difficulty)."""
    changes = "; ".join(f"{part.label} {points(part.estimate)}" for part in parts)
    return ("largest vs smallest model: " if runs else "12B vs 160M: ") + changes


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


# ----------------------------------------------------------------------------- claims 1 and 2 (MMLU-math)

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
        f"paired by item, {extra['paired_n']} items, Newcombe 95%, exact McNemar p = {extra['mcnemar_p']:.3g}"
        if "paired_n" in extra
        else "Newcombe 95%"
    )
    return (
        f"{part.label}: no trend from two models; change {first} → {last} {points(part.get('change'))} "
        f"{interval(part.get('change_low'), part.get('change_high'), 'pts')} ({how})"
    )


def _trend_level(part: Part, judged: bool) -> str:
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


def trend_level_key(parts) -> str:
    """Claim 1's key number: per family the slope per decade with its 95% interval and the range of levels."""
    return "slope per decade: " + "; ".join(
        f"{part.label} {points(part.estimate)}/decade {interval(part.low, part.high, 'pts')}, "
        f"levels {pct(part.get('level_low'))}–{pct(part.get('level_high'))}"
        for part in parts
    )


def trend_level_test() -> str:
    """Claim 1's test, in words."""
    return (
        "model-level slope: WLS on per-model accuracies, variance max(stderr², binomial at the pooled or "
        "Wilson-adjusted proportion), residual scale >= 1 (items and models), t on n_models - 2 df, TOST "
        f"±1 pt/decade, no trend from fewer than {MIN_MODELS} models; exact binomial level intervals"
    )


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


def checkpoint_axis_line(steps: list[str]) -> list[str]:
    """Claim 1's referee line on published Pythia checkpoints (``steps``: one slope line per size), or none."""
    if not steps:
        return []
    return [
        "checkpoint axis (published Pythia, 0-shot acc, steps 1,000 to 143,000; checkpoints share items, so read "
        "as descriptive): " + "; ".join(steps)
    ]


def illustration(details: list[str]) -> str:
    """A stand-in line: the same test's detail lines, numbers only."""
    return f"{ILLUSTRATION}: " + "; ".join(details)


# claim 2: each model's accuracy against chance (kind "below_chance"), the length-aware baselines ("baseline")


def _models(parts) -> list[Part]:
    return [part for part in parts if part.kind == "below_chance"]


def _families(parts) -> dict[str, list[Part]]:
    families: dict[str, list[Part]] = {}
    for part in _models(parts):
        families.setdefault(part.get("family"), []).append(part)
    return families


def _chance(parts) -> str:
    return pct(_models(parts)[0].get("chance"), 0)


def _shortest(parts) -> Part:
    return next(part for part in parts if part.kind == "baseline" and part.label == "shortest answer")


def _below_chance(part: Part, judged: bool) -> str:
    return (
        f"{part.label}: acc {pct(part.estimate)} (Holm p {part.p:.3g}), acc_norm {pct(part.get('norm'))} "
        f"(Holm p {part.get('norm_p'):.3g})"
    )


def _baseline(part: Part, judged: bool) -> str:
    return f"baseline {part.label}: {pct(part.estimate)} {interval(part.low, part.high)}"


def chance_family_lines(parts) -> list[str]:
    """Claim 2's line per family: how many models are significantly below chance (Holm), which, in acc and acc_norm."""
    lines = []
    for family, models in _families(parts).items():
        below = ", ".join(f"{part.label} {pct(part.estimate)}" for part in models if part.get("significant"))
        n_norm = sum(bool(part.get("norm_significant")) for part in models)
        n_acc = sum(bool(part.get("significant")) for part in models)
        lines.append(
            f"{family}: {n_acc} of {len(models)} models significantly below {_chance(parts)} in acc"
            f"{' (' + below + ')' if below else ''}; {n_norm} of {len(models)} in acc_norm"
        )
    return lines


def chance_details(parts) -> list[str]:
    """Claim 2's detail lines: one per family, then one per baseline."""
    return chance_family_lines(parts) + [detail(part) for part in parts if part.kind == "baseline"]


def chance_reason(parts, artefact: bool) -> str:
    """Claim 2's verdict reason: the family lines; when ``artefact``, the shortest-answer baseline that explains it."""
    shortest = _shortest(parts)
    return "; ".join(chance_family_lines(parts)) + (
        ". A scoring artefact: with per-character normalisation (acc_norm) no model is significantly below chance "
        f"(Holm), and always choosing the shortest answer scores {pct(shortest.estimate)} "
        f"{interval(shortest.low, shortest.high)} on the same items, below {_chance(parts)}"
        if artefact
        else ""
    )


def chance_key(parts, artefact: bool) -> str:
    """Claim 2's key number: models below chance in acc (per family) and acc_norm, the shortest-answer baseline."""
    models, shortest = _models(parts), _shortest(parts)
    counts = ", ".join(
        f"{family} {sum(bool(p.get('significant')) for p in group)}" for family, group in _families(parts).items()
    )
    n_acc = sum(bool(part.get("significant")) for part in models)
    n_norm = sum(bool(part.get("norm_significant")) for part in models)
    return (
        f"{n_acc} of {len(models)} models below {_chance(parts)} in acc (Holm over {len(models)}: {counts}), "
        f"{n_norm} in acc_norm; shortest-answer baseline {pct(shortest.estimate)} "
        f"{interval(shortest.low, shortest.high)}" + (": a scoring artefact" if artefact else "")
    )


def chance_test(n_models: int, chance: float, margin: float) -> str:
    """Claim 2's test, in words: one-sided exact binomial tests, Holm over ``n_models``, the "not below" margin."""
    return (
        f"exact binomial test vs {pct(chance, 0)}, one-sided, Holm across the {n_models} models; 'not below chance' "
        f"needs every one-sided 95% lower bound at or above {pct(chance - margin, 0)}"
    )


def chance_illustration(parts) -> str:
    """Claim 2's stand-in line: each model's acc and acc_norm with Holm p-values, no verdict words."""
    models = _models(parts)
    return (
        f"{ILLUSTRATION} (full text, 0-shot; exact binomial test vs {_chance(parts)}, one-sided, Holm across the "
        f"{len(models)} models shown): " + "; ".join(detail(part) for part in models)
    )


_RENDERERS.update({"trend_level": _trend_level, "below_chance": _below_chance, "baseline": _baseline})
