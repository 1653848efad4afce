"""GPT-3 arithmetic (Brown et al., 2020, §3.9.1) as lm-evaluation-harness 0.4.13 builds it.

The harness's ``arithmetic_*`` tasks read the GPT-3 JSONL files (``{"context",
"completion"}``) and normalise each context exactly as the old dataset script did
(``lm_eval/tasks/arithmetic/utils.py``)::

    context.strip().replace("\\n\\n", "\\n").replace("Q:", "Question:").replace("A:", "Answer:")

so ``"\\n\\nQ: What is 98 plus 45?\\n\\nA:"`` becomes ``"Question: What is 98 plus 45?\\nAnswer:"``.
The continuation is the completion unchanged (``" 143"``; target delimiter ``""``). One
request per item, gold 0; accuracy is the request's ``is_greedy`` flag.

Few-shot (the harness has no training split for these tasks, so it falls back to the
validation split, which is also the evaluated split): a ``random.Random(seed)`` made once
per task and walked in document order draws ``shots + 1`` examples from all 2,000 items,
drops the current item and keeps the first ``shots``; each example is rendered
``<context><completion>\\n\\n``.
"""

from __future__ import annotations

import random
from pathlib import Path

from helpers.core.requests import Item, Request
from helpers.core.tasks._io import TaskError, display_path, fewshot_prefix, read_jsonl, require_file, sample_fewshot

# task name -> GPT-3 file stem (the mapping of lm-eval's arithmetic_*.yaml data_files)
FILES = {
    "arithmetic_1dc": "single_digit_three_ops",
    "arithmetic_2da": "two_digit_addition",
    "arithmetic_2dm": "two_digit_multiplication",
    "arithmetic_2ds": "two_digit_subtraction",
    "arithmetic_3da": "three_digit_addition",
    "arithmetic_3ds": "three_digit_subtraction",
    "arithmetic_4da": "four_digit_addition",
    "arithmetic_4ds": "four_digit_subtraction",
    "arithmetic_5da": "five_digit_addition",
    "arithmetic_5ds": "five_digit_subtraction",
    # extra files from the same GPT-3 folder; not lm-eval tasks, not in the `arithmetic` group
    "arithmetic_6da": "six_digit_addition",
    "arithmetic_6ds": "six_digit_subtraction",
    "arithmetic_sod": "sum_of_digits",
}
GROUP = tuple(FILES)[:10]  # the harness's `arithmetic` group: 1dc, 2da .. 5ds
CORE_GROUP = ("arithmetic_2da", "arithmetic_2ds", "arithmetic_3da", "arithmetic_3ds", "arithmetic_2dm")
"""The report's arithmetic difficulties (our grouping, not a harness group): 2- and 3-digit
addition and subtraction, and 2-digit multiplication."""


def normalise_context(raw: str) -> str:
    """The harness's ``process_docs`` transform of a GPT-3 context."""
    return raw.strip().replace("\n\n", "\n").replace("Q:", "Question:").replace("A:", "Answer:")


def resolve_file(task: str, path: Path | None, data_dir: Path) -> Path:
    """``path`` may be the task's .jsonl file or a folder of GPT-3 files; default ``data_dir``."""
    if path is not None and path.suffix == ".jsonl":
        return require_file(path, task)
    return require_file((path or data_dir) / f"{FILES[task]}.jsonl", task)


def items(task: str, *, shots: int, limit: int | None, seed: int, path: Path | None, data_dir: Path) -> list[Item]:
    """Items of one arithmetic task, first ``limit`` rows of its file."""
    source = resolve_file(task, path, data_dir)
    docs = [
        (line, normalise_context(rec["context"]), rec["completion"])
        for line, rec in read_jsonl(source, keys=("context", "completion"))
    ]
    if not docs:
        raise TaskError(f"{task}: {source} holds no rows.")
    pool = list(range(len(docs)))  # few-shot pool: every doc of the same split, by index
    rnd = random.Random(seed)

    def same(i: int, j: int) -> bool:  # the harness compares processed doc dicts
        return docs[i][1:] == docs[j][1:]

    result = []
    for index, (line, context, completion) in enumerate(docs[:limit]):
        shot_ids = sample_fewshot(rnd, pool, shots, eval_doc=index, same=same)
        prefix = fewshot_prefix([(docs[j][1], docs[j][2]) for j in shot_ids], target_delimiter="")
        result.append(
            Item(
                task=task,
                item_id=f"{task}/{index}",
                requests=(Request(prefix + context, completion),),
                gold=0,
                choice_labels=(completion.strip(),),
                meta={
                    "subject": task,
                    "file": display_path(source),
                    "row": index,
                    "line": line,
                    "answer": completion.strip(),
                    "shots": shots,
                    "fewshot_rows": shot_ids,
                    "fewshot_seed": seed,
                    "in_lm_eval_group": task in GROUP,
                },
            )
        )
    return result
