"""Altair theme and offline renderers for the report's charts.

Altair's own HTML renderers load Vega from a CDN, so charts are blank in an offline book, and
its ``template="inline"`` variant clashes with Sphinx's scripts. This module offers two
renderers that need no network:

``enable("interactive")`` (default)
    Each chart becomes a ``<div>`` plus a small ``<script>`` that calls ``vegaEmbed``. The
    Vega, Vega-Lite and Vega-Embed libraries are *not* in the output: they come from one
    shared file, ``_static/vega-bundle.js`` (built from ``vl_convert.javascript_bundle``),
    which ``book/_config.yml`` loads on every page through ``html_js_files``. Sphinx writes
    that ``<script>`` tag with the right relative path for each page, so the chart output
    itself holds no path at all. Outside the book (JupyterLab) the chart shows a message
    saying where it renders and logs a console error rather than staying silently blank.

``enable("svg")``
    Static SVG rendered in the kernel by vl-convert (Altair's built-in ``svg`` renderer).
    Works everywhere, including PDF builds; no tooltips or zoom.

Chart ids are derived from a hash of the spec and a per-kernel counter (not random), so
executed notebooks are reproducible byte for byte and nbval needs no sanitizer for them.

Figures with captions: put the chart in its own cell and give the cell the metadata
``{"mystnb": {"figure": {"caption": "...", "name": "fig-scaling"}}}``; MyST-NB wraps the
output in a numbered figure that pages cite with ``{numref}`` ``fig-scaling``.
:func:`figure_metadata` builds that dictionary.
"""

from __future__ import annotations

import hashlib
import html
import itertools
import json
from pathlib import Path
from typing import Any

import altair as alt

THEME_NAME = "capability_ceilings"
RENDERER_NAME = "capability_ceilings_offline"
BUNDLE_FILENAME = "vega-bundle.js"
"""Name of the shared Vega bundle inside the book's ``_static`` folder."""
CHART_CLASS = "cc-altair-chart"
"""CSS class of every interactive chart container (the browser test looks for it)."""
MODES = ("interactive", "svg")
EMBED_OPTIONS = {"renderer": "svg", "actions": {"export": True, "source": False, "compiled": False, "editor": False}}
"""Vega-Embed options of every chart: SVG drawing, and the "…" menu offers "Save as SVG" and "Save as PNG"
only (drawn in the browser; the editor and source links would leave the offline book)."""

OKABE_ITO = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow
    "#000000",  # black
)
"""Okabe & Ito (2008) colour-blind-safe palette, darkest and most distinct colours first."""
PALE_ON_WHITE = ("#F0E442",)
"""Colours of :data:`OKABE_ITO` that data never get: unreadable on the white page."""

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
"""Local system fonts only: a web font would need the network."""


class UnknownPlotModeError(ValueError):
    """Raised when :func:`enable` is asked for a mode it does not offer."""


class InvalidFigureError(ValueError):
    """Raised when a figure label or caption cannot be used as a MyST-NB figure."""


def vega_lite_version() -> str:
    """The Vega-Lite ``major.minor`` that this Altair writes specs for (e.g. ``"6.4"``)."""
    major_minor = alt.SCHEMA_VERSION.lstrip("v").split(".")[:2]
    return ".".join(major_minor)


def theme_config() -> dict[str, Any]:
    """The report's Altair theme: readable fonts, colour-blind-safe palette, fixed sizes."""
    return {
        "config": {
            "view": {"continuousWidth": 480, "continuousHeight": 300, "stroke": None},
            "font": FONT,
            "title": {"fontSize": 15, "fontWeight": 600, "anchor": "start", "offset": 8},
            "axis": {
                "labelFontSize": 12,
                "titleFontSize": 13,
                "titleFontWeight": 500,
                "gridColor": "#e6e6e6",
                "domainColor": "#666666",
                "tickColor": "#666666",
            },
            "legend": {"labelFontSize": 12, "titleFontSize": 13, "symbolSize": 90},
            "header": {"labelFontSize": 12, "titleFontSize": 13},
            # Okabe-Ito without its yellow (too pale on white): the same list as helpers.render.palette.
            "range": {"category": [colour for colour in OKABE_ITO if colour not in PALE_ON_WHITE]},
            "mark": {"color": OKABE_ITO[0]},
            "point": {"size": 60, "filled": True},
            "line": {"strokeWidth": 2},
        }
    }


