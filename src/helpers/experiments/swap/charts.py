"""Altair charts of the swap notebook, one builder per table of :mod:`helpers.experiments.swap.views`.

Every point carries its interval (``mark_errorbar`` between the table's ``*_low``/``*_high``
columns); accuracy panels carry the dashed chance line (0 for arithmetic exact match) and, where
the table has a ``majority`` column (a task with a fixed label set), a dotted orange line at the
majority baseline: always giving the gold answer most common on the items scored.
Panels: one row per task kind, one column per (donor → recipient) pair. Each chart fits the book's
~680 px column (:data:`helpers.render.charts.MAX_CHART_WIDTH`): at most two pairs side by side
(:data:`~helpers.render.charts.MAX_FACET_COLUMNS` panels of :data:`~helpers.render.charts.PANEL_WIDTH`
px); with more pairs the grids are stacked, two pairs each. Missing columns raise
:class:`SwapChartError` naming them.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd

from helpers.render.charts import (
    MAX_FACET_COLUMNS,
    PANEL_WIDTH,
    ROW_SPACING,
    baseline_rule,
    chart_title,
    require_table,
)

PANEL_HEIGHT = 150
BASELINE_GREY = "#999999"  # the unswapped recipient in the per-layer chart
METRICS = {
    "accuracy": ("accuracy", "accuracy_low", "accuracy_high", "Accuracy"),
    "loss": ("loss", "loss_low", "loss_high", "Gold-answer loss per token (nats)"),
}
"""metric -> (value, low, high columns, its name in the chart title). The y axes carry no title: with one
y axis per panel, a title on each would take ~40 px of the column twice; the chart title names the metric."""
COLUMN_SPACING = 12


class SwapChartError(ValueError):
    """A table that a swap chart cannot draw (missing columns, empty, unknown metric)."""


def _check(table: pd.DataFrame, columns: Sequence[str], builder: str, source: str, metric: str) -> tuple:
    if metric not in METRICS:
        raise SwapChartError(f"{builder}: metric={metric!r}; use one of {sorted(METRICS)}.")
    needed = [*columns, "pair", "kind", *METRICS[metric][:3], "chance"]
    require_table(table, needed, builder, source, error=SwapChartError)
    return METRICS[metric]


def _pair_groups(table: pd.DataFrame) -> list[list[str]]:
    """The pairs in table order, :data:`MAX_FACET_COLUMNS` per grid."""
    pairs = list(dict.fromkeys(table["pair"]))
    return [pairs[start : start + MAX_FACET_COLUMNS] for start in range(0, len(pairs), MAX_FACET_COLUMNS)]


def _facet(
    layers: list[alt.Chart], table: pd.DataFrame, independent_y: bool, title: str, independent_x: bool = False
) -> alt.FacetChart | alt.VConcatChart:
    """Rows: task kinds; columns: at most two pairs; more pairs: grids of two stacked below each other."""
    kinds = list(dict.fromkeys(table["kind"]))
    grids = []
    for pairs in _pair_groups(table):
        chart = (
            alt.layer(*layers, data=table[table["pair"].isin(pairs)])
            .properties(width=PANEL_WIDTH, height=PANEL_HEIGHT)
            .facet(
                row=alt.Row(
                    "kind:N",
                    title=None,
                    sort=kinds,
                    header=alt.Header(labelAngle=-90, labelAlign="center", labelFontWeight=600),
                ),
                column=alt.Column(
                    "pair:N",
                    title=None,
                    sort=pairs,
                    header=alt.Header(
                        labelLimit=PANEL_WIDTH,  # "donor →" over "recipient": two lines fit a panel
                        labelExpr="[slice(datum.label, 0, indexof(datum.label, ' → ') + 2), "
                        "slice(datum.label, indexof(datum.label, ' → ') + 3)]",
                    ),
                ),
                spacing={"row": ROW_SPACING, "column": COLUMN_SPACING},
            )
        )
        if independent_y:
            chart = chart.resolve_scale(y="independent")
        grids.append(chart.resolve_scale(x="independent") if independent_x else chart)
    chart = grids[0] if len(grids) == 1 else alt.vconcat(*grids, spacing=ROW_SPACING)
    return chart.properties(title=chart_title(title))


def _layers(
    x: alt.X, metric: str, tooltip: list, line: bool, color: str | None = None, majority: bool = False
) -> list[alt.Chart]:
    value, low, high, _ = METRICS[metric]
    y_scale = alt.Scale(zero=metric == "accuracy", domain=[0, 1] if metric == "accuracy" else alt.Undefined)
    base = alt.Chart().encode(x=x)
    if color:
        base = base.encode(color=alt.Color(color, legend=None))
    marks = [
        base.transform_filter(f"isValid(datum.{low})")
        .mark_errorbar(ticks=True)
        .encode(y=alt.Y(f"{low}:Q", title=None, scale=y_scale), y2=alt.Y2(f"{high}:Q")),
        base.mark_point(filled=True, size=70).encode(y=alt.Y(f"{value}:Q", title=None, scale=y_scale), tooltip=tooltip),
    ]
    if line:
        marks.insert(0, base.mark_line(opacity=0.6).encode(y=alt.Y(f"{value}:Q", title=None, scale=y_scale)))
    if metric == "accuracy":
        marks.append(baseline_rule("chance", title=None))
        if majority:
            marks.append(baseline_rule("majority", "majority", title=None))
    return marks


def _has_majority(table: pd.DataFrame) -> bool:
    return "majority" in table.columns and bool(table["majority"].notna().any())


def _majority_words(metric: str, table: pd.DataFrame) -> str:
    """The title's key to the lines: dashed chance, dotted orange majority baseline (accuracy only)."""
    if metric != "accuracy":
        return ""
    return "; dashed: chance" + ("; dotted orange: always the most common gold answer" if _has_majority(table) else "")


