"""Charts of the scaling chapter: loss and accuracy against parameters, fits, published results."""

from __future__ import annotations

import altair as alt
import pandas as pd

from helpers.experiments.scaling.views import size_long
from helpers.render.charts import CHANCE_STYLE, METRICS, ChartInputError, chance_rule, log_x, require_table


def scale_chart(summary: pd.DataFrame, metric: str = "loss") -> alt.FacetChart:
    """``metric`` ("loss" or "accuracy") against parameter count, per task kind and size basis.

    ``summary`` is :func:`helpers.experiments.scaling.views.model_summary`. Columns of the grid are task
    kinds, rows the size basis (total vs non-embedding parameters); colour is the family.
    Points with interval rules (Wilson for accuracy, bootstrap for loss), a line per family,
    and for accuracy the chance line.
    """
    if metric not in METRICS:
        raise ChartInputError(f"scale_chart: metric={metric!r}; choose one of {list(METRICS)}.")
    column, axis_title = METRICS[metric]
    require_table(summary, ["family", "model_id", "kind", "n_params_total", "n_params_nonembedding",
                       column, f"{column}_low", f"{column}_high", "chance"],
             "scale_chart", "helpers.experiments.scaling.views.model_summary")
    data = size_long(summary)
    x = log_x("n_params", "parameters")
    y = alt.Y(f"{column}:Q", title=axis_title, scale=alt.Scale(zero=metric == "accuracy"))
    color = alt.Color("family:N", title="family")
    tooltip = ["family:N", "model_id:N", "kind:N", "n_params:Q", alt.Tooltip(f"{column}:Q", format=".3f"),
               alt.Tooltip(f"{column}_low:Q", format=".3f"), alt.Tooltip(f"{column}_high:Q", format=".3f")]
    base = alt.Chart()
    layers = [
        base.mark_line(opacity=0.6).encode(x=x, y=y, color=color, detail="family:N"),
        base.mark_rule().encode(x=x, y=f"{column}_low:Q", y2=f"{column}_high:Q", color=color),
        base.mark_point(filled=True).encode(x=x, y=y, color=color, tooltip=tooltip),
    ]
    if metric == "accuracy":
        layers.append(chance_rule())
    return alt.layer(*layers, data=data).properties(width=220, height=180).facet(
        row=alt.Row("size_basis:N", title="size basis"),
        column=alt.Column("kind:N", title="task kind"),
    ).resolve_scale(x="independent")


def fit_chart(summary: pd.DataFrame, curves: pd.DataFrame) -> alt.FacetChart:
    """Measured loss per model (points, interval rules) with the fitted power laws over them.

    ``summary``: :func:`~helpers.experiments.scaling.views.model_summary`; ``curves``:
    :func:`~helpers.experiments.scaling.views.fit_curves` (line plus the bootstrap band). Families without a
    fit show their points only.
    """
    require_table(summary, ["family", "model_id", "kind", "loss", "loss_low", "loss_high",
                       "n_params_total", "n_params_nonembedding"],
             "fit_chart", "helpers.experiments.scaling.views.model_summary")
    expected = ["family", "kind", "size_basis", "n_params", "loss", "loss_low", "loss_high"]
    missing = [column for column in expected if column not in curves.columns]
    if missing:
        raise ChartInputError(f"fit_chart: curves lack columns {missing}; pass helpers.experiments.scaling.views.fit_curves.")
    measured = size_long(summary)[["family", "model_id", "kind", "size_basis", "n_params",
                                   "loss", "loss_low", "loss_high"]].assign(layer="measured")
    data = pd.concat([measured, curves[expected].assign(layer="fit", model_id="")], ignore_index=True)
    x = log_x("n_params", "parameters")
    y = alt.Y("loss:Q", title=METRICS["loss"][1], scale=alt.Scale(zero=False))
    color = alt.Color("family:N", title="family")
    fitted = alt.Chart().transform_filter(alt.datum.layer == "fit")
    points = alt.Chart().transform_filter(alt.datum.layer == "measured")
    layers = [
        fitted.mark_area(opacity=0.15).encode(x=x, y="loss_low:Q", y2="loss_high:Q", color=color),
        fitted.mark_line(strokeDash=[6, 3]).encode(x=x, y=y, color=color),
        points.mark_rule().encode(x=x, y="loss_low:Q", y2="loss_high:Q", color=color),
        points.mark_point(filled=True).encode(
            x=x, y=y, color=color, tooltip=["family:N", "model_id:N", "n_params:Q", alt.Tooltip("loss:Q", format=".3f")]),
    ]
    return alt.layer(*layers, data=data).properties(width=220, height=180).facet(
        row=alt.Row("size_basis:N", title="size basis"),
        column=alt.Column("kind:N", title="task kind"),
    ).resolve_scale(x="independent")


