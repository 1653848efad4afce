"""Altair chart builders shared by the experiment notebooks: one function per chart.

Each builder takes a tidy table from :mod:`helpers.experiments.scaling.views` (or a sibling module) and
returns an Altair chart; styling (fonts, palette, sizes) comes from the theme that
:func:`helpers.render.plots.enable` switches on, so the builders set only what the chart means:
encodings, log scales, interval rules, chance lines and facets. Every point estimate carries an
interval (``mark_rule`` from ``low`` to ``high``) and every accuracy axis a dashed chance line, drawn
by :func:`baseline_rule`, the one function for chance, majority and shortest-answer lines (each
named in its tooltip); the chance value comes from the caller (e.g. ``helpers.core.tasks.mmlu.CHANCE``).

Facetted charts layer marks over one shared data set (Vega-Lite's facet needs the data at the
top level), so layers with different roles select their rows with ``transform_filter``.

**Fitting the book's column.** The content column of the book (sphinx-book-theme at a 1280 px
window) is about 680 px wide, and a chart wider than that scrolls or clips its legend. Every chart
therefore stays within :data:`MAX_CHART_WIDTH`, legend and titles included: one panel is
:data:`WIDE_PANEL_WIDTH` wide, two side by side (facet columns or ``hconcat``) are
:data:`PANEL_WIDTH` each, never more than :data:`MAX_FACET_COLUMNS`; long titles are wrapped into
lines (:func:`chart_title`), legends sit below the chart with at most :data:`LEGEND_COLUMNS` columns
(:func:`bottom_legend`), and rows stacked with ``vconcat`` keep :data:`ROW_SPACING` between them so
axis titles do not overlap. :func:`rendered_size` renders a chart with vl-convert in the widest font
a reader's browser is likely to use, which is what the tests compare with the limit.

**Colours.** :func:`model_colour_scale` gives a model or family the same colour in every figure:
its position in one fixed ordered domain (:data:`FAMILY_ORDER`, :data:`PYTHIA_SIZE_ORDER`, or one
the caller passes) picks its colour from :data:`MODEL_PALETTE` (Okabe-Ito, colour-blind safe),
whichever subset a chart shows; :func:`family_color` is the same encoding over a chapter's palette domain
(:func:`helpers.render.palette.palette_domain`).

**Size axes.** :func:`size_axis`: a log x axis for parameter counts (or steps) whose domain fits the
data (:func:`log_domain`), labelled 70M, 1.8B.
"""

from __future__ import annotations

import math
import re
import textwrap
from collections.abc import Iterable, Sequence
from typing import Any

import altair as alt
import pandas as pd

from helpers.render import palette
from helpers.render.plots import theme_config
from helpers.render.tables import require_columns

MAX_CHART_WIDTH = 680
"""Widest a chart may render, legend and titles included (the book's content column at 1280 px)."""
PANEL_WIDTH = 240
"""Width of one of two panels side by side: 2 x (240 + y axis) + spacing stays under the limit."""
WIDE_PANEL_WIDTH = 520
"""Width of a chart's only panel (its y axis and title take the rest of the column)."""
PANEL_HEIGHT = 170
"""Height of one panel of a grid."""
MAX_FACET_COLUMNS = 2
"""At most this many panels side by side; more facets wrap into rows or separate charts."""
LEGEND_COLUMNS = 3
"""At most this many legend columns (legends sit below the chart)."""
ROW_SPACING = 36
"""Space (px) between rows stacked with ``vconcat`` or facet rows: room for the x axis title."""
TITLE_CHARS_PER_PX = 1 / 9.5
SUBTITLE_CHARS_PER_PX = 1 / 7.0
"""Characters per pixel of the title (15 px, semi-bold) and subtitle (12 px) in a wide sans-serif."""
MEASURE_FONT = "DejaVu Sans"
"""A wide sans-serif (the default ``system-ui`` of Linux browsers): widths measured in it are an upper bound."""

