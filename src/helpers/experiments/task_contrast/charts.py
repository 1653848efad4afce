"""Altair charts of the task-contrast notebook, one builder per table of :mod:`helpers.experiments.task_contrast.views`.

Each builder takes the DataFrame that the view of the same name returns and gives back an
Altair chart; the report's theme and offline renderer come from :func:`helpers.render.plots.enable`.
Every point estimate carries its interval (``mark_errorbar`` between the table's low/high
columns) and every accuracy panel the chance line (where the task has one: arithmetic exact
match has none). Model size is on a log axis. Missing columns raise
:class:`ChartInputError` naming them.
"""

from __future__ import annotations

from typing import Sequence

import altair as alt
import pandas as pd

from helpers.render.charts import ChartInputError, require_table  # noqa: F401 (ChartInputError re-exported)

from helpers.experiments.task_contrast.views import CHAIN_LEVELS, CHAIN_METRICS, FORMAT_LABELS, KIND_LABELS

PANEL_WIDTH = 200
PANEL_HEIGHT = 170
CHANCE_DASH = [5, 4]


_check = require_table


def _size_axis(title: str = "parameters (log scale)") -> alt.X:
    return alt.X("n_params:Q", scale=alt.Scale(type="log", nice=False, padding=14), title=title,
                 axis=alt.Axis(format="~s", tickCount=4))


def _kind_order(table: pd.DataFrame) -> list[str]:
    present = list(dict.fromkeys(table["kind_label"]))
    known = [label for label in KIND_LABELS.values() if label in present]
    return known + [label for label in present if label not in known]


def _chance_rule(field: str = "chance") -> alt.Chart:
    """Dashed horizontal line at the mean of ``field`` in each panel (rows with no chance skipped)."""
    return (
        alt.Chart()
        .transform_filter(f"isValid(datum.{field})")
        .mark_rule(color="#666666", strokeDash=CHANCE_DASH)
        .encode(y=alt.Y(f"mean({field}):Q"))
    )


def _model_tooltip(extra: Sequence[alt.Tooltip]) -> list[alt.Tooltip]:
    return [alt.Tooltip("model:N"), alt.Tooltip("family:N"), alt.Tooltip("n_params:Q", format=",")] + list(extra)


def _points_with_bars(value: str, low: str, high: str, title: str | None, tooltip: Sequence[alt.Tooltip],
                      color: str = "family:N", zero: bool = True) -> list[alt.Chart]:
    """Line + points of ``value`` against size, coloured by ``color``, with error bars low..high."""
    base = alt.Chart().encode(x=_size_axis(), color=alt.Color(color, title=color.split(":")[0]))
    y_scale = alt.Scale(zero=zero)
    line = base.mark_line(opacity=0.6).encode(y=alt.Y(f"{value}:Q", title=title, scale=y_scale))
    points = base.mark_point(filled=True).encode(y=alt.Y(f"{value}:Q", title=title, scale=y_scale),
                                                 tooltip=list(tooltip))
    bars = base.transform_filter(f"isValid(datum.{low})").mark_errorbar(ticks=True).encode(
        y=alt.Y(f"{low}:Q", title=title, scale=y_scale), y2=alt.Y2(f"{high}:Q"))
    return [line, bars, points]


# ----------------------------------------------------------------------- 1. side by side


def side_by_side_chart(table: pd.DataFrame) -> alt.VConcatChart:
    """Accuracy (top, with chance) and loss per token (bottom) against size, one column per kind."""
    _check(table, ["family", "model", "n_params", "kind_label", "accuracy", "accuracy_low", "accuracy_high",
                   "chance", "loss", "loss_low", "loss_high"], "side_by_side_chart",
           "helpers.experiments.task_contrast.views.side_by_side")
    order = _kind_order(table)
    accuracy_layers = _points_with_bars(
        "accuracy", "accuracy_low", "accuracy_high", "accuracy",
        _model_tooltip([alt.Tooltip("accuracy:Q", format=".3f"), alt.Tooltip("n_items:Q")]))
    accuracy = (
        alt.layer(*accuracy_layers, _chance_rule(), data=table)
        .properties(width=PANEL_WIDTH, height=PANEL_HEIGHT)
        .facet(column=alt.Column("kind_label:N", sort=order, title=None))
    )
    loss_layers = _points_with_bars(
        "loss", "loss_low", "loss_high", "gold-answer loss per token (nats)",
        _model_tooltip([alt.Tooltip("loss:Q", format=".3f")]), zero=False)
    loss = (
        alt.layer(*loss_layers, data=table)
        .properties(width=PANEL_WIDTH, height=PANEL_HEIGHT)
        .facet(column=alt.Column("kind_label:N", sort=order, title=None))
        .resolve_scale(y="independent")
    )
    return alt.vconcat(accuracy, loss).properties(
        title="Same models, three kinds of task: accuracy and loss on the gold answer")


