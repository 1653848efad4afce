"""Importing lm-evaluation-harness ``--log_samples`` output into the results store.

Fast tests read the real harness output in ``tests/data/lmeval`` (see its README), or a copy
with one field corrupted: every refusal must name the file, the line and the field, and leave
the store exactly as it was. The slow test runs the harness itself on exported tasks with
SmolLM2-135M and compares the imported rows with our engine's for the same settings.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

from helpers.experiments.evaluation import ROW_COLUMNS, ModelHandle, evaluate  # noqa: E402
from helpers.experiments.lmeval_import import LmEvalImportError, import_samples, main  # noqa: E402
from helpers.infra.store import ResultStore, StoreStack  # noqa: E402

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "lmeval"
SOURCE = "offline:smollm2-135m"  # the fixtures' model, named so that they import on any machine


@pytest.fixture(scope="module", autouse=True)
def datasets_cache(tmp_path_factory):
    """Keep the harness's json-loader cache of the generated documents out of ~/.cache."""
    import datasets

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path_factory.mktemp("hf_datasets"))
        yield


def copy_fixture(tmp_path: Path, name: str = "zero_shot") -> Path:
    target = tmp_path / f"out_{name}"
    shutil.copytree(FIXTURES / name, target)
    return target


def only(folder: Path, pattern: str) -> Path:
    (path,) = folder.glob(pattern)
    return path


def snapshot(root: Path) -> dict[str, str]:
    """Every file under ``root`` with its sha256 (the store's whole state)."""
    return (
        {
            str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*"))
            if p.is_file()
        }
        if root.exists()
        else {}
    )


def no_model(*args, **kwargs):
    raise AssertionError("the model must not be loaded: the imported rows are in the store")


# ----------------------------------------------------------------------------- successful imports


def test_imports_real_output_as_our_rows(tmp_path: Path) -> None:
    out, store = copy_fixture(tmp_path), ResultStore(tmp_path / "store")
    report = import_samples(out, store=store, source=SOURCE)
    by_task = {s.setting.task: s for s in report.settings}
    assert sorted(by_task) == ["arithmetic_2da", "mmlu:abstract_algebra", "mrpc"]
    assert {s.status for s in report.settings} == {"written"}
    mmlu = by_task["mmlu:abstract_algebra"]
    assert (mmlu.setting.kind, mmlu.setting.shots, mmlu.setting.limit, mmlu.seed) == ("knowledge", 0, 3, None)
    assert list(mmlu.rows.columns) == ROW_COLUMNS and len(mmlu.rows) == 12
    first = json.loads(only(out, "samples_cc_mmlu_letter_*").read_text().splitlines()[0])
    assert mmlu.rows["logprob"].tolist()[:4] == [float(r[0]) for r in first["filtered_resps"]]
    assert mmlu.rows["is_greedy"].tolist()[:4] == [r[1] == "True" for r in first["filtered_resps"]]
    assert mmlu.rows["item_id"].tolist()[::4] == ["abstract_algebra/0", "abstract_algebra/1", "abstract_algebra/2"]
    assert mmlu.rows["token_logprobs"].map(len).eq(0).all() and mmlu.rows["continuation"].tolist()[:4] == [
        " A",
        " B",
        " C",
        " D",
    ]
    for imported in report.settings:
        recorded = json.loads((imported.store_path / "provenance.json").read_text())["extra"]["lm_eval"]
        assert recorded["lm_eval_version"] == "0.4.13" and recorded["lm_eval_git_hash"] == "7cd0b51"
        assert recorded["dtype"] == "float32" and recorded["model"] == "hf" and recorded["date"].startswith("2026-")
        assert "pretrained=" in recorded["model_args"] and recorded["results_sha256"]