def _metric_name(metric: str) -> str:
    return METRICS[metric][3]


def controls_chart(table: pd.DataFrame, metric: str = "accuracy") -> alt.FacetChart | alt.VConcatChart:
    """Full swap beside the recipient alone and the controls (table: ``swap_views.controls_table``)."""
    value, _, _, _ = _check(
        table, ["label", "order", "n_items"], "controls_chart", "helpers.experiments.swap.views.controls_table", metric
    )
    order = list(table.sort_values("order")["label"].drop_duplicates())
    x = alt.X("label:N", sort=order, title=None, axis=alt.Axis(labelAngle=-30))
    tooltip = [
        alt.Tooltip("label:N", title="condition"),
        alt.Tooltip(f"{value}:Q", format=".3f"),
        alt.Tooltip("n_items:Q"),
    ]
    return _facet(
        _layers(x, metric, tooltip, line=False, color="label:N", majority=_has_majority(table)),
        table,
        metric == "loss",
        f"{_metric_name(metric)}: the recipient alone, with the donor's pattern and under "
        "the controls" + _majority_words(metric, table),
    )


def dose_chart(table: pd.DataFrame, metric: str = "accuracy") -> alt.FacetChart | alt.VConcatChart:
    """Dose-response over alpha, all layers swapped (table: ``swap_views.dose_table``)."""
    value, _, _, _ = _check(
        table, ["alpha", "n_items"], "dose_chart", "helpers.experiments.swap.views.dose_table", metric
    )
    x = alt.X(
        "alpha:Q",
        title="alpha (weight of the donor's pattern)",
        scale=alt.Scale(domain=[-0.04, 1.04], nice=False),
        # ticks at the alphas run, labelled exactly (the default format printed 0.25 as "0.3")
        axis=alt.Axis(values=sorted(float(a) for a in table["alpha"].unique()), format=".3~f"),
    )
    tooltip = [alt.Tooltip("alpha:Q"), alt.Tooltip(f"{value}:Q", format=".3f"), alt.Tooltip("n_items:Q")]
    return _facet(
        _layers(x, metric, tooltip, line=True, majority=_has_majority(table)),
        table,
        metric == "loss",
        f"{_metric_name(metric)} against alpha, all layers swapped" + _majority_words(metric, table),
    )


def layer_chart(table: pd.DataFrame, metric: str = "accuracy") -> alt.FacetChart | alt.VConcatChart:
    """Swaps of one recipient layer at a time, with the unswapped baseline as a grey line
    (table: ``swap_views.layer_table``)."""
    value, _, _, _ = _check(
        table, ["layer", f"baseline_{metric}"], "layer_chart", "helpers.experiments.swap.views.layer_table", metric
    )
    x = alt.X(
        "layer:Q",
        title="recipient layer swapped (alpha 1)",
        axis=alt.Axis(tickMinStep=1),
        scale=alt.Scale(zero=True, nice=False),
    )
    tooltip = [alt.Tooltip("layer:Q"), alt.Tooltip(f"{value}:Q", format=".3f"), alt.Tooltip("n_items:Q")]
    baseline = (
        alt.Chart()
        .mark_rule(color=BASELINE_GREY, strokeWidth=2)
        .encode(y=alt.Y(f"mean(baseline_{metric}):Q", title=None))
    )
    return _facet(
        [*_layers(x, metric, tooltip, line=True, majority=_has_majority(table)), baseline],
        table,
        metric == "loss",
        f"{_metric_name(metric)} with one recipient layer swapped; grey: the recipient "
        "alone" + _majority_words(metric, table),
        independent_x=True,
    )
