"""Altair charts of the task-contrast notebook, one builder per view.

Every chart fits the book's ~700 px column (at most two facet columns, legends at the bottom),
colours a family as every other figure of the chapter does (pass the chapter's ``palette``,
:mod:`helpers.render.palette`), draws lines only between models of one family,
fits its log axis to the data, and gives every point its interval (``mark_errorbar``) and every
accuracy panel its chance line. Encodings that are not families (letters, scoring formats,
metrics) use a separate palette so they are not read as families. Missing columns raise
:class:`ChartInputError` naming them; a view with nothing to draw gives a chart that says so.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd

from helpers.core.tasks.mmlu import CHANCE as MMLU_CHANCE
from helpers.experiments.task_contrast.chain import CHAIN_LEVELS, CHAIN_METRICS
from helpers.experiments.task_contrast.views import KIND_LABELS
from helpers.render.charts import CHANCE_STYLE, ChartInputError, baseline_rule, family_color, require_table, size_axis  # noqa: F401 (re-exported)

PANEL_WIDTH = 250
PANEL_HEIGHT = 150
OTHER_COLOURS = ("#332288", "#88CCEE", "#CC6677", "#882255")
"""Paul Tol's muted colours (his sand yellow left out: too pale on white), for encodings that are not families."""
LETTER_GREYS = ("#252525", "#636363", "#969696", "#cccccc")


def _kind_order(labels) -> list[str]:
    present = list(dict.fromkeys(labels))
    known = [label for label in KIND_LABELS.values() if label in present]
    return known + [label for label in present if label not in known]


def _other_color(field: str, values: Sequence[str], title: str) -> alt.Color:
    values = list(dict.fromkeys(values))
    return alt.Color(
        f"{field}:N",
        title=title,
        sort=values,
        scale=alt.Scale(domain=values, range=list(OTHER_COLOURS[: len(values)])),
        legend=alt.Legend(orient="bottom"),
    )


def _message(text: str) -> alt.Chart:
    """A chart that only says why there is nothing to draw (lines of ``text`` split at "\\n")."""
    return (
        alt.Chart(pd.DataFrame({"text": [text]}))
        .mark_text(align="left", fontSize=13, lineBreak="\n", x=0)
        .encode(text="text:N")
        .properties(width=PANEL_WIDTH * 2, height=40)
    )


# ----------------------------------------------------------------------- 1. side by side


def _family_layers(x: alt.X, y: alt.Y, color: alt.Color, tooltip: list) -> list[alt.Chart]:
    """A line per family (never across families), the intervals ``low``..``high`` where valid, and the points."""
    return [
        alt.Chart().mark_line(opacity=0.6).encode(x=x, y=y, color=color, detail="family:N"),
        alt.Chart()
        .transform_filter("isValid(datum.low)")
        .mark_errorbar(ticks=True)
        .encode(x=x, y=alt.Y("low:Q", title=None), y2="high:Q", color=color),
        alt.Chart().mark_point(filled=True).encode(x=x, y=y, color=color, tooltip=tooltip),
    ]


def side_by_side_chart(table: pd.DataFrame, *, palette: Sequence[str] | None = None) -> alt.FacetChart:
    """Accuracy (with chance) and loss per token against size: one row of two panels per task kind."""
    require_table(
        table,
        [
            "family",
            "model",
            "n_params",
            "kind_label",
            "accuracy",
            "accuracy_low",
            "accuracy_high",
            "chance",
            "loss",
            "loss_low",
            "loss_high",
        ],
        "side_by_side_chart",
        "helpers.experiments.task_contrast.views.side_by_side",
    )
    frames = []
    for metric, title in (("accuracy", "accuracy"), ("loss", "loss (nats/token)")):
        part = table[["family", "model", "n_params", "kind_label", "n_items"]].copy()
        part["value"], part["low"], part["high"] = table[metric], table[f"{metric}_low"], table[f"{metric}_high"]
        part["chance"] = table["chance"] if metric == "accuracy" else float("nan")
        part["majority"] = table.get("majority", float("nan")) if metric == "accuracy" else float("nan")
        part["panel"] = table["kind_label"] + " · " + title
        frames.append(part)
    data = pd.concat(frames, ignore_index=True)
    order = [
        f"{kind} · {title}" for kind in _kind_order(table["kind_label"]) for title in ("accuracy", "loss (nats/token)")
    ]
    families = list(dict.fromkeys(data["family"]))
    color = family_color("family", families, palette)
    x = size_axis("n_params", data["n_params"])
    y = alt.Y("value:Q", title=None, scale=alt.Scale(zero=False))
    tooltip = [
        "model:N",
        "family:N",
        alt.Tooltip("n_params:Q", format=",.0f"),
        alt.Tooltip("value:Q", format=".3f"),
        alt.Tooltip("n_items:Q"),
    ]
    layers = [*_family_layers(x, y, color, tooltip), baseline_rule("chance")]
    if data["majority"].notna().any():  # unbalanced labels: always the most common gold answer, dotted orange
        layers.append(baseline_rule("majority", "majority"))
    return (
        alt.layer(*layers, data=data)
        .properties(width=PANEL_WIDTH, height=PANEL_HEIGHT)
        .facet(facet=alt.Facet("panel:N", sort=order, title=None), columns=2)
        .resolve_scale(y="independent")
    )


