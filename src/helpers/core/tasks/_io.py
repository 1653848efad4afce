"""Shared pieces of the task builders: the error class, strict file readers, few-shot sampling,
the multiple-choice item.

Every reader reports a bad file by its path and line number (1-based, as an editor shows
it), so a malformed row can be found and fixed by hand. The sampler reproduces
lm-evaluation-harness's ``ContextSampler.sample`` draw for draw, so a prompt built here is
byte-identical to the harness's for the same seed.
"""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from helpers.core.requests import Item, Request

T = TypeVar("T")


class TaskError(ValueError):
    """Bad task request or bad task data: unknown task or subject, missing or malformed
    data file (the message names the file and line), or settings the task cannot honour."""


def display_path(path: Path) -> str:
    """``path`` as ``data/...`` when it lies in the project's data folder, else as given.

    Items record where they came from in ``meta`` for people to read; inside the repository the
    path is written relative to it, so it reads the same in every clone.
    """
    from helpers.infra.paths import DATA_DIR

    try:
        return f"data/{Path(path).resolve().relative_to(DATA_DIR.resolve()).as_posix()}"
    except ValueError:
        return str(path)


def require_file(path: Path, what: str) -> Path:
    """Return ``path`` if it is a readable file, else raise :class:`TaskError` naming it."""
    if not path.is_file():
        raise TaskError(
            f"{what}: data file {str(path)!r} does not exist. Check the path (or the `path=` "
            f"argument of build_items) and the folder's SOURCES.md for how to obtain it."
        )
    return path


def read_csv_rows(
    path: Path,
    *,
    n_fields: int,
    delimiter: str = ",",
    quoting: int = csv.QUOTE_MINIMAL,
    encoding: str = "utf-8",
    header: Sequence[str] | None = None,
) -> list[tuple[int, list[str]]]:
    """Read a delimited file into ``(line_number, fields)`` pairs, checking every row.

    ``line_number`` is the 1-based line on which the record starts. A row with a field
    count other than ``n_fields`` raises :class:`TaskError` naming the file and line. When
    ``header`` is given, the first row must equal it exactly (and is not returned).
    """
    rows: list[tuple[int, list[str]]] = []
    with open(path, encoding=encoding, newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter, quoting=quoting, strict=True)
        start = 1
        try:
            for fields in reader:
                line_no, start = start, reader.line_num + 1
                if header is not None and line_no == 1:
                    if fields != list(header):
                        raise TaskError(
                            f"{path}: line 1: header {fields!r} is not the expected "
                            f"{list(header)!r}; is this the right file?"
                        )
                    continue
                if not fields:  # a blank line
                    continue
                if len(fields) != n_fields:
                    raise TaskError(
                        f"{path}: line {line_no}: expected {n_fields} fields, found "
                        f"{len(fields)}: {fields!r}. Fix or remove that row."
                    )
                rows.append((line_no, fields))
        except csv.Error as err:
            raise TaskError(f"{path}: line {reader.line_num}: unreadable row ({err}).") from err
    return rows


def read_jsonl(path: Path, keys: Sequence[str]) -> list[tuple[int, dict]]:
    """Read JSON Lines into ``(line_number, record)`` pairs; each record needs ``keys`` (str)."""
    records: list[tuple[int, dict]] = []
    with open(path, encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise TaskError(f"{path}: line {line_no}: not valid JSON ({err}).") from err
            if not isinstance(record, dict) or any(not isinstance(record.get(key), str) for key in keys):
                raise TaskError(
                    f"{path}: line {line_no}: expected an object with string fields "
                    f"{list(keys)}, found {line.strip()[:120]!r}."
                )
            records.append((line_no, record))
    return records


def sample_fewshot(
    rnd: random.Random,
    pool: Sequence[T],
    n: int,
    eval_doc: T | None,
    same: Callable[[T, T], bool] = lambda a, b: a == b,
) -> list[T]:
    """Draw ``n`` few-shot examples from ``pool`` exactly as lm-eval's ``ContextSampler``.

    Without ``eval_doc``: ``rnd.sample(pool, n)``. With it: sample ``n + 1``, drop every
    drawn example equal to ``eval_doc``, keep the first ``n``; if duplicates of ``eval_doc``
    left fewer than ``n``, draw ``n`` again from the pool without any copy of it.
    """
    if n == 0:
        return []
    if n + (eval_doc is not None) > len(pool):
        raise TaskError(
            f"cannot draw {n} few-shot examples from a pool of {len(pool)}; "
            f"use shots <= {len(pool) - (eval_doc is not None)}."
        )
    if eval_doc is None:
        return rnd.sample(list(pool), n)
    drawn = [x for x in rnd.sample(list(pool), n + 1) if not same(x, eval_doc)][:n]
    if len(drawn) < n:
        drawn = rnd.sample([x for x in pool if not same(x, eval_doc)], n)
    return drawn


def fewshot_prefix(
    examples: Iterator[tuple[str, str]] | Sequence[tuple[str, str]],
    target_delimiter: str,
    fewshot_delimiter: str = "\n\n",
) -> str:
    """Render ``(text, target)`` examples as lm-eval does: ``text + tgt_delim + target + few_delim``."""
    return "".join(f"{text}{target_delimiter}{target}{fewshot_delimiter}" for text, target in examples)


def choice_item(
    task: str,
    item_id: str,
    context: str,
    choices: Sequence[str],
    gold: int,
    meta: dict[str, Any],
    labels: tuple[str, ...] | None = None,
) -> Item:
    """A multiple-choice item: one request per choice, its continuation ``" " + choice`` (lm-eval's
    target delimiter) after ``context``; ``gold`` indexes ``choices``; ``labels`` name the choices
    (default: the choices themselves)."""
    return Item(
        task=task,
        item_id=item_id,
        requests=tuple(Request(context, f" {choice}") for choice in choices),
        gold=gold,
        choice_labels=tuple(choices) if labels is None else labels,
        meta=meta,
    )


def check_settings(task: str, shots: int, limit: int | None) -> None:
    """Reject negative or non-integer ``shots``/``limit`` with a message naming the value."""
    if not isinstance(shots, int) or isinstance(shots, bool) or shots < 0:
        raise TaskError(f"{task}: shots={shots!r} must be an integer >= 0.")
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 1):
        raise TaskError(f"{task}: limit={limit!r} must be None or an integer >= 1.")
