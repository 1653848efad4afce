"""Altair charts of the published Pythia arithmetic chapter, one builder per table of
:mod:`helpers.experiments.published_pythia.views`.

Every arithmetic chart shows **exact match of greedy generation** (free generation, not
lm-evaluation-harness log-likelihood) of the Pythia **deduped v0** models, and says so in its title.
Point estimates carry 95% cluster-robust intervals (first operands as clusters). Every chart fits the
book's ~680 px column by itself (:data:`helpers.render.charts.MAX_CHART_WIDTH`, legends included):
at most two panels side by side of :data:`PANEL_WIDTH` px, titles wrapped into lines, legends below
with at most three columns. A model has the same colour in every chart of the book: a shade of
Pythia's blue, light for the smallest and dark for the largest (:func:`helpers.render.palette.family_shades`,
never another family's colour); parameter counts and
training compute are on log axes whose domains span the data. Missing columns or empty tables raise
:class:`ChartInputError` (:func:`helpers.render.charts.require_table`).
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from helpers.analysis.pythia_arithmetic import FINAL_STEP, PYTHIA_SIZES, SHOTS
from helpers.experiments.published_pythia.views import FIT_CURVE_COLUMNS, METRIC_LABEL, MMLU_LABEL, POINT_COLUMNS
from helpers.render.charts import (  # noqa: F401 (ChartInputError re-exported)
    LEGEND_COLUMNS,
    MAX_FACET_COLUMNS,
    PANEL_WIDTH,
    ROW_SPACING,
    ChartInputError,
    baseline_rule,
    bottom_legend,
    chart_title,
    model_colour,
    model_colours,
    require_table,
    wrap_lines,
)

PANEL_HEIGHT = 180
MODEL_COLORS = model_colours(PYTHIA_SIZES, PYTHIA_SIZES)
"""Pythia size -> colour (:func:`helpers.render.palette.family_shades` of ``"pythia"``), the same in every chart."""
SHOT_COLORS = ("#a6bddb", "#74a9cf", "#3690c0", "#0570b0", "#034e7b")
"""0, 2, 4, 8, 16 shots: light to dark."""
INTERVAL_NOTE = "bars: 95% intervals, first operands as clusters"
POINTS_SOURCE = "helpers.experiments.published_pythia.views.accuracy_points"
PANEL_TITLE_CHARS = 30
"""Characters per line of the title of one of two side-by-side panels."""


def _model_color(sizes) -> alt.Color:
    """Colour by Pythia size over the sizes present, in size order, with the book's fixed colours."""
    present = [size for size in PYTHIA_SIZES if size in set(sizes)]
    return model_colour(
        "size", present, order=PYTHIA_SIZES, columns=LEGEND_COLUMNS, label_expr="'pythia-' + datum.label"
    )


def _shots_color() -> alt.Color:
    return alt.Color(
        "shots:O",
        title="shots",
        scale=alt.Scale(domain=list(SHOTS), range=list(SHOT_COLORS)),
        legend=bottom_legend(len(SHOTS)),
    )


def _log_x(field: str, values: pd.Series, title: str | list[str], labels: str, mantissas: tuple[float, ...]) -> alt.X:
    """Log x axis over ``values`` (padded 15% each side), ticks at ``mantissas`` x powers of ten inside it."""
    low, high = float(np.min(values)) / 1.15, float(np.max(values)) * 1.15
    ticks = [
        m * 10.0**e
        for e in range(int(np.floor(np.log10(low))), int(np.ceil(np.log10(high))) + 1)
        for m in mantissas
        if low <= m * 10.0**e <= high
    ]
    return alt.X(
        f"{field}:Q",
        title=title,
        scale=alt.Scale(type="log", domain=[low, high], nice=False),
        axis=alt.Axis(labelExpr=labels, values=ticks, grid=False),
    )


PARAMS_LABELS = "replace(format(datum.value, '~s'), 'G', 'B')"
COMPUTE_LABELS = "replace(format(datum.value, '.0e'), 'e+', 'e')"


def _params_x(values: pd.Series) -> alt.X:
    return _log_x("n_params", values, "parameters (total, log scale)", PARAMS_LABELS, (1, 3))


def _compute_x(values: pd.Series) -> alt.X:
    return _log_x("compute", values, ["training compute 6·N·D", "(FLOPs, log scale)"], COMPUTE_LABELS, (1,))


def _accuracy_y(field: str = "acc", title: str = "exact-match accuracy", zero: bool = True) -> alt.Y:
    """Accuracy axis in %: from 0 (exact match starts there) or, ``zero=False``, fitted to the data."""
    scale = alt.Scale(zero=True, domainMin=0) if zero else alt.Scale(zero=False, nice=False, padding=8)
    return alt.Y(f"{field}:Q", title=title, scale=scale, axis=alt.Axis(format="%", tickCount=5))


def _tooltip(extra=()) -> list:
    return [
        "model_label:N",
        alt.Tooltip("n_params:Q", format=","),
        "step:Q",
        "shots:O",
        alt.Tooltip("acc:Q", format=".2%"),
        alt.Tooltip("low:Q", format=".2%"),
        alt.Tooltip("high:Q", format=".2%"),
        *extra,
    ]


