"""The per-item explorer: every scored item with its prompt, choices and each model's answer.

:func:`item_rows` turns the per-request rows of a chapter (``helpers.experiments.evaluation.evaluate_many``)
into one row per (task kind, task, item): the end of the prompt, the choices (gold marked), and per
model its log-probability of each choice and the answer it picks (the highest log-probability; for a
single continuation such as arithmetic, whether greedy decoding produces the gold answer).
With ``condition="condition"`` it does the same for the attention-swap rows, one column per condition.
The prompts come from the task items themselves (:func:`helpers.core.tasks.build_items`, built as the
scoring built them). :func:`explorer` shows such a table with the report's one table widget,
:func:`helpers.render.tables.interactive_table` (searchable, sortable, offline), and a CSV download of
the same rows.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from helpers.render.tables import Html, interactive_table

PROMPT_CHARS = 160
"""The end of the prompt shown (the question; few-shot examples come before it)."""


def _short(model_id: str) -> str:
    return str(model_id).rsplit("/", 1)[-1].split(":", 1)[-1]


def prompts(settings: Mapping, kinds, seed: int | None = None) -> dict[tuple[str, str], tuple[str, list[str], int]]:
    """``{(task, item_id): (prompt end, choices, gold)}`` for the task kinds ``kinds`` of ``settings``
    (task kind -> :class:`~helpers.infra.profiles.TaskSetting`), few-shot examples drawn with ``seed``."""
    from helpers.core.tasks import build_items  # the task data, read only when a table is built

    found = {}
    for kind in kinds:
        setting = settings[kind]
        for item in build_items(setting.task, seed=seed, **setting.build_kwargs()):
            context = item.requests[0].context
            tail = context if len(context) <= PROMPT_CHARS else "…" + context[-PROMPT_CHARS:]
            tail = tail.replace("\n", " ↵ ")  # line breaks shown, not lost, in a one-line cell
            found[(item.task, str(item.item_id))] = (tail, [r.continuation for r in item.requests], item.gold)
    return found


def _answer(group: pd.DataFrame) -> str:
    if len(group) == 1:
        return "gold (greedy)" if bool(group["is_greedy"].iloc[0]) else "not the gold"
    best = group.loc[group["logprob"].idxmax()]
    mark = "✓" if bool(best["is_gold"]) else "✗"
    return f"{best['label'] if str(best['label']) else best['choice']} {mark}"


def _choices_text(choices: list[str], labels: list[str], gold: int) -> str:
    if len(choices) == 1:
        return f"gold: {choices[0].strip()}"
    return " | ".join(
        f"{label}) {text.strip()}{' (gold)' if index == gold else ''}"
        for index, (label, text) in enumerate(zip(labels, choices))
    )


def item_rows(
    rows: pd.DataFrame, settings: Mapping, seed: int | None = None, condition: str | None = None
) -> pd.DataFrame:
    """One row per (task kind, task, item): prompt end, choices, per model (or ``condition`` column
    value) the log-probability of each choice and the answer it picks."""
    keys = ["model_id"] + ([condition] if condition else [])
    one_model = rows["model_id"].nunique() == 1
    found = prompts(settings, list(dict.fromkeys(rows["kind"])), seed)
    records: dict[tuple[str, str, str], dict] = {}
    for (kind, task, item_id, model_id, *rest), group in rows.sort_values("choice").groupby(
        ["kind", "task", "item_id", *keys], sort=False
    ):
        prompt, choices, gold = found.get(
            (task, str(item_id)), ("", list(group["continuation"]), int(group["gold"].iloc[0]))
        )
        record = records.setdefault(
            (kind, task, str(item_id)),
            {
                "task kind": kind,
                "task": task,
                "item": str(item_id),
                "prompt (end)": prompt,
                "choices": _choices_text(choices, [str(label) for label in group["label"]], gold),
            },
        )
        name = " ".join(([] if rest and one_model else [_short(model_id)]) + [str(value) for value in rest])
        record[f"{name}: answer"] = _answer(group)
        record[f"{name}: log p per choice"] = " / ".join(f"{value:.2f}" for value in group["logprob"])
    return pd.DataFrame(list(records.values()))


def explorer(table: pd.DataFrame, filename: str, caption: str) -> Html:
    """The interactive per-item table with a CSV download of its rows beside it."""
    return interactive_table(table, filename=filename, caption=caption)
