"""Tests for helpers.analysis.published.published_summary, the "Published reference" page's content.

Golden values are read by hand from the "Derived summary" of data/reference/SOURCES.md:
LAMBADA 0-shot ppl pythia-70m 142.429 / pythia-12b 3.924 = 36.3x, opt-125m 26.021 /
opt-66b 3.288 = 7.9x, bloom-560m 28.772 / bloom-7b1 6.620 = 4.3x; 5-shot pythia-70m
319.643 / pythia-12b 4.494 = 71.1x. MMLU-math 0-shot acc: (acc - 0.25) / stderr < -2 for
pythia-70m, -160m and -410m (3 of 8 Pythia) and for opt-125m and opt-1.3b (2 of 8 OPT);
none above +2.
"""

from __future__ import annotations

import re

import pytest

from helpers.infra.profiles import ProfileError
from helpers.report import pages as reference


@pytest.fixture(scope="module")
def page() -> str:
    return reference.published_summary(profile="offline")


def _table_rows(text: str, name: str) -> list[list[str]]:
    """Cells of the pipe table inside the ``{table}`` directive called ``name``."""
    block = text.split(f":name: {name}\n", 1)[1].split("\n:::", 1)[0]
    lines = [line for line in block.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in lines]


def test_lambada_fold_changes_are_computed(page):
    rows = {(row[0], row[1]): row for row in _table_rows(page, "published-lambada-table")[2:]}
    assert rows[("pythia", "0-shot")][4] == "36.3×"
    assert rows[("opt", "0-shot")][4] == "7.9×"
    assert rows[("bloom", "0-shot")][4] == "4.3×"
    assert rows[("pythia", "5-shot")][4] == "71.1×"
    assert rows[("pythia", "0-shot")][2] == "pythia-70m: 142.429"
    assert ("opt", "5-shot") not in rows  # OPT and BLOOM were evaluated 0-shot only


def test_mmlu_table_has_every_model_with_sources_values(page):
    rows = {row[1]: row for row in _table_rows(page, "published-mmlu-math-table")[2:]}
    assert len(rows) == 8 + 8 + 8 + 5
    assert rows["pythia-160m"][3:5] == ["0.2058 ± 0.0124", "0.2613 ± 0.0135"]
    assert rows["pythia-12b"][5:] == ["0.2707 ± 0.0136", "0.2923 ± 0.0140"]
    assert rows["opt-30b"][3] == "0.2707 ± 0.0136"
    assert rows["opt-30b"][5:] == ["—", "—"]
    assert rows["bloom-1b7"][3] == "0.1983 ± 0.0122"


def _holm_by_hand(pvalues, alpha=0.05):
    """Holm's step-down procedure written out (independent of statsmodels)."""
    order = sorted(range(len(pvalues)), key=lambda i: pvalues[i])
    reject = [False] * len(pvalues)
    for rank, index in enumerate(order):
        if pvalues[index] > alpha / (len(pvalues) - rank):
            break
        reject[index] = True
    return reject


def test_chance_counts_are_exact_binomial_with_holm_per_family(page):
    from scipy.stats import binomtest

    from helpers.analysis.published import load_published, mmlu_math_summary

    rows = {(row[0], row[1]): row[2:] for row in _table_rows(page, "published-chance-table")[2:]}
    summary = mmlu_math_summary(load_published(), shots=0)
    for family in ("pythia", "opt", "bloom"):
        group = summary[summary["family"] == family]
        k = [round(a * n) for a, n in zip(group["acc"], group["n_items"])]
        p = [binomtest(ki, int(n), 0.25).pvalue for ki, n in zip(k, group["n_items"])]
        reject = _holm_by_hand(p)
        below = sum(r and a < 0.25 for r, a in zip(reject, group["acc"]))
        above = sum(r and a > 0.25 for r, a in zip(reject, group["acc"]))
        assert rows[(family, "0-shot acc")] == [
            str(len(group)),
            str(len(group) - below - above),
            str(below),
            str(above),
        ]
    assert rows[("pythia", "0-shot acc")] == ["8", "6", "2", "0"]  # z > 2 uncorrected said 3 below


def test_caveats_and_source_are_stated(page):
    assert "data/reference/SOURCES.md" in page
    assert "version 0" in page and "full answer text" in page
    assert "`pythia-2.8b`" in page and "43000" in page
    assert "nominal" in page
    assert "`offline`" in page


def test_markdown_is_well_formed(page):
    names = re.findall(r"^:name: (\S+)$", page, flags=re.M)
    assert len(names) == len(set(names)) == 3
    assert page.count(":::{table}") == 3 and page.count("\n:::\n") == 3
    for name in names:
        rows = _table_rows(page, name)
        assert set(rows[1]) == {"---"}
        assert {len(row) for row in rows} == {len(rows[0])}, name
    assert "{ref}" not in page and "{numref}" not in page  # nothing that could dangle


def test_page_builds_with_sphinx_warnings_as_errors(page, tmp_path):
    """The page as MyST under Sphinx with -W -n (the book's parser settings)."""
    from sphinx.application import Sphinx

    source = tmp_path / "src"
    source.mkdir()
    (source / "conf.py").write_text(
        "extensions = ['myst_parser']\n"
        "myst_enable_extensions = ['colon_fence', 'deflist', 'substitution']\n"
        "numfig = True\n",
        encoding="utf-8",
    )
    (source / "index.md").write_text("# Published reference results\n" + page, encoding="utf-8")
    app = Sphinx(
        str(source),
        str(source),
        str(tmp_path / "out"),
        str(tmp_path / "doctrees"),
        "html",
        warningiserror=True,
        freshenv=True,
        status=None,
        confoverrides={"nitpicky": True},
    )
    app.build()
    assert app.statuscode == 0
    html = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert 'id="published-lambada-table"' in html and "36.3×" in html


def test_unknown_profile_is_refused():
    with pytest.raises(ProfileError, match="nope"):
        reference.published_summary(profile="nope")
