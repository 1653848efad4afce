"""The report builds offline and its pages really display: charts drawn, no errors, no network.

The browser tests copy ``book/`` to a temporary folder, execute ``tests/data/book_sample.ipynb``
there as the ``scaling`` experiment (so the current ``helpers.render.plots`` renderer is what gets
tested) and the real notebooks of the experiments that need no model (published data only, such as
``published_pythia``), build with profile ``ci`` and warnings as errors, then open every page in
headless Chromium (1280 x 900, then again at phone width, 390 x 844) with every non-file request
aborted. A broken chart never fails the Sphinx build, so only this check catches it. Every chart
(its Vega container and the svg/canvas drawn in it) and every table must fit the content column of
its page at both widths (a chart wider than a phone's column is clipped or scrolls away), no chart
may be empty, no page's visible text may contain a raw ``| … |`` pipe table (a Markdown table
that was not rendered), and no word in a verdict column may be broken across lines. Screenshots
go to ``<tmp>/book/_build/screenshots/`` (``<page>.png`` and ``<page>.phone.png``), with
``widths.json``: every measured element of every page.

``CC_BOOK_HTML=path/to/_build/html pytest -m book tests/report/test_book.py`` runs the same page
checks on a book built elsewhere (e.g. the offline book of ``make book``) instead of building the
ci book; the checks that only the ci test build can pass (its sample chapter, its banner) skip.

The unit tests at the end need neither a build nor a browser.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import altair as alt
import nbformat
import pandas as pd
import pytest

from conftest import copy_book
from helpers.experiments.registry import EXPERIMENTS
from helpers.infra.paths import REPO_ROOT
from helpers.render import charts as render_charts
from helpers.render import plots
from helpers.report import book
from helpers.report.claims import CLAIM_RULES

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
SAMPLE_NOTEBOOK = REPO_ROOT / "tests" / "data" / "book_sample.ipynb"
EXPERIMENT_PAGES = tuple(f"experiments/{name}" for name in EXPERIMENTS)
PAGES = ("intro", "methods", *EXPERIMENT_PAGES, "published", "reproducibility", "references")
"""Every page of the book; the experiment chapters come from the registry (the ``_toc.yml`` order)."""
REAL_NOTEBOOKS = tuple(
    name for name, experiment in EXPERIMENTS.items() if experiment.fill_jobs is None and name != "scaling"
)
"""Experiments that score no model (published data only): their real notebooks run in the test build."""
VIEWPORT = {"width": 1280, "height": 900}
PHONE_VIEWPORT = {"width": 390, "height": 844}
EXTERNAL_BOOK = os.environ.get("CC_BOOK_HTML", "")
"""A built book's ``_build/html`` folder to check instead of building the ci book (empty: build it)."""
WIDTH_TOLERANCE_PX = 1.0
"""Sub-pixel rounding allowed between an element's width and its column's."""
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:")

