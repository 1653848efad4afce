"""Re-running one notebook keeps its promise: a plan first, then `make html` publishes that run."""

from __future__ import annotations

import contextlib
import html
import io
import re
import shutil

import pytest

from helpers import cli
from helpers.infra.paths import REPO_ROOT
from helpers.report import book


def _main(argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = cli.main(argv)
    return status, out.getvalue(), err.getvalue()


def test_the_plan_is_printed_before_any_scoring(tmp_path):
    argv = ["notebook", "--profile", "ci", "--notebooks", "task_contrast", "--store", str(tmp_path / "store")]
    argv += ["--book-dir", str(tmp_path / "book"), "-p", "limit", "1", "-y", "task_kinds", "[procedure]"]
    status, out, err = _main(argv)
    assert status == 0, out + err
    plan = out.index("plan: 5 result(s) to compute")  # 5 random models, one task kind
    assert plan < out.index("job random:pythia-70m: started") < out.index("notebook task_contrast: started")
    status, out, _ = _main(argv)  # the same run again: everything is in the store
    assert status == 0 and "nothing will be computed" in out and "job random" not in out


@pytest.mark.book
def test_make_notebook_then_make_html_publishes_the_custom_run(tmp_path):
    book_dir = tmp_path / "book"
    shutil.copytree(REPO_ROOT / "book", book_dir, ignore=shutil.ignore_patterns("_build", "experiments"))
    status, out, err = _main(
        [
            "notebook",
            "--profile",
            "ci",
            "--notebooks",
            "scaling",
            "--store",
            str(tmp_path / "store"),
            "--book-dir",
            str(book_dir),
            "-p",
            "limit",
            "3",
        ]
    )
    assert status == 0, out + err
    index = book.build("ci", book_dir, strict=True)
    page = (index.parent / "experiments" / "scaling.html").read_text(encoding="utf-8")
    text = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", page)))  # the page's text, highlighting removed
    assert "limit = 3" in text  # papermill's injected parameters, as run
    assert "Custom run. This chapter was executed by make notebook with limit = 3" in text  # the banner
    status, out, _ = _main(
        ["notebook", "--profile", "ci", "--notebooks", "scaling", "--store", str(tmp_path / "store")]
        + ["--book-dir", str(book_dir)]
    )  # what `make book` does: defaults again
    assert "will replace" in out and "'limit': 3" in out
