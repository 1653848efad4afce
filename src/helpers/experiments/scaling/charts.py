"""Charts of the scaling chapter's own measurements: loss and accuracy against parameters, fits.

Every chart fits the book's ~700 px column (at most two facet columns, legend at the bottom),
colours a family the same in every figure (:mod:`~helpers.render.palette`: pass
the chapter's ``palette``), joins points by a line only within a family (a family differs in
size only; a lone model is a point), and fits its log axis to the data. Each point carries its
interval (Wilson for accuracy, bootstrap for loss) and every accuracy panel its chance line.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd

from helpers.experiments.scaling.views import SIZE_BASES, kind_rank, size_long
from helpers.render.charts import ChartInputError, baseline_rule, family_color, require_table, size_axis

PANEL_WIDTH = 250
PANEL_HEIGHT = 170
FACET_COLUMNS = 2
METRICS = {"loss": ("loss", "loss (nats/token)"), "accuracy": ("accuracy", "accuracy")}
"""Our metrics: name -> (column of model_summary, a short axis title that fits a panel's height)."""


def _kind_sort(kinds) -> list[str]:
    return sorted(dict.fromkeys(kinds), key=kind_rank)


def _with_labels(data: pd.DataFrame, labels: dict[str, str] | None) -> pd.DataFrame:
    return data.assign(kind_label=data["kind"].map(lambda kind: (labels or {}).get(kind, kind)))


def _kind_panels(layers: Sequence[alt.Chart], data: pd.DataFrame, y_scale: str) -> alt.FacetChart:
    """``layers`` over ``data``, one panel per task kind (:data:`FACET_COLUMNS` a row, in kind order);
    ``y_scale``: "independent" or "shared" y axes across the panels."""
    kinds = _kind_sort(data["kind"])
    order = [label for label in dict.fromkeys(data.set_index("kind").loc[kinds, "kind_label"])]
    facet = alt.Facet("kind_label:N", title=None, sort=order, header=alt.Header(labelFontWeight="bold"))
    return (
        alt.layer(*layers, data=data)
        .properties(width=PANEL_WIDTH, height=PANEL_HEIGHT)
        .facet(facet=facet, columns=FACET_COLUMNS)
        .resolve_scale(y=y_scale)
    )


def scale_chart(
    summary: pd.DataFrame,
    metric: str = "loss",
    *,
    size_basis: str = "total",
    palette: Sequence[str] | None = None,
    labels: dict[str, str] | None = None,
) -> alt.FacetChart:
    """``metric`` ("loss" or "accuracy") against parameter count, one panel per task kind (2 columns).

    ``summary`` is :func:`helpers.experiments.scaling.views.model_summary`; ``size_basis`` "total"
    or "non-embedding"; ``palette`` the chapter's ordered family list (fixes colours);
    ``labels`` task kind -> panel title. Points with interval rules, a line per family, and for
    accuracy the chance line.
    """
    if metric not in METRICS:
        raise ChartInputError(f"scale_chart: metric={metric!r}; choose one of {list(METRICS)}.")
    if size_basis not in SIZE_BASES:
        raise ChartInputError(f"scale_chart: size_basis={size_basis!r}; choose one of {list(SIZE_BASES)}.")
    column, axis_title = METRICS[metric]
    require_table(
        summary,
        [
            "family",
            "model_id",
            "kind",
            "n_params_total",
            "n_params_nonembedding",
            column,
            f"{column}_low",
            f"{column}_high",
            "chance",
        ],
        "scale_chart",
        "helpers.experiments.scaling.views.model_summary",
    )
    data = _with_labels(size_long(summary), labels)
    data = data[data["size_basis"] == size_basis].reset_index(drop=True)
    families = list(dict.fromkeys(data["family"]))
    x = size_axis("n_params", data["n_params"], f"parameters ({size_basis}, log scale)")
    y = alt.Y(f"{column}:Q", title=axis_title, scale=alt.Scale(zero=metric == "accuracy"))
    color = family_color("family", families, palette)
    tooltip = [
        "family:N",
        "model_id:N",
        "kind:N",
        alt.Tooltip("n_params:Q", format=",.0f"),
        alt.Tooltip(f"{column}:Q", format=".3f"),
        alt.Tooltip(f"{column}_low:Q", format=".3f"),
        alt.Tooltip(f"{column}_high:Q", format=".3f"),
    ]
    layers = [
        alt.Chart().mark_line(opacity=0.6).encode(x=x, y=y, color=color, detail="family:N"),
        alt.Chart().mark_rule().encode(x=x, y=f"{column}_low:Q", y2=f"{column}_high:Q", color=color),
        alt.Chart().mark_point(filled=True).encode(x=x, y=y, color=color, tooltip=tooltip),
    ]
    if metric == "accuracy":
        layers.append(baseline_rule("chance"))
        if "majority" in data.columns and data["majority"].notna().any():  # unbalanced labels: always the majority
            layers.append(baseline_rule("majority", "majority"))
    return _kind_panels(layers, data, "independent" if metric == "loss" else "shared")


def fit_chart(
    summary: pd.DataFrame,
    curves: pd.DataFrame,
    *,
    size_basis: str = "total",
    palette: Sequence[str] | None = None,
    labels: dict[str, str] | None = None,
) -> alt.FacetChart:
    """Measured loss per model (points, interval rules) with each family's fitted power law over them.

    ``summary``: :func:`~helpers.experiments.scaling.views.model_summary`; ``curves``:
    :func:`~helpers.experiments.scaling.fits.fit_curves` (line plus the bootstrap band). A
    family without a fit shows its points only: no line is drawn between its models.
    """
    require_table(
        summary,
        ["family", "model_id", "kind", "loss", "loss_low", "loss_high", "n_params_total", "n_params_nonembedding"],
        "fit_chart",
        "helpers.experiments.scaling.views.model_summary",
    )
    expected = ["family", "kind", "size_basis", "n_params", "loss", "loss_low", "loss_high"]
    missing = [column for column in expected if column not in curves.columns]
    if missing:
        raise ChartInputError(
            f"fit_chart: curves lack columns {missing}; pass helpers.experiments.scaling.fits.fit_curves."
        )
    measured = size_long(summary)[
        ["family", "model_id", "kind", "size_basis", "n_params", "loss", "loss_low", "loss_high"]
    ].assign(layer="measured")
    fitted = curves[expected].assign(layer="fit", model_id="")
    data = pd.concat([measured, fitted], ignore_index=True)
    data = _with_labels(data[data["size_basis"] == size_basis].reset_index(drop=True), labels)
    families = list(dict.fromkeys(data["family"]))
    x = size_axis("n_params", data["n_params"], f"parameters ({size_basis}, log scale)")
    y = alt.Y("loss:Q", title=METRICS["loss"][1], scale=alt.Scale(zero=False))
    color = family_color("family", families, palette)
    fit_rows = alt.Chart().transform_filter(alt.datum.layer == "fit")
    points = alt.Chart().transform_filter(alt.datum.layer == "measured")
    layers = [
        fit_rows.mark_area(opacity=0.15).encode(x=x, y="loss_low:Q", y2="loss_high:Q", color=color, detail="family:N"),
        fit_rows.mark_line(strokeDash=[6, 3]).encode(x=x, y=y, color=color, detail="family:N"),
        points.mark_rule().encode(x=x, y="loss_low:Q", y2="loss_high:Q", color=color),
        points.mark_point(filled=True).encode(
            x=x,
            y=y,
            color=color,
            tooltip=[
                "family:N",
                "model_id:N",
                alt.Tooltip("n_params:Q", format=",.0f"),
                alt.Tooltip("loss:Q", format=".3f"),
            ],
        ),
    ]
    return _kind_panels(layers, data, "independent")
