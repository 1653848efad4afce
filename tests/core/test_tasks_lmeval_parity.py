"""Parity with lm-evaluation-harness: its own requests, built offline, equal ours byte for byte.

For each task we write a small YAML in ``tmp_path`` that ``include``s the harness's own task
file (so its ``doc_to_text``/``doc_to_choice``/``doc_to_target``, description, delimiters,
``process_docs`` and few-shot settings are used as shipped) and only swaps the dataset for
local JSON Lines converted here from our files. The harness then builds its requests
(``build_all_requests``) and we compare ``inst.arguments`` with our ``Request``s in order.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

lm_eval_tasks = pytest.importorskip("lm_eval.tasks")

from helpers.core.tasks import build_items  # noqa: E402
from helpers.infra.paths import DATA_DIR  # noqa: E402

HARNESS_TASKS = Path(lm_eval_tasks.__file__).parent
SEED = 1234  # lm-eval's default fewshot_random_seed; ours too


def _write_jsonl(path: Path, records: list[dict]) -> str:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return str(path)


def _mmlu_records(subject: str, split: str) -> list[dict]:
    """Our headerless CSV -> the cais/mmlu schema (question, subject, choices, answer int)."""
    with open(DATA_DIR / "mmlu" / split / f"{subject}_{split}.csv", encoding="utf-8", newline="") as handle:
        return [
            {"question": r[0], "subject": subject, "choices": r[1:5], "answer": "ABCD".index(r[5])}
            for r in csv.reader(handle)
        ]


def _tsv_records(path: Path, fields: dict[str, int], label: int, encoding: str) -> list[dict]:
    """A TSV with a header -> GLUE-schema dicts (text fields + int label)."""
    with open(path, encoding=encoding, newline="") as handle:
        rows = list(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))[1:]
    return [{**{k: r[i] for k, i in fields.items()}, "label": int(r[label])} for r in rows]


def _harness_requests(tmp_path: Path, name: str, yaml_body: dict, shots: int, limit: int) -> list[tuple[str, str]]:
    """Build the harness's own requests for a task defined by ``yaml_body``."""
    from lm_eval.tasks import TaskManager

    task_dir = tmp_path / f"yaml_{name}"
    task_dir.mkdir()
    (task_dir / f"{name}.yaml").write_text(json.dumps({"task": name, **yaml_body}))
    manager = TaskManager(include_path=str(task_dir), include_defaults=False)
    task = manager.load([name])["tasks"][name]
    task.set_config(key="num_fewshot", value=shots)
    task.set_fewshot_seed(seed=SEED)  # what lm_eval.evaluator does before building requests
    task.build_all_requests(limit=limit, rank=0, world_size=1)
    return [tuple(inst.arguments) for inst in task.instances]


def _ours(task: str, shots: int, limit: int) -> list[tuple[str, str]]:
    return [
        (r.context, r.continuation)
        for item in build_items(task, shots=shots, limit=limit, seed=SEED)
        for r in item.requests
    ]


def _assert_same(theirs: list[tuple[str, str]], ours: list[tuple[str, str]]) -> None:
    assert len(theirs) == len(ours) > 0
    for index, (a, b) in enumerate(zip(theirs, ours)):
        assert a == b, f"request {index} differs:\nharness: {a!r}\nours:    {b!r}"


@pytest.mark.parametrize("shots", [0, 5])
def test_mmlu_letter_matches_harness(tmp_path: Path, shots: int) -> None:
    subject = "high_school_mathematics"
    files = {
        split: _write_jsonl(tmp_path / f"{split}.jsonl", _mmlu_records(subject, split)) for split in ("test", "dev")
    }
    body = {
        "include": str(HARNESS_TASKS / "mmlu" / "default" / f"mmlu_{subject}.yaml"),
        "tag": [],
        "dataset_path": "json",
        "dataset_name": None,
        "dataset_kwargs": {"data_files": files, "cache_dir": str(tmp_path / "hf")},
    }
    theirs = _harness_requests(tmp_path, f"cc_mmlu_{shots}", body, shots, limit=10)
    _assert_same(theirs, _ours(f"mmlu:{subject}", shots, limit=10))


@pytest.mark.parametrize(
    ("task", "stem", "shots"),
    [
        ("arithmetic_2da", "two_digit_addition", 0),
        ("arithmetic_1dc", "single_digit_three_ops", 3),
    ],
)
def test_arithmetic_matches_harness(tmp_path: Path, task: str, stem: str, shots: int) -> None:
    body = {
        "include": str(HARNESS_TASKS / "arithmetic" / f"{task}.yaml"),
        "tag": [],
        "dataset_kwargs": {
            "data_files": {"validation": str(DATA_DIR / "arithmetic" / f"{stem}.jsonl")},
            "cache_dir": str(tmp_path / "hf"),
        },
    }
    theirs = _harness_requests(tmp_path, f"cc_{task}", body, shots, limit=25)
    _assert_same(theirs, _ours(task, shots, limit=25))


@pytest.mark.parametrize("shots", [0, 2])
def test_mrpc_matches_harness(tmp_path: Path, shots: int) -> None:
    fields = {"sentence1": 3, "sentence2": 4}
    files = {
        split: _write_jsonl(
            tmp_path / f"{split}.jsonl",
            _tsv_records(DATA_DIR / "mrpc" / f"msr_paraphrase_{source}.txt", fields, 0, "utf-8-sig"),
        )
        for split, source in (("train", "train"), ("validation", "test"))
    }
    body = {
        "include": str(HARNESS_TASKS / "glue" / "mrpc" / "default.yaml"),
        "tag": [],
        "dataset_path": "json",
        "dataset_name": None,
        "dataset_kwargs": {"data_files": files, "cache_dir": str(tmp_path / "hf")},
    }
    theirs = _harness_requests(tmp_path, f"cc_mrpc_{shots}", body, shots, limit=20)
    _assert_same(theirs, _ours("mrpc", shots, limit=20))


def test_qqp_sample_matches_harness(tmp_path: Path) -> None:
    records = _tsv_records(DATA_DIR / "qqp" / "dev_sample_first9rows.tsv", {"question1": 3, "question2": 4}, 5, "utf-8")
    path = _write_jsonl(tmp_path / "qqp.jsonl", records)
    body = {
        "include": str(HARNESS_TASKS / "glue" / "qqp" / "default.yaml"),
        "tag": [],
        "dataset_path": "json",
        "dataset_name": None,
        "dataset_kwargs": {"data_files": {"train": path, "validation": path}, "cache_dir": str(tmp_path / "hf")},
    }
    theirs = _harness_requests(tmp_path, "cc_qqp", body, 0, limit=9)
    _assert_same(theirs, _ours("qqp_sample", 0, limit=9))