def test_evaluate_reads_the_imported_rows(tmp_path: Path) -> None:
    """evaluate() on the same settings finds the imported rows and loads no model."""
    from conftest import offline_model_dir_or_skip

    offline_model_dir_or_skip("smollm2-135m", required_in_ci=False)  # evaluate records its build facts
    store = ResultStore(tmp_path / "store")
    report = import_samples(copy_fixture(tmp_path), store=store, source=SOURCE)
    for imported in report.settings:
        handle = ModelHandle(SOURCE, dtype="float32", device="cpu", loader=no_model)
        frame = evaluate(handle, imported.setting, stack=StoreStack(store, []), progress=False)
        pd.testing.assert_frame_equal(frame, imported.rows, check_dtype=False)
        assert "lm_eval" in json.loads((imported.store_path / "provenance.json").read_text())["extra"]


def test_group_run_is_stored_under_the_group_setting(tmp_path: Path) -> None:
    report = import_samples(
        copy_fixture(tmp_path, "two_shot_group"),
        store=ResultStore(tmp_path / "store"),
        source=SOURCE,
        profile="offline",
    )
    by_task = {s.setting.task: s for s in report.settings}
    assert sorted(by_task) == ["arithmetic_core", "mrpc"]
    core = by_task["arithmetic_core"]
    assert (core.setting.kind, core.setting.shots, core.setting.limit, core.n_items) == ("procedure", 2, 2, 10)
    assert core.rows["task"].unique().tolist() == [
        "arithmetic_2da",
        "arithmetic_2ds",
        "arithmetic_3da",
        "arithmetic_3ds",
        "arithmetic_2dm",
    ]
    assert by_task["mrpc"].setting.kind == "pattern" and len(by_task["mrpc"].rows) == 4


def test_dry_run_writes_nothing_and_present_keys_are_kept(tmp_path: Path, capsys) -> None:
    out, root = copy_fixture(tmp_path), tmp_path / "store"
    report = import_samples(out, store=ResultStore(root), dry_run=True, source=SOURCE)
    assert {s.status for s in report.settings} == {"validated"} and snapshot(root) == {}
    import_samples(out, store=ResultStore(root), source=SOURCE)
    before = snapshot(root)
    again = import_samples(out, store=ResultStore(root), source=SOURCE)
    assert {s.status for s in again.settings} == {"present"} and snapshot(root) == before
    assert main([str(out), "--store", str(tmp_path / "cli"), "--dry-run", "--source", SOURCE]) == 0
    assert "validated (dry run)" in capsys.readouterr().out and snapshot(tmp_path / "cli") == {}


def test_model_named_by_hub_id_with_dtype_auto(tmp_path: Path) -> None:
    """dtype=auto falls back to the run's model_dtype; a registry hub id gets registry counts."""
    out = copy_fixture(tmp_path)
    edit_json(("config", "model_args"), "pretrained=EleutherAI/pythia-70m,revision=step143000,dtype=auto")(out)
    report = import_samples(out, store=ResultStore(tmp_path / "store"), dry_run=True)
    imported = report.settings[0]
    assert (imported.handle.model_id, imported.handle.revision, imported.handle.dtype) == (
        "EleutherAI/pythia-70m",
        "step143000",
        "float32",
    )
    assert imported.rows["n_params_nonembedding"].eq(18_915_328).all()  # the Pythia README's count
    assert imported.rows["n_tokens"].ge(1).all()  # the bundled Pythia tokenizer


def test_tasks_not_ours_are_skipped(tmp_path: Path) -> None:
    out = copy_fixture(tmp_path)
    results = only(out, "results_*.json")
    data = json.loads(results.read_text())
    data["configs"]["hellaswag"] = {"task": "hellaswag", "metadata": {"version": 1.0}}
    results.write_text(json.dumps(data, indent=2))
    report = import_samples(out, store=ResultStore(tmp_path / "store"), dry_run=True, source=SOURCE)
    assert any(s.startswith("hellaswag") for s in report.skipped) and len(report.settings) == 3


