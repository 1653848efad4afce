"""Exported lm-eval task YAMLs build, inside lm-evaluation-harness, exactly our requests.

``write_task_yamls`` writes YAMLs and JSON Lines generated from our task definitions; the
harness loads them from ``--include_path`` (``TaskManager(include_path=...)``), builds its
requests (``build_all_requests``, few-shot seed set as ``lm_eval.evaluator`` does) and each
``inst.arguments`` must equal our ``(context, continuation)``, request by request, in order.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
pytest.importorskip("lm_eval.tasks")

from helpers.core.tasks import DEFAULT_SEED, TaskError, build_items  # noqa: E402
from helpers.core.tasks.mmlu import MATH_SUBJECTS  # noqa: E402
from helpers.experiments.lmeval_export import (  # noqa: E402
    FORMAT_VERSION,
    expand,
    lmeval_name,
    main,
    our_task,
    write_task_yamls,
)
from helpers.infra.paths import DATA_DIR  # noqa: E402

LIMIT = 4
EXPORTED = ["mmlu_math", "mmlu_math_fulltext", "arithmetic_core", "mrpc", "qqp_sample"]


@pytest.fixture(scope="module", autouse=True)
def datasets_cache(tmp_path_factory):
    """Keep the harness's json-loader cache of the generated documents out of ~/.cache."""
    import datasets

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path_factory.mktemp("hf_datasets"))
        yield


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("lmeval_tasks")
    write_task_yamls(directory, EXPORTED, limit=20)
    return directory


@pytest.fixture(scope="module")
def manager(exported: Path):
    from lm_eval.tasks import TaskManager

    return TaskManager(include_path=str(exported), include_defaults=False)


def harness_requests(manager, task: str, shots: int, limit: int = LIMIT) -> list[tuple[str, str]]:
    name = lmeval_name(task)
    harness_task = manager.load([name])["tasks"][name]
    if harness_task.get_config("num_fewshot") != 0:  # as lm_eval.evaluator: a YAML's 0 is never overridden
        harness_task.set_config(key="num_fewshot", value=shots)
    harness_task.set_fewshot_seed(seed=DEFAULT_SEED)
    harness_task.build_all_requests(limit=limit, rank=0, world_size=1)
    return [tuple(instance.arguments) for instance in harness_task.instances]


def our_requests(task: str, shots: int, limit: int = LIMIT) -> list[tuple[str, str]]:
    return [(r.context, r.continuation) for item in build_items(task, shots=shots, limit=limit) for r in item.requests]


CASES = [(t, s) for t in expand(EXPORTED) for s in ((0, 5) if t.startswith("mmlu:") else (0,))]
CASES += [("arithmetic_2da", 3), ("arithmetic_3ds", 1), ("mrpc", 2)]


@pytest.mark.parametrize(("task", "shots"), CASES, ids=[f"{t}-{s}shot" for t, s in CASES])
def test_exported_task_builds_our_requests(manager, task: str, shots: int) -> None:
    theirs, ours = harness_requests(manager, task, shots), our_requests(task, shots)
    assert len(theirs) == len(ours) > 0
    for index, (a, b) in enumerate(zip(theirs, ours)):
        assert a == b, f"{task} {shots}-shot request {index} differs:\nharness: {a!r}\nours:    {b!r}"


def test_fulltext_stays_zero_shot_whatever_num_fewshot(manager) -> None:
    """Its YAML pins num_fewshot: 0, which lm_eval never overrides (our v0 sampler is not a YAML's)."""
    assert harness_requests(manager, "mmlu_fulltext:abstract_algebra", 5) == our_requests(
        "mmlu_fulltext:abstract_algebra", 0
    )


