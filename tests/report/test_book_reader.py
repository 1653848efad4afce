"""The report as a researcher reads it (issue 22, sections 3, 4 and 6): first page, citation, figures.

Unit tests first (no build): the citation metadata and its agreement across files, the first page's
generated parts, the chapters' stand-in labels and folded code, the one palette, tooltips and the
figure's save menu. Then browser tests on the ``ci`` book that :mod:`tests.report.test_book` builds
(its ``built_book`` fixture), at 1280 x 900 and at a phone's 390 px: the key figure above the fold,
version and build date in every footer, charts that scale instead of overflowing, table cells that
never break inside a word, stand-in chapter titles, folded code, no remote script or stylesheet.

``tests/data/citation-cff-1.2.0.schema.json`` is the Citation File Format 1.2.0 JSON schema, copied
from cffconvert 2.0.0 (``cffconvert/schemas/1.2.0/schema.json``; the schema of
citation-file-format/citation-file-format, CC-BY-4.0), so the check runs offline.
"""

from __future__ import annotations

import colorsys
import datetime as dt
import json
import re
from pathlib import Path

import nbformat
import pytest
import yaml
from test_book import CHROMIUM, CHROMIUM_ARGS, EXPERIMENT_PAGES, LOCAL_SCHEMES, PAGES, built_book  # noqa: F401

from helpers.infra.paths import REPO_ROOT
from helpers.render import charts as render_charts
from helpers.render import palette, plots
from helpers.report import book, chapters, citation, front

PAPER_KEY = "marin2025ceilings"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def _bib_title(key: str) -> str:
    text = (REPO_ROOT / "book" / "references.bib").read_text(encoding="utf-8")
    entry = text[text.index("{" + key + ",") :]
    return re.search(r"title\s*=\s*\{(.+?)\},\n", entry).group(1)


# --------------------------------------------------------------------------- 4. citable