# --------------------------------------------------------------------------- 2. chain


def chain_chart(table: pd.DataFrame) -> alt.FacetChart:
    """Correlation with size (x) of each chain metric (y), per item and for model means, per kind."""
    _check(table, ["kind_label", "metric_label", "level", "correlation", "correlation_low", "correlation_high"],
           "chain_chart", "helpers.experiments.task_contrast.views.chain_correlations")
    metric_order = [label for _, label, _ in CHAIN_METRICS]
    y = alt.Y("metric_label:N", sort=metric_order, title=None)
    y_offset = alt.YOffset("level:N", sort=list(CHAIN_LEVELS))
    color = alt.Color("level:N", sort=list(CHAIN_LEVELS), title="correlation of")
    shown = alt.Chart().transform_filter("isValid(datum.correlation)")
    x_scale = alt.Scale(domain=[-1, 1])
    points = shown.mark_point(filled=True).encode(
        x=alt.X("correlation:Q", scale=x_scale, title="Spearman rho with size"),
        y=y, yOffset=y_offset, color=color,
        tooltip=[alt.Tooltip("metric_label:N"), alt.Tooltip("level:N"),
                 alt.Tooltip("correlation:Q", format=".2f"), alt.Tooltip("share_positive:Q", format=".2f"),
                 alt.Tooltip("n_items:Q"), alt.Tooltip("n_models:Q")])
    bars = shown.transform_filter("isValid(datum.correlation_low)").mark_errorbar(ticks=True).encode(
        x=alt.X("correlation_low:Q", scale=x_scale, title="Spearman rho with size"),
        x2="correlation_high:Q", y=y, yOffset=y_offset, color=color)
    zero = alt.Chart().mark_rule(color="#666666", strokeDash=CHANCE_DASH).encode(x=alt.datum(0))
    return (
        alt.layer(zero, bars, points, data=table)
        .properties(width=PANEL_WIDTH, height=PANEL_HEIGHT)
        .facet(facet=alt.Facet("kind_label:N", sort=_kind_order(table), title=None), columns=3)
        .properties(title=alt.Title("Schaeffer et al. (2024) chain: which metrics move with scale",
                                    subtitle="positive = better with scale; bars: bootstrap over items"))
    )


# --------------------------------------------------------------------- 3. letter bias


def letter_chart(shares: pd.DataFrame, model_order: Sequence[str] | None = None) -> alt.FacetChart:
    """Share of each predicted letter (bars) against its share among gold answers (ticks), per model."""
    _check(shares, ["model", "letter", "predicted_share", "gold_share"], "letter_chart",
           "helpers.experiments.task_contrast.views.letter_shares")
    order = list(model_order) if model_order is not None else list(dict.fromkeys(shares["model"]))
    bars = alt.Chart().mark_bar(opacity=0.8).encode(
        x=alt.X("letter:N", title="answer letter"),
        y=alt.Y("predicted_share:Q", title="share of items", scale=alt.Scale(domain=[0, 1])),
        tooltip=[alt.Tooltip("model:N"), alt.Tooltip("letter:N"),
                 alt.Tooltip("predicted_share:Q", format=".2f"), alt.Tooltip("gold_share:Q", format=".2f")])
    gold = alt.Chart().mark_tick(color="#000000", thickness=3, size=24).encode(
        x="letter:N", y=alt.Y("gold_share:Q"))
    uniform = alt.Chart().mark_rule(color="#666666", strokeDash=CHANCE_DASH).encode(y=alt.datum(0.25))
    return (
        alt.layer(bars, gold, uniform, data=shares)
        .properties(width=130, height=140)
        .facet(facet=alt.Facet("model:N", sort=order, title=None), columns=5)
        .properties(title="Predicted letters (bars) vs gold letters (black ticks); dashed: uniform")
    )