FAMILY_ORDER = palette.PUBLISHED_FAMILIES
"""The published model families, in the fixed order that gives each its colour."""
PYTHIA_SIZE_ORDER = ("70m", "160m", "410m", "1b", "1.4b", "2.8b", "6.9b", "12b")
"""Pythia sizes, smallest first: each size keeps its colour in every chart."""
MODEL_PALETTE = palette.MODEL_PALETTE
"""Okabe-Ito (colour-blind safe) with grey instead of yellow, which is too pale on white
(:mod:`helpers.render.palette`)."""
KNOWN_ORDERS = (FAMILY_ORDER, PYTHIA_SIZE_ORDER)


CHANCE_STYLE = {"color": "#666666", "strokeDash": [5, 4], "strokeWidth": 1.5}
"""Dashed grey: the chance line (and other reference lines, such as zero correlation)."""
BASELINE_STYLES = {
    "chance": CHANCE_STYLE,
    "majority": {"color": "#D55E00", "strokeDash": [2, 2], "strokeWidth": 1.5},
    "shortest": {"color": "#444444", "strokeDash": [2, 3], "strokeWidth": 1.5},
}
"""Look of each baseline line: chance (a uniform guess), majority (always the most common gold answer),
shortest (always the shortest answer text)."""
BASELINE_LABELS = {"chance": "chance", "majority": "majority baseline", "shortest": "shortest-answer baseline"}
"""Default tooltip label of each baseline line."""
METRICS = {
    "loss": ("loss", "gold-answer cross-entropy (nats per token)"),
    "accuracy": ("accuracy", "accuracy"),
}
"""Our metrics: name -> (column of model_summary, axis title)."""


class ChartInputError(ValueError):
    """A chart builder was given a table without the columns or values it draws."""


def require_table(
    table: pd.DataFrame, columns: Sequence[str], builder: str, source: str, error: type[ValueError] = ChartInputError
) -> None:
    """Raise ``error`` unless ``table`` is a non-empty DataFrame with ``columns`` (shared by every chart module;
    :func:`helpers.render.tables.require_columns` and an emptiness check)."""
    require_columns(table, columns, builder, f"pass the output of {source}", error)
    if table.empty:
        raise error(f"{builder}: the table is empty; {source} found nothing to show.")


def baseline_rule(
    value: float | str = "chance",
    kind: str = "chance",
    *,
    axis: str = "y",
    data: Any = None,
    label: str | None = None,
    **encoding: Any,
) -> alt.Chart:
    """A rule at a baseline accuracy: the one way every chart draws its chance or majority line.

    ``value``: a number (the rule sits there, e.g. ``helpers.core.tasks.mmlu.CHANCE`` passed in by
    the caller) or the name of a column (the rule sits at that column's mean in each facet; rows
    where it is missing are skipped, so loss panels of a shared table draw none). ``kind`` picks
    the look from :data:`BASELINE_STYLES` ("chance": dashed grey, "majority": dotted orange,
    "shortest": dotted dark grey); ``label`` (default :data:`BASELINE_LABELS` of ``kind``) names
    the line in its tooltip. ``axis``: "y" for a horizontal rule, "x" for a vertical one. ``data``:
    the rule's rows; None inherits the layer's or facet's (a chart without top-level data must pass
    some, any non-empty table will do for a number). ``encoding``: more options of the axis channel
    (``scale``, ``title``: without one the axis keeps the title the other layers give it).
    Raises :class:`ChartInputError` for an unknown ``kind`` or ``axis``, or a value that is neither.
    """
    if kind not in BASELINE_STYLES:
        raise ChartInputError(f"baseline_rule: kind={kind!r}; choose one of {list(BASELINE_STYLES)}.")
    if axis not in ("x", "y"):
        raise ChartInputError(f"baseline_rule: axis={axis!r}; choose 'x' (vertical rule) or 'y' (horizontal).")
    label = BASELINE_LABELS[kind] if label is None else label
    if isinstance(value, str):
        field = value
        chart = alt.Chart(alt.Undefined if data is None else data).transform_filter(f"isValid(datum.{field})")
    elif isinstance(value, (int, float)) and not isinstance(value, bool) and value == value:
        field = f"{kind}_level"
        chart = alt.Chart(alt.Undefined if data is None else data).transform_calculate(**{field: repr(float(value))})
    else:
        raise ChartInputError(f"baseline_rule: value={value!r}; give a number (e.g. 0.25) or the column that holds it.")
    channel = alt.X if axis == "x" else alt.Y
    position = channel(f"mean({field}):Q", **encoding)
    tooltip = alt.Tooltip(f"mean({field}):Q", title=label, format=".1%")
    return chart.mark_rule(**BASELINE_STYLES[kind]).encode(**{axis: position}, tooltip=[tooltip])