def test_groups_metadata_and_names(exported: Path, manager) -> None:
    loaded = manager.load(["cc_mmlu_math", "cc_arithmetic_core"])
    assert sorted(loaded["tasks"]) == sorted(
        [lmeval_name(f"mmlu:{s}") for s in MATH_SUBJECTS]
        + ["cc_arithmetic_2da", "cc_arithmetic_2ds", "cc_arithmetic_3da", "cc_arithmetic_3ds", "cc_arithmetic_2dm"]
    )
    config = yaml.safe_load((exported / "cc_mmlu_letter_high_school_mathematics.yaml").read_text())
    assert config["metadata"]["version"] == FORMAT_VERSION
    assert config["metadata"]["generated_by"].startswith("capability-ceilings ")
    assert config["metadata"]["cc_task"] == "mmlu:high_school_mathematics"
    assert all(Path(p).is_absolute() and Path(p).is_file() for p in config["dataset_kwargs"]["data_files"].values())
    group = yaml.safe_load((exported / "cc_mmlu_math.yaml").read_text())
    assert group["group"] == "cc_mmlu_math" and group["metadata"]["generated_by"].startswith("capability-ceilings")
    for task in [*expand(EXPORTED), *EXPORTED]:
        assert our_task(lmeval_name(task)) == task
    with pytest.raises(TaskError):
        our_task("mmlu_abstract_algebra")


def test_limit_truncates_evaluated_docs_but_not_arithmetic_pool(exported: Path) -> None:
    def lines(name: str) -> int:
        return len((exported / "data" / name).read_text().splitlines())

    assert lines("cc_mmlu_letter_abstract_algebra.test.jsonl") == 20
    assert lines("cc_mmlu_letter_abstract_algebra.dev.jsonl") == 5
    assert lines("cc_mrpc.validation.jsonl") == 20 and lines("cc_mrpc.train.jsonl") == 4076
    assert lines("cc_arithmetic_2da.validation.jsonl") == 2000  # also the few-shot pool


def test_relative_directory_and_cli(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["out", "--tasks", "mmlu:abstract_algebra,arithmetic_2da", "--limit", "3"]) == 0
    printed = capsys.readouterr().out
    assert f"--include_path {tmp_path / 'out'}" in printed and "--log_samples" in printed
    assert "--tasks cc_mmlu_letter_abstract_algebra,cc_arithmetic_2da --num_fewshot 0" in printed
    assert "--tasks cc_mmlu_letter_abstract_algebra --num_fewshot 5" in printed
    config = yaml.safe_load((tmp_path / "out" / "cc_arithmetic_2da.yaml").read_text())
    assert Path(config["dataset_kwargs"]["data_files"]["validation"]).is_absolute()
    assert main(["out2", "--tasks", "qqp"]) == 2  # no --qqp-path: refused with the remedy
    assert "dev.tsv" in capsys.readouterr().err


def test_qqp_from_a_dev_file(tmp_path: Path) -> None:
    from lm_eval.tasks import TaskManager

    dev = tmp_path / "glue" / "dev.tsv"
    dev.parent.mkdir()
    dev.write_bytes((DATA_DIR / "qqp" / "dev_sample_first9rows.tsv").read_bytes())
    write_task_yamls(tmp_path / "tasks", ["qqp"], qqp_path=dev)
    config = yaml.safe_load((tmp_path / "tasks" / "cc_qqp.yaml").read_text())
    assert config["metadata"]["cc_path"] == str(dev.resolve())
    manager = TaskManager(include_path=str(tmp_path / "tasks"), include_defaults=False)
    theirs = harness_requests(manager, "qqp", 0, limit=9)
    ours = [(r.context, r.continuation) for item in build_items("qqp", path=dev) for r in item.requests]
    assert theirs == ours


def test_bad_arguments_refused(tmp_path: Path) -> None:
    with pytest.raises(TaskError, match="unknown task"):
        write_task_yamls(tmp_path, ["mmlu_maths"])
    with pytest.raises(TaskError, match="limit"):
        write_task_yamls(tmp_path, ["mrpc"], limit=0)
