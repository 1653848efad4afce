"""The report's one colour mapping: every model family and model has the same colour on every page.

:data:`NAMED_COLOURS` fixes the colour of each family and model the report knows (the published
families, the offline stand-ins and their families); a name it does not know takes the palette
colour of its position in the chart's domain, skipping the colours already named. The palette is
Okabe & Ito's (colour-blind safe) with grey instead of yellow, which is too pale on white
(:data:`MODEL_PALETTE`). The theme (:mod:`helpers.render.plots`), the shared chart builders
(:mod:`helpers.render.charts`), the chapters' family colours and the first page's key figure all
read it from here.
"""

from __future__ import annotations

from typing import Iterable, Sequence

BLUE, ORANGE, GREEN, VERMILLION, PURPLE, SKY, GREY, BLACK = (
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#999999", "#000000")
MODEL_PALETTE = (BLUE, ORANGE, GREEN, VERMILLION, PURPLE, SKY, GREY, BLACK)
"""Okabe-Ito without its yellow (#F0E442 is unreadable on white): darkest, most distinct first."""
PALE = ("#F0E442",)
"""Colours never used for data on the white page."""

NAMED_COLOURS = {
    # published families (data/reference) and the study's models
    "pythia": BLUE, "pythia-deduped": SKY, "opt": ORANGE, "bloom": GREEN,
    # offline stand-ins: families and models (a family of one model shares its model's colour)
    "smollm2": VERMILLION, "offline:smollm2-135m": VERMILLION, "smollm2-135m": VERMILLION,
    "gemma3": PURPLE, "offline:gemma3-270m": PURPLE, "gemma3-270m": PURPLE,
    "qwen2.5-coder": GREEN, "offline:qwen2.5-coder-0.5b": GREEN, "qwen2.5-coder-0.5b": GREEN,
    "offline:qwen2.5-coder-1.5b": BLACK, "qwen2.5-coder-1.5b": BLACK,
}
"""The fixed colour of every family and model the report names (each family distinct from the others)."""


def colours_for(domain: Sequence[str], present: Iterable[str] | None = None) -> dict[str, str]:
    """``{name: colour}`` for the names present (default: all of ``domain``), in domain order.

    A name of :data:`NAMED_COLOURS` keeps its colour; any other takes the colour of its position in
    ``domain`` among the palette colours not named in this chart, so two charts with the same domain
    agree and a named model is the same colour everywhere.
    """
    domain = list(dict.fromkeys(str(name) for name in domain))
    present_set = set(domain if present is None else map(str, present))
    taken = {NAMED_COLOURS[name] for name in domain if name in NAMED_COLOURS}
    free = [colour for colour in MODEL_PALETTE if colour not in taken] or list(MODEL_PALETTE)
    colours, unnamed = {}, 0
    for name in domain:
        if name in NAMED_COLOURS:
            colour = NAMED_COLOURS[name]
        else:
            colour, unnamed = free[unnamed % len(free)], unnamed + 1
        if name in present_set:
            colours[name] = colour
    return colours
