"""`make html PROFILE=x` refuses notebooks executed with another profile (their numbers under x's banner)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from helpers.report.book import (
    BookBuildError,
    build,
    check_notebook_profiles,
    check_notebooks_succeeded,
    executed_profiles,
)


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


# --------------------------------------------------------------------------- issue 20, class 2

DATA = Path(__file__).resolve().parents[1] / "data"


def test_a_notebook_papermill_ran_into_an_exception_is_refused_naming_the_cell(tmp_path):
    """A notebook papermill executed with an exception (e.g. run by hand with a parameter that
    makes a cell raise) is refused by the book build: notebook, failing cell and the re-run named."""
    import papermill

    executed = tmp_path / "experiments" / "scaling.ipynb"
    executed.parent.mkdir(parents=True)
    with pytest.raises(papermill.PapermillExecutionError):
        papermill.execute_notebook(
            str(DATA / "run_failing.ipynb"),
            str(executed),
            parameters={"profile": "ci"},
            kernel_name="python3",
            progress_bar=False,
        )
    assert nbformat.read(str(executed), as_version=4).metadata["papermill"]["exception"] is True
    with pytest.raises(BookBuildError) as error:
        check_notebooks_succeeded("ci", tmp_path)
    message = str(error.value)
    assert str(executed) in message and "ZeroDivisionError: deliberate failure for the runner test" in message
    assert "cell 6 (In [4]) raised" in message  # counting papermill's error banners and injected parameters
    assert "make notebook NB=scaling PROFILE=ci" in message and "make book PROFILE=ci" in message
    with pytest.raises(BookBuildError, match="failed and are not published"):
        build("ci", tmp_path)  # refused before anything is generated or built
    assert not (tmp_path / "_build").exists()


def test_a_notebook_with_an_error_output_is_refused_and_clean_ones_pass(tmp_path):
    _executed(tmp_path, "scaling", "ci")
    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("x = 1", execution_count=1),
            nbformat.v4.new_code_cell(
                "1 / 0",
                execution_count=2,
                outputs=[
                    nbformat.v4.new_output(
                        "error", ename="ZeroDivisionError", evalue="division by zero", traceback=["..."]
                    )
                ],
            ),
        ]
    )
    nbformat.write(notebook, str(tmp_path / "experiments" / "swap.ipynb"))  # run by hand, no papermill record
    with pytest.raises(BookBuildError) as error:
        check_notebooks_succeeded("ci", tmp_path)
    message = str(error.value)
    assert "swap.ipynb (cell 1 (In [2]) raised ZeroDivisionError: division by zero)" in message
    assert "scaling" not in message.split("Re-run")[0] and "make notebook NB=swap PROFILE=ci" in message
    notebook.cells[1].metadata["tags"] = ["raises-exception"]  # an error shown on purpose
    nbformat.write(notebook, str(tmp_path / "experiments" / "swap.ipynb"))
    check_notebooks_succeeded("ci", tmp_path)
    (tmp_path / "experiments" / "swap.ipynb").unlink()
    check_notebooks_succeeded("ci", tmp_path)  # the clean one passes


# --------------------------------------------------------------------------- issue 21 §3: banners from profiles.yml


def test_the_banner_comes_from_the_profile_description_and_findings():
    from helpers.infra.profiles import Profile
    from helpers.report.book import profile_banner

    def profile(name, description, findings):
        return Profile(name, description, findings, "cpu", {"f": ("random:pythia-70m",)}, {})

    assert profile_banner(profile("mini", "Two tiny models. More text that stays out.", False)) == (
        "Profile <b>mini</b> (test profile: its numbers are not findings): Two tiny models."
    )
    assert profile_banner(profile("big", "Pythia 70m-12b, on a GPU (0.5B and 1.5B too).", True)) == (
        "Profile <b>big</b>: Pythia 70m-12b, on a GPU (0.5B and 1.5B too)."
    )
    assert profile_banner(profile("a<b", "", True)) == "Profile <b>a&lt;b</b>"  # escaped; no description: name only


def test_a_profile_of_a_custom_profiles_file_is_accepted_and_an_unknown_one_named(tmp_path):
    from helpers.report.book import UnknownProfileError, check_profile

    path = tmp_path / "profiles.yml"
    path.write_text(
        "mini:\n  description: Mine.\n  findings: false\n  families: {p: [random:pythia-70m]}\n"
        "  tasks: {procedure: {task: arithmetic_2da, limit: 2}}\n"
    )
    assert check_profile("mini", path).description == "Mine."
    with pytest.raises(UnknownProfileError, match="'ci'.*mini"):
        check_profile("ci", path)
