"""Tables a reader can explore and download: itables (offline) and CSV links beside tables and charts.

* :func:`csv_link`: an ``<a download>`` link holding a table as CSV in a ``data:`` URI: it needs no
  file beside the page and no network, and the browser only decodes it when clicked.
* :func:`interactive_table`: a searchable, sortable, paged table drawn by itables
  (DataTables) in its offline mode: the first table of a kernel also emits itables' offline
  bundle (DataTables inlined, loaded as a ``blob:`` module, no request leaves the page), later ones
  reuse it. A CSV link of the same rows sits beside it.
* :func:`require_columns`, :func:`require_listed`: the checks every view and chart makes of the table it
  is given and of the names (models, task kinds) it is asked for.
* :func:`reader_table`: a DataFrame of already formatted cells -> a MyST pipe table with labelled
  columns, collapsed in a ``<details>`` block when it is long, with its download below.
* :func:`with_download`: a results table a chapter shows as markdown (a pipe table) with the CSV
  link of its rows below it; :func:`enable` does the same for every DataFrame (and pandas Styler)
  a notebook displays, so every table of every chapter has its download, by the one
  :func:`csv_link`.

Both return :class:`Html`, which notebooks display as HTML (``text/html``) and tests read as text.
"""

from __future__ import annotations

import base64
import gzip
import html
import math
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import pandas as pd

from helpers.render.markdown import markdown_table
from helpers.render.numbers import MISSING

DOWNLOAD_CLASS = "cc-download"
"""CSS class of every download link (the browser test counts them)."""
GZIP_OVER = 200_000
"""CSV downloads larger than this (bytes) are gzipped."""
TABLE_CLASS = "cc-item-table"
"""CSS class of the container of every interactive table."""
_initialised = False


class Html(str):
    """HTML text that a notebook displays as HTML."""

    def _repr_html_(self) -> str:
        return str(self)


def csv_text(table: pd.DataFrame) -> str:
    """The table as CSV (UTF-8, no index), as the download holds it."""
    return table.to_csv(index=False)


def csv_link(table: pd.DataFrame, filename: str, label: str = "Download the data (CSV)") -> Html:
    """A download link of ``table`` as ``filename`` (CSV in a ``data:`` URI; nothing is fetched).

    A CSV over :data:`GZIP_OVER` bytes is gzipped (``filename.gz``; ``pandas.read_csv`` reads it as
    it is) so that the page stays light.
    """
    if not filename.endswith(".csv") or "/" in filename:
        raise ValueError(f"filename {filename!r}: give a plain name ending in .csv")
    data = csv_text(table).encode("utf-8")
    mime = "text/csv;charset=utf-8"
    if len(data) > GZIP_OVER:
        data, filename, mime = gzip.compress(data, mtime=0), filename + ".gz", "application/gzip"
    encoded = base64.b64encode(data).decode("ascii")
    return Html(
        f'<p class="{DOWNLOAD_CLASS}"><a download="{html.escape(filename)}" '
        f'href="data:{mime};base64,{encoded}">{html.escape(label)}</a> '
        f'<span class="cc-download-size">({len(table):,} rows, {html.escape(filename)})</span></p>'
    )


def csv_filename(text: str, default: str = "table") -> str:
    """A plain file name from ``text`` (a title or column names): ``"Loss against size" -> "loss-against-size.csv"``."""
    slug = "-".join("".join(ch if ch.isalnum() else " " for ch in str(text).lower()).split())[:60]
    return f"{slug or default}.csv"


def download_rows(table: pd.DataFrame) -> pd.DataFrame:
    """The rows a download holds: the index (when it names rows, e.g. ``set_index("model")``) as columns."""
    named = any(name is not None for name in table.index.names) or not isinstance(table.index, pd.RangeIndex)
    return table.reset_index() if named else table


def with_download(markdown: str, table: pd.DataFrame, filename: str | None = None) -> str:
    """``markdown`` (a results table) followed by the CSV download of ``table`` (its rows as shown).

    ``filename`` defaults to one made from the table's column names. The link is a raw HTML
    block, which MyST renders in notebook markdown outputs and generated pages alike.
    """
    name = filename or csv_filename(" ".join(map(str, table.columns[:4])))
    return f"{markdown}\n\n{csv_link(download_rows(table), name, 'Download the table (CSV)')}\n"


