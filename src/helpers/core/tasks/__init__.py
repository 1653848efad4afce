"""Task data -> log-likelihood :class:`~helpers.core.requests.Item` lists, as lm-evaluation-harness builds them.

One entry point, :func:`build_items`, for every task the report uses; :func:`list_tasks` names
them. Prompts and continuations are byte-identical to lm-evaluation-harness 0.4.13's own
requests (``tests/test_tasks_lmeval_parity.py`` checks this request by request), except the
``*_fulltext`` MMLU tasks, which reproduce the old harness's ``hendrycksTest-*`` VERSION 0
that the published Pythia/OPT numbers use. Each module documents its prompt and few-shot rule:

- :mod:`helpers.core.tasks.mmlu`: ``mmlu_math``, ``mmlu:<subject>`` (letter format) and
  ``mmlu_math_fulltext``, ``mmlu_fulltext:<subject>`` (full-answer-text format);
- :mod:`helpers.core.tasks.arithmetic`: ``arithmetic`` (group of 10), ``arithmetic_core`` (2- and
  3-digit addition and subtraction, 2-digit multiplication: the report's difficulties), ``arithmetic_1dc`` ..
  ``arithmetic_5ds``, plus ``arithmetic_6da``, ``arithmetic_6ds``, ``arithmetic_sod``;
- :mod:`helpers.core.tasks.pairs`: ``qqp``, ``qqp_sample`` (tests only) and ``mrpc``.

Groups expand to their subtasks in a fixed order; each item's ``task`` is the subtask's name
and ``meta["group"]`` the group's.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

from helpers.core.requests import Item
from helpers.core.tasks import arithmetic, mmlu, pairs
from helpers.core.tasks._io import TaskError, check_settings
from helpers.infra.paths import DATA_DIR

__all__ = ["TaskError", "build_items", "list_tasks", "DEFAULT_SEED"]

DEFAULT_SEED = 1234  # lm-eval's default fewshot_random_seed
GROUPS: dict[str, tuple[str, ...]] = {
    "mmlu_math": tuple(f"mmlu:{s}" for s in mmlu.MATH_SUBJECTS),
    "mmlu_math_fulltext": tuple(f"mmlu_fulltext:{s}" for s in mmlu.MATH_SUBJECTS),
    "arithmetic": arithmetic.GROUP,
    "arithmetic_core": arithmetic.CORE_GROUP,
}
SINGLE_TASKS: tuple[str, ...] = (
    *(f"mmlu:{s}" for s in mmlu.SUBJECTS),
    *(f"mmlu_fulltext:{s}" for s in mmlu.SUBJECTS),
    *arithmetic.FILES,
    "qqp",
    "qqp_sample",
    "mrpc",
)


def list_tasks() -> list[str]:
    """Every accepted task name: groups first, then single tasks."""
    return [*GROUPS, *SINGLE_TASKS]


def _unknown(task: str) -> TaskError:
    if ":" in task:
        prefix, subject = task.split(":", 1)
        if prefix in ("mmlu", "mmlu_fulltext"):
            close = difflib.get_close_matches(subject, mmlu.SUBJECTS, n=3, cutoff=0.5)
            hint = f"did you mean {', '.join(repr(f'{prefix}:{c}') for c in close)}? " if close else ""
            return TaskError(
                f"unknown MMLU subject {subject!r} in task {task!r}; {hint}"
                f"the 57 subjects are: {', '.join(mmlu.SUBJECTS)}."
            )
    close = difflib.get_close_matches(task, list_tasks(), n=3, cutoff=0.5)
    hint = f"did you mean {', '.join(map(repr, close))}? " if close else ""
    return TaskError(
        f"unknown task {task!r}; {hint}known tasks: {', '.join(GROUPS)}, "
        f"mmlu:<subject>, mmlu_fulltext:<subject>, "
        f"{', '.join(arithmetic.FILES)}, qqp, qqp_sample, mrpc "
        f"(full list: helpers.core.tasks.list_tasks())."
    )


def _build_one(task: str, *, shots: int, limit: int | None, seed: int | None, path: Path | None) -> list[Item]:
    """Items of one (non-group) task."""
    if task.startswith("mmlu:"):
        return mmlu.letter_items(
            task, task.split(":", 1)[1], shots=shots, limit=limit, data_dir=path or DATA_DIR / "mmlu"
        )
    if task.startswith("mmlu_fulltext:"):
        return mmlu.fulltext_items(
            task,
            task.split(":", 1)[1],
            shots=shots,
            limit=limit,
            seed=mmlu.FULLTEXT_SEED if seed is None else seed,
            data_dir=path or DATA_DIR / "mmlu",
        )
    seed = DEFAULT_SEED if seed is None else seed
    if task in arithmetic.FILES:
        return arithmetic.items(task, shots=shots, limit=limit, seed=seed, path=path, data_dir=DATA_DIR / "arithmetic")
    return pairs.items(task, shots=shots, limit=limit, seed=seed, path=path, data_dir=DATA_DIR)


def build_items(
    task: str,
    *,
    shots: int = 0,
    limit: int | None = None,
    seed: int | None = None,
    path: str | os.PathLike | None = None,
) -> list[Item]:
    """Build the log-likelihood items of ``task`` (see :func:`list_tasks`).

    Args:
        task: a task or group name, e.g. ``"mmlu_math"``, ``"mmlu:anatomy"``,
            ``"arithmetic_2da"``, ``"mrpc"``.
        shots: number of few-shot examples in each context (each module documents where
            they come from, as the harness does).
        limit: keep the first ``limit`` items of each (sub)task, in source-file order,
            like lm-eval's ``--limit``; ``None`` keeps all.
        seed: seed of the few-shot sampler. ``None`` = the harness's own: 1234 (lm-eval
            0.4's ``fewshot_random_seed``) for every task, except 42 for the
            ``*_fulltext`` MMLU tasks (hard-coded in the v0.3 harness).
        path: data override. MMLU: the folder holding ``dev/ val/ test/``; arithmetic: a
            folder of GPT-3 ``.jsonl`` files (or, for one task, the file); ``mrpc``: the
            folder holding ``msr_paraphrase_{train,test}.txt``; ``qqp``: a GLUE QQP
            ``dev.tsv`` (or its folder); ``qqp_sample``: the sample file.

    Raises:
        TaskError: unknown task or subject, missing or malformed data (file and line
            named), impossible settings, or QQP with neither ``path=`` nor the hub.
    """
    if not isinstance(task, str):
        raise TaskError(f"task must be a string such as 'mmlu_math', got {task!r}.")
    check_settings(task, shots, limit)
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
        raise TaskError(f"{task}: seed={seed!r} must be an integer or None.")
    subtasks = GROUPS.get(task, (task,))
    for name in subtasks:
        if name not in SINGLE_TASKS:
            raise _unknown(name)
    data_path = Path(path).expanduser() if path is not None else None
    result: list[Item] = []
    for name in subtasks:
        built = _build_one(name, shots=shots, limit=limit, seed=seed, path=data_path)
        if task in GROUPS:
            built = [
                Item(i.task, i.item_id, i.requests, i.gold, i.choice_labels, {**i.meta, "group": task}) for i in built
            ]
        result.extend(built)
    return result
