"""Markdown tables for generated pages (MyST pipe tables, optionally in a captioned ``{table}``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def _cell(value: Any) -> str:
    """One table cell: text with pipes escaped and newlines flattened."""
    return str(value).replace("|", "\\|").replace("\n", " ")


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A GitHub/MyST pipe table (ValueError for an empty header or a row of another width)."""
    if not header:
        raise ValueError("A table needs at least one column; got an empty header.")
    for row in rows:
        if len(row) != len(header):
            raise ValueError(
                f"Row {list(row)!r} has {len(row)} cells but the header has {len(header)}: "
                f"{list(header)!r}. Give every row one value per column."
            )
    lines = ["| " + " | ".join(_cell(h) for h in header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


WHOLE_WORDS_CLASS = "cc-whole-words"


def whole_words(text: Any) -> str:
    """``text`` in a span that wraps between words only (``report.css``): for a verdict column, whose
    words must never break inside ("reprodu|ced") when the table squeezes its columns to fit."""
    return f'<span class="{WHOLE_WORDS_CLASS}">{text}</span>'


def table_directive(caption: str, name: str, table: str) -> str:
    """Wrap a pipe table in a MyST ``{table}`` directive so it has a caption and a label."""
    return f":::{{table}} {caption}\n:name: {name}\n\n{table}\n:::\n"