# --------------------------------------------------------------------------- colours and legends


def _strip_pythia(name: str) -> str:
    """``"pythia-160m"`` / ``"EleutherAI/pythia-160m"`` -> ``"160m"`` (other names unchanged)."""
    short = str(name).rsplit("/", 1)[-1]
    size = short.removeprefix("pythia-").removesuffix("-deduped")
    return size if size in PYTHIA_SIZE_ORDER and short != size else str(name)


def colour_order(models: Iterable[Any], order: Sequence[str] | None = None) -> list[str]:
    """The fixed ordered domain that ``models`` take their colours from.

    ``order`` if given (names not in it are appended in order of appearance); otherwise the first
    of :data:`KNOWN_ORDERS` that holds every model (Pythia sizes also as ``pythia-160m``); otherwise
    the models in order of appearance.
    """
    present = list(dict.fromkeys(str(model) for model in models))
    if order is None:
        for known in KNOWN_ORDERS:
            if all(model in known for model in present):
                order = known
                break
        else:
            sizes = [_strip_pythia(model) for model in present]
            if all(size in PYTHIA_SIZE_ORDER for size in sizes):
                by_size = dict(zip(sizes, present))
                order = [by_size.get(size, f"pythia-{size}") for size in PYTHIA_SIZE_ORDER]
            else:
                order = ()
    return list(dict.fromkeys([*map(str, order), *present]))


def model_colours(models: Iterable[Any], order: Sequence[str] | None = None) -> dict[str, str]:
    """``{model: colour}`` for the models present, in the fixed order (see :func:`colour_order`)."""
    models = [str(model) for model in models]
    colours = palette.colours_for(colour_order(models, order), models)
    return {name: colours[name] for name in colour_order(models, order) if name in colours}


def model_colour_scale(models: Iterable[Any], order: Sequence[str] | None = None) -> alt.Scale:
    """Colour scale over the models (or families) present, each with its fixed colour.

    The domain lists only the models present (so the legend shows each once, in the fixed order);
    the colour of each comes from its position in the full order, so a model is the same colour in
    a chart that shows all of them and in one that shows two.
    """
    models = list(models)
    colours = model_colours(models, order)
    return alt.Scale(domain=list(colours), range=list(colours.values()))


def bottom_legend(columns: int = LEGEND_COLUMNS, **options: Any) -> alt.Legend:
    """A legend below the chart, at most :data:`LEGEND_COLUMNS` columns (so it never widens the chart)."""
    return alt.Legend(orient="bottom", direction="horizontal", columns=min(columns, LEGEND_COLUMNS), **options)


def model_colour(
    field: str,
    models: Iterable[Any],
    *,
    title: str = "model",
    order: Sequence[str] | None = None,
    legend: bool = True,
    columns: int = LEGEND_COLUMNS,
    label_expr: str | None = None,
) -> alt.Color:
    """Nominal colour encoding of ``field`` with :func:`model_colour_scale` and a bottom legend."""
    scale = model_colour_scale(models, order)
    options = {"labelExpr": label_expr} if label_expr else {}
    return alt.Color(
        f"{field}:N",
        title=title,
        sort=list(scale.domain),
        scale=scale,
        legend=bottom_legend(columns, **options) if legend else None,
    )