# Marks that Vega drew for data (axes and legends have other roles), per chart container.
CHART_MARKS_JS = """
() => [...document.querySelectorAll('.cc-altair-chart')].map(chart => ({
    id: chart.id,
    error: chart.classList.contains('cc-chart-error') ? chart.textContent : null,
    symbols: chart.querySelectorAll('svg g.mark-symbol.role-mark > path').length,
    lines: chart.querySelectorAll('svg g.mark-line.role-mark > path').length,
    bars: chart.querySelectorAll('svg g.mark-rect.role-mark > path').length,
    marks: chart.querySelectorAll('svg g.role-mark > *').length,
}))
"""
# The content box of the page's main article (the column text flows in), and the width of every
# chart and table inside it. A chart counts as wide as the widest of its container, the container's
# scrolled content and the svg/canvas Vega drew in it: a legend that spills out of the drawing's box
# is clipped, and a drawing wider than its container scrolls (report.css sets overflow-x: auto).
WIDTHS_JS = """
() => {
  const article = document.querySelector('main article.bd-article')
      || document.querySelector('main article') || document.querySelector('article');
  const style = getComputedStyle(article);
  const column = article.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  const width = element => element.getBoundingClientRect().width;
  const charts = [...article.querySelectorAll('.cc-altair-chart')].map(chart => {
    const drawing = chart.querySelector('svg.marks, canvas.marks') || chart.querySelector('svg, canvas');
    const attribute = drawing ? parseFloat(drawing.getAttribute('width')) || 0 : 0;
    // The chart's own title (not a panel's or a header's): a title group right under the root.
    const title = chart.querySelector('g.root > g > g > g.role-title .role-title-text text');
    const lines = title ? [...title.querySelectorAll('tspan')].map(line => line.textContent) : [];
    const figure = chart.closest('figure[id], div.cell[id], section[id]');
    return {
      kind: 'chart', id: chart.id + (figure ? ` in #${figure.id}` : ''),
      title: title ? (lines.length ? lines.join(' ') : title.textContent) : '',
      container: width(chart), scroll: chart.scrollWidth,
      drawing: drawing ? Math.max(width(drawing), attribute) : 0,
      width: Math.max(width(chart), chart.scrollWidth, drawing ? Math.max(width(drawing), attribute) : 0),
    };
  });
  // A table wider than the column is fine inside a box that scrolls sideways (the theme's
  // .pst-scrollable-table-container, the item explorer's scroller): the reader scrolls, nothing is
  // cut off. Then the box is what must fit the column.
  const scroller = table => {
    for (let box = table.parentElement; box && box !== article; box = box.parentElement) {
      if (['auto', 'scroll'].includes(getComputedStyle(box).overflowX)) return box;
    }
    return null;
  };
  const tables = [...article.querySelectorAll('table')].map((table, index) => {
    const caption = table.querySelector('caption .caption-text') || table.querySelector('caption');
    const section = table.closest('section[id]');
    const box = scroller(table);
    return {
      kind: 'table', id: table.id || `${section ? section.id : 'table'}#${index + 1}`,
      title: caption ? caption.textContent.trim().slice(0, 80) : '',
      scrolls: box !== null && table.scrollWidth > box.clientWidth,
      width: box ? width(box) : Math.max(width(table), table.scrollWidth),
    };
  });
  return {column: column, elements: [...charts, ...tables]};
}
"""
# Generated findings ("Claim 1 ...") must come before the claims table on the first page.
FINDINGS_JS = """
() => {
  const table = document.querySelector('table#claims-table');
  const items = [...document.querySelectorAll('article li, article p')]
      .filter(item => /^\\s*Claim \\d/.test(item.textContent));
  const before = table ? items.filter(
      item => item.compareDocumentPosition(table) & Node.DOCUMENT_POSITION_FOLLOWING) : [];
  return before.map(item => item.textContent.trim().slice(0, 60));
}
"""
# Visible text that is a Markdown pipe table left unrendered: a paragraph or list item (not code)
# with a line such as "| model | accuracy |" or a "|---|---|" separator row.
RAW_PIPE_TABLES_JS = """
() => [...document.querySelectorAll('article p, article li, article dd, article div.output.text_markdown')]
    .filter(element => !element.closest('pre, code, .highlight, table'))
    .map(element => element.innerText)
    .filter(text => /(^|\\n)\\s*\\|[^\\n|]*\\|[^\\n|]*\\|/.test(text)
                 || /\\|\\s*[-\u2013\u2014:]{3,}\\s*\\|/.test(text))
    .map(text => text.trim().slice(0, 120))
"""
# Numbers pasted into prose by MyST-NB's {glue:text}: each must read as the sentence's own text (the weight of
# the words around it), and no {glue...} role may be left unrendered.
PASTED_TEXT_JS = """
() => ({
  pasted: [...document.querySelectorAll('article span.pasted-text')].map(span => ({
    text: span.innerText.trim(),
    weight: getComputedStyle(span).fontWeight,
    around: getComputedStyle(span.parentElement).fontWeight,
  })),
  unrendered: (document.querySelector('article')?.innerText.match(/\\{glue(:[a-z]+)?\\}/g) || []),
})
"""
# Words broken across lines inside a verdict column (a header cell naming "verdict"): for every
# word of every cell in that column, the boxes its letters occupy must lie on one line. Breaks at
# a hyphen, a dash or a slash are allowed.
MID_WORD_WRAPS_JS = """
() => {
  const broken = [];
  for (const table of document.querySelectorAll('article table')) {
    const headers = [...table.querySelectorAll('thead th, thead td')];
    const columns = headers.map((cell, index) => /verdict/i.test(cell.textContent) ? index : -1)
        .filter(index => index >= 0);
    if (!columns.length) continue;
    for (const row of table.querySelectorAll('tbody tr')) {
      for (const index of columns) {
        const cell = row.children[index];
        if (!cell) continue;
        const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
          for (const match of node.textContent.matchAll(/[^\\s\\-\u2010-\u2014\\/]+/g)) {
            const range = document.createRange();
            range.setStart(node, match.index);
            range.setEnd(node, match.index + match[0].length);
            const tops = new Set([...range.getClientRects()].filter(rect => rect.width > 0)
                .map(rect => Math.round(rect.top)));
            if (tops.size > 1) broken.push(`${table.id || 'table'}: ${match[0]}`);
          }
        }
      }
    }
  }
  return broken;
}
"""
# At phone width: every chart as the reader sees it (its box, or what it scrolls to) against the
# column. A drawing scaled down to the column (report.css) fits; one cut off or scrolled does not.
PHONE_CHARTS_JS = """
() => {
  const article = document.querySelector('main article.bd-article')
      || document.querySelector('main article') || document.querySelector('article');
  const style = getComputedStyle(article);
  const column = article.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  const charts = [...article.querySelectorAll('.cc-altair-chart')].map(chart => {
    const drawing = chart.querySelector('svg.marks, canvas.marks') || chart.querySelector('svg, canvas');
    const figure = chart.closest('figure[id], div.cell[id], section[id]');
    return {id: chart.id + (figure ? ` in #${figure.id}` : ''),
            width: Math.max(chart.getBoundingClientRect().width, chart.scrollWidth,
                            drawing ? drawing.getBoundingClientRect().width : 0)};
  });
  return {column: column, charts: charts};
}
"""
CHARTS_SETTLED_JS = """
() => [...document.querySelectorAll('.cc-altair-chart')].every(
    chart => chart.querySelector('svg g.role-mark') || chart.classList.contains('cc-chart-error'))
"""