# ----------------------------------------------------------------------------- refusals


def edit_json(key_path: tuple, value) -> Callable[[Path], tuple[str, int]]:
    """Set ``results[key_path] = value``; the file is rewritten as lm_eval writes it (indent=2)."""

    def corrupt(out: Path) -> tuple[str, int]:
        path = only(out, "results_*.json")
        data = json.loads(path.read_text())
        target = data
        for key in key_path[:-1]:
            target = target[key]
        target[key_path[-1]] = value
        text = json.dumps(data, indent=2, ensure_ascii=False)
        path.write_text(text)
        needle = json.dumps(key_path[-1]) + ":"
        parent_line = next(
            i for i, line in enumerate(text.splitlines()) if line.strip().startswith(json.dumps(key_path[0]) + ":")
        )
        line = next(i for i, row in enumerate(text.splitlines()) if i >= parent_line and row.strip().startswith(needle))
        return path.name, line + 1

    return corrupt


def edit_sample(pattern: str, line: int, change: Callable[[dict], object]) -> Callable[[Path], tuple[str, int]]:
    """Apply ``change`` to sample line ``line`` (1-based) of the samples file matching ``pattern``;
    ``change`` may return a raw string to write instead of the JSON object."""

    def corrupt(out: Path) -> tuple[str, int]:
        path = only(out, pattern)
        lines = path.read_text().splitlines()
        sample = json.loads(lines[line - 1])
        raw = change(sample)
        lines[line - 1] = raw if isinstance(raw, str) else json.dumps(sample, ensure_ascii=False)
        path.write_text("\n".join(lines) + "\n")
        return path.name, line

    return corrupt


def drop_choice(sample: dict) -> None:
    del sample["arguments"]["gen_args_1"]
    sample["filtered_resps"].pop()


def drop_line(pattern: str, line: int) -> Callable[[Path], tuple[str, int]]:
    def corrupt(out: Path) -> tuple[str, int]:
        path = only(out, pattern)
        lines = path.read_text().splitlines()
        del lines[line - 1]
        path.write_text("\n".join(lines) + "\n")
        return path.name, line  # the sample after the gap now sits on this line

    return corrupt


def duplicate_line(pattern: str) -> Callable[[Path], tuple[str, int]]:
    def corrupt(out: Path) -> tuple[str, int]:
        path = only(out, pattern)
        lines = path.read_text().splitlines()
        path.write_text("\n".join([lines[0], *lines]) + "\n")
        return path.name, 2

    return corrupt


def remove_file(pattern: str) -> Callable[[Path], tuple[str, int]]:
    def corrupt(out: Path) -> tuple[str, int]:
        path = only(out, pattern)
        path.unlink()
        return path.name, 1

    return corrupt


