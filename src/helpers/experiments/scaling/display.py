"""Numbers and tables for readers: rounded to what their interval supports, never a raw dump.

Shared by the scaling and task-contrast chapters. Every formatter returns text:

* :func:`pct`, :func:`pct_interval`: proportions as percentages, ``"21.3% [19.0%, 23.9%]"``;
  :func:`points_interval`: differences in percentage points, ``"+15 pts [-6, +34]"``;
  :func:`number_interval`: any other number (losses in nats) with its interval.
  The number of decimals follows the interval's width (:func:`decimals_for`): about two
  significant digits of the width, so a 65-point-wide interval prints whole percents and a
  0.6-point-wide one two decimals. No scientific notation anywhere.
* :func:`p_text`: ``"p = 0.031"``, ``"p < 0.001"``; :func:`ratio_text`: ``"36x"``.
* :func:`reader_table`: a DataFrame of already formatted cells -> a MyST pipe table with labelled
  columns, collapsed in a ``<details>`` block when it is long.
"""

from __future__ import annotations

import math
from typing import Mapping, Sequence

import pandas as pd

from helpers.render.markdown import markdown_table
from helpers.render.tables import with_download

MAX_ROWS = 12
"""Tables longer than this are collapsed (``<details>``) in the notebooks."""
MISSING = "—"


def _finite(*values) -> bool:
    return all(value is not None and isinstance(value, (int, float)) and math.isfinite(value) for value in values)


def decimals_for(width: float, *, scale: float = 1.0, most: int = 2) -> int:
    """Decimals that show an interval of ``width`` (in display units after ``scale``) to ~2 digits.

    ``decimals_for(65) == 0``, ``decimals_for(5) == 1``, ``decimals_for(0.6) == 2``; a zero or
    missing width gives 1 (an exact value needs no more).
    """
    shown = abs(width) * scale if _finite(width) else math.nan
    if not math.isfinite(shown) or shown == 0:
        return min(1, most)
    return int(min(most, max(0, 1 - math.floor(math.log10(shown)))))


def pct(value: float, digits: int = 1) -> str:
    """``0.2133 -> "21.3%"`` (``digits`` decimals); NaN -> ``"—"``; never ``"-0%"``."""
    if not _finite(value):
        return MISSING
    return f"{round(100 * value, digits) + 0.0:.{digits}f}%"


def pct_interval(value: float, low: float, high: float, most: int = 2) -> str:
    """``"25% [5%, 70%]"``, decimals from the interval width; no interval -> the value alone."""
    if not _finite(low, high):
        return pct(value, 1)
    digits = decimals_for(high - low, scale=100, most=most)
    return f"{pct(value, digits)} [{pct(low, digits)}, {pct(high, digits)}]"


def _signed(value: float, digits: int) -> str:
    text = f"{round(value, digits) + 0.0:+.{digits}f}"
    return "0" if float(text) == 0 and digits == 0 else text


def points_interval(difference: float, low: float, high: float, most: int = 1) -> str:
    """A difference of proportions in percentage points: ``"+15 pts [-6, +34]"``."""
    if not _finite(difference):
        return MISSING
    digits = decimals_for(high - low, scale=100, most=most) if _finite(low, high) else 1
    text = f"{_signed(100 * difference, digits)} pts"
    if _finite(low, high):
        text += f" [{_signed(100 * low, digits)}, {_signed(100 * high, digits)}]"
    return text


def number(value: float, digits: int = 2) -> str:
    """A plain number with ``digits`` decimals (no exponent); NaN -> ``"—"``."""
    return f"{value:,.{digits}f}" if _finite(value) else MISSING


def number_interval(value: float, low: float, high: float, most: int = 4) -> str:
    """``"2.31 [2.20, 2.45]"``: decimals from the interval width (at most ``most``)."""
    if not _finite(value):
        return MISSING
    if not _finite(low, high):
        return number(value, 2)
    digits = decimals_for(high - low, most=most)
    return f"{number(value, digits)} [{number(low, digits)}, {number(high, digits)}]"


def relative_interval(change: float, low: float, high: float) -> str:
    """A relative change as a signed percentage: ``"-11% [-14%, -8%]"``."""
    if not _finite(change):
        return MISSING
    digits = decimals_for(high - low, scale=100, most=1) if _finite(low, high) else 0
    text = f"{_signed(100 * change, digits)}%"
    if _finite(low, high):
        text += f" [{_signed(100 * low, digits)}%, {_signed(100 * high, digits)}%]"
    return text


def p_text(p: float, prefix: str = "p ") -> str:
    """``"p = 0.031"`` (3 decimals below 0.1), ``"p = 0.21"``, ``"p < 0.001"``; NaN -> ``"p —"`` (no test)."""
    if not _finite(p):
        return f"{prefix}{MISSING}"
    if p < 0.001:
        return f"{prefix}< 0.001"
    return f"{prefix}= {p:.3f}" if p < 0.1 else f"{prefix}= {p:.2f}"


def ratio_text(ratio: float) -> str:
    """A fold change: ``36.3 -> "36x"``, ``4.2 -> "4.2x"``."""
    if not _finite(ratio):
        return MISSING
    return f"{ratio:.0f}x" if ratio >= 10 else f"{ratio:.1f}x"


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


def reader_table(frame: pd.DataFrame, labels: Mapping[str, str], *, summary: str | None = None,
                 max_rows: int = MAX_ROWS, filename: str | None = None) -> str:
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
    rows = [[MISSING if _is_missing(value) else value for value in record]
            for record in frame[list(labels)].itertuples(index=False)]
    table = markdown_table(list(labels.values()), rows)
    if len(frame) > max_rows:
        label = summary or f"Show the table ({len(frame)} rows)"
        table = f"<details>\n<summary>{label}</summary>\n\n{table}\n\n</details>"
    shown = pd.DataFrame(rows, columns=list(labels.values()))
    return with_download(table, shown, filename)


def _is_missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))