def family_color(
    field: str,
    present: Iterable[str],
    domain: Sequence[str] | None = None,
    *,
    title: str = "family",
    legend: bool = True,
) -> alt.Color:
    """:func:`model_colour` of the families ``present``, each coloured by its position in the chapter's palette
    ``domain`` (:func:`helpers.render.palette.palette_domain`; None: :func:`~helpers.render.palette.default_domain`
    of ``present``), so every figure of a chapter agrees."""
    present = [str(family) for family in present]
    order = palette.palette_domain(palette.default_domain(present) if domain is None else domain, present)
    return model_colour(field, present, title=title, order=order, legend=legend)


# ------------------------------------------------------------------------------ log size axes

AXIS_PADDING = 1.4
"""Log-axis margin: the domain runs from min / 1.4 to max * 1.4."""
SI_TO_READERS = "replace(replace(format(datum.value, '~s'), 'G', 'B'), 'k', 'K')"
"""Vega expression for axis labels: 1.8G -> 1.8B, 100k -> 100K."""


def log_domain(values: Iterable[float]) -> list[float]:
    """``[min / AXIS_PADDING, max * AXIS_PADDING]`` of the positive finite ``values`` (``[1, 10]`` without any)."""
    finite = [float(v) for v in values if v is not None and math.isfinite(float(v)) and float(v) > 0]
    if not finite:
        return [1.0, 10.0]
    return [min(finite) / AXIS_PADDING, max(finite) * AXIS_PADDING]


def size_axis(field: str, values: Iterable[float], title: str = "total parameters (log scale)") -> alt.X:
    """Log x axis for parameter counts (or steps) whose domain fits ``values`` (a chart of models up to
    1.8B does not run to 10B); labels 70M, 1.8B."""
    return alt.X(
        f"{field}:Q",
        title=title,
        scale=alt.Scale(type="log", domain=log_domain(values), nice=False),
        axis=alt.Axis(labelExpr=SI_TO_READERS, grid=False, tickCount=5, labelOverlap=True),
    )


# ------------------------------------------------------------------------------ titles and sizes


def wrap_lines(text: str | Sequence[str], chars: int) -> list[str]:
    """Each line of ``text`` (a string or a list of lines) wrapped at ``chars`` characters."""
    lines = [text] if isinstance(text, str) else list(text)
    return [part for line in lines for part in (textwrap.wrap(line, chars, break_on_hyphens=False) or [""])]


def chart_title(text: str, *subtitle: str, width: int = MAX_CHART_WIDTH - 20) -> alt.Title:
    """A title (and subtitle lines) wrapped to fit ``width`` px in a wide font."""
    title_lines = wrap_lines(text, max(20, int(width * TITLE_CHARS_PER_PX)))
    subtitle_lines = wrap_lines(list(subtitle), max(20, int(width * SUBTITLE_CHARS_PER_PX)))
    return alt.Title(
        title_lines if len(title_lines) > 1 else title_lines[0],
        **({"subtitle": subtitle_lines} if subtitle_lines else {}),
    )


def rendered_size(chart: alt.TopLevelMixin | dict, font: str | None = MEASURE_FONT) -> tuple[float, float]:
    """``(width, height)`` in px of the chart as vl-convert renders it to SVG (offline), in the book's theme.

    ``font``: measure every text in this font (default: a wide one, the ``system-ui`` of Linux
    browsers, so the width is an upper bound of what a browser draws); None keeps the theme's fonts.
    """
    import vl_convert

    spec = chart if isinstance(chart, dict) else chart.to_dict()
    config = {**theme_config()["config"], **spec.get("config", {})}
    if font:
        config["font"] = font
    spec = {**spec, "config": config}
    svg = vl_convert.vegalite_to_svg(spec)
    match = re.search(r'<svg[^>]*?\swidth="([\d.]+)"[^>]*?\sheight="([\d.]+)"', svg)
    if match is None:
        raise ValueError("vl-convert drew an SVG without width and height")
    return float(match.group(1)), float(match.group(2))


# ----------------------------------------------------------------------------- our measurements