# --------------------------------------------------------------------------- 2. chain


def _dots_and_bars(
    field: str,
    x_scale: alt.Scale,
    x_title: str,
    y: alt.Y,
    y_offset: alt.YOffset,
    color: alt.Color,
    tooltip: list,
    *,
    x_axis: alt.Axis = alt.Undefined,
    shape: alt.Shape = alt.Undefined,
    valid_only: bool = False,
    **point,
) -> tuple[alt.Chart, alt.Chart]:
    """``(bars, points)``: filled points of ``field`` along x, each row of ``y`` split by ``y_offset``, and
    error bars from ``<field>_low`` to ``<field>_high`` (only where the low end is valid with ``valid_only``).
    ``point``: more options of the point mark (e.g. ``size``)."""
    points = (
        alt.Chart()
        .mark_point(filled=True, **point)
        .encode(
            x=alt.X(f"{field}:Q", scale=x_scale, title=x_title, axis=x_axis),
            y=y,
            yOffset=y_offset,
            color=color,
            shape=shape,
            tooltip=tooltip,
        )
    )
    bars = alt.Chart().transform_filter(f"isValid(datum.{field}_low)") if valid_only else alt.Chart()
    bars = bars.mark_errorbar(ticks=True).encode(
        x=alt.X(f"{field}_low:Q", scale=x_scale, title=x_title),
        x2=f"{field}_high:Q",
        y=y,
        yOffset=y_offset,
        color=color,
    )
    return bars, points


def chain_chart(table: pd.DataFrame, *, palette: Sequence[str] | None = None) -> alt.Chart:
    """Within-family correlation with size (x) of each chain metric (y), per item and for model means."""
    if isinstance(table, pd.DataFrame) and table.empty:
        return _message("No chain metric was scored:\nno correlation to draw.")
    require_table(
        table,
        ["family", "kind_label", "metric_label", "level", "correlation", "correlation_low", "correlation_high"],
        "chain_chart",
        "helpers.experiments.task_contrast.chain.chain_correlations",
    )
    data = table[table["correlation"].notna()].copy()
    if data.empty:
        return _message("No family has three or more models:\nno correlation within a family to draw.")
    data["series"] = data["family"] + " · " + data["level"]
    metric_order = [label for _, label, _ in CHAIN_METRICS]
    families = list(dict.fromkeys(data["family"]))
    color = family_color("family", families, palette)
    y = alt.Y("metric_label:N", sort=metric_order, title=None)
    y_offset = alt.YOffset("series:N")
    shape = alt.Shape("level:N", sort=list(CHAIN_LEVELS), title="correlation of", legend=alt.Legend(orient="bottom"))
    tooltip = ["family:N", "metric_label:N", "level:N", alt.Tooltip("correlation:Q", format=".2f")]
    tooltip += [alt.Tooltip("n_items:Q"), alt.Tooltip("n_models:Q")]
    bars, points = _dots_and_bars(
        "correlation",
        alt.Scale(domain=[-1, 1]),
        "Spearman rho with size (within family)",
        y,
        y_offset,
        color,
        tooltip,
        shape=shape,
        valid_only=True,
        size=50,
    )
    zero = alt.Chart().mark_rule(**CHANCE_STYLE).encode(x=alt.datum(0))
    return (
        alt.layer(zero, bars, points, data=data)
        .properties(width=380, height=alt.Step(9))
        .facet(facet=alt.Facet("kind_label:N", sort=_kind_order(data["kind_label"]), title=None), columns=1)
    )


# --------------------------------------------------------------------- 3. letter bias


def letter_chart(shares: pd.DataFrame, model_order: Sequence[str] | None = None) -> alt.Chart:
    """Stacked shares of each predicted letter per model, with the gold answers' shares as their own bar."""
    require_table(
        shares,
        ["model", "letter", "predicted_share", "gold_share"],
        "letter_chart",
        "helpers.experiments.task_contrast.letters.letter_shares",
    )
    order = list(model_order) if model_order is not None else list(dict.fromkeys(shares["model"]))
    predicted = shares.assign(row=shares["model"], share=shares["predicted_share"], kind="predicted")
    gold_by_model = shares.pivot_table(index="model", columns="letter", values="gold_share")
    same_items = len(gold_by_model.drop_duplicates()) == 1
    if same_items:
        first = shares[shares["model"] == shares["model"].iloc[0]]
        gold = first.assign(row="gold answers", share=first["gold_share"], kind="gold")
        rows = [*order, "gold answers"]
    else:
        gold = shares.assign(row=shares["model"] + " (gold)", share=shares["gold_share"], kind="gold")
        rows = [name for model in order for name in (model, f"{model} (gold)")]
    data = pd.concat([predicted, gold], ignore_index=True)
    letters = list(dict.fromkeys(shares["letter"]))
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X(
                "share:Q",
                stack="zero",
                title="share of items",
                scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format="%"),
            ),
            y=alt.Y("row:N", sort=rows, title=None),
            color=alt.Color(
                "letter:N",
                sort=letters,
                title="letter",
                scale=alt.Scale(domain=letters, range=list(LETTER_GREYS[: len(letters)])),
                legend=alt.Legend(orient="bottom"),
            ),
            order=alt.Order("letter:N"),
            tooltip=["row:N", "kind:N", "letter:N", alt.Tooltip("share:Q", format=".1%")],
        )
        .properties(width=420, height=alt.Step(18))
    )


