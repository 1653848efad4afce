"""Paraphrase pairs (GLUE QQP and MRPC) as lm-evaluation-harness 0.4.13 builds them.

Prompts (``glue/qqp/default.yaml``, ``glue/mrpc/default.yaml``), continuations ``" no"`` and
``" yes"``, gold = label (1 = duplicate / paraphrase = "yes")::

    Question 1: <q1>\\nQuestion 2: <q2>\\nQuestion: Do both questions ask the same thing?\\nAnswer:
    Sentence 1: <s1>\\nSentence 2: <s2>\\nQuestion: Do both sentences mean the same thing?\\nAnswer:

Few-shot (both tasks): the harness draws from the *train* split with one
``random.Random(seed)`` per task walked in document order, ``shots + 1`` per item, dropping
the item itself if drawn and keeping the first ``shots``; each example is rendered
``<text> <no|yes>\\n\\n``.

Data. **MRPC** evaluates the 1,725-pair MSRP *test* file (labels present in the original
release; GLUE hides them) with few-shot examples from the full 4,076-pair MSRP train file.
The harness's own ``mrpc`` evaluates GLUE's 408-pair validation split and samples from GLUE's
3,668-pair train split; both are carved out of that train file by an id list we do not have
offline, so the two cannot be separated here: our numbers are on a different (larger) test
set, and the few-shot pool includes GLUE's validation pairs. **QQP** reads a GLUE ``dev.tsv``
given as ``path=`` (a file, or a folder holding ``dev.tsv``; few-shot needs ``train.tsv``
beside it), else the hub's ``nyu-mll/glue``/``qqp`` when reachable. ``qqp_sample`` is the
bundled 9-row sample of GLUE QQP dev, **for tests only**, never an evaluation set.
"""

from __future__ import annotations

import csv
import os
import random
from pathlib import Path
from typing import NamedTuple

from helpers.core.requests import Item
from helpers.core.tasks._io import (
    TaskError,
    choice_item,
    display_path,
    fewshot_prefix,
    read_csv_rows,
    require_file,
    sample_fewshot,
)

CHOICES = ("no", "yes")
QQP_HEADER = ("id", "qid1", "qid2", "question1", "question2", "is_duplicate")
MRPC_HEADER = ("Quality", "#1 ID", "#2 ID", "#1 String", "#2 String")
QQP_SAMPLE_FILE = ("qqp", "dev_sample_first9rows.tsv")


class Pair(NamedTuple):
    """One labelled pair; ``ids`` are the source's ids (pair id, or the two sentence ids)."""

    first: str
    second: str
    label: int
    line: int
    ids: tuple[str, ...]


def qqp_text(pair: Pair) -> str:
    return (
        f"Question 1: {pair.first}\nQuestion 2: {pair.second}\nQuestion: Do both questions ask the same thing?\nAnswer:"
    )


def mrpc_text(pair: Pair) -> str:
    return (
        f"Sentence 1: {pair.first}\nSentence 2: {pair.second}\n"
        "Question: Do both sentences mean the same thing?\nAnswer:"
    )


def _label(path: Path, line: int, value: str) -> int:
    if value not in ("0", "1"):
        raise TaskError(f"{path}: line {line}: label {value!r} is not 0 or 1. Fix that row.")
    return int(value)


def read_mrpc(path: Path) -> list[Pair]:
    """MSRP release file: UTF-8 with BOM, TSV, no quoting, ``Quality`` 1 = paraphrase."""
    rows = read_csv_rows(
        require_file(path, "mrpc"),
        n_fields=5,
        delimiter="\t",
        quoting=csv.QUOTE_NONE,
        encoding="utf-8-sig",
        header=MRPC_HEADER,
    )
    return [Pair(f[3], f[4], _label(path, line, f[0]), line, (f[1], f[2])) for line, f in rows]


