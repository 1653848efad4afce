"""Altair chart builders shared by the experiment notebooks: one function per chart.

Each builder takes a tidy table from :mod:`helpers.experiments.scaling.views` (or a sibling module) and
returns an Altair chart; styling (fonts, palette, sizes) comes from the theme that
:func:`helpers.render.plots.enable` switches on, so the builders set only what the chart means:
encodings, log scales, interval rules, chance lines and facets. Every point estimate carries an
interval (``mark_rule`` from ``low`` to ``high``) and every accuracy axis a dashed chance line.

Facetted charts layer marks over one shared data set (Vega-Lite's facet needs the data at the
top level), so layers with different roles select their rows with ``transform_filter``.
"""

from __future__ import annotations

from typing import Sequence

import altair as alt
import pandas as pd


CHANCE_STYLE = {"color": "#666666", "strokeDash": [5, 4], "strokeWidth": 1.5}
METRICS = {
    "loss": ("loss", "gold-answer cross-entropy (nats per token)"),
    "accuracy": ("accuracy", "accuracy"),
}
"""Our metrics: name -> (column of model_summary, axis title)."""


class ChartInputError(ValueError):
    """A chart builder was given a table without the columns or values it draws."""


def require_table(table: pd.DataFrame, columns: Sequence[str], builder: str, source: str,
                  error: type[ValueError] = ChartInputError) -> None:
    """Raise ``error`` unless ``table`` is a non-empty DataFrame with ``columns`` (shared by every chart module)."""
    if not isinstance(table, pd.DataFrame):
        raise error(f"{builder} needs a DataFrame from {source}; got {type(table).__name__}.")
    missing = [column for column in columns if column not in table.columns]
    if missing:
        raise error(f"{builder}: the table lacks columns {missing}; pass the output of {source}.")
    if table.empty:
        raise error(f"{builder}: the table is empty; {source} found nothing to show.")





def log_x(field: str, title: str) -> alt.X:
    """Log-scaled x axis with SI labels (100M, 1G) for parameter counts and steps."""
    return alt.X(f"{field}:Q", scale=alt.Scale(type="log"), title=title, axis=alt.Axis(format="~s", grid=False))


def chance_rule(value_field: str = "chance") -> alt.Chart:
    """Dashed horizontal line at the (mean) chance level of each facet; rows without one are skipped."""
    return (
        alt.Chart()
        .transform_filter(f"isValid(datum.{value_field})")
        .mark_rule(**CHANCE_STYLE)
        .encode(y=f"mean({value_field}):Q")
    )


# ----------------------------------------------------------------------------- our measurements
