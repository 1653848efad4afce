"""Altair charts of the "Beyond Pythia and OPT" chapter, one builder per view of :mod:`.views`.

Every chart fits the book's content column by itself (:data:`helpers.render.charts.MAX_CHART_WIDTH`,
legends below, titles wrapped): one panel of :data:`WIDE_PANEL_WIDTH` px, or two of
:data:`PANEL_WIDTH`. Accuracy axes carry a dashed line at chance for a uniform guess where the
benchmark has one (25% for four letters: in the letter format the answer-length bias of
full-text scoring does not apply, so the length-aware baseline is also about 25%). Pythia, OPT and
RWKV-4 are drawn in colour, every other family in grey.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from helpers.core.tasks.mmlu import CHANCE as MMLU_CHANCE
from helpers.render.charts import (
    PANEL_HEIGHT,
    PANEL_WIDTH,
    WIDE_PANEL_WIDTH,
    baseline_rule,
    bottom_legend,
    chart_title,
    require_table,
)
from helpers.render.palette import FAMILY_COLOURS

GROUPS = ("Pythia", "OPT", "RWKV", "other families")
GROUP_COLOURS = (FAMILY_COLOURS["pythia"], FAMILY_COLOURS["opt"], FAMILY_COLOURS["rwkv"], "#bbbbbb")
"""Each group's family colour (:mod:`helpers.render.palette`); the families with no colour of their own in grey."""
HEIGHT = 300


def _group_colour(title: str = "family", present=None) -> alt.Color:
    """Colour by group, each group its fixed colour; the legend lists the groups ``present`` (all when None)."""
    pairs = [(g, c) for g, c in zip(GROUPS, GROUP_COLOURS) if present is None or g in set(present)]
    return alt.Color(
        "group:N",
        title=title,
        scale=alt.Scale(domain=[g for g, _ in pairs], range=[c for _, c in pairs]),
        legend=bottom_legend(4),
    )


def _log_domain(values) -> list[float]:
    values = [float(v) for v in values]
    return [min(values) / 1.3, max(values) * 1.3]


def landscape_chart(
    points: pd.DataFrame,
    x_title: str,
    y_title: str,
    chance: float | None,
    curve: pd.DataFrame | None = None,
    title: str = "",
    x_format: str = "~s",
) -> alt.LayerChart:
    """Every model: ``y`` against ``x`` (log), Pythia/OPT/RWKV in colour and joined within family.
    ``x_format``: d3 format of the x labels (``~s``: 100M, 1G for parameters; ``.0e`` for FLOPs and tokens)."""
    require_table(points, ["family", "model", "x", "y", "group"], "landscape_chart", "views.landscape")
    xs = list(points["x"]) + (list(curve["x"]) if curve is not None and len(curve) else [])
    x = alt.X(
        "x:Q",
        title=x_title,
        scale=alt.Scale(type="log", nice=False, domain=_log_domain(xs)),
        axis=alt.Axis(format=x_format, tickCount=8),
    )
    y = alt.Y("y:Q", title=y_title, axis=alt.Axis(format="%"))
    base = alt.Chart(points)
    colour = _group_colour(present=points["group"])
    dots = base.mark_circle(size=40, opacity=0.8).encode(
        x=x, y=y, color=colour, tooltip=["model:N", "family:N", alt.Tooltip("y:Q", format=".1%")]
    )
    lines = (
        base.transform_filter(alt.datum.group != "other families")
        .mark_line(strokeWidth=1.5)
        .encode(x=x, y=y, color=colour, detail="family:N", order="x:Q")
    )
    layers = [dots, lines, *([baseline_rule(chance, data=points)] if chance is not None else [])]
    if curve is not None and len(curve):
        layers.append(
            alt.Chart(curve).mark_line(color="#333333", strokeDash=[2, 2], clip=True).encode(x="x:Q", y="y:Q")
        )
    subtitle = (
        "dashed grey: chance for a uniform guess"
        + (f" ({chance:.0%})" if chance is not None else "")
        + (
            "; one-letter answers carry no length bias, so the length-aware baseline is the same"
            if chance == MMLU_CHANCE
            else ""
        )
        + ("; dotted black: sigmoid fit across families" if curve is not None and len(curve) else "")
    )
    return alt.layer(*layers).properties(
        width=WIDE_PANEL_WIDTH, height=HEIGHT, title=chart_title(title or f"{y_title} against {x_title}", subtitle)
    )


