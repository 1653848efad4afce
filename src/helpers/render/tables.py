"""Tables a reader can explore and download: itables (offline) and CSV links beside tables and charts.

* :func:`csv_link`: an ``<a download>`` link holding a table as CSV in a ``data:`` URI: it needs no
  file beside the page and no network, and the browser only decodes it when clicked.
* :func:`interactive_table`: a searchable, sortable, paged table drawn by itables
  (DataTables) in its offline mode: the first table of a kernel also emits itables' offline
  bundle (DataTables inlined, loaded as a ``blob:`` module, no request leaves the page), later ones
  reuse it. A CSV link of the same rows sits beside it.

Both return :class:`Html`, which notebooks display as HTML (``text/html``) and tests read as text.
"""

from __future__ import annotations

import base64
import gzip
import html
from typing import Any

import pandas as pd

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
    return Html(f'<p class="{DOWNLOAD_CLASS}"><a download="{html.escape(filename)}" '
                f'href="data:{mime};base64,{encoded}">{html.escape(label)}</a> '
                f'<span class="cc-download-size">({len(table):,} rows, {html.escape(filename)})</span></p>')


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

    settings = {"pageLength": 10, "lengthMenu": [10, 25, 100], "classes": "display compact",
                # not itables' default layout, which it empties for a table of one page: search always shows
                "layout": {"topStart": "pageLength", "topEnd": {"search": {"placeholder": "search every column"}},
                           "bottomStart": "info", "bottomEnd": "paging"},
                "maxBytes": 0, "showIndex": False, "scrollX": True, **options}
    body = to_html_datatable(table, caption=caption or None, connected=False, **settings)
    return Html(f'{_offline_bundle()}<div class="{TABLE_CLASS}">{body}</div>\n{csv_link(table, filename)}')
