"""Issue 21 §3: a book builds end to end from a custom profiles file with its own profile name.

``python -m helpers book --profile mini --profiles-file <file>`` on a copy of the ``ci`` profile
with a smaller model list (random-init models, no network; their results are the shipped ci ones,
found by key): the notebooks are executed with that profile and file, the HTML is built, and every
page's banner names the custom profile with its description.
"""

from __future__ import annotations

import nbformat
import pytest
import yaml

from conftest import build_book_copy
from helpers import cli
from helpers.experiments.registry import EXPERIMENTS
from helpers.infra.profiles import PROFILES_FILE

DESCRIPTION = "A custom test profile: two Pythia and two OPT random-init models. Not the ci profile."


def _mini_profiles(path):
    """``mini``: the ci profile without its largest Pythia model, under its own name and description."""
    ci = yaml.safe_load(PROFILES_FILE.read_text(encoding="utf-8"))["ci"]
    pythia = ci["families"]["pythia"]
    mini = {**ci, "description": DESCRIPTION, "families": {**ci["families"], "pythia": pythia[:2]}}
    assert len(pythia) > 2  # the list is smaller than ci's
    path.write_text(yaml.safe_dump({"mini": mini}, sort_keys=False), encoding="utf-8")
    return path


@pytest.mark.slow
def test_a_custom_profiles_file_builds_a_book_end_to_end(tmp_path):
    profiles = _mini_profiles(tmp_path / "my_profiles.yml")
    status, book_dir = build_book_copy(tmp_path, "mini", profiles, tmp_path / "store")
    assert status == cli.EXIT_OK
    for name in EXPERIMENTS:  # every notebook executed, with the custom profile and its file
        executed = nbformat.read(str(book_dir / "experiments" / f"{name}.ipynb"), as_version=4)
        papermill = executed.metadata["papermill"]
        assert papermill["parameters"]["profile"] == "mini", name
        assert papermill["parameters"]["profiles_file"] == str(profiles.resolve()), name
        assert not papermill.get("exception"), name
    html = book_dir / "_build" / "html"
    for page in (html / "intro.html", html / "experiments" / "scaling.html"):
        text = page.read_text(encoding="utf-8")
        assert "Profile <b>mini</b> (test profile: its numbers are not findings)" in text, page
        assert "A custom test profile: two Pythia and two OPT random-init models." in text, page
    scaling = (html / "experiments" / "scaling.html").read_text(encoding="utf-8")
    assert "pythia-160m" in scaling and "random:pythia-410m" not in scaling  # the custom, smaller model list