def format_chart(table: pd.DataFrame) -> alt.FacetChart:
    """MMLU-math accuracy per model under letter, full-text and full-text acc_norm scoring."""
    _check(table, ["family", "model", "n_params", "format", "accuracy", "accuracy_low", "accuracy_high",
                   "chance"], "format_chart", "helpers.experiments.task_contrast.views.format_comparison")
    format_order = list(FORMAT_LABELS.values())
    x = alt.X("format:N", sort=format_order, title=None, axis=alt.Axis(labels=False, ticks=False))
    color = alt.Color("format:N", sort=format_order, title="scoring")
    points = alt.Chart().mark_point(filled=True).encode(
        x=x, color=color, y=alt.Y("accuracy:Q", title="accuracy"),
        tooltip=[alt.Tooltip("model:N"), alt.Tooltip("family:N"), alt.Tooltip("format:N"),
                 alt.Tooltip("accuracy:Q", format=".3f"), alt.Tooltip("n_items:Q")])
    bars = alt.Chart().mark_errorbar(ticks=True).encode(
        x=x, color=color, y=alt.Y("accuracy_low:Q", title="accuracy"), y2="accuracy_high:Q")
    model_order = list(dict.fromkeys(table["model"]))
    return (
        alt.layer(bars, points, _chance_rule(), data=table)
        .properties(width=70, height=PANEL_HEIGHT)
        .facet(column=alt.Column("model:N", sort=model_order, title=None, header=alt.Header(labelAngle=-30,
                                                                                             labelAlign="right")))
        .properties(title="MMLU-math: letter scoring vs full-answer-text scoring")
    )


def published_chart(table: pd.DataFrame, chance: float = 0.25) -> alt.FacetChart:
    """Published MMLU-math ``acc`` vs ``acc_norm`` against size (table of :func:`published_formats`)."""
    _check(table, ["family", "model", "params", "metric", "value", "low", "high"], "published_chart",
           "helpers.experiments.task_contrast.views.published_formats")
    x = alt.X("params:Q", scale=alt.Scale(type="log", nice=False, padding=14), title="parameters (log scale)",
              axis=alt.Axis(format="~s", tickCount=4))
    color = alt.Color("metric:N", title="metric")
    base = alt.Chart().encode(x=x, color=color)
    line = base.mark_line(opacity=0.6).encode(y=alt.Y("value:Q", title="accuracy"))
    points = base.mark_point(filled=True).encode(
        y=alt.Y("value:Q", title="accuracy"),
        tooltip=[alt.Tooltip("model:N"), alt.Tooltip("metric:N"), alt.Tooltip("value:Q", format=".3f")])
    bars = base.mark_errorbar(ticks=True).encode(y=alt.Y("low:Q", title="accuracy"), y2="high:Q")
    chance_line = alt.Chart().mark_rule(color="#666666", strokeDash=CHANCE_DASH).encode(y=alt.datum(chance))
    return (
        alt.layer(line, bars, points, chance_line, data=table)
        .properties(width=PANEL_WIDTH, height=PANEL_HEIGHT)
        .facet(column=alt.Column("family:N", sort=list(dict.fromkeys(table["family"])), title=None))
        .properties(title="Published MMLU-math, 0-shot, full-text scoring: acc vs acc_norm")
    )


# --------------------------------------------------------------------- 4. arithmetic


def arithmetic_chart(table: pd.DataFrame) -> alt.FacetChart:
    """Exact match, digits correct and loss per token against size: one row per metric, one column per kind."""
    _check(table, ["family", "model", "n_params", "kind_label", "metric_label", "value", "low", "high"],
           "arithmetic_chart", "helpers.experiments.task_contrast.views.arithmetic_metric_view")
    layers = _points_with_bars("value", "low", "high", None,
                               _model_tooltip([alt.Tooltip("metric_label:N"), alt.Tooltip("value:Q", format=".3f")]),
                               zero=False)
    metric_order = list(dict.fromkeys(table["metric_label"]))
    return (
        alt.layer(*layers, data=table)
        .properties(width=PANEL_WIDTH, height=130)
        .facet(row=alt.Row("metric_label:N", sort=metric_order, title=None),
               column=alt.Column("kind_label:N", sort=_kind_order(table), title=None))
        .resolve_scale(y="independent")
        .properties(title="Arithmetic: a discrete metric against two continuous ones")
    )