def _select(points: pd.DataFrame, builder: str, **equal) -> pd.DataFrame:
    require_table(points, POINT_COLUMNS, builder, POINTS_SOURCE)
    mask = np.ones(len(points), dtype=bool)
    for column, value in equal.items():
        mask &= (points[column] == value).to_numpy()
    if not mask.any():
        raise ChartInputError(
            f"{builder}: no rows with {equal}; available: "
            f"{ {column: sorted(points[column].unique().tolist()) for column in equal} }."
        )
    return points[mask]


def _title(text: str, *subtitle: str) -> alt.Title:
    """The chart title with the metric as first subtitle line, wrapped to the column."""
    return chart_title(text, METRIC_LABEL, *subtitle)


def _two_panels(
    layered: alt.LayerChart, field: str, heading: alt.Title, height: int = PANEL_HEIGHT, **facet
) -> alt.FacetChart:
    """``layered`` in panels of :data:`PANEL_WIDTH` px, one per value of ``field``, two per row."""
    return (
        layered.properties(width=PANEL_WIDTH, height=height)
        .facet(facet=alt.Facet(field, **facet), columns=MAX_FACET_COLUMNS, spacing={"row": ROW_SPACING, "column": 16})
        .properties(title=heading)
    )


def _accuracy_layers(data: pd.DataFrame, x: alt.X, color: alt.Color, *, line_opacity: float, **point) -> alt.LayerChart:
    """Accuracy points of ``data`` along ``x``: a line per ``color`` group (``line_opacity``), the 95% interval
    rules and filled points with tooltips (``point``: more options of the point mark, e.g. ``size``)."""
    y = _accuracy_y()
    base = alt.Chart().encode(x=x, color=color)
    layers = [
        base.mark_line(opacity=line_opacity).encode(y=y),
        base.mark_rule().encode(y="low:Q", y2="high:Q"),
        base.mark_point(filled=True, **point).encode(y=y, tooltip=_tooltip()),
    ]
    return alt.layer(*layers, data=data)


def accuracy_vs_params_chart(points: pd.DataFrame, step: int = FINAL_STEP) -> alt.FacetChart:
    """Exact match of greedy generation (Pythia deduped v0) against parameters at ``step``: one line per shot
    count, one panel per operation, 95% cluster intervals. ``points``: ``views.accuracy_points``."""
    data = _select(points, "accuracy_vs_params_chart", step=step)
    return _two_panels(
        _accuracy_layers(data, _params_x(data["n_params"]), _shots_color(), line_opacity=0.7),
        "operation:N",
        _title(f"Arithmetic accuracy against model size, step {step:,}", INTERVAL_NOTE),
        title=None,
    ).resolve_scale(y="independent")


def accuracy_vs_steps_chart(points: pd.DataFrame, operation: str) -> alt.FacetChart:
    """Exact match of greedy generation (Pythia deduped v0) of ``operation`` along training steps: one line per
    model, one panel per shot count, 95% cluster intervals. ``points``: ``views.accuracy_points``."""
    data = _select(points, "accuracy_vs_steps_chart", operation=operation)
    last = int(data["step"].max())
    ticks = [step for step in range(0, last + 1, 40_000)]
    x = alt.X(
        "step:Q",
        title="training step",
        scale=alt.Scale(domain=[0, last], nice=False),
        axis=alt.Axis(values=ticks, labelExpr="datum.value == 0 ? '0' : format(datum.value / 1000, 'd') + 'k'"),
    )
    return _two_panels(
        _accuracy_layers(data, x, _model_color(data["size"]), line_opacity=0.8, size=30),
        "shots:O",
        _title(f"Arithmetic ({operation}) accuracy along training", INTERVAL_NOTE),
        height=140,
        title="shots",
        sort=list(SHOTS),
    )


def accuracy_vs_shots_chart(points: pd.DataFrame, step: int = FINAL_STEP) -> alt.FacetChart:
    """Exact match of greedy generation (Pythia deduped v0) against the number of shots at ``step``: one line
    per model, one panel per operation, 95% cluster intervals. ``points``: ``views.accuracy_points``."""
    data = _select(points, "accuracy_vs_shots_chart", step=step)
    x = alt.X("shots:O", title="shots (in-context examples)", sort=list(SHOTS), axis=alt.Axis(labelAngle=0))
    return _two_panels(
        _accuracy_layers(data, x, _model_color(data["size"]), line_opacity=0.8),
        "operation:N",
        _title(f"Arithmetic accuracy against shots, step {step:,}", INTERVAL_NOTE),
        title=None,
    ).resolve_scale(y="independent")


