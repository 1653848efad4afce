"""One colour per family in every figure, and axes that fit the data.

The colour of a family is fixed by its position in one ordered list, the *palette domain*:
the profile's families first (``config.families``), then the published families (Pythia,
Pythia-deduped, OPT, BLOOM). A chart draws only the families it has, but each keeps the colour
its position gives it (Okabe-Ito, colour-blind safe), so "opt" is the same orange in every
figure of a chapter (the colours themselves, fixed per name, are :mod:`helpers.render.palette`'s).
Parameter axes are logarithmic with a domain fitted to the data (a chart of models up to 1.8B does
not run to 10B) and labels in M/B.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import altair as alt

from helpers.analysis.published import FAMILIES as PUBLISHED_FAMILIES
from helpers.render.palette import colours_for

MAX_WIDTH = 680
"""Widest a chart may render (legend included) to fit the book's ~700 px content column."""
AXIS_PADDING = 1.4  # log-axis margin: the domain runs from min / 1.4 to max * 1.4
SI_TO_READERS = "replace(replace(format(datum.value, '~s'), 'G', 'B'), 'k', 'K')"
"""Vega expression for axis labels: 1.8G -> 1.8B, 100k -> 100K."""


def palette_domain(*groups: Iterable[str]) -> list[str]:
    """The ordered family list that fixes colours: each name once, in the order first given.

    ``palette_domain(config.families, PUBLISHED_FAMILIES)`` for a chapter; a chart without
    one uses the families of its data in order of appearance, then the published ones.
    """
    return list(dict.fromkeys(str(name) for group in groups for name in group))


def default_domain(present: Sequence[str]) -> list[str]:
    return palette_domain(present, PUBLISHED_FAMILIES)


def family_colors(domain: Sequence[str], present: Iterable[str]) -> tuple[list[str], list[str]]:
    """``(families, colours)`` for the families present, in domain order, colour fixed by domain position.

    A present family missing from ``domain`` is appended after it (and gets the next colour).
    """
    domain = palette_domain(domain, present)
    colours = colours_for(domain, [str(name) for name in present])
    return list(colours), list(colours.values())


def family_color(
    field: str, domain: Sequence[str], present: Iterable[str], title: str = "family", legend: bool = True
) -> alt.Color:
    """A nominal colour encoding of ``field`` with the fixed family colours (legend at the bottom)."""
    shown, colours = family_colors(domain, present)
    return alt.Color(
        f"{field}:N",
        title=title,
        scale=alt.Scale(domain=shown, range=colours),
        legend=alt.Legend(orient="bottom", direction="horizontal", columns=4) if legend else None,
    )


def log_domain(values: Iterable[float]) -> list[float]:
    """``[min / AXIS_PADDING, max * AXIS_PADDING]`` of the positive finite ``values``."""
    finite = [float(v) for v in values if v is not None and math.isfinite(float(v)) and float(v) > 0]
    if not finite:
        return [1.0, 10.0]
    return [min(finite) / AXIS_PADDING, max(finite) * AXIS_PADDING]


def size_axis(field: str, values: Iterable[float], title: str = "total parameters (log scale)") -> alt.X:
    """Log x axis for parameter counts (or steps) whose domain fits ``values``; labels 70M, 1.8B."""
    return alt.X(
        f"{field}:Q",
        title=title,
        scale=alt.Scale(type="log", domain=log_domain(values), nice=False),
        axis=alt.Axis(labelExpr=SI_TO_READERS, grid=False, tickCount=5, labelOverlap=True),
    )
