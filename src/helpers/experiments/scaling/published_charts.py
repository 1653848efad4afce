"""Charts of the published reference results (MMLU-math, LAMBADA, Pythia's training steps).

Same rules as :mod:`~helpers.experiments.scaling.charts`: at most two facet columns, legend at
the bottom, one colour per family from the chapter's palette, lines only within a family, log
axes fitted to the data.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd

from helpers.render.charts import baseline_rule, family_color, require_table, size_axis

PANEL_WIDTH = 250
PANEL_HEIGHT = 170


def published_mmlu_chart(mmlu: pd.DataFrame, *, palette: Sequence[str] | None = None) -> alt.FacetChart:
    """Published MMLU-math accuracy against parameters, one panel per setting (e.g. "0-shot acc").

    ``mmlu``: :func:`helpers.experiments.scaling.published.published_mmlu_table` (``low``/``high``:
    exact 95% intervals).
    """
    require_table(
        mmlu,
        ["family", "model", "params", "setting", "value", "low", "high", "chance"],
        "published_mmlu_chart",
        "helpers.experiments.scaling.published.published_mmlu_table",
    )
    families = list(dict.fromkeys(mmlu["family"]))
    x = size_axis("params", mmlu["params"])
    y = alt.Y("value:Q", title="MMLU-math accuracy", scale=alt.Scale(zero=False))
    color = family_color("family", families, palette)
    layers = [
        alt.Chart().mark_line(opacity=0.5).encode(x=x, y=y, color=color, detail="family:N"),
        alt.Chart().mark_rule().encode(x=x, y="low:Q", y2="high:Q", color=color),
        alt.Chart()
        .mark_point(filled=True)
        .encode(
            x=x,
            y=y,
            color=color,
            tooltip=[
                "model:N",
                alt.Tooltip("params:Q", format=",.0f"),
                "setting:N",
                alt.Tooltip("value:Q", format=".4f"),
                alt.Tooltip("low:Q", format=".4f"),
                alt.Tooltip("high:Q", format=".4f"),
            ],
        ),
        baseline_rule("chance"),
    ]
    settings = mmlu["setting"].drop_duplicates().tolist()
    return (
        alt.layer(*layers, data=mmlu)
        .properties(width=PANEL_WIDTH, height=PANEL_HEIGHT)
        .facet(facet=alt.Facet("setting:N", title=None, sort=settings), columns=2)
    )


def lambada_chart(lambada: pd.DataFrame, *, palette: Sequence[str] | None = None) -> alt.LayerChart:
    """Published LAMBADA (OpenAI) perplexity against parameters, log-log, with ±2 stderr rules.

    ``lambada``: :func:`helpers.experiments.scaling.published.published_lambada_table`.
    """
    require_table(
        lambada,
        ["family", "model", "params", "ppl", "ppl_low", "ppl_high"],
        "lambada_chart",
        "helpers.experiments.scaling.published.published_lambada_table",
    )
    families = list(dict.fromkeys(lambada["family"]))
    x = size_axis("params", lambada["params"])
    y = alt.Y("ppl:Q", scale=alt.Scale(type="log"), title="LAMBADA perplexity (target word)")
    color = family_color("family", families, palette)
    base = alt.Chart(lambada)
    return alt.layer(
        base.mark_line(opacity=0.6).encode(x=x, y=y, color=color, detail="family:N"),
        base.mark_rule().encode(x=x, y="ppl_low:Q", y2="ppl_high:Q", color=color),
        base.mark_point(filled=True).encode(
            x=x,
            y=y,
            color=color,
            tooltip=["model:N", alt.Tooltip("params:Q", format=",.0f"), alt.Tooltip("ppl:Q", format=".2f")],
        ),
    ).properties(width=520, height=300)


def training_steps_chart(training: pd.DataFrame, *, palette: Sequence[str] | None = None) -> alt.FacetChart:
    """Published MMLU-math accuracy along training steps (log axis), one panel per Pythia size (2 columns).

    ``training``: :func:`helpers.experiments.scaling.published.published_training_table`. Colour is the
    run (standard vs deduped, the family colours); the band is ±2 stderr; crosses mark the
    suspect 2.8b rows.
    """
    require_table(
        training,
        ["family", "model", "params", "size", "step", "value", "low", "high", "suspect", "chance"],
        "training_steps_chart",
        "helpers.experiments.scaling.published.published_training_table",
    )
    families = list(dict.fromkeys(training["family"]))
    x = size_axis("step", training["step"], "training step (log scale)")
    y = alt.Y("value:Q", title="MMLU-math accuracy", scale=alt.Scale(zero=False))
    color = family_color("family", families, palette, title="run")
    sizes = training.sort_values("params", kind="stable")["size"].drop_duplicates().tolist()
    layers = [
        alt.Chart().mark_line().encode(x=x, y=y, color=color, detail="family:N"),
        alt.Chart().mark_area(opacity=0.15).encode(x=x, y="low:Q", y2="high:Q", color=color, detail="family:N"),
        alt.Chart()
        .transform_filter(alt.datum.suspect)
        .mark_point(shape="cross", size=50, filled=True)
        .encode(
            x=x, y=y, color=color, tooltip=["model:N", "step:Q", alt.Tooltip("value:Q", format=".4f"), "suspect:N"]
        ),
        baseline_rule("chance"),
    ]
    return (
        alt.layer(*layers, data=training)
        .properties(width=PANEL_WIDTH, height=150)
        .facet(facet=alt.Facet("size:N", title="Pythia size", sort=sizes), columns=2)
    )