# ----------------------------------------------------------------------------- published results


def published_mmlu_chart(mmlu: pd.DataFrame) -> alt.FacetChart:
    """Published MMLU-math accuracy against parameters, one panel per setting (e.g. "0-shot acc").

    ``mmlu``: :func:`helpers.experiments.scaling.views.published_mmlu_table` (``low``/``high`` = ±2 stderr).
    """
    require_table(mmlu, ["family", "model", "params", "setting", "value", "low", "high", "chance"],
             "published_mmlu_chart", "helpers.experiments.scaling.views.published_mmlu_table")
    x = log_x("params", "parameters")
    y = alt.Y("value:Q", title="MMLU-math accuracy", scale=alt.Scale(zero=False))
    color = alt.Color("family:N", title="family")
    layers = [
        alt.Chart().mark_line(opacity=0.5).encode(x=x, y=y, color=color, detail="family:N"),
        alt.Chart().mark_rule().encode(x=x, y="low:Q", y2="high:Q", color=color),
        alt.Chart().mark_point(filled=True).encode(
            x=x, y=y, color=color,
            tooltip=["model:N", "params:Q", "setting:N", alt.Tooltip("value:Q", format=".4f"),
                     alt.Tooltip("stderr:Q", format=".4f")]),
        chance_rule(),
    ]
    settings = mmlu["setting"].drop_duplicates().tolist()
    return alt.layer(*layers, data=mmlu).properties(width=260, height=200).facet(
        facet=alt.Facet("setting:N", title=None, sort=settings), columns=2)


def lambada_chart(lambada: pd.DataFrame) -> alt.Chart:
    """Published LAMBADA (OpenAI) perplexity against parameters, log-log, with ±2 stderr rules.

    ``lambada``: :func:`helpers.experiments.scaling.views.published_lambada_table`.
    """
    require_table(lambada, ["family", "model", "params", "ppl", "ppl_low", "ppl_high"],
             "lambada_chart", "helpers.experiments.scaling.views.published_lambada_table")
    x = log_x("params", "parameters")
    y = alt.Y("ppl:Q", scale=alt.Scale(type="log"), title="LAMBADA perplexity (per target word)")
    color = alt.Color("family:N", title="family")
    base = alt.Chart(lambada)
    return alt.layer(
        base.mark_line(opacity=0.6).encode(x=x, y=y, color=color, detail="family:N"),
        base.mark_rule().encode(x=x, y="ppl_low:Q", y2="ppl_high:Q", color=color),
        base.mark_point(filled=True).encode(
            x=x, y=y, color=color, tooltip=["model:N", "params:Q", alt.Tooltip("ppl:Q", format=".2f")]),
    ).properties(width=480, height=300)


def training_steps_chart(training: pd.DataFrame) -> alt.FacetChart:
    """Published MMLU-math accuracy along training steps (log axis), one panel per Pythia size.

    ``training``: :func:`helpers.experiments.scaling.views.published_training_table`. Colour is the run
    (standard vs deduped); the band is ±2 stderr; crosses mark the suspect 2.8b rows.
    """
    require_table(training, ["family", "model", "params", "size", "step", "value", "low", "high", "suspect", "chance"],
             "training_steps_chart", "helpers.experiments.scaling.views.published_training_table")
    x = log_x("step", "training step")
    y = alt.Y("value:Q", title="MMLU-math accuracy", scale=alt.Scale(zero=False))
    color = alt.Color("family:N", title="run")
    sizes = training.sort_values("params", kind="stable")["size"].drop_duplicates().tolist()
    layers = [
        alt.Chart().mark_area(opacity=0.15).encode(x=x, y="low:Q", y2="high:Q", color=color),
        alt.Chart().mark_line().encode(x=x, y=y, color=color),
        alt.Chart().transform_filter(alt.datum.suspect).mark_point(shape="cross", size=50, filled=True).encode(
            x=x, y=y, color=color, tooltip=["model:N", "step:Q", alt.Tooltip("value:Q", format=".4f"), "suspect:N"]),
        chance_rule(),
    ]
    return alt.layer(*layers, data=training).properties(width=180, height=140).facet(
        facet=alt.Facet("size:N", title="Pythia size", sort=sizes), columns=4)