def _execute_sample_into(experiments_dir: Path) -> Path:
    """Execute the sample notebook with the current helpers and save it as ``scaling``."""
    from nbclient import NotebookClient

    notebook = nbformat.read(SAMPLE_NOTEBOOK, as_version=4)
    NotebookClient(
        notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(experiments_dir)}}
    ).execute()
    target = experiments_dir / "scaling.ipynb"
    nbformat.write(notebook, target)
    return target


def _execute_real_into(experiments_dir: Path, name: str) -> Path:
    """Execute the experiment's own notebook (its defaults: profile ``ci``) into the book copy."""
    from nbclient import NotebookClient

    notebook = nbformat.read(EXPERIMENTS[name].notebook, as_version=4)
    NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(experiments_dir)}}
    ).execute()
    target = experiments_dir / f"{name}.ipynb"
    nbformat.write(notebook, target)
    return target


def ci_build_only() -> None:
    """Skip a check that only the ci test build (its sample chapter and banner) can pass."""
    if EXTERNAL_BOOK:
        pytest.skip(f"checks the ci test build; CC_BOOK_HTML={EXTERNAL_BOOK} is another book")


@pytest.fixture(scope="module")
def built_book(tmp_path_factory) -> Path:
    """A freshly built copy of the book (profile ci); returns its ``_build/html`` folder.

    With ``CC_BOOK_HTML`` set, that already built book instead (nothing is built).
    """
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found: install it with `apt-get install -y chromium`.")
    if EXTERNAL_BOOK:
        html = Path(EXTERNAL_BOOK).resolve()
        if not (html / "index.html").is_file():
            pytest.fail(f"CC_BOOK_HTML={EXTERNAL_BOOK}: no index.html there (give a book's _build/html folder)")
        return html
    book_dir = copy_book(tmp_path_factory.mktemp("book") / "book")
    experiments_dir = book_dir / "experiments"
    experiments_dir.mkdir()
    _execute_sample_into(experiments_dir)
    for name in REAL_NOTEBOOKS:
        _execute_real_into(experiments_dir, name)
    index = book.build("ci", book_dir, strict=True)
    return index.parent