def pile_chart(rows: pd.DataFrame, lines: pd.DataFrame, chance: float = MMLU_CHANCE) -> alt.LayerChart:
    """RWKV-4 and Pythia-deduped (both trained on the Pile): MMLU with 95% intervals, fitted trends."""
    require_table(rows, ["family", "model", "params", "mmlu", "mmlu_se"], "pile_chart", "judged.rwkv_vs_pythia")
    data = rows.assign(
        group=rows["family"], low=rows["mmlu"] - 1.96 * rows["mmlu_se"], high=rows["mmlu"] + 1.96 * rows["mmlu_se"]
    )
    x = alt.X(
        "params:Q",
        title="parameters (log scale)",
        scale=alt.Scale(type="log", nice=False, domain=_log_domain(data["params"])),
        axis=alt.Axis(format="~s"),
    )
    y = alt.Y(
        "mmlu:Q", title="MMLU accuracy (letter, 5-shot)", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0.2, 0.3])
    )
    colour = _group_colour(present=data["group"])
    base = alt.Chart(data)
    dots = base.mark_circle(size=60).encode(
        x=x, y=y, color=colour, tooltip=["model:N", alt.Tooltip("mmlu:Q", format=".1%")]
    )
    bars = base.mark_rule().encode(x=x, y="low:Q", y2="high:Q", color=colour)
    fit = (
        alt.Chart(lines.assign(group=lines["family"]))
        .mark_line(strokeDash=[4, 2])
        .encode(x="x:Q", y="y:Q", color=colour)
    )
    return alt.layer(dots, bars, fit, baseline_rule(chance, data=data)).properties(
        width=WIDE_PANEL_WIDTH,
        height=260,
        title=chart_title(
            "RWKV-4 (recurrent) and Pythia (Transformer), both trained on the Pile",
            "bars: 95% intervals (SE from the 57 subject sizes); dashed lines: weighted fits; "
            f"grey: chance {chance:.0%}",
        ),
    )


def arithmetic_chart(points: pd.DataFrame) -> alt.FacetChart:
    """OPT and Pythia-deduped GPT-3 arithmetic against parameters, one panel per operation (2 columns)."""
    require_table(
        points,
        ["family", "model", "params", "operation", "acc", "low", "high"],
        "arithmetic_chart",
        "views.arithmetic_points",
    )
    data = points.assign(group=points["family"])
    x = alt.X(
        "params:Q",
        title="parameters (log scale)",
        scale=alt.Scale(type="log", nice=False, domain=_log_domain(data["params"])),
        axis=alt.Axis(format="~s"),
    )
    y = alt.Y("acc:Q", title="accuracy", axis=alt.Axis(format="%"))
    base = alt.Chart().encode(x=x, color=_group_colour(present=data["group"]))
    layer = alt.layer(
        base.mark_line(point=True).encode(y=y, tooltip=["model:N", alt.Tooltip("acc:Q", format=".1%")]),
        base.mark_rule().encode(y="low:Q", y2="high:Q"),
        data=data,
    )
    return (
        layer.properties(width=PANEL_WIDTH, height=PANEL_HEIGHT)
        .facet(facet=alt.Facet("operation:N", title=None), columns=2)
        .resolve_scale(y="independent")
        .properties(
            title=chart_title(
                "GPT-3 arithmetic (lm-evaluation-harness, few-shot) of OPT and Pythia-deduped",
                "bars: 95% intervals (2,000 items per task, Agresti-Coull)",
            )
        )
    )


def lofo_chart(errors: pd.DataFrame) -> alt.LayerChart:
    """Per model, absolute error of the size-only prediction against the size-plus-tokens one."""
    require_table(errors, ["family", "model", "size", "size_tokens"], "lofo_chart", "views.lofo_view")
    data = errors.assign(group=errors["family"].where(errors["family"].isin(GROUPS[:3]), "other families"))
    top = float(max(errors["size"].max(), errors["size_tokens"].max()))
    scale = alt.Scale(domain=[0, top * 1.05])
    dots = (
        alt.Chart(data)
        .mark_circle(size=40, opacity=0.8)
        .encode(
            x=alt.X("size:Q", title="error, size alone (accuracy)", scale=scale, axis=alt.Axis(format="%")),
            y=alt.Y("size_tokens:Q", title="error, size + tokens", scale=scale, axis=alt.Axis(format="%")),
            color=_group_colour(),
            tooltip=["model:N", "family:N"],
        )
    )
    diagonal = (
        alt.Chart(pd.DataFrame({"a": [0, top], "b": [0, top]}))
        .mark_line(color="#666666", strokeDash=[4, 3])
        .encode(x="a:Q", y="b:Q")
    )
    return alt.layer(diagonal, dots).properties(
        width=360,
        height=360,
        title=chart_title(
            "Leave one family out: absolute error of each model's MMLU", "below the diagonal: training tokens help"
        ),
    )


def contrast_chart(changes: pd.DataFrame) -> alt.HConcatChart:
    """Per family, change in MMLU against change in 2-digit addition and in GSM8K (points)."""
    require_table(changes, ["family", "d_mmlu", "d_arith_2da", "d_gsm8k"], "contrast_chart", "views.contrast_view")
    data = changes.assign(group=changes["family"].where(changes["family"].isin(GROUPS[:3]), "other families"))
    panels = []
    for column, label in (("d_arith_2da", "Δ 2-digit addition"), ("d_gsm8k", "Δ GSM8K")):
        panels.append(
            alt.Chart(data)
            .mark_circle(size=60)
            .encode(
                x=alt.X(f"{column}:Q", title=label, axis=alt.Axis(format="+%")),
                y=alt.Y("d_mmlu:Q", title="Δ MMLU", axis=alt.Axis(format="+%")),
                color=_group_colour(),
                tooltip=["family:N", "smallest:N", "largest:N"],
            )
            .properties(width=PANEL_WIDTH, height=PANEL_HEIGHT + 40)
        )
    return alt.hconcat(*panels).properties(
        title=chart_title(
            "Knowledge and procedure, smallest to largest model of each family",
            "one point per family with at least two models in the arithmetic file",
        )
    )
