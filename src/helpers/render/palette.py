"""The report's one colour mapping: every model family and model has the same colour on every page.

:data:`FAMILY_COLOURS` fixes the colour of each family the report knows (the published families,
RWKV, the offline stand-ins' families), one colour per family; a model is a shade of its family's
colour, set by its place in the family's fixed list (:data:`FAMILY_MODELS`, :func:`family_shades`),
so pythia-160m is a light blue on every page and never another family's colour. A name it does not
know takes a free colour by its position in the chart's domain, skipping the colours families hold. The palette is
Okabe & Ito's (colour-blind safe) with grey instead of yellow, which is too pale on white
(:data:`MODEL_PALETTE`). The theme (:mod:`helpers.render.plots`), the shared chart builders
(:mod:`helpers.render.charts`), the chapters' family colours and the first page's key figure all
read it from here.

**A chapter's palette domain.** Where a name takes a free colour, its position in one ordered list
fixes it: :func:`palette_domain` of the profile's families (``config.families``) then the published
families (:data:`PUBLISHED_FAMILIES`). A chart draws only the families it has, but each keeps the
colour its position gives it (:func:`colours_for`), so every figure of a chapter agrees.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

BLUE, ORANGE, GREEN, VERMILLION, PURPLE, SKY, GREY, BLACK = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#CC79A7",
    "#56B4E9",
    "#999999",
    "#000000",
)
MODEL_PALETTE = (BLUE, ORANGE, GREEN, VERMILLION, PURPLE, SKY, GREY, BLACK)
"""Okabe-Ito without its yellow (#F0E442 is unreadable on white): darkest, most distinct first."""
PALE = ("#F0E442",)
"""Colours never used for data on the white page."""

BROWN = "#8C510A"
"""A ninth family colour, dark enough for white (ColorBrewer BrBG's darkest brown)."""
EXTRA_COLOURS = ("#332288", "#CC6677", "#882255", "#44AA99", "#999933", "#AA4499")
"""Paul Tol's muted colours (sand left out: too pale on white) for families the report does not name,
after the palette colours no named family holds."""

PUBLISHED_FAMILIES = ("pythia", "pythia-deduped", "opt", "bloom")
"""The published model families (``helpers.analysis.published.FAMILIES``, the data's own list: a test
keeps the two equal), in the fixed order that gives each its colour."""

FAMILY_COLOURS = {
    # published families (data/reference) and the study's models
    "pythia": BLUE,
    "pythia-deduped": SKY,
    "opt": ORANGE,
    "bloom": GREEN,
    "rwkv": BLACK,
    # offline stand-ins
    "smollm2": VERMILLION,
    "gemma3": PURPLE,
    "qwen2.5-coder": BROWN,
}
"""The fixed colour of every family the report names: nine families, nine distinct colours."""

FAMILY_MODELS = {
    "pythia": ("70m", "160m", "410m", "1b", "1.4b", "2.8b", "6.9b", "12b"),
    "smollm2": ("offline:smollm2-135m",),
    "gemma3": ("offline:gemma3-270m",),
    "qwen2.5-coder": ("offline:qwen2.5-coder-0.5b", "offline:qwen2.5-coder-1.5b"),
}
"""Each named family's models, smallest first, as charts label them (Pythia by size, stand-ins by id):
the position of a model in its family's list, never in a chart, fixes its shade."""

SHADE_RANGE = (0.45, 0.5)
"""A family's smallest model is its colour mixed 45% with white, its largest 50% with black."""


def shade(colour: str, amount: float) -> str:
    """``colour`` mixed with white (``amount`` < 0, by ``-amount``) or black (``amount`` > 0): ``#RRGGBB``."""
    if not -1.0 <= amount <= 1.0:
        raise ValueError(f"shade amount must lie in [-1, 1] (-1 white, 1 black); got {amount!r}.")
    target = 0 if amount > 0 else 255
    channels = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return "#" + "".join(f"{round(c + abs(amount) * (target - c)):02X}" for c in channels)


def family_shades(family: str) -> dict[str, str]:
    """``{model: colour}`` for the models of a named family (:data:`FAMILY_MODELS`): shades of the family's
    colour from light (smallest) to dark (largest); a family of one model has the family's colour.
    ``KeyError`` naming the families known for any other."""
    if family not in FAMILY_MODELS:
        raise KeyError(f"no fixed model list for family {family!r}; known: {sorted(FAMILY_MODELS)}.")
    models, colour = FAMILY_MODELS[family], FAMILY_COLOURS[family]
    if len(models) == 1:
        return {models[0]: colour}
    light, dark = SHADE_RANGE
    steps = [-light + (light + dark) * i / (len(models) - 1) for i in range(len(models))]
    return {model: shade(colour, step) for model, step in zip(models, steps)}


NAMED_COLOURS = {
    **FAMILY_COLOURS,
    **{model: colour for family in FAMILY_MODELS for model, colour in family_shades(family).items()},
    **{
        model.partition(":")[2]: colour
        for family in FAMILY_MODELS
        for model, colour in family_shades(family).items()
        if model.startswith("offline:")
    },
}
"""The fixed colour of every family and model the report names: a family its colour, a model a shade of
its family's (the stand-ins also under their id without ``offline:``)."""


def colours_for(domain: Sequence[str], present: Iterable[str] | None = None) -> dict[str, str]:
    """``{name: colour}`` for the names present (default: all of ``domain``), in domain order.

    A name of :data:`NAMED_COLOURS` keeps its colour; any other takes the colour of its position in
    ``domain`` among the colours no named family holds (then those of named families absent from the
    chart), so two charts with the same domain agree and a named model is the same colour everywhere.
    """
    domain = list(dict.fromkeys(str(name) for name in domain))
    present_set = set(domain if present is None else map(str, present))
    taken = {NAMED_COLOURS[name] for name in domain if name in NAMED_COLOURS}
    held = set(FAMILY_COLOURS.values())  # a colour of a family not in this chart still means that family
    free = (
        [c for c in (*MODEL_PALETTE, *EXTRA_COLOURS) if c not in held and c not in taken]
        + [c for c in MODEL_PALETTE if c in held and c not in taken]
    ) or list(MODEL_PALETTE)
    colours, unnamed = {}, 0
    for name in domain:
        if name in NAMED_COLOURS:
            colour = NAMED_COLOURS[name]
        else:
            colour, unnamed = free[unnamed % len(free)], unnamed + 1
        if name in present_set:
            colours[name] = colour
    return colours


# ----------------------------------------------------------------------------- a chapter's families


def palette_domain(*groups: Iterable[str]) -> list[str]:
    """The ordered family list that fixes colours: each name once, in the order first given.

    ``palette_domain(config.families, PUBLISHED_FAMILIES)`` for a chapter; a chart without
    one uses :func:`default_domain` of the families of its data.
    """
    return list(dict.fromkeys(str(name) for group in groups for name in group))


def default_domain(present: Sequence[str]) -> list[str]:
    """The families ``present`` in order of appearance, then the published ones."""
    return palette_domain(present, PUBLISHED_FAMILIES)