@pytest.fixture(scope="module")
def browsed_pages(built_book: Path) -> dict[str, dict]:
    """Open every page offline in headless Chromium; record errors, requests and charts."""
    from playwright.sync_api import sync_playwright

    screenshots = (
        built_book.parent / "screenshots"
        if not EXTERNAL_BOOK
        else Path(os.environ.get("CC_SCREENSHOTS", built_book.parent / "screenshots"))
    )
    screenshots.mkdir(parents=True, exist_ok=True)
    report: dict[str, dict] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport=VIEWPORT)
            for page_name in PAGES:
                blocked: list[str] = []
                console_errors: list[str] = []

                def route(route_request, blocked=blocked):
                    if route_request.request.url.startswith(LOCAL_SCHEMES):
                        route_request.continue_()
                    else:
                        blocked.append(route_request.request.url)
                        route_request.abort()

                page = context.new_page()
                page.route("**/*", route)
                page.on(
                    "console",
                    lambda message, errors=console_errors: (
                        errors.append(message.text) if message.type == "error" else None
                    ),
                )
                page.on("pageerror", lambda error, errors=console_errors: errors.append(str(error)))
                html_path = built_book / f"{page_name}.html"
                page.goto(html_path.as_uri(), wait_until="load")
                page.wait_for_function(CHARTS_SETTLED_JS, timeout=20_000)
                charts = page.evaluate(CHART_MARKS_JS)
                claims_rows = page.locator("table#claims-table tbody tr").count()
                widths = page.evaluate(WIDTHS_JS)
                findings = page.evaluate(FINDINGS_JS)
                banner = page.locator(".bd-header-announcement").inner_text()
                raw_tables = page.evaluate(RAW_PIPE_TABLES_JS)
                wraps = page.evaluate(MID_WORD_WRAPS_JS)
                pasted = page.evaluate(PASTED_TEXT_JS)
                page.screenshot(path=str(screenshots / f"{page_name.replace('/', '__')}.png"), full_page=True)
                page.close()
                report[page_name] = {
                    "blocked": blocked,
                    "console_errors": console_errors,
                    "charts": charts,
                    "claims_rows": claims_rows,
                    "banner": banner,
                    "widths": widths,
                    "findings": findings,
                    "raw_tables": raw_tables,
                    "mid_word_wraps": wraps,
                    "pasted": pasted,
                }
            context.close()
            phone = browser.new_context(viewport=PHONE_VIEWPORT, is_mobile=True, device_scale_factor=2)
            for page_name in PAGES:
                page = phone.new_page()
                page.route(
                    "**/*",
                    lambda route_request: (
                        route_request.continue_()
                        if route_request.request.url.startswith(LOCAL_SCHEMES)
                        else route_request.abort()
                    ),
                )
                page.goto((built_book / f"{page_name}.html").as_uri(), wait_until="load")
                page.wait_for_function(CHARTS_SETTLED_JS, timeout=20_000)
                report[page_name]["phone_charts"] = page.evaluate(PHONE_CHARTS_JS)
                report[page_name]["mid_word_wraps"] += [
                    f"{wrap} (at {PHONE_VIEWPORT['width']} px)" for wrap in page.evaluate(MID_WORD_WRAPS_JS)
                ]
                page.screenshot(path=str(screenshots / f"{page_name.replace('/', '__')}.phone.png"), full_page=True)
                page.close()
            phone.close()
        finally:
            browser.close()
    (screenshots / "widths.json").write_text(
        json.dumps({name: page["widths"] for name, page in report.items()}, indent=1), encoding="utf-8"
    )
    return report


@pytest.mark.book
def test_no_page_requests_the_network(browsed_pages):
    blocked = {name: page["blocked"] for name, page in browsed_pages.items() if page["blocked"]}
    assert blocked == {}


@pytest.mark.book
def test_no_console_errors(browsed_pages):
    errors = {name: page["console_errors"] for name, page in browsed_pages.items() if page["console_errors"]}
    assert errors == {}


@pytest.mark.book
def test_pasted_numbers_read_as_plain_text(browsed_pages):
    """Glued numbers ("148 base models in 47 families") are rendered, non-empty and in the weight of their sentence."""
    pasted = {name: page["pasted"] for name, page in browsed_pages.items()}
    assert {name: found["unrendered"] for name, found in pasted.items() if found["unrendered"]} == {}
    spans = [(name, span) for name, found in pasted.items() for span in found["pasted"]]
    assert any(name.endswith("beyond") for name, _ in spans)  # the beyond chapter glues its counts
    odd = [(name, span) for name, span in spans if not span["text"] or span["weight"] != span["around"]]
    assert odd == []