def test_version_agrees_in_pyproject_citation_zenodo_and_footer():
    version = citation.project_version()
    cff = yaml.safe_load((REPO_ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    zenodo = json.loads((REPO_ROOT / ".zenodo.json").read_text(encoding="utf-8"))
    assert str(cff["version"]) == version == zenodo["version"]
    assert str(cff["date-released"]) == zenodo["publication_date"]
    assert zenodo["title"] == cff["title"] and zenodo["upload_type"] == "software"
    assert [c["name"] for c in zenodo["creators"]] == [a.get("name") for a in cff["authors"]]
    pyproject = (REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert f'Repository = "{cff["repository-code"]}"' in pyproject
    assert f"v{version}" in citation.footer_html("ci", dt.datetime(2031, 2, 3, tzinfo=dt.timezone.utc))


def test_citation_cff_is_valid_cff_1_2_0():
    import jsonschema

    schema = json.loads((REPO_ROOT / "tests" / "data" / "citation-cff-1.2.0.schema.json").read_text(encoding="utf-8"))
    # cffconvert reads the file as YAML 1.2 (dates stay strings when quoted); so does this check.
    data = yaml.safe_load((REPO_ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    jsonschema.validate(json.loads(json.dumps(data, default=str)), schema)
    for field in ("version", "date-released", "repository-code", "authors"):
        assert data.get(field), field
    dt.date.fromisoformat(str(data["date-released"]))


def test_bibtex_entry_has_title_authors_version_year_url():
    data = citation.citation()
    entry = citation.bibtex_entry(data)
    assert entry.startswith("@software{")
    for field, value in (
        ("title", data["title"]),
        ("version", str(data["version"])),
        ("year", str(data["date-released"])[:4]),
        ("url", data["repository-code"]),
    ):
        assert re.search(rf"^\s*{field}\s*=\s*\{{.*{re.escape(value)}.*\}}", entry, re.M), field
    assert "author" in entry and "contributors" in entry
    assert "```bibtex" in citation.cite_markdown(data)


def test_readme_and_report_name_the_reproduced_paper_alike():
    title = _bib_title(PAPER_KEY)
    cff = yaml.safe_load((REPO_ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert cff["references"][0]["title"] == title
    flat = lambda text: " ".join(text.split())  # noqa: E731  (line breaks inside the name are fine)
    assert title in flat((REPO_ROOT / "README.md").read_text(encoding="utf-8"))
    assert title in flat((REPO_ROOT / "book" / "intro.md").read_text(encoding="utf-8"))


def test_profile_config_sets_footer_and_copyright_from_the_build_date(tmp_path, monkeypatch):
    book_dir = tmp_path / "book"
    book_dir.mkdir()
    (book_dir / "_config.yml").write_text((REPO_ROOT / "book" / "_config.yml").read_text(encoding="utf-8"))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(dt.datetime(2031, 2, 3, tzinfo=dt.timezone.utc).timestamp())))
    config = yaml.safe_load(book.write_profile_config("ci", book_dir).read_text(encoding="utf-8"))
    assert config["copyright"] == "2031"
    assert f"v{citation.project_version()}" in config["html"]["extra_footer"]
    assert "2031-02-03" in config["html"]["extra_footer"]
    assert not re.search(
        r"\b20\d\d\b",
        str(yaml.safe_load((REPO_ROOT / "book" / "_config.yml").read_text(encoding="utf-8")).get("copyright", "")),
    )


# --------------------------------------------------------------------------- 3. first page


class _Verdict:
    def __init__(self, code):
        self.code = code


class _Result:
    def __init__(self, claim_id, code):
        self.claim_id, self.verdict = claim_id, _Verdict(code)
        self.verdict_word = code


def _points():
    import pandas as pd

    mmlu = pd.DataFrame(
        {
            "family": ["pythia", "pythia", "opt"],
            "model": ["pythia-70m", "pythia-1b", "opt-125m"],
            "params": [70e6, 1.0e9, 125e6],
            "acc": [0.21, 0.23, 0.22],
            "acc_stderr": [0.012, 0.013, 0.012],
            "n": [1064] * 3,
        }
    )
    return front.figure_points(mmlu)


def test_bottom_line_is_generated_from_the_numbers_and_the_verdicts():
    results = [_Result("1", "not reproduced"), _Result("2", "partly"), _Result("3", "not judged")]
    text = front.bottom_line("offline", _points(), 0.2086, results)
    assert text.startswith("**Bottom line.**")
    assert "2 Pythia and 1 OPT" in text and "21.0% and 23.0%" in text and "20.9%" in text
    assert "1 partly (claim 2), 1 not reproduced (claim 1) and 1 not judged (claim 3)" in text
    assert "stand-ins (profile `offline`)" in text
    assert "random-weight" in front.bottom_line("ci", _points(), 0.2086, results)
    assert "stand-in" not in front.bottom_line("small", _points(), 0.2086, results)


def test_key_figure_draws_accuracy_chance_and_shortest_answer_with_fixed_colours():
    spec = front.key_figure_chart(_points(), 0.2086).to_dict()
    text = json.dumps(spec)
    assert "total parameters (log scale)" in text
    assert '"y": 0.25' in text and '"y": 0.2086' in text
    colour = next(layer["encoding"]["color"] for layer in spec["layer"] if "color" in layer.get("encoding", {}))
    assert colour["scale"]["range"] == [palette.NAMED_COLOURS["pythia"], palette.NAMED_COLOURS["opt"]]
    markdown = front.key_figure_markdown(_points(), 0.2086)
    assert "```{raw} html" in markdown and plots.CHART_CLASS in markdown


def test_build_box_says_what_was_computed_and_the_verification_count():
    record = {"passed": True, "requests": 462, "seed": 7, "commit": "abc", "when": "2026-12-05 01:00"}
    box = front.build_box("offline", record, "abc")
    assert "What this build computed" in box and "462 shipped requests" in box and "Verification passed" in box
    assert "offline:qwen2.5-coder-1.5b" in box
    assert "none recorded" in front.build_box("offline", None, "abc")


def test_verification_is_recorded_for_the_first_page(tmp_path, monkeypatch):
    from helpers.experiments import verify

    monkeypatch.setenv("CC_RESULTS", str(tmp_path))
    verify.record_verification("offline", 462, 7, 12.5)
    record = verify.verification_record("offline")
    assert record["requests"] == 462 and record["passed"] is True and record["seed"] == 7
    assert verify.verification_record("ci") is None


def _chapter(tmp_path: Path, name: str, figure_output: bool) -> Path:
    experiments = tmp_path / "experiments"
    experiments.mkdir(exist_ok=True)
    notebook = nbformat.v4.new_notebook()
    code = nbformat.v4.new_code_cell("x = 1")
    figure = nbformat.v4.new_code_cell("chart", metadata={"mystnb": {"figure": {"name": "fig-x", "caption": "C."}}})
    figure.outputs = [
        nbformat.v4.new_output(
            "display_data",
            data=(
                {"text/html": f'<div class="{plots.CHART_CLASS}"></div>'}
                if figure_output
                else {"text/markdown": "No fit."}
            ),
        )
    ]
    notebook.cells = [nbformat.v4.new_markdown_cell("# A chapter\n\nText."), code, figure]
    path = experiments / f"{name}.ipynb"
    nbformat.write(notebook, str(path))
    return path


def test_chapters_on_stand_ins_say_so_and_fold_their_code(tmp_path):
    scaling = _chapter(tmp_path, "scaling", figure_output=False)
    published = _chapter(tmp_path, "published_pythia", figure_output=True)
    assert chapters.prepare_chapters("offline", tmp_path) == ["scaling", "published_pythia"]
    assert chapters.prepare_chapters("offline", tmp_path) == []  # idempotent
    notebook = nbformat.read(str(scaling), as_version=4)
    assert notebook.cells[0].source.startswith("# A chapter (stand-in models)\n")
    assert "not Pythia or OPT" in notebook.cells[0].source and "smollm2-135m" in notebook.cells[0].source
    assert all("hide-input" in cell.metadata["tags"] for cell in notebook.cells if cell.cell_type == "code")
    assert "figure" not in notebook.cells[2].metadata.get("mystnb", {})  # a sentence, not an empty figure
    other = nbformat.read(str(published), as_version=4)
    assert other.cells[0].source.startswith("# A chapter\n")  # published Pythia data: no stand-ins
    assert other.cells[2].metadata["mystnb"]["figure"]["name"] == "fig-x"
    assert front.stand_in_label("small") is None and "random" in front.stand_in_label("ci")[0]


# --------------------------------------------------------------------------- 6. figures


def _yellowish_and_pale(colour: str) -> bool:
    red, green, blue = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    hue, lightness, saturation = colorsys.rgb_to_hls(red, green, blue)
    return 45 / 360 <= hue <= 70 / 360 and lightness > 0.5 and saturation > 0.3


def test_no_light_yellow_in_any_data_palette():
    from helpers.experiments.published_pythia import charts as pythia_charts
    from helpers.experiments.task_contrast import charts as contrast_charts

    palettes = {
        "theme": plots.theme_config()["config"]["range"]["category"],
        "model": palette.MODEL_PALETTE,
        "named": list(palette.NAMED_COLOURS.values()),
        "contrast": contrast_charts.OTHER_COLOURS,
        "shots": pythia_charts.SHOT_COLORS,
    }
    pale = {name: [c for c in colours if _yellowish_and_pale(c)] for name, colours in palettes.items()}
    assert not any(pale.values()), pale


def test_one_colour_per_family_in_every_module():
    families = ["qwen2.5-coder", "opt", "pythia", "smollm2"]
    chapter = render_charts.model_colours(families, order=families)
    shared = render_charts.model_colours(families)
    key = front.key_figure_chart(_points(), 0.2).to_dict()
    key_colour = next(layer["encoding"]["color"] for layer in key["layer"] if "color" in layer.get("encoding", {}))
    for family in families:
        assert chapter[family] == shared[family] == palette.NAMED_COLOURS[family], family
    assert key_colour["scale"]["range"][1] == palette.NAMED_COLOURS["opt"]
    # the published families keep their colours whichever profile's families come first
    colours_alone = list(render_charts.model_colours(["opt"], order=["opt"]).values())
    assert colours_alone == [palette.NAMED_COLOURS["opt"]]


def test_tooltips_are_named_with_units_and_figures_can_be_saved():
    spec = {
        "mark": "point",
        "encoding": {
            "tooltip": [
                {"field": "n_params", "type": "quantitative"},
                {"field": "loss", "type": "quantitative"},
                {"field": "model", "type": "nominal", "title": "model"},
            ]
        },
    }
    html = plots.chart_html(spec)
    assert '"title": "total parameters"' in html and '"title": "loss (nats per token)"' in html
    assert plots.EMBED_OPTIONS["actions"]["export"] is True
    assert not plots.EMBED_OPTIONS["actions"]["editor"]  # the editor would leave the offline book
    assert '"export": true' in html


def test_a_family_of_two_sizes_gets_a_sentence_not_an_empty_fit_chart():
    import pandas as pd

    from helpers.experiments.scaling import fits

    table = pd.DataFrame(
        {
            "family": ["qwen2.5-coder", "qwen2.5-coder"],
            "kind": ["knowledge", "procedure"],
            "size_basis": ["total", "total"],
            "status": ["not fitted: 2 sizes; a fit needs 3"] * 2,
        }
    )
    sentence = fits.no_fit_sentence(table)
    assert sentence.startswith("No power law is drawn") and "qwen2.5-coder: 2 sizes" in sentence
    assert sentence.count(".") <= 2
    assert fits.no_fit_sentence(table.assign(status="fitted")) is None


def test_same_size_axis_in_every_chapter():
    assert render_charts.size_axis("n", [1e6, 1e9]).to_dict()["title"] == "total parameters (log scale)"
    parameters = [
        cell.source
        for cell in nbformat.read(str(REPO_ROOT / "notebooks" / "task_contrast.ipynb"), as_version=4).cells
        if "parameters" in cell.metadata.get("tags", [])
    ]
    assert 'size_column: str = "n_params_total"' in parameters[0]


# --------------------------------------------------------------------------- browser


FOLD_JS = "() => [...document.querySelectorAll('div.cell.tag_hide-input')].length"
# Words split over two lines inside a table cell (outside code): one text range per word (the parts of
# a hyphenated name such as pythia-160m-deduped count as words), more than one line box: broken. The
# per-item explorer (.cc-item-table) shows item text verbatim (LaTeX such as \\frac{125}{648} is one
# token longer than any column) and scrolls sideways, so its cells are not held to this.
BROKEN_WORDS_JS = """
() => {
  const broken = [];
  for (const cell of document.querySelectorAll('article table td, article table th')) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    let node;
    while ((node = walker.nextNode())) {
      if (node.parentElement.closest('code, .cc-item-table')) continue;
      const text = node.textContent;
      const re = /[^\\s\\-\u2010\u2013\u2014]+/g;  // a break after a hyphen or dash is not inside a word
      let match;
      while ((match = re.exec(text))) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const tops = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
        if (tops.size > 1) broken.push(match[0]);
      }
    }
  }
  return broken;
}
"""
# Charts wider than the content column (the drawing as shown, not its natural size).
OVERFLOW_JS = """
() => {
  const article = document.querySelector('main article.bd-article') || document.querySelector('article');
  const box = article.getBoundingClientRect();
  return [...article.querySelectorAll('.cc-altair-chart')].map(chart => {
    const drawing = chart.querySelector('svg.marks') || chart;
    const rect = drawing.getBoundingClientRect();
    return {id: chart.id, right: rect.right, left: rect.left, column_right: box.right + 1,
            scroll: chart.scrollWidth > chart.clientWidth + 1};
  }).filter(c => c.right > c.column_right || c.scroll);
}
"""
FOLD_POSITION_JS = """
() => {
  const chart = document.querySelector('.cc-key-figure .cc-altair-chart svg.marks');
  const bottom = [...document.querySelectorAll('article p')].find(p => p.textContent.startsWith('Bottom line'));
  const findings = document.querySelector('section#findings');
  return {chart: chart ? chart.getBoundingClientRect().bottom : null,
          line: bottom ? bottom.getBoundingClientRect().top : null,
          findings: findings ? findings.getBoundingClientRect().top : null};
}
"""


def _open(context, path: Path):
    page = context.new_page()
    page.route(
        "**/*", lambda route: route.continue_() if route.request.url.startswith(LOCAL_SCHEMES) else route.abort()
    )
    page.goto(path.as_uri(), wait_until="load")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.cc-altair-chart')].every("
        "c => c.querySelector('svg g.role-mark') || c.classList.contains('cc-chart-error'))",
        timeout=20_000,
    )
    return page


@pytest.fixture(scope="module")
def reader_book(request, tmp_path_factory) -> Path:
    """The ci book that ``test_book.py`` built in this session when it ran first (the same build, so the
    suite builds the book once), else a fresh build by its ``built_book`` fixture."""
    for index in sorted(tmp_path_factory.getbasetemp().glob("book*/book/_build/html/index.html")):
        return index.parent
    return request.getfixturevalue("built_book")


@pytest.fixture(scope="module")
def reader_views(reader_book: Path) -> dict:
    from playwright.sync_api import sync_playwright

    html_dir = reader_book
    shots = html_dir.parent / "screenshots"
    shots.mkdir(exist_ok=True)
    report: dict = {"desktop": {}, "phone": {}}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            for view, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
                context = browser.new_context(viewport=viewport)
                for name in PAGES:
                    page = _open(context, html_dir / f"{name}.html")
                    report[view][name] = {
                        "footer": page.locator("footer").all_inner_texts(),
                        "title": page.locator("article h1").first.inner_text(),
                        "folded": page.evaluate(FOLD_JS),
                        "broken": page.evaluate(BROKEN_WORDS_JS),
                        "overflow": page.evaluate(OVERFLOW_JS),
                        "fold": page.evaluate(FOLD_POSITION_JS),
                        "actions": page.locator(".cc-altair-chart details summary").count(),
                        "charts": page.locator(".cc-altair-chart").count(),
                    }
                    page.screenshot(path=str(shots / f"reader-{view}-{name.replace('/', '__')}.png"))
                    page.close()
                context.close()
        finally:
            browser.close()
    return report


@pytest.mark.book
def test_key_figure_and_bottom_line_are_above_the_fold(reader_views):
    fold = reader_views["desktop"]["intro"]["fold"]
    assert fold["chart"] is not None, "no key figure on the first page"
    assert fold["line"] is not None and fold["line"] < DESKTOP["height"], fold
    assert fold["chart"] <= DESKTOP["height"], f"key figure ends at {fold['chart']:.0f} px, below the fold"
    assert fold["findings"] is not None and fold["findings"] > fold["chart"], "findings must follow the figure"


@pytest.mark.book
def test_every_page_shows_version_and_build_date(reader_views):
    version, year = citation.project_version(), str(dt.datetime.now(dt.timezone.utc).year)
    for name, page in reader_views["desktop"].items():
        footer = " ".join(page["footer"])
        assert f"v{version}" in footer and "built" in footer, (name, footer)
        assert year in footer, (name, footer)


@pytest.mark.book
def test_chapters_on_stand_in_models_say_so_in_their_title(reader_views):
    # the ci build's models are random-weight test models, the offline build's stand-ins (CC_BOOK_HTML)
    title = reader_views["desktop"]["experiments/scaling"]["title"]
    assert "(random-weight test models)" in title or "(stand-in models)" in title, title
    assert "random-weight" not in reader_views["desktop"]["experiments/published_pythia"]["title"]


@pytest.mark.book
def test_code_is_folded_and_figures_can_be_saved(reader_views):
    for name in ("experiments/scaling", "experiments/published_pythia"):
        page = reader_views["desktop"][name]
        assert page["folded"] > 0, name
        assert page["actions"] == page["charts"] > 0, name  # one save menu per chart


@pytest.mark.book
def test_charts_scale_on_a_phone(reader_views):
    overflow = {name: page["overflow"] for name, page in reader_views["phone"].items() if page["overflow"]}
    assert overflow == {}


@pytest.mark.book
def test_table_cells_never_break_inside_a_word(reader_views):
    broken = {
        name: page["broken"]
        for view in ("phone", "desktop")
        for name, page in reader_views[view].items()
        if page["broken"]
    }
    assert broken == {}


@pytest.mark.book
def test_built_pages_load_no_remote_script_or_stylesheet(reader_book):
    html_dir = reader_book
    remote = re.compile(r"""<(?:script[^>]*\ssrc|link[^>]*\shref)=["'](?:https?:)?//""", re.I)
    offenders = {}
    for html_path in html_dir.rglob("*.html"):
        for tag in re.findall(r"<(?:script|link)\b[^>]*>", html_path.read_text(encoding="utf-8")):
            if remote.match(tag) and ("<script" in tag or "stylesheet" in tag):
                offenders.setdefault(html_path.name, []).append(tag[:120])
    assert offenders == {}


# --------------------------------------------------------------------------- 5. explorable and downloadable


def test_item_rows_show_prompt_choices_and_each_models_log_probabilities_and_answer():
    import pandas as pd

    from helpers.analysis import item_explorer
    from helpers.experiments.config import load_profile
    from helpers.experiments.evaluation import build_setting_items

    settings = load_profile("ci").tasks
    items = build_setting_items(settings["pattern"])[:3]
    rows = pd.DataFrame(
        [
            {
                "model_id": model,
                "task": item.task,
                "kind": "pattern",
                "item_id": item.item_id,
                "choice": choice,
                "label": item.choice_labels[choice] if item.choice_labels else str(choice),
                "gold": item.gold,
                "is_gold": choice == item.gold,
                "continuation": request.continuation,
                "logprob": -1.0 - choice if model == "random:a" else -2.0 + choice,
                "is_greedy": False,
                "condition": condition,
            }
            for model in ("random:a", "random:b")
            for item in items
            for choice, request in enumerate(item.requests)
            for condition in ("baseline",)
        ]
    )
    table = item_explorer.item_rows(rows, settings)
    assert len(table) == 3
    assert {"prompt (end)", "choices", "a: answer", "a: log p per choice", "b: answer"} <= set(table.columns)
    assert table["prompt (end)"].str.len().gt(0).all() and table["choices"].str.contains("(gold)", regex=False).all()
    assert table["a: log p per choice"].iloc[0] == "-1.00 / -2.00"
    swap = item_explorer.item_rows(rows[rows["model_id"] == "random:a"], settings, condition="condition")
    assert "baseline: answer" in swap.columns


def test_interactive_table_is_offline_searchable_and_downloadable():
    import base64
    import gzip

    import pandas as pd

    from helpers.render import tables

    tables._initialised = False
    frame = pd.DataFrame({"item": [f"i{k}" for k in range(30)], "answer": ["A ✓"] * 30})
    first = str(tables.interactive_table(frame, filename="items.csv"))
    second = str(tables.interactive_table(frame, filename="items.csv"))
    assert "_itables_" in first and len(first) > len(second) + 100_000  # the offline bundle, once per kernel
    for html in (first, second):
        assert not re.search(r"""<(?:script|link)[^>]*\s(?:src|href)=["']?(?:https?:)?//""", html)
        assert '"topEnd": {"search"' in html and tables.DOWNLOAD_CLASS in html
    encoded = re.search(r'base64,([^"]+)"', second).group(1)
    assert base64.b64decode(encoded).decode("utf-8") == frame.to_csv(index=False)
    big = pd.DataFrame({"text": ["x" * 100] * 5000})
    link = str(tables.csv_link(big, "big.csv"))
    assert 'download="big.csv.gz"' in link
    assert gzip.decompress(base64.b64decode(re.search(r'base64,([^"]+)"', link).group(1))).decode() == big.to_csv(
        index=False
    )


def test_every_chart_has_a_csv_download_of_its_data():
    spec = {"title": "Loss against size", "data": {"values": [{"a": 1, "b": 2}, {"a": 3, "b": 4}]}, "mark": "point"}
    html = plots.chart_html(spec)
    assert 'download="loss-against-size.csv"' in html
    assert "Download the chart" in html


ITEM_TABLE_JS = """
() => [...document.querySelectorAll('.cc-item-table')].map(box => ({
    ready: !!box.querySelector('table.dataTable'),
    search: !!box.querySelector('input[type=search]'),
    sortable: box.querySelectorAll('th.dt-orderable-asc, th.dt-orderable-desc, th.sorting').length,
    download: !!(box.nextElementSibling && box.nextElementSibling.querySelector('a[download]')),
}))
"""


@pytest.mark.book
def test_item_table_is_interactive_offline_and_every_chart_downloadable(reader_book):
    html_dir = reader_book
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = _open(browser.new_context(viewport=DESKTOP), html_dir / "experiments" / "scaling.html")
            page.wait_for_function("() => document.querySelector('.cc-item-table table.dataTable')", timeout=20_000)
            boxes = page.evaluate(ITEM_TABLE_JS)
            charts = page.locator(".cc-altair-chart").count()
            links = page.locator(".cc-altair-chart ~ p.cc-download a[download]").count()
        finally:
            browser.close()
    assert boxes and all(box["ready"] and box["search"] and box["download"] and box["sortable"] for box in boxes), boxes
    assert charts > 0 and links == charts