def _register_theme() -> None:
    """Register the theme under :data:`THEME_NAME` (idempotent)."""
    alt.theme.register(THEME_NAME, enable=False)(theme_config)


def vega_bundle_js() -> str:
    """Vega, Vega-Lite and Vega-Embed as one classic script that defines ``window.vegaEmbed``.

    The vl-convert bundle declares top-level ``const`` names; loaded as a classic script those
    would share the page's global scope with Sphinx's scripts, so it is wrapped in a function.
    """
    import vl_convert

    bundle = vl_convert.javascript_bundle(vl_version=vega_lite_version())
    header = (
        f"/* Vega {vl_convert.get_vega_version()}, Vega-Lite {vega_lite_version()}, "
        f"Vega-Embed {vl_convert.get_vega_embed_version()}: bundled by vl-convert-python "
        "(BSD-3-Clause). Generated by helpers.render.plots.write_vega_bundle; do not edit. */\n"
    )
    return header + "(function () {\n" + bundle + "\n})();\n"


def write_vega_bundle(static_dir: Path) -> Path:
    """Write :data:`BUNDLE_FILENAME` into ``static_dir`` (created if needed); return its path.

    The file is rewritten only when its content changes, so Sphinx does not rebuild for nothing.
    """
    static_dir = Path(static_dir)
    static_dir.mkdir(parents=True, exist_ok=True)
    bundle_path = static_dir / BUNDLE_FILENAME
    bundle = vega_bundle_js()
    if not bundle_path.exists() or bundle_path.read_text(encoding="utf-8") != bundle:
        bundle_path.write_text(bundle, encoding="utf-8")
    return bundle_path


_chart_counter = itertools.count(1)


def _chart_id(spec: dict[str, Any]) -> str:
    """Deterministic DOM id: a hash of the spec plus this kernel's display counter."""
    digest = hashlib.sha256(json.dumps(spec, sort_keys=True).encode("utf-8")).hexdigest()
    return f"cc-chart-{digest[:12]}-{next(_chart_counter)}"


def _json_for_script(value: Any) -> str:
    """JSON that is safe inside an HTML ``<script>`` element (no ``</script>`` break-out)."""
    return json.dumps(value, sort_keys=True).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


TOOLTIP_TITLES = {
    "n_params": "total parameters",
    "params": "total parameters",
    "n_params_total": "total parameters",
    "n_params_nonembedding": "non-embedding parameters",
    "model_id": "model",
    "kind": "task kind",
    "kind_label": "task kind",
    "loss": "loss (nats per token)",
    "loss_low": "loss, 95% low",
    "loss_high": "loss, 95% high",
    "accuracy": "accuracy",
    "acc": "accuracy",
    "acc_norm": "accuracy (length-normalised)",
    "n_items": "items",
    "ppl": "perplexity",
    "step": "training step",
    "alpha": "alpha (weight of the donor's pattern)",
    "layer": "recipient layer swapped",
    "metric_label": "metric",
    "correlation": "correlation with size",
    "share": "share of answers",
    "compute": "training compute (FLOP)",
    "held_out": "held out",
    "suspect": "suspect checkpoint",
    "setting": "setting",
    "label": "condition",
}
"""Readable tooltip titles (with units) for the column names the chart builders use."""


def readable_tooltips(spec: Any) -> Any:
    """``spec`` with every tooltip entry that has no title named from :data:`TOOLTIP_TITLES` (in place)."""
    if isinstance(spec, dict):
        for key, value in spec.items():
            if key == "tooltip":
                for entry in value if isinstance(value, list) else [value]:
                    if isinstance(entry, dict) and "title" not in entry and entry.get("field") in TOOLTIP_TITLES:
                        entry["title"] = TOOLTIP_TITLES[entry["field"]]
            else:
                readable_tooltips(value)
    elif isinstance(spec, list):
        for value in spec:
            readable_tooltips(value)
    return spec