@pytest.mark.book
def test_no_page_shows_a_raw_pipe_table(browsed_pages):
    """Generated tables (notebook ``text/markdown`` outputs included) render as tables, never as text."""
    raw = {name: page["raw_tables"] for name, page in browsed_pages.items() if page["raw_tables"]}
    assert raw == {}


@pytest.mark.book
def test_no_chart_is_empty(browsed_pages):
    empty = [
        f"{name}: {chart['id']}" + (f" ({chart['error']})" if chart["error"] else "")
        for name, page in browsed_pages.items()
        for chart in page["charts"]
        if chart["marks"] == 0 or chart["error"]
    ]
    assert not empty, "charts with no data drawn:\n" + "\n".join(empty)


@pytest.mark.book
def test_no_word_wraps_inside_a_verdict_column(browsed_pages):
    wraps = {name: page["mid_word_wraps"] for name, page in browsed_pages.items() if page["mid_word_wraps"]}
    assert wraps == {}


@pytest.mark.book
def test_the_sample_results_table_is_rendered(browsed_pages, built_book):
    """The sample chapter prints a pipe table as a notebook output: it must become a <table>."""
    ci_build_only()
    html = (built_book / "experiments" / "scaling.html").read_text(encoding="utf-8")
    assert re.search(r"<th[^>]*>\s*(<p>)?verdict(</p>)?\s*</th>", html), "the sample's results table is not a <table>"


@pytest.mark.book
def test_no_chart_is_clipped_at_phone_width(browsed_pages):
    """At 390 px every chart (legend included) fits the column: nothing is cut off or scrolled away."""
    clipped = []
    for page_name, page in browsed_pages.items():
        charts = page["phone_charts"]
        for chart in charts["charts"]:
            if chart["width"] > charts["column"] + WIDTH_TOLERANCE_PX:
                clipped.append(
                    f"{page_name}: chart {chart['id']} is {chart['width']:.0f} px wide at "
                    f"{PHONE_VIEWPORT['width']} px; column {charts['column']:.0f} px"
                )
    assert not clipped, "\n".join(clipped)


@pytest.mark.book
def test_every_chart_is_drawn_with_its_data(browsed_pages):
    ci_build_only()
    charts = browsed_pages["experiments/scaling"]["charts"]
    # The sample shows two charts: a line chart with points (2 tasks x 3 sizes) and a bar
    # chart of the mean accuracy of each of the 2 tasks.
    assert len(charts) == 2
    line_chart, bar_chart = charts
    assert line_chart["error"] is None and bar_chart["error"] is None
    assert line_chart["lines"] == 2
    assert line_chart["symbols"] == 6
    assert bar_chart["bars"] == 2
    for page_name, page in browsed_pages.items():
        for chart in page["charts"]:
            assert chart["marks"] > 0, f"empty chart {chart['id']} on {page_name}"


@pytest.mark.book
def test_claims_table_has_a_row_per_claim(browsed_pages):
    ci_build_only()
    # helpers.report.claims may not exist yet; either way the table must list every claim.
    assert browsed_pages["intro"]["claims_rows"] == len(CLAIM_RULES)  # one row per claim, exactly


@pytest.mark.book
def test_every_page_is_opened(browsed_pages):
    assert list(browsed_pages) == list(PAGES)
    assert "experiments/published_pythia" in browsed_pages
    # The real published_pythia chapter ran: its charts are drawn on its page.
    for name in REAL_NOTEBOOKS:
        assert browsed_pages[f"experiments/{name}"]["charts"], name


@pytest.mark.book
def test_charts_and_tables_fit_the_content_column(browsed_pages):
    """At a 1280 px window nothing is wider than the page's content column (legends included)."""
    too_wide = []
    for page_name, page in browsed_pages.items():
        column = page["widths"]["column"]
        assert column > 300, f"{page_name}: content column of {column:.0f} px: article not found?"
        for element in page["widths"]["elements"]:
            if element["width"] > column + WIDTH_TOLERANCE_PX:
                label = f"{element['kind']} {element['id']}" + (f" ({element['title']!r})" if element["title"] else "")
                too_wide.append(f"{page_name}: {label} is {element['width']:.0f} px wide; column {column:.0f} px")
    assert not too_wide, "\n".join(too_wide)


