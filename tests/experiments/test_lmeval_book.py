"""The lm-evaluation-harness route end to end (issue 22, section 8).

``tests/data/lmeval/smollm2_book`` is real ``lm_eval --log_samples`` output of SmolLM2-135M on the
exported ``cc_mmlu_math`` and ``cc_arithmetic_core`` groups with ``--limit 2`` (10 MMLU-math items,
10 arithmetic items; see that folder's README). Imported under a profile that uses that limit, the
scaling and task-contrast notebooks must run on the imported rows alone (no model is loaded) and
say what the rows lack (lm-eval samples carry no per-token data). Imported under a profile that
does not use the limit, the import and ``results-summary`` must list the key as unused.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

from helpers.analysis.items import item_table, lacking  # noqa: E402
from helpers.experiments.config import load_profile  # noqa: E402
from helpers.experiments.lmeval_import import import_samples  # noqa: E402
from helpers.experiments.model_table import lacking_note  # noqa: E402
from helpers.experiments.ship import results_summary  # noqa: E402
from helpers.infra.paths import REPO_ROOT  # noqa: E402
from helpers.infra.store import ResultStore, StoreStack  # noqa: E402

FIXTURE = REPO_ROOT / "tests" / "data" / "lmeval" / "smollm2_book"
SOURCE = "offline:smollm2-135m"
PROFILE_YAML = f"""
lmeval:
  description: SmolLM2-135M scored by lm-evaluation-harness on two items per task, imported.
  findings: true
  device: cpu
  families:
    smollm2: [{SOURCE}]
  tasks:
    knowledge: {{task: mmlu_math, shots: 0, limit: 2}}
    procedure: {{task: arithmetic_core, shots: 0, limit: 2}}
"""


@pytest.fixture(autouse=True)
def datasets_cache(tmp_path, monkeypatch):
    """Keep the harness's json-loader cache of the generated documents out of ~/.cache."""
    import datasets

    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "hf_datasets")


def _profiles(tmp_path: Path) -> Path:
    path = tmp_path / "profiles.yml"
    path.write_text(PROFILE_YAML, encoding="utf-8")
    return path


def test_imported_arithmetic_rows_give_items_and_say_what_they_lack(tmp_path):
    report = import_samples(FIXTURE, store=ResultStore(tmp_path / "store"), dry_run=True, source=SOURCE)
    rows = pd.concat([s.rows for s in report.settings], ignore_index=True)
    assert (rows["token_is_greedy"].map(len) == 0).all()  # lm-eval samples carry no per-token data
    items = item_table(rows)  # failed with MetricError: token_is_greedy[0] must be a non-empty ...
    arithmetic = items[items["kind"] == "procedure"]
    assert len(arithmetic) == 10 and arithmetic["greedy_token_fraction"].isna().all()
    assert arithmetic["gold_nll_per_token"].notna().all()  # the tokenizer counted the answer tokens
    assert lacking(items) == {"greedy_token_fraction": [SOURCE]}
    assert "digits-correct" in lacking_note(items) and SOURCE in lacking_note(items)


def test_a_run_under_a_limit_the_profile_does_not_use_is_listed_as_unused(tmp_path):
    store = ResultStore(tmp_path / "store")
    report = import_samples(FIXTURE, store=store, profile="offline", source=SOURCE)
    assert [s.status for s in report.settings] == ["written", "written"]
    assert all("limit 2" in s.unused and "never reads it" in s.unused for s in report.settings)
    assert report.summary().count("UNUSED: profile offline runs") == 2
    summary = results_summary(load_profile("offline"), stack=StoreStack(store, []))
    unused = summary[summary["setting"].str.startswith("UNUSED by profile offline")]
    assert sorted(unused["task"]) == ["arithmetic_core", "mmlu_math"] and set(unused["n_items"]) == {10}
    # under a profile that runs this limit nothing is unused
    used = import_samples(
        FIXTURE,
        store=ResultStore(tmp_path / "other"),
        dry_run=True,
        source=SOURCE,
        profile=load_profile("lmeval", _profiles(tmp_path)),
    )
    assert [s.unused for s in used.settings] == ["", ""]


@pytest.mark.slow
@pytest.mark.parametrize("notebook", ["scaling", "task_contrast"])
def test_an_imported_lmeval_run_flows_through_the_notebooks(tmp_path, monkeypatch, notebook):
    """The chapters `make book` executes run on imported lm-eval rows, loading no model."""
    import nbformat
    import papermill

    if not (Path.home() / ".cache" / "capability-ceilings" / "models" / "smollm2-135m").is_dir() and not os.environ.get(
        "CC_CACHE"
    ):
        pytest.skip("SmolLM2-135M is not built (make models-ci)")
    profiles = _profiles(tmp_path)
    store = tmp_path / "store"
    report = import_samples(FIXTURE, store=ResultStore(store), profile=load_profile("lmeval", profiles), source=SOURCE)
    assert [s.status for s in report.settings] == ["written", "written"]
    monkeypatch.setenv("CC_RESULTS", str(store))
    output = tmp_path / f"{notebook}.ipynb"
    papermill.execute_notebook(
        str(REPO_ROOT / "notebooks" / f"{notebook}.ipynb"),
        str(output),
        parameters={
            "profile": "lmeval",
            "profiles_file": str(profiles),
            "compute_missing": False,
            "bootstrap": 0 if notebook == "swap" else 200,
        },
        cwd=str(tmp_path),
        progress_bar=False,
        log_output=False,
        kernel_name="python3",
    )
    executed = nbformat.read(output, as_version=4)
    text = "\n".join(
        str(out.get("data", {}).get("text/markdown", ""))
        for cell in executed.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
    )
    assert "carry no per-token data" in text and SOURCE in text
    assert not [
        out
        for cell in executed.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if out.get("output_type") == "error"
    ]


@pytest.mark.slow
def test_an_imported_lmeval_run_flows_through_the_whole_book_build(tmp_path):
    """`make book` on a custom profiles file and store holding the imported rows only: every chapter
    the profile can run is executed on them, the swap chapter (no swap: section) is left out with
    its "not executed" page, and the HTML builds under the custom profile's banner."""
    from conftest import build_book_copy
    from helpers import cli

    if not (Path.home() / ".cache" / "capability-ceilings" / "models" / "smollm2-135m").is_dir() and not os.environ.get(
        "CC_CACHE"
    ):
        pytest.skip("SmolLM2-135M is not built (make models-ci)")
    profiles = _profiles(tmp_path)
    store = tmp_path / "store"
    import_samples(FIXTURE, store=ResultStore(store), profile=load_profile("lmeval", profiles), source=SOURCE)
    status, book_dir = build_book_copy(tmp_path, "lmeval", profiles, store)
    assert status == cli.EXIT_OK
    html = book_dir / "_build" / "html"
    assert "Profile <b>lmeval</b>: SmolLM2-135M scored by lm-evaluation-harness" in (html / "intro.html").read_text()
    scaling = (html / "experiments" / "scaling.html").read_text(encoding="utf-8")
    assert "carry no per-token data" in scaling
    assert not (book_dir / "experiments" / "swap.ipynb").exists()
    assert "has not been executed for profile" in (html / "experiments" / "swap.html").read_text(encoding="utf-8")