MRPC, MMLU, ARITH = "samples_cc_mrpc_*", "samples_cc_mmlu_letter_*", "samples_cc_arithmetic_2da_*"
REFUSALS = {
    "another task version": (edit_json(("versions", "cc_mrpc"), 2.0), "versions.cc_mrpc", "task version"),
    "a missing choice": (edit_sample(MRPC, 2, drop_choice), "arguments", "has 1 requests"),
    "a different prompt": (
        edit_sample(
            MMLU,
            3,
            lambda s: s["arguments"]["gen_args_2"].update(
                arg_0=s["arguments"]["gen_args_2"]["arg_0"].replace("Answer:", "Answer :")
            ),
        ),
        "arguments.gen_args_2.arg_0",
        "differs from our item abstract_algebra/2",
    ),
    "a different continuation": (
        edit_sample(MRPC, 1, lambda s: s["arguments"]["gen_args_1"].update(arg_1=" Yes")),
        "arguments.gen_args_1.arg_1",
        "differs",
    ),
    "another shot count": (
        lambda out: (edit_json(("n-shot", "cc_mrpc"), 2)(out), (only(out, MRPC).name, 1))[1],
        "arguments.gen_args_0.arg_0",
        "differs",
    ),  # 2-shot prompts expected, 0-shot found
    "a doc_id out of range": (edit_sample(ARITH, 2, lambda s: s.update(doc_id=2000)), "doc_id", "out of range"),
    "a gap in doc_ids": (drop_line(ARITH, 2), "doc_id", "missing"),
    "a duplicate doc_id": (duplicate_line(MRPC), "doc_id", "duplicate"),
    "a non-numeric logprob": (
        edit_sample(MRPC, 3, lambda s: s["filtered_resps"][1].__setitem__(0, "-inf?")),
        "filtered_resps[1][0]",
        "not a number",
    ),
    "a NaN logprob": (
        edit_sample(MRPC, 3, lambda s: s["filtered_resps"][0].__setitem__(0, "nan")),
        "filtered_resps[0][0]",
        "not a finite",
    ),
    "a bad greedy flag": (
        edit_sample(MRPC, 1, lambda s: s["filtered_resps"][0].__setitem__(1, "maybe")),
        "filtered_resps[0][1]",
        "is_greedy",
    ),
    "another gold": (edit_sample(MMLU, 2, lambda s: s.update(target="3")), "target", "gold"),
    "a truncated line": (edit_sample(MRPC, 2, lambda s: '{"doc_id": 1, "doc": {'), "(JSON)", "not valid JSON"),
    "a missing samples file": (remove_file(MRPC), "(file)", "missing"),
    # issue 20, class 5: a file cut at a line boundary is not a smaller run, whatever the limit's type
    "a file cut at a line boundary": (
        drop_line(MRPC, 3),
        "doc_id",
        "holds 2 documents, but the run scored 3 (mrpc: 1725 documents, limit 3 in",
    ),
    "a cut file under a float limit (as the lm_eval CLI writes it)": (
        lambda out: (edit_json(("config", "limit"), 3.0)(out), drop_line(MRPC, 3)(out))[1],
        "doc_id",
        "doc_id 2 missing. The file was cut short",
    ),
    "a limit that is not a number": (edit_json(("config", "limit"), "3"), "config.limit", "positive number or null"),
    "a non-HF model": (edit_json(("config", "model"), "openai-completions"), "config.model", "Hugging Face"),
    "an unknown dtype": (
        edit_json(("config", "model_args"), "pretrained=x/y,dtype=float64"),
        "config.model_args",
        "dtype",
    ),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_refusal_names_file_line_field_and_touches_nothing(tmp_path: Path, case: str) -> None:
    corrupt, field, reason = REFUSALS[case]
    root = tmp_path / "store"
    import_samples(copy_fixture(tmp_path, "two_shot_group"), store=ResultStore(root), source=SOURCE)
    before = snapshot(root)
    assert before  # a pre-existing entry
    out = copy_fixture(tmp_path)
    file_name, line = corrupt(out)
    source = None if case in ("a non-HF model", "an unknown dtype") else SOURCE
    with pytest.raises(LmEvalImportError) as caught:
        import_samples(out, store=ResultStore(root), source=source)
    message = str(caught.value)
    assert file_name in message and f"line {line}:" in message and f"field {field!r}" in message, message
    assert reason in message, message
    assert (caught.value.path.name, caught.value.line, caught.value.field) == (file_name, line, field)
    assert isinstance(caught.value, ValueError)
    assert snapshot(root) == before  # nothing written, nothing changed


def test_a_float_limit_is_the_same_run_as_the_integer(tmp_path: Path) -> None:
    """lm_eval's CLI records `--limit 3` as 3.0: the run imports under limit 3, as the API's 3 does."""
    out = copy_fixture(tmp_path)
    edit_json(("config", "limit"), 3.0)(out)
    report = import_samples(out, store=ResultStore(tmp_path / "store"), source=SOURCE, dry_run=True)
    assert sorted((s.setting.task, s.setting.limit, s.n_items) for s in report.settings) == [
        ("arithmetic_2da", 3, 3),
        ("mmlu:abstract_algebra", 3, 3),
        ("mrpc", 3, 3),
    ]


def test_cli_refusal(tmp_path: Path, capsys) -> None:
    out = copy_fixture(tmp_path)
    edit_json(("versions", "cc_mrpc"), "0.9")(out)
    assert main([str(out), "--store", str(tmp_path / "store"), "--source", SOURCE]) == 2
    assert "refused:" in capsys.readouterr().err and snapshot(tmp_path / "store") == {}


def test_empty_or_foreign_folder_refused(tmp_path: Path) -> None:
    with pytest.raises(LmEvalImportError, match="no results_"):
        import_samples(tmp_path, dry_run=True)


# ----------------------------------------------------------------------------- the round trip (slow)


def run_harness(tasks_dir: Path, out: Path, names: list[str], model_dir: Path, *, limit: int) -> None:
    """Run lm-evaluation-harness on exported tasks and save its output as the ``lm_eval`` CLI does."""
    import lm_eval
    from lm_eval.loggers import EvaluationTracker
    from lm_eval.tasks import TaskManager

    tracker = EvaluationTracker(output_path=str(out))
    results = lm_eval.simple_evaluate(
        model="hf",
        model_args=f"pretrained={model_dir},dtype=float32",
        tasks=names,
        task_manager=TaskManager(include_path=str(tasks_dir), include_defaults=False),
        limit=limit,
        log_samples=True,
        bootstrap_iters=0,
        device="cpu",
        batch_size=4,
        evaluation_tracker=tracker,
    )
    samples = results.pop("samples")
    tracker.save_results_aggregated(results=results, samples=samples)
    for name in results["configs"]:
        tracker.save_results_samples(task_name=name, samples=samples[name])


@pytest.mark.slow
def test_round_trip_matches_our_engine(tmp_path: Path) -> None:
    pytest.importorskip("lm_eval")
    from conftest import offline_model_dir_or_skip
    from helpers.experiments.lmeval_export import lmeval_name, write_task_yamls

    model_dir = offline_model_dir_or_skip("smollm2-135m", required_in_ci=True)
    tasks = ["mmlu:abstract_algebra", "arithmetic_2da", "mrpc"]
    write_task_yamls(tmp_path / "tasks", tasks, limit=10)
    run_harness(tmp_path / "tasks", tmp_path / "out", [lmeval_name(t) for t in tasks], model_dir, limit=3)

    report = import_samples(tmp_path / "out", store=ResultStore(tmp_path / "imported"))
    assert sorted(s.setting.task for s in report.settings) == sorted(tasks)
    ours_stack = StoreStack(ResultStore(tmp_path / "ours"), [])
    handle = ModelHandle("offline:smollm2-135m", dtype="float32", device="cpu")
    for imported in report.settings:
        assert imported.handle.model_id == handle.model_id and imported.key["revision"] == handle.revision
        ours = evaluate(handle, imported.setting, stack=ours_stack, progress=False)
        theirs = imported.rows
        # every column but the log-probabilities: the total is compared within a tolerance below
        same = [c for c in ROW_COLUMNS if c not in ("logprob", "token_logprobs", "token_is_greedy")]
        assert (
            len(ours)
            == len(theirs)
            == imported.n_items
            * (4 if "mmlu" in imported.setting.task else 2 if imported.setting.task == "mrpc" else 1)
        )
        pd.testing.assert_frame_equal(
            theirs[same].reset_index(drop=True), ours[same].reset_index(drop=True), check_dtype=False
        )
        worst = (theirs["logprob"] - ours["logprob"]).abs().max()
        assert worst <= 1e-4 and not math.isnan(worst), (imported.setting.task, worst)
        print(f"{imported.setting.task}: max |harness - ours| = {worst:.2e}")
