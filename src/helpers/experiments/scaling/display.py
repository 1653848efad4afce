"""Numbers and tables for readers: rounded to what their interval supports, never a raw dump.

Shared by the scaling and task-contrast chapters. The number formatters live in
:mod:`helpers.render.numbers` (one set for the whole report, one p-value rule) and are re-exported here:

* :func:`pct`, :func:`pct_interval`: proportions as percentages, ``"21.3% [19.0%, 23.9%]"``;
  :func:`points_interval`: differences in percentage points, ``"+15 pts [-6, +34]"``;
  :func:`number_interval`: any other number (losses in nats) with its interval.
  The number of decimals follows the interval's width (:func:`decimals_for`): about two
  significant digits of the width, so a 65-point-wide interval prints whole percents and a
  0.6-point-wide one two decimals. No scientific notation anywhere.
* :func:`p_text`: ``"p = 0.031"``, ``"p = 0.214"``, ``"p < 0.001"``; :func:`ratio_text`: ``"36x"``.
* :func:`reader_table`: a DataFrame of already formatted cells -> a MyST pipe table with labelled
  columns, collapsed in a ``<details>`` block when it is long.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import pandas as pd

from helpers.render.markdown import markdown_table
from helpers.render.numbers import (  # noqa: F401  (the chapters' formatters, from their one home)
    MISSING,
    decimals_for,
    number,
    number_interval,
    p_text,
    pct,
    pct_interval,
    points_interval,
    ratio_text,
    relative_interval,
)
from helpers.render.tables import with_download

MAX_ROWS = 12
"""Tables longer than this are collapsed (``<details>``) in the notebooks."""


def count_text(n: int, noun: str) -> str:
    """``count_text(1, "model") == "1 model"``, ``count_text(3, "family") == "3 families"``."""
    if n == 1:
        return f"1 {noun}"
    plural = noun[:-1] + "ies" if noun.endswith("y") and noun[-2:-1] not in tuple("aeiou") else noun + "s"
    return f"{n:,} {plural}"


def listing(items: Sequence[str]) -> str:
    """``["a", "b", "c"] -> "a, b and c"``."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


# ----------------------------------------------------------------------------- tables


def reader_table(
    frame: pd.DataFrame,
    labels: Mapping[str, str],
    *,
    summary: str | None = None,
    max_rows: int = MAX_ROWS,
    filename: str | None = None,
) -> str:
    """Markdown pipe table of the columns in ``labels`` (column -> header), cells as text, with the
    CSV download of its rows below it (:func:`helpers.render.tables.with_download`).

    Tables longer than ``max_rows`` are wrapped in ``<details>`` with ``summary`` (default: the
    row count), so the page stays short and nothing is hidden for good; the download stays
    visible below. ``filename`` names the download (default: from the headers). An empty frame
    gives ``"(no rows)"``.
    """
    missing = [column for column in labels if column not in frame.columns]
    if missing:
        raise ValueError(f"reader_table: the frame lacks columns {missing}; it has {list(frame.columns)}.")
    if frame.empty:
        return "(no rows)"
    rows = [
        [MISSING if _is_missing(value) else value for value in record]
        for record in frame[list(labels)].itertuples(index=False)
    ]
    table = markdown_table(list(labels.values()), rows)
    if len(frame) > max_rows:
        label = summary or f"Show the table ({len(frame)} rows)"
        table = f"<details>\n<summary>{label}</summary>\n\n{table}\n\n</details>"
    shown = pd.DataFrame(rows, columns=list(labels.values()))
    return with_download(table, shown, filename)


def _is_missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))