def read_qqp_tsv(path: Path) -> list[Pair]:
    """GLUE QQP ``dev.tsv``/``train.tsv`` (header ``id qid1 qid2 question1 question2
    is_duplicate``; LF or CRLF; no quoting, as GLUE's own loader reads it)."""
    rows = read_csv_rows(
        require_file(path, "qqp"), n_fields=6, delimiter="\t", quoting=csv.QUOTE_NONE, header=QQP_HEADER
    )
    return [Pair(f[3], f[4], _label(path, line, f[5]), line, (f[0], f[1], f[2])) for line, f in rows]


def _hub_offline() -> bool:
    return any(
        os.environ.get(v, "").lower() in ("1", "true", "yes", "on") for v in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE")
    )


def _qqp_from_hub(split: str) -> list[Pair]:
    """GLUE QQP from the Hugging Face hub; :class:`TaskError` with the offline remedy if not."""
    remedy = (
        "the Hugging Face hub is unreachable (or HF_HUB_OFFLINE/HF_DATASETS_OFFLINE is "
        "set), so GLUE QQP cannot be loaded. Pass path= to a local GLUE QQP dev.tsv "
        "(or its folder, with train.tsv for few-shot), or use the task 'mrpc', the "
        "offline stand-in bundled in data/mrpc."
    )
    if _hub_offline():
        raise TaskError(f"qqp: {remedy}")
    try:
        import datasets

        rows = datasets.load_dataset("nyu-mll/glue", "qqp", split=split)
    except Exception as err:  # any hub/network failure: give the offline remedy
        raise TaskError(f"qqp: {remedy} ({type(err).__name__}: {err})") from err
    return [Pair(r["question1"], r["question2"], int(r["label"]), i + 1, (str(r["idx"]),)) for i, r in enumerate(rows)]


def _qqp_sources(task: str, path: Path | None, data_dir: Path, shots: int):
    """(eval pairs, few-shot pool or None, description of the source)."""
    if task == "qqp_sample":
        eval_path = path or data_dir.joinpath(*QQP_SAMPLE_FILE)
    elif path is not None:
        eval_path = path / "dev.tsv" if path.is_dir() else path
    else:
        return _qqp_from_hub("validation"), _qqp_from_hub("train") if shots else None, "hub"
    pairs = read_qqp_tsv(eval_path)
    pool = None
    if shots:
        train_path = eval_path.parent / "train.tsv"
        if not train_path.is_file():
            raise TaskError(
                f"{task}: shots={shots} needs GLUE QQP train.tsv next to "
                f"{eval_path} (the harness samples few-shot examples from train); "
                f"put it there or use shots=0."
            )
        pool = read_qqp_tsv(train_path)
    return pairs, pool, display_path(eval_path)


def items(task: str, *, shots: int, limit: int | None, seed: int, path: Path | None, data_dir: Path) -> list[Item]:
    """Items of ``qqp``, ``qqp_sample`` or ``mrpc``, first ``limit`` pairs."""
    if task == "mrpc":
        folder = path or data_dir / "mrpc"
        pairs = read_mrpc(folder / "msr_paraphrase_test.txt")
        pool = read_mrpc(folder / "msr_paraphrase_train.txt") if shots else None
        source, to_text = display_path(folder / "msr_paraphrase_test.txt"), mrpc_text
    else:
        pairs, pool, source = _qqp_sources(task, path, data_dir, shots)
        to_text = qqp_text
    rnd = random.Random(seed)

    def same(a: Pair, b: Pair) -> bool:  # the harness compares doc dicts: texts and label
        return (a.first, a.second, a.label) == (b.first, b.second, b.label)

    result = []
    for index, pair in enumerate(pairs[:limit]):
        shots_drawn = sample_fewshot(rnd, pool, shots, eval_doc=pair, same=same) if shots else []
        prefix = fewshot_prefix([(to_text(p), CHOICES[p.label]) for p in shots_drawn], " ")
        context = prefix + to_text(pair)
        meta = {
            "subject": task,
            "source": source,
            "row": index,
            "line": pair.line,
            "ids": pair.ids,
            "label": pair.label,
            "shots": shots,
            "fewshot_lines": [p.line for p in shots_drawn],
            "fewshot_seed": seed,
            "tests_only": task == "qqp_sample",
        }
        result.append(choice_item(task, f"{task}/{index}", context, CHOICES, pair.label, meta))
    return result
