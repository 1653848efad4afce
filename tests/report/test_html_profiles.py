"""`make html PROFILE=x` refuses notebooks executed with another profile (their numbers under x's banner)."""

from __future__ import annotations

import nbformat
import pytest

from helpers.report.book import BookBuildError, check_notebook_profiles, executed_profiles


def _executed(book_dir, name: str, profile: str) -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["papermill"] = {"parameters": {"profile": profile, "limit": 2}}
    (book_dir / "experiments").mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, str(book_dir / "experiments" / f"{name}.ipynb"))


def test_a_notebook_of_another_profile_is_refused_with_both_remedies(tmp_path):
    _executed(tmp_path, "scaling", "ci")
    _executed(tmp_path, "swap", "offline")
    assert executed_profiles(tmp_path) == {"scaling": "ci", "swap": "offline"}
    with pytest.raises(BookBuildError) as error:
        check_notebook_profiles("offline", tmp_path)
    message = str(error.value)
    assert "scaling (profile 'ci')" in message and "swap" not in message.split("another:")[1].split(".")[0]
    assert "make notebook NB=scaling PROFILE=offline" in message and "make html PROFILE=ci" in message


def test_notebooks_of_the_same_profile_pass(tmp_path):
    _executed(tmp_path, "scaling", "ci")
    nbformat.write(nbformat.v4.new_notebook(), str(tmp_path / "experiments" / "swap.ipynb"))  # run by hand
    check_notebook_profiles("ci", tmp_path)
    check_notebook_profiles("offline", tmp_path / "no-book")  # nothing executed: nothing to refuse