def fit_chart(curves: pd.DataFrame) -> alt.FacetChart:
    """Exact match of greedy generation against compute, with the compute x shots fit over it, per shot count.

    ``curves``: :func:`helpers.experiments.published_pythia.views.fit_curves`. Solid line: the fit on all
    models; dashed: the fit without the held-out (largest) model, whose points are crosses.
    """
    require_table(
        curves,
        [*FIT_CURVE_COLUMNS, "operation"],
        "fit_chart",
        "helpers.experiments.published_pythia.views.fit_curves",
    )
    observed = curves[curves["layer"] == "observed"]
    if observed.empty:
        raise ChartInputError("fit_chart: the table has no observed rows; pass views.fit_curves().")
    operation = str(curves["operation"].iloc[0])
    fits = sorted(layer for layer in curves["layer"].unique() if layer != "observed")
    held = observed.loc[observed["held_out"].astype(bool), "model_label"].drop_duplicates()
    held_out = ", ".join(held) if len(held) else "none"
    x, y = _compute_x(curves["compute"]), _accuracy_y()
    points = (
        alt.Chart().transform_filter(alt.datum.layer == "observed").encode(x=x, color=_model_color(observed["size"]))
    )
    layers = [
        alt.Chart()
        .transform_filter(alt.datum.layer != "observed")
        .mark_line(color="#444444", strokeWidth=1.5)
        .encode(
            x=x,
            y=y,
            strokeDash=alt.StrokeDash(
                "layer:N",
                title="fit",
                sort=fits,
                scale=alt.Scale(domain=fits, range=[[1, 0], [6, 3]][: len(fits)]),
                legend=None,
            ),
        ),
        points.mark_rule().encode(y="low:Q", y2="high:Q"),
        points.mark_point(size=45, filled=True).encode(
            y=y,
            shape=alt.Shape(
                "held_out:N",
                title="points",
                scale=alt.Scale(domain=[False, True], range=["circle", "cross"]),
                legend=None,
            ),
            tooltip=_tooltip(["held_out:N"]),
        ),
    ]
    return _two_panels(
        alt.layer(*layers, data=curves),
        "shots:O",
        _title(
            f"Arithmetic ({operation}): binomial GLM in training compute C and shots s",
            "logit(acc) = b0 + b1·log10 C + b2·log2(1+s) + b3·log10 C·log2(1+s)",
            f"grey lines: the fit on all models (solid) and without the held-out model (dashed); "
            f"crosses: that model ({held_out}); bars: 95% cluster intervals",
        ),
        height=150,
        title="shots",
        sort=list(SHOTS),
    )


def compute_comparison_chart(comparison: pd.DataFrame) -> alt.HConcatChart:
    """Arithmetic exact match of greedy generation (left) and published MMLU-math log-likelihood accuracy (right)
    against the same training-compute axis.

    ``comparison``: :func:`helpers.experiments.published_pythia.views.compute_comparison`. Both panels share
    the log x domain and the model colours; MMLU-math has its chance line (0.25).
    """
    require_table(
        comparison,
        ["panel", "setting", "model", "size", "n_params", "step", "compute", "value", "low", "high"],
        "compute_comparison_chart",
        "helpers.experiments.published_pythia.views.compute_comparison",
    )
    panels = set(comparison["panel"])
    if panels != {"arithmetic", "MMLU-math"}:
        raise ChartInputError(f"compute_comparison_chart needs panels arithmetic and MMLU-math; got {sorted(panels)}.")
    x, color = _compute_x(comparison["compute"]), _model_color(comparison["size"])
    tooltip = [
        "model:N",
        alt.Tooltip("n_params:Q", format=","),
        "step:Q",
        alt.Tooltip("compute:Q", format=".2e"),
        alt.Tooltip("value:Q", format=".2%"),
        alt.Tooltip("low:Q", format=".2%"),
        alt.Tooltip("high:Q", format=".2%"),
    ]

    def panel(name: str, y_title: str, title: str, chance: float | None = None) -> alt.LayerChart:
        data = comparison[comparison["panel"] == name]
        y = _accuracy_y("value", y_title, zero=chance is None)
        base = alt.Chart(data).encode(x=x, color=color)
        layers = [
            base.mark_line(opacity=0.8).encode(y=y),
            base.mark_rule().encode(y="low:Q", y2="high:Q"),
            base.mark_point(filled=True, size=30).encode(y=y, tooltip=tooltip),
        ]
        if chance is not None:
            layers.append(baseline_rule(chance, data=data))
        setting = str(data["setting"].iloc[0])
        lines = wrap_lines(title, PANEL_TITLE_CHARS)
        return alt.layer(*layers).properties(
            width=PANEL_WIDTH, height=PANEL_HEIGHT, title=alt.Title(lines, subtitle=setting)
        )

    arithmetic = panel("arithmetic", "exact-match accuracy", "Arithmetic (greedy generation, deduped v0)")
    mmlu = panel("MMLU-math", "MMLU-math accuracy", "MMLU-math (published, v1 runs)", chance=0.25)
    return (
        alt.hconcat(arithmetic, mmlu, spacing=16)
        .resolve_scale(color="shared", x="shared")
        .properties(
            title=chart_title(
                "Accuracy against training compute",
                f"left: {METRIC_LABEL}",
                f"right: {MMLU_LABEL}; dashed: chance",
                "bars: 95% intervals (arithmetic: operands as clusters)",
            )
        )
    )