def require_columns(
    table: pd.DataFrame, columns: Sequence[str], what: str, fix: str, error: type[ValueError] = ValueError
) -> None:
    """Raise ``error`` unless ``table`` is a DataFrame with ``columns``: the one input check of the chapters'
    views and charts. ``what`` names the caller; ``fix`` tells what to pass instead, e.g.
    ``"pass helpers.analysis.items.item_table(rows)"``; both appear in the one-line message."""
    if not isinstance(table, pd.DataFrame):
        raise error(f"{what} needs a DataFrame; got {type(table).__name__}; {fix}.")
    missing = [column for column in columns if column not in table.columns]
    if missing:
        raise error(f"{what}: the table lacks columns {missing}; {fix}.")


def require_listed(
    names: Sequence[str], present: Collection[str], what: str, fix: str, error: type[ValueError] = ValueError
) -> list[str]:
    """``names`` as a list, once checked to be a list of names (not one string) that all are in ``present``.

    ``what`` names the argument (``"kinds"``, ``"families['pythia']"``), ``fix`` tells what to do about
    names the table lacks; both appear in ``error``'s one-line message.
    """
    if isinstance(names, str):
        raise error(f"{what}={names!r}: pass a list, e.g. [{names!r}].")
    missing = [name for name in names if name not in present]
    if missing:
        raise error(f"{what}: {missing} are not in the table (it has {sorted(present)}); {fix}.")
    return list(names)


MAX_ROWS = 12
"""Tables longer than this are collapsed (``<details>``) in the notebooks."""


def reader_table(
    frame: pd.DataFrame,
    labels: Mapping[str, str],
    *,
    summary: str | None = None,
    max_rows: int = MAX_ROWS,
    filename: str | None = None,
) -> str:
    """Markdown pipe table of the columns in ``labels`` (column -> header), cells as text, with the
    CSV download of its rows below it (:func:`with_download`).

    Tables longer than ``max_rows`` are wrapped in ``<details>`` with ``summary`` (default: the
    row count), so the page stays short and nothing is hidden for good; the download stays
    visible below. ``filename`` names the download (default: from the headers). An empty frame
    gives ``"(no rows)"``; a column of ``labels`` the frame lacks raises ``ValueError``.
    """
    require_columns(frame, list(labels), "reader_table", f"it has {list(getattr(frame, 'columns', []))}")
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


def dataframe_html(table: Any) -> Html:
    """A DataFrame or pandas Styler as a notebook shows it, with the CSV download of its rows below."""
    frame = table.data if hasattr(table, "data") and isinstance(table.data, pd.DataFrame) else table
    shown = table._repr_html_()
    if shown is None or not isinstance(frame, pd.DataFrame) or frame.empty:
        return Html(shown or "")
    name = csv_filename(" ".join(map(str, [*filter(None, frame.index.names), *frame.columns[:4]])))
    return Html(f"{shown}\n{csv_link(download_rows(frame), name, 'Download the table (CSV)')}")


def enable() -> bool:
    """Show every DataFrame and Styler a notebook displays with its CSV download (:func:`dataframe_html`).

    Registers the HTML formatter of the running IPython kernel; returns False outside one (nothing to do).
    """
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with every notebook kernel
        return False
    shell = get_ipython()
    if shell is None:
        return False
    from pandas.io.formats.style import Styler

    formatter = shell.display_formatter.formatters["text/html"]
    for kind in (pd.DataFrame, Styler):
        formatter.for_type(kind, dataframe_html)
    return True


def _offline_bundle() -> str:
    """itables' offline bundle (DataTables and its CSS, inlined), emitted once per kernel."""
    global _initialised
    if _initialised:
        return ""
    from itables import options
    from itables.javascript import generate_init_offline_itables_html

    _initialised = True
    return generate_init_offline_itables_html(options.dt_bundle)


def interactive_table(table: pd.DataFrame, *, filename: str, caption: str = "", **options: Any) -> Html:
    """A searchable, sortable table of ``table`` (itables, offline) with a CSV download beside it.

    ``options`` go to :func:`itables.to_html_datatable` (e.g. ``pageLength``); search, sorting and
    paging are on for any number of rows, and a table wider than the column scrolls inside it.
    """
    from itables import to_html_datatable

    settings = {
        "pageLength": 10,
        "lengthMenu": [10, 25, 100],
        "classes": "display compact",
        # not itables' default layout, which it empties for a table of one page: search always shows
        "layout": {
            "topStart": "pageLength",
            "topEnd": {"search": {"placeholder": "search every column"}},
            "bottomStart": "info",
            "bottomEnd": "paging",
        },
        "maxBytes": 0,
        "showIndex": False,
        "scrollX": True,
        **options,
    }
    body = to_html_datatable(table, caption=caption or None, connected=False, **settings)
    return Html(f'{_offline_bundle()}<div class="{TABLE_CLASS}">{body}</div>\n{csv_link(table, filename)}')