@pytest.mark.book
def test_findings_come_before_the_claims_table(browsed_pages):
    findings = browsed_pages["intro"]["findings"]
    assert findings, "intro: no generated findings ('Claim 1 ...') before table#claims-table"
    assert findings[0].lstrip("- ").startswith("Claim 1"), findings


@pytest.mark.book
def test_every_page_names_the_profile(browsed_pages):
    ci_build_only()
    for page_name, page in browsed_pages.items():
        assert "Profile ci" in page["banner"], page_name
        assert "not findings" in page["banner"], page_name


@pytest.mark.book
def test_figure_is_numbered_and_cited(built_book):
    ci_build_only()
    scaling_html = (built_book / "experiments" / "scaling.html").read_text(encoding="utf-8")
    assert 'id="fig-sample-scaling"' in scaling_html
    # The {numref} in the first markdown cell resolved to the figure's number.
    assert re.search(r'href="#fig-sample-scaling"[^>]*><span[^>]*>Fig\. 1</span>', scaling_html)


@pytest.mark.book
def test_missing_experiments_get_placeholder_pages(built_book):
    ci_build_only()
    for name in ("task_contrast", "swap"):
        page = (built_book / "experiments" / f"{name}.html").read_text(encoding="utf-8")
        assert "has not been executed for profile" in page
    assert "has not been executed" not in (built_book / "experiments" / "scaling.html").read_text(encoding="utf-8")


# --- unit tests: no build, no browser -----------------------------------------------------


def _three_point_chart() -> alt.Chart:
    data = pd.DataFrame({"size": [1, 2, 3], "accuracy": [0.2, 0.5, 0.7]})
    return alt.Chart(data).mark_point().encode(x="size:Q", y="accuracy:Q")


def test_enable_rejects_an_unknown_mode():
    with pytest.raises(plots.UnknownPlotModeError, match="'png'.*interactive, svg"):
        plots.enable("png")


def test_svg_mode_draws_one_symbol_per_row():
    plots.enable("svg")
    try:
        bundle = _three_point_chart()._repr_mimebundle_()
        if isinstance(bundle, tuple):
            bundle = bundle[0]
        svg = bundle["image/svg+xml"]
    finally:
        plots.enable("interactive")
    symbols_group = re.search(r'<g class="mark-symbol role-mark[^"]*"[^>]*>(.*?)</g>', svg, re.S)
    assert symbols_group is not None
    assert symbols_group.group(1).count("<path") == 3


def test_interactive_output_is_offline_and_deterministic():
    plots.enable("interactive")
    chart = _three_point_chart()
    first = chart._repr_mimebundle_()
    second = chart._repr_mimebundle_()
    first, second = (b[0] if isinstance(b, tuple) else b for b in (first, second))
    html_first, html_second = first["text/html"], second["text/html"]
    assert "cdn" not in html_first.lower() and "<script src" not in html_first
    assert "vegaEmbed" in html_first
    id_first = re.search(r'id="(cc-chart-[0-9a-f]{12}-\d+)"', html_first).group(1)
    id_second = re.search(r'id="(cc-chart-[0-9a-f]{12}-\d+)"', html_second).group(1)
    # Same spec, same hash; the display counter keeps two displays apart.
    assert id_first.rsplit("-", 1)[0] == id_second.rsplit("-", 1)[0]
    assert id_first != id_second
    assert re.search(r"altair-(viz-)?[0-9a-f]{32}", html_first) is None


def test_chart_html_cannot_close_its_script_early():
    spec = {"data": {"values": [{"label": "</script><script>alert(1)</script>"}]}}
    snippet = plots.chart_html(spec)
    assert snippet.count("</script>") == 1


def test_theme_uses_the_colour_blind_safe_palette():
    assert plots.theme_config()["config"]["range"]["category"][:3] == ["#0072B2", "#E69F00", "#009E73"]


