"""Altair charts of the swap notebook, one builder per table of :mod:`helpers.experiments.swap.views`.

Every point carries its interval (``mark_errorbar`` between the table's ``*_low``/``*_high``
columns); accuracy panels carry the dashed chance line (0 for arithmetic exact match).
Panels: one row per task kind, one column per (donor → recipient) pair. Missing columns
raise :class:`SwapChartError` naming them.
"""

from __future__ import annotations

from typing import Sequence

import altair as alt
import pandas as pd

from helpers.render.charts import require_table

PANEL_WIDTH = 260
PANEL_HEIGHT = 150
CHANCE_DASH = [5, 4]
BASELINE_GREY = "#999999"  # the unswapped recipient in the per-layer chart
METRICS = {
    "accuracy": ("accuracy", "accuracy_low", "accuracy_high", "accuracy"),
    "loss": ("loss", "loss_low", "loss_high", "gold-answer loss per token (nats)"),
}


class SwapChartError(ValueError):
    """A table that a swap chart cannot draw (missing columns, empty, unknown metric)."""


def _check(table: pd.DataFrame, columns: Sequence[str], builder: str, source: str, metric: str) -> tuple:
    if metric not in METRICS:
        raise SwapChartError(f"{builder}: metric={metric!r}; use one of {sorted(METRICS)}.")
    needed = [*columns, "pair", "kind", *METRICS[metric][:3], "chance"]
    require_table(table, needed, builder, source, error=SwapChartError)
    return METRICS[metric]


def _chance_rule() -> alt.Chart:
    return alt.Chart().mark_rule(color="#666666", strokeDash=CHANCE_DASH).encode(y=alt.Y("mean(chance):Q"))


def _facet(layers: list[alt.Chart], table: pd.DataFrame, independent_y: bool,
           independent_x: bool = False) -> alt.FacetChart:
    chart = (alt.layer(*layers, data=table).properties(width=PANEL_WIDTH, height=PANEL_HEIGHT)
             .facet(row=alt.Row("kind:N", title=None), column=alt.Column("pair:N", title=None)))
    if independent_y:
        chart = chart.resolve_scale(y="independent")
    return chart.resolve_scale(x="independent") if independent_x else chart


def _layers(x: alt.X, metric: str, tooltip: list, line: bool, color: str | None = None) -> list[alt.Chart]:
    value, low, high, title = METRICS[metric]
    y_scale = alt.Scale(zero=metric == "accuracy", domain=[0, 1] if metric == "accuracy" else alt.Undefined)
    base = alt.Chart().encode(x=x)
    if color:
        base = base.encode(color=alt.Color(color, legend=None))
    marks = [
        base.transform_filter(f"isValid(datum.{low})").mark_errorbar(ticks=True).encode(
            y=alt.Y(f"{low}:Q", title=title, scale=y_scale), y2=alt.Y2(f"{high}:Q")),
        base.mark_point(filled=True, size=70).encode(y=alt.Y(f"{value}:Q", title=title, scale=y_scale),
                                                     tooltip=tooltip),
    ]
    if line:
        marks.insert(0, base.mark_line(opacity=0.6).encode(y=alt.Y(f"{value}:Q", title=title, scale=y_scale)))
    if metric == "accuracy":
        marks.append(_chance_rule())
    return marks


def controls_chart(table: pd.DataFrame, metric: str = "accuracy") -> alt.FacetChart:
    """Full swap beside the recipient alone and the controls (table: ``swap_views.controls_table``)."""
    value, _, _, _ = _check(table, ["label", "order", "n_items"], "controls_chart",
                            "helpers.experiments.swap.views.controls_table", metric)
    order = list(table.sort_values("order")["label"].drop_duplicates())
    x = alt.X("label:N", sort=order, title=None, axis=alt.Axis(labelAngle=-30))
    tooltip = [alt.Tooltip("label:N", title="condition"), alt.Tooltip(f"{value}:Q", format=".3f"),
               alt.Tooltip("n_items:Q")]
    return _facet(_layers(x, metric, tooltip, line=False, color="label:N"), table, metric == "loss")


def dose_chart(table: pd.DataFrame, metric: str = "accuracy") -> alt.FacetChart:
    """Dose-response over alpha, all layers swapped (table: ``swap_views.dose_table``)."""
    value, _, _, _ = _check(table, ["alpha", "n_items"], "dose_chart", "helpers.experiments.swap.views.dose_table", metric)
    x = alt.X("alpha:Q", title="alpha (weight of the donor's pattern)", scale=alt.Scale(domain=[0, 1]))
    tooltip = [alt.Tooltip("alpha:Q"), alt.Tooltip(f"{value}:Q", format=".3f"), alt.Tooltip("n_items:Q")]
    return _facet(_layers(x, metric, tooltip, line=True), table, metric == "loss")


def layer_chart(table: pd.DataFrame, metric: str = "accuracy") -> alt.FacetChart:
    """Swaps of one recipient layer at a time, with the unswapped baseline as a grey line
    (table: ``swap_views.layer_table``)."""
    value, _, _, _ = _check(table, ["layer", f"baseline_{metric}"], "layer_chart",
                            "helpers.experiments.swap.views.layer_table", metric)
    x = alt.X("layer:Q", title="recipient layer swapped (alpha 1)", axis=alt.Axis(tickMinStep=1))
    tooltip = [alt.Tooltip("layer:Q"), alt.Tooltip(f"{value}:Q", format=".3f"), alt.Tooltip("n_items:Q")]
    baseline = alt.Chart().mark_rule(color=BASELINE_GREY, strokeWidth=2).encode(y=alt.Y(f"mean(baseline_{metric}):Q"))
    return _facet([*_layers(x, metric, tooltip, line=True), baseline], table, metric == "loss", independent_x=True)