def format_chart(table: pd.DataFrame) -> alt.LayerChart:
    """MMLU-math accuracy per model (rows, smallest first) under each scoring, with the chance line."""
    require_table(
        table,
        ["family", "model", "n_params", "format", "accuracy", "accuracy_low", "accuracy_high", "chance"],
        "format_chart",
        "helpers.experiments.task_contrast.formats.format_comparison",
    )
    formats = list(dict.fromkeys(table["format"]))
    models = table.drop_duplicates("model").sort_values("n_params", kind="stable")["model"].tolist()
    color = _other_color("format", formats, "scoring")
    y = alt.Y("model:N", sort=models, title=None)
    y_offset = alt.YOffset("format:N", sort=formats)
    tooltip = ["model:N", "family:N", "format:N", alt.Tooltip("accuracy:Q", format=".3f"), alt.Tooltip("n_items:Q")]
    x_scale, axis = alt.Scale(domain=[0, 1]), alt.Axis(format="%")
    bars, points = _dots_and_bars("accuracy", x_scale, "accuracy", y, y_offset, color, tooltip, x_axis=axis)
    chance = baseline_rule("chance", axis="x")
    return alt.layer(bars, points, chance, data=table).properties(width=440, height=alt.Step(10))


def published_chart(
    table: pd.DataFrame, chance: float = MMLU_CHANCE, *, palette: Sequence[str] | None = None
) -> alt.FacetChart:
    """Published MMLU-math ``acc`` vs ``acc_norm`` against size, one panel per family (2 columns)."""
    require_table(
        table,
        ["family", "model", "params", "metric", "value", "low", "high"],
        "published_chart",
        "helpers.experiments.task_contrast.formats.published_formats",
    )
    x = size_axis("params", table["params"])
    color = _other_color("metric", list(dict.fromkeys(table["metric"])), "metric")
    line = (
        alt.Chart()
        .mark_line(opacity=0.6)
        .encode(x=x, y=alt.Y("value:Q", title="accuracy"), color=color, detail="metric:N")
    )
    points = (
        alt.Chart()
        .mark_point(filled=True)
        .encode(
            x=x,
            y=alt.Y("value:Q", title="accuracy"),
            color=color,
            tooltip=["model:N", "metric:N", alt.Tooltip("value:Q", format=".3f")],
        )
    )
    bars = (
        alt.Chart().mark_errorbar(ticks=True).encode(x=x, y=alt.Y("low:Q", title="accuracy"), y2="high:Q", color=color)
    )
    chance_line = baseline_rule(chance)
    families = list(dict.fromkeys(table["family"]))
    return (
        alt.layer(line, bars, points, chance_line, data=table)
        .properties(width=PANEL_WIDTH, height=PANEL_HEIGHT)
        .facet(
            facet=alt.Facet("family:N", sort=palette and [f for f in palette if f in families] or families, title=None),
            columns=2,
        )
    )


# --------------------------------------------------------------------- 4. arithmetic


def arithmetic_chart(table: pd.DataFrame, *, palette: Sequence[str] | None = None) -> alt.FacetChart:
    """Exact match, digits correct and loss per token against size (one panel each, stacked), per family."""
    require_table(
        table,
        ["family", "model", "n_params", "kind_label", "metric_label", "value", "low", "high"],
        "arithmetic_chart",
        "helpers.experiments.task_contrast.formats.arithmetic_metric_view",
    )
    data = table[table["task"] == "all"] if "task" in table and (table["task"] == "all").any() else table
    families = list(dict.fromkeys(data["family"]))
    color = family_color("family", families, palette)
    x = size_axis("n_params", data["n_params"])
    y = alt.Y("value:Q", title=None, scale=alt.Scale(zero=False))
    tooltip = ["model:N", "family:N", "metric_label:N", alt.Tooltip("value:Q", format=".3f")]
    layers = _family_layers(x, y, color, tooltip)
    metric_order = list(dict.fromkeys(data["metric_label"]))
    return (
        alt.layer(*layers, data=data)
        .properties(width=PANEL_WIDTH, height=PANEL_HEIGHT)
        .facet(facet=alt.Facet("metric_label:N", sort=metric_order, title=None), columns=2)
        .resolve_scale(y="independent")
    )
