"""The end-of-run report: one row per job and notebook, then a table of the failures."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from helpers.infra.jobs import JobOutcome

__all__ = ["describe", "first_line", "format_report"]


def describe(outcome: JobOutcome) -> str:
    """One line: what a finished job did."""
    if not outcome.ok:
        return f"{outcome.error_type}: {(outcome.message or '').splitlines()[0] if outcome.message else ''}"
    result = outcome.result
    if isinstance(result, dict) and "computed" in result:
        computed, cached = result.get("computed") or [], result.get("cached") or []
        line = f"computed {', '.join(computed) or 'nothing'}; cached {', '.join(cached) or 'nothing'}"
        if result.get("recomputed"):  # stored, but a shard was invalid (damaged, digest mismatch)
            line += f"; recomputed {', '.join(result['recomputed'])}"
        return line
    return "done"


def first_line(text: str | None, width: int = 120) -> str:
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return line if len(line) <= width else line[: width - 3] + "..."


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows)]
    lines = [
        "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip()
        for row in [header, ["-" * w for w in widths], *rows]
    ]
    return "\n".join(lines)


def format_report(jobs: Sequence[JobOutcome], notebooks: Sequence[Any]) -> str:
    """The end-of-run summary: one row per job and notebook, then a table of the failures."""
    rows = [["job", o.label, "ok" if o.ok else "FAILED", f"{o.seconds:.1f}", first_line(describe(o), 70)] for o in jobs]
    rows += [
        [
            "notebook",
            o.name,
            "ok" if o.ok else "FAILED",
            f"{o.seconds:.1f}",
            first_line(o.output_path if o.ok else f"{o.error_type}: {o.message}", 70),
        ]
        for o in notebooks
    ]
    parts = ["Summary", _table(["kind", "name", "status", "seconds", "detail"], rows)] if rows else ["Nothing to do."]
    failures = [
        ["job", o.label, o.error_type or "", first_line(o.message), o.log_path or "-"] for o in jobs if not o.ok
    ]
    failures += [
        ["notebook", o.name, o.error_type or "", first_line(o.message), o.log_path or "-"]
        for o in notebooks
        if not o.ok
    ]
    if failures:
        parts += ["", f"{len(failures)} failure(s)", _table(["kind", "name", "error type", "message", "log"], failures)]
    else:
        parts += ["", "No failures."]
    return "\n".join(parts)