def chart_data(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows a chart draws: its largest inline data set (``datasets`` or ``data.values``)."""
    candidates = [value for value in (spec.get("datasets") or {}).values() if isinstance(value, list)]
    values = (spec.get("data") or {}).get("values") if isinstance(spec.get("data"), dict) else None
    if isinstance(values, list):
        candidates.append(values)
    return max(candidates, key=len, default=[])


def _data_link(spec: dict[str, Any]) -> str:
    """A CSV download of the chart's data, named after its title ("" for a chart without inline data)."""
    import pandas as pd

    from helpers.render.tables import csv_filename, csv_link

    rows = chart_data(spec)
    if not rows:
        return ""
    title = spec.get("title")
    text = title.get("text") if isinstance(title, dict) else title
    text = " ".join(text) if isinstance(text, list) else str(text or spec.get("description") or "chart data")
    return str(csv_link(pd.DataFrame(rows), csv_filename(text, "chart-data"), "Download the chart's data (CSV)"))


def chart_html(spec: dict[str, Any]) -> str:
    """HTML snippet that draws a Vega-Lite ``spec`` with the page's shared ``vegaEmbed``, and a CSV
    download of its data below it."""
    spec = readable_tooltips(json.loads(json.dumps(spec)))
    chart_id = _chart_id(spec)
    bundle_hint = html.escape(f"_static/{BUNDLE_FILENAME}")
    return f"""<div id="{chart_id}" class="{CHART_CLASS}"></div>
<script type="text/javascript">
(function () {{
  var target = document.getElementById({_json_for_script(chart_id)});
  var spec = {_json_for_script(spec)};
  function fail(message) {{
    target.textContent = "Chart not drawn: " + message;
    target.className += " cc-chart-error";
    console.error("capability-ceilings chart " + target.id + ": " + message);
  }}
  function draw() {{
    if (typeof window.vegaEmbed !== "function") {{
      fail("vegaEmbed is not loaded. Charts render in the built book, which loads "
           + "{bundle_hint} on every page; in Jupyter use helpers.render.plots.enable('svg').");
      return;
    }}
    window.vegaEmbed(target, spec, {_json_for_script(EMBED_OPTIONS)})
      .catch(function (err) {{ fail(String(err)); }});
  }}
  if (typeof window.vegaEmbed === "function" || document.readyState === "complete") {{
    draw();
  }} else {{
    window.addEventListener("load", draw);
  }}
}})();
</script>
{_data_link(spec)}"""


def _interactive_renderer(spec: dict[str, Any], **metadata: Any) -> dict[str, str]:
    """Altair renderer: mimebundle with the offline HTML snippet and a plain-text stand-in."""
    title = spec.get("title")
    title_text = title.get("text") if isinstance(title, dict) else title
    plain = f"<Altair chart{': ' + str(title_text) if title_text else ''}>"
    return {"text/html": chart_html(spec), "text/plain": plain}


def enable(mode: str = "interactive") -> None:
    """Switch on the report theme and an offline renderer.

    ``mode="interactive"``: Vega in the browser from the book's shared bundle (see module
    docstring); ``mode="svg"``: static SVG rendered in the kernel by vl-convert.
    """
    if mode not in MODES:
        raise UnknownPlotModeError(
            f"Unknown plot mode {mode!r}; choose one of {', '.join(MODES)} "
            "(interactive for the HTML book, svg for static output)."
        )
    _register_theme()
    alt.theme.enable(THEME_NAME)
    if RENDERER_NAME not in alt.renderers.names():
        alt.renderers.register(RENDERER_NAME, _interactive_renderer)
    alt.renderers.enable(RENDERER_NAME if mode == "interactive" else "svg")
    from helpers.render import tables

    tables.enable()  # every table the notebook shows gets its CSV download, as every chart does


def figure_metadata(name: str, caption: str) -> dict[str, Any]:
    """Cell metadata that makes MyST-NB show a cell's output as a numbered, citable figure.

    ``name`` becomes the label cited with ``{numref}`name```; it must be a plain slug.
    """
    if not name or not all(ch.isalnum() or ch in "-_" for ch in name):
        raise InvalidFigureError(
            f"Figure name {name!r} must be a non-empty slug of letters, digits, '-' or '_' "
            "(it becomes a cross-reference label)."
        )
    if not caption.strip():
        raise InvalidFigureError(f"Figure {name!r} needs a non-empty caption.")
    return {"mystnb": {"figure": {"name": name, "caption": caption}}}