def test_vega_bundle_defines_vega_embed(tmp_path):
    bundle_path = plots.write_vega_bundle(tmp_path / "_static")
    text = bundle_path.read_text(encoding="utf-8")
    assert bundle_path.name == "vega-bundle.js"
    assert "window.vegaEmbed=" in text.replace(" ", "")
    assert "http://" not in text[:400] and "https://" not in text[:400]


def test_figure_metadata_and_bad_names():
    assert plots.figure_metadata("fig-a", "Caption.") == {
        "mystnb": {"figure": {"name": "fig-a", "caption": "Caption."}}
    }
    with pytest.raises(plots.InvalidFigureError, match="'fig a'"):
        plots.figure_metadata("fig a", "Caption.")


def test_unknown_profile_is_rejected():
    with pytest.raises(book.UnknownProfileError, match="'laptop'.*ci"):
        book.check_profile("laptop")


def test_placeholders_follow_the_notebooks(tmp_path):
    experiments = tmp_path / "experiments"
    experiments.mkdir()
    (experiments / "swap.md").write_text("# my own page\n")  # not ours: must survive
    missing = book.write_experiment_placeholders("ci", tmp_path)
    assert missing == [name for name in EXPERIMENTS if name != "swap"]
    assert (experiments / "swap.md").read_text() == "# my own page\n"
    assert (experiments / "scaling.md").read_text().startswith(book.PLACEHOLDER_MARKER)
    (experiments / "scaling.ipynb").write_text("{}")
    missing = book.write_experiment_placeholders("ci", tmp_path)
    assert missing == [name for name in EXPERIMENTS if name not in ("swap", "scaling")]
    assert not (experiments / "scaling.md").exists()


def test_citation_file_has_the_required_cff_fields():
    import yaml

    citation = yaml.safe_load((REPO_ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert citation["cff-version"] == "1.2.0"
    for required in ("message", "title", "authors"):
        assert citation[required], required
    assert "arXiv:2510.21866" in str(citation["references"][0]["identifiers"])


def test_model_colours_are_fixed_by_one_ordered_domain():
    every_size = render_charts.model_colours(render_charts.PYTHIA_SIZE_ORDER)
    two_sizes = render_charts.model_colour_scale(["12b", "160m"])
    assert list(two_sizes.domain) == ["160m", "12b"]  # the fixed order, each once
    assert list(two_sizes.range) == [every_size["160m"], every_size["12b"]]
    families = render_charts.model_colours(["opt", "pythia"])
    # families keep the one colour helpers.render.palette names for them (OPT is orange on every page)
    assert families == {"pythia": render_charts.MODEL_PALETTE[0], "opt": render_charts.MODEL_PALETTE[1]}
    assert "#F0E442" not in render_charts.MODEL_PALETTE  # yellow is too pale on white
    unknown = render_charts.model_colours(["b", "a", "b"])
    assert list(unknown) == ["b", "a"] and len(set(unknown.values())) == 2


def test_chart_title_wraps_to_the_column():
    title = render_charts.chart_title("word " * 40, "sub " * 60).to_dict()
    chars = int((render_charts.MAX_CHART_WIDTH - 20) * render_charts.TITLE_CHARS_PER_PX)
    assert isinstance(title["text"], list) and all(len(line) <= chars for line in title["text"])
    assert len(title["subtitle"]) >= 2


def test_rendered_size_is_the_svg_size_in_the_theme():
    chart = _three_point_chart().properties(width=200, height=100)
    width, height = render_charts.rendered_size(chart)
    assert 200 < width < 300 and 100 < height < 180  # the panel plus its axes


def test_key_figure_names_each_family_once_and_fits(tmp_path):
    import importlib.util

    path = REPO_ROOT / "scripts" / "key_figure.py"
    spec = importlib.util.spec_from_file_location("key_figure", path)
    key_figure = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(key_figure)
    points = key_figure.mmlu_math_points()
    figure = key_figure.figure_spec(key_figure.key_figure(points))
    entries = key_figure.legend_entries(figure)
    assert sorted(entries) == sorted(set(points["family"])) and len(entries) == len(set(entries))
    width, height = key_figure.render(tmp_path / "key_figure.png")
    assert width <= key_figure.MAX_PNG_WIDTH and height > 0
    assert (tmp_path / "key_figure.png").read_bytes()[:4] == b"\x89PNG"
