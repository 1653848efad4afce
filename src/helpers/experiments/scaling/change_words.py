"""The smallest-to-largest changes of :func:`~helpers.experiments.scaling.changes.change_table` in words.

A sentence per row (both tests, their verdicts, the confidence-competence gap), a reader's table
with the verdict beside its numbers, and one sentence counting the verdicts. Reads the columns of
``change_table`` rows only; :mod:`helpers.experiments.scaling.changes` computes them and
re-exports these functions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

from helpers.analysis.baselines import is_near_constant
from helpers.experiments.scaling.views import short_name
from helpers.render.markdown import whole_words
from helpers.render.numbers import count_text, listing, number, p_text, pct, points_interval, relative_interval
from helpers.render.tables import reader_table


def balance_words(row: Mapping) -> str:
    """The majority baseline of the paired items and any near-constant answerer, said before the verdict."""
    majority = row.get("majority", math.nan)
    if not majority == majority:
        return ""
    words = [f'always answering "{row["majority_label"]}" scores {pct(majority, 0)} on these items']
    for side in ("small", "large"):
        share = row.get(f"top_{side}", math.nan)
        if is_near_constant(share):
            words.append(
                f'{short_name(row[f"{side}_model"])} answers "{row[f"top_{side}_label"]}" on '
                f"{pct(share, 0)} of them (a near-constant answerer)"
            )
    return " (" + "; ".join(words) + ")"


def _accuracy_words(row: Mapping) -> str:
    status = row["accuracy_status"]
    base = (
        f"accuracy {pct(row['accuracy_small'], 0)} → {pct(row['accuracy_large'], 0)}, "
        f"{points_interval(row['accuracy_change'], row['accuracy_change_low'], row['accuracy_change_high'])}, "
        f"exact McNemar {p_text(row['accuracy_p_holm'])} (Holm){balance_words(row)}"
    )
    majority = row.get("majority", math.nan)
    if status == "rose" and majority == majority and row["accuracy_large"] <= majority:
        return (
            f'{base}: rose, but not above always answering "{row["majority_label"]}" ({pct(majority, 0)}): '
            "this may be no more than a shift toward that answer"
        )
    if status == "no change":
        return f"{base}: no change (90% interval within ±{100 * row['accuracy_margin']:g} pts)"
    if status == "inconclusive":
        mde = row["accuracy_mde"]
        items = count_text(row["n_items"], "item")
        detectable = (
            f"the smallest change detectable with {items} is about {100 * mde:.0f} pts"
            if math.isfinite(mde)
            else f"no change is detectable with {items} at this discordance"
        )
        return f"{base}: inconclusive ({detectable})"
    return f"{base}: {status}"


def _loss_words(row: Mapping) -> str:
    status = row["loss_status"]
    base = (
        f"gold-answer loss {number(row['loss_small'])} → {number(row['loss_large'])} nats/token, "
        f"{relative_interval(row['loss_relative'], row['loss_relative_low'], row['loss_relative_high'])}, "
        f"Wilcoxon {p_text(row['loss_p_holm'])} (Holm)"
    )
    if status == "inconclusive" and math.isfinite(row["loss_mde"]):
        return f"{base}: inconclusive (smallest detectable change about {100 * row['loss_mde']:.0f}%)"
    if status == "no change":
        return f"{base}: no change (90% interval within ±{100 * row['loss_margin']:g}%)"
    return f"{base}: {status}"


def gap_words(row: Mapping) -> str:
    """The confidence-competence gap of one row in words (bounded, or why not)."""
    if not str(row["gap_status"]).startswith("bounded"):
        return f"gap {row['gap_status']}"
    return (
        f"gap (relative loss fall / relative accuracy rise) {number(row['gap'], 2)} "
        f"[{number(row['gap_low'], 2)}, {number(row['gap_high'], 2)}]"
    )


def change_sentence(row: Mapping, labels: Mapping[str, str] | None = None) -> str:
    """One generated sentence per :func:`change_table` row: both tests, their verdicts, the gap."""
    kind = (labels or {}).get(row["kind"], row["kind"])
    return (
        f"**{row['family']}**, {kind} ({short_name(row['small_model'])} → {short_name(row['large_model'])}, "
        f"{row['n_items']:,} paired items): {_accuracy_words(row)}; {_loss_words(row)}; {gap_words(row)}."
    )


def changes_markdown(table: pd.DataFrame, labels: Mapping[str, str] | None = None) -> str:
    """:func:`change_table` for readers: one row per comparison, verdict beside its numbers."""
    if table.empty:
        return "(no family has two model sizes: nothing to compare)"
    frame = pd.DataFrame(
        {
            "family": table["family"],
            "kind": [(labels or {}).get(k, k) for k in table["kind"]],
            "models": [
                f"`{short_name(small)}` → `{short_name(large)}`"
                for small, large in zip(table["small_model"], table["large_model"])
            ],
            "n": [f"{n:,}" for n in table["n_items"]],
            "accuracy": [
                f"{pct(a, 0)} → {pct(b, 0)}" for a, b in zip(table["accuracy_small"], table["accuracy_large"])
            ],
            "change": [
                points_interval(d, lo, hi)
                for d, lo, hi in zip(
                    table["accuracy_change"], table["accuracy_change_low"], table["accuracy_change_high"]
                )
            ],
            "acc_verdict": [whole_words(_verdict_cell(row, "accuracy")) for row in table.to_dict("records")],
            "loss": [
                relative_interval(r, lo, hi)
                for r, lo, hi in zip(table["loss_relative"], table["loss_relative_low"], table["loss_relative_high"])
            ],
            "loss_verdict": [whole_words(_verdict_cell(row, "loss")) for row in table.to_dict("records")],
        }
    )
    return reader_table(
        frame,
        {
            "family": "family",
            "kind": "task kind",
            "models": "smallest → largest",
            "n": "paired items",
            "accuracy": "accuracy",
            "change": "change [95%]",
            "acc_verdict": "accuracy verdict (McNemar, Holm)",
            "loss": "loss change [95% BCa]",
            "loss_verdict": "loss verdict (Wilcoxon, Holm)",
        },
        filename="scaling-changes.csv",
    )


def _verdict_cell(row: Mapping, part: str) -> str:
    status, p = row[f"{part}_status"], row[f"{part}_p_holm"]
    if status == "inconclusive":
        mde = row[f"{part}_mde"]
        unit = f"{100 * mde:.0f} pts" if part == "accuracy" else f"{100 * mde:.0f}%"
        return f"inconclusive, {p_text(p)}; MDE {unit if math.isfinite(mde) else 'none at this n'}"
    return f"{status}, {p_text(p)}"


def changes_summary(table: pd.DataFrame) -> str:
    """One sentence counting the verdicts of :func:`change_table` (what a reader may conclude)."""
    if table.empty:
        return "No family has two model sizes, so no smallest-to-largest change was tested."
    parts = []
    for part, noun in (("accuracy", "accuracy"), ("loss", "the gold-answer loss")):
        counts = table[f"{part}_status"].value_counts()
        words = [
            f"{counts[status]} {status}" for status in ("rose", "fell", "no change", "inconclusive") if status in counts
        ]
        parts.append(f"{noun}: {listing(words)}")
    return f"Across {count_text(len(table), 'smallest-to-largest comparison')}, {parts[0]}; {parts[1]}."
