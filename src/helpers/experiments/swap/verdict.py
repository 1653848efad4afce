"""Is the collapse complete? The one rule, used by the swap chapter and the claims table (claim 5).

Per (donor, recipient, task kind), on the items scored under both conditions:

- the drop from the recipient alone (``baseline``) to the full swap (``swap a=1``: alpha 1 on every
  layer) by the exact McNemar test, Holm-corrected across the task kinds of the pair;
- the full swap's accuracy against chance (:func:`helpers.analysis.summaries.chance_level`) by its
  exact (Clopper-Pearson) 95% interval.

"Chance" below is the *floor*: the larger of chance and, for a task with a fixed label set
(2 or more choices), the majority baseline, the accuracy of always giving the gold label most
common on the items actually scored (``majority``; MRPC's "yes" is 72.5% of the 80 swap pairs).

``complete``: a significant drop *and* an upper bound within :data:`COLLAPSE_MARGIN` of the floor.
``not complete``: the swap keeps accuracy clearly above the margin (lower bound above floor +
margin). ``inconclusive``: anything else, including a baseline not clearly above the floor
(nothing to lose) and too few items to bound the swapped accuracy. A swap that keeps most answers
right is never called a complete collapse because a handful of items cannot reject chance.

Each row also carries how often the recipient gives its most common answer alone and under the
swap (``baseline_top``, ``swapped_top``, with the answers): a (near-)constant answerer
(:func:`helpers.analysis.baselines.is_near_constant`) is named as such in the sentence before
anything is said about a rise or a collapse, and a rise is called help only when the swapped
accuracy is significantly above the floor from a recipient that is not a constant answerer.
"""

from __future__ import annotations

import math

import pandas as pd

from helpers.analysis.baselines import answer_share, is_near_constant
from helpers.analysis.inference import binomial_vs_chance, holm, mcnemar_change, rejects
from helpers.analysis.power import mde_paired_observed
from helpers.analysis.summaries import chance_level
from helpers.analysis.verdicts import ALPHA
from helpers.render.numbers import p_text, signed

COLLAPSE_MARGIN = 0.10
FULL_SWAP = "swap a=1"
CODES = {"complete": "reproduced", "not complete": "not reproduced", "inconclusive": "inconclusive"}
"""The chapter's words and the claims table's verdict codes for claim 5."""


def collapse_code(
    difference: float, swapped_low: float, swapped_high: float, baseline_low: float, chance: float, p_holm: float
) -> str:
    """``complete``, ``not complete`` or ``inconclusive`` (see the module docstring)."""
    if baseline_low <= chance:  # the recipient alone is not clearly above chance: nothing to lose
        return "inconclusive"
    if rejects(p_holm, ALPHA) and difference < 0 and swapped_high <= chance + COLLAPSE_MARGIN:
        return "complete"
    if swapped_low > chance + COLLAPSE_MARGIN:
        return "not complete"
    return "inconclusive"


def _paired(group: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The baseline and full-swap rows of the items scored under both, in one order."""
    base = group[group["condition"] == "baseline"].set_index(["task", "item_id"])
    swap = group[group["condition"] == FULL_SWAP].set_index(["task", "item_id"])
    both = base.index.intersection(swap.index)
    return base.loc[both], swap.loc[both]


def _answer(frame: pd.DataFrame, kind: str) -> pd.Series | None:
    """Per item the gold (``kind="gold"``) or predicted answer, as a label when the rows have one."""
    for column in (f"{kind}_label", kind):
        if column in frame.columns:
            return frame[column].astype(str)
    return None


def label_balance(base: pd.DataFrame, swap: pd.DataFrame, n_choices) -> dict:
    """Majority baseline on the paired items and each condition's most common answer (NaN: unknown).

    Only for a fixed label set (every item with 2 or more choices): for exact-match tasks there is
    no constant answer to compare with.
    """
    unknown = {
        "majority": math.nan,
        "majority_label": None,
        "baseline_top": math.nan,
        "baseline_top_label": None,
        "swapped_top": math.nan,
        "swapped_top_label": None,
    }
    if not len(base) or int(pd.Series(n_choices).min()) < 2:
        return unknown
    gold, base_answers, swap_answers = _answer(base, "gold"), _answer(base, "predicted"), _answer(swap, "predicted")
    result = dict(unknown)
    if gold is not None:
        result["majority_label"], result["majority"] = answer_share(gold)
    if base_answers is not None and swap_answers is not None:
        result["baseline_top_label"], result["baseline_top"] = answer_share(base_answers)
        result["swapped_top_label"], result["swapped_top"] = answer_share(swap_answers)
    return result


def floor(row) -> float:
    """The accuracy a constant answer reaches on these items: chance, or the majority baseline if higher."""
    majority = getattr(row, "majority", math.nan) if not isinstance(row, dict) else row.get("majority", math.nan)
    chance = row["chance"] if isinstance(row, dict) else row.chance
    return max(chance, majority) if majority == majority else chance


def collapse_table(items: pd.DataFrame) -> pd.DataFrame:
    """One row per (donor, recipient, kind) with the collapse test.

    ``items``: :func:`helpers.experiments.swap.views.condition_items` (or any item table with
    ``donor, recipient, kind, condition, task, item_id, correct, n_choices``). Columns:
    ``donor, recipient, kind, n_items, chance, baseline, baseline_low, swapped, swapped_low,
    swapped_high, drop, drop_low, drop_high, p_mcnemar, p_holm, collapse, mde``.
    """
    records = []
    for (donor, recipient), pair in items.groupby(["donor", "recipient"], sort=False):
        rows = []
        for kind, group in pair.groupby("kind", sort=False):
            base_rows, swap_rows = _paired(group)
            if not len(base_rows):
                continue
            base, swap = base_rows["correct"].astype(int), swap_rows["correct"].astype(int)
            chance = chance_level(group["n_choices"])
            change = mcnemar_change(base.to_numpy(), swap.to_numpy())
            null = chance if chance > 0 else 0.5  # the intervals do not depend on the null
            swapped = binomial_vs_chance(int(swap.sum()), len(swap), null, "greater")
            baseline = binomial_vs_chance(int(base.sum()), len(base), null, "greater")
            rows.append(
                {
                    "donor": donor,
                    "recipient": recipient,
                    "kind": kind,
                    "n_items": change.n,
                    "chance": chance,
                    "baseline": change.before,
                    "baseline_low": baseline.low,
                    "swapped": change.after,
                    "swapped_low": swapped.low,
                    "swapped_high": swapped.high,
                    "drop": change.difference,
                    "drop_low": change.low,
                    "drop_high": change.high,
                    "p_mcnemar": change.pvalue,
                    "mde": mde_paired_observed(change.n, (change.n_up + change.n_down) / change.n),
                    **label_balance(base_rows, swap_rows, group["n_choices"]),
                }
            )
        _, p_holm = holm([row["p_mcnemar"] for row in rows], ALPHA)
        for row, p in zip(rows, p_holm):
            row["p_holm"] = float(p)
            row["collapse"] = collapse_code(
                row["drop"], row["swapped_low"], row["swapped_high"], row["baseline_low"], floor(row), row["p_holm"]
            )
            records.append(row)
    columns = [
        "donor",
        "recipient",
        "kind",
        "n_items",
        "chance",
        "baseline",
        "baseline_low",
        "swapped",
        "swapped_low",
        "swapped_high",
        "drop",
        "drop_low",
        "drop_high",
        "p_mcnemar",
        "p_holm",
        "collapse",
        "mde",
        "majority",
        "majority_label",
        "baseline_top",
        "baseline_top_label",
        "swapped_top",
        "swapped_top_label",
    ]
    return pd.DataFrame.from_records(records, columns=columns)


def _constant_note(row) -> str:
    """Sentences naming a (near-)constant answerer, alone and under the swap ('' when neither is)."""
    notes = []
    for when, share, label in (
        ("Alone", getattr(row, "baseline_top", math.nan), getattr(row, "baseline_top_label", None)),
        ("Under the full swap", getattr(row, "swapped_top", math.nan), getattr(row, "swapped_top_label", None)),
    ):
        if is_near_constant(share):
            notes.append(
                f'{when} the recipient answers "{label}" on {100 * share:.0f}% of the items: a near-constant '
                "answerer, so its accuracy mostly reflects how often that answer is the gold one."
            )
    return " ".join(notes)


def collapse_sentence(row) -> str:
    """One generated sentence for a row of :func:`collapse_table`.

    The reference for every accuracy is :func:`floor` (chance, or the majority baseline on the items
    scored when higher), and a near-constant answerer is named before the verdict.
    """
    from helpers.experiments.swap.views import short_name

    reference = floor(row)
    majority = getattr(row, "majority", math.nan)
    pair = f"{short_name(row.donor)} → {short_name(row.recipient)}"
    bounds = f"[{100 * row.swapped_low:.1f}%, {100 * row.swapped_high:.1f}%]"
    against = f"chance {100 * row.chance:.1f}%"
    if majority == majority and majority > row.chance:
        against += (
            f'; always answering "{row.majority_label}", the most common gold answer of these items, '
            f"scores {100 * majority:.1f}%"
        )
    head = (
        f"{pair}, {row.kind} ({row.n_items} items): {100 * row.baseline:.1f}% alone, {100 * row.swapped:.1f}% "
        f"{bounds} under the full swap ({against}), a change of {signed(100 * row.drop)} points "
        f"(exact McNemar, {p_text(row.p_holm, 'Holm p ')})"
    )
    floor_name = "chance" if reference == row.chance else "the majority baseline"
    note = _constant_note(row)
    head = f"{head}. {note} Verdict" if note else head
    if row.collapse == "complete":
        return f"{head}: a complete collapse (upper bound within {100 * COLLAPSE_MARGIN:g} points of {floor_name})."
    if row.collapse == "not complete":
        return (
            f"{head}: not a complete collapse (the swapped accuracy stays more than {100 * COLLAPSE_MARGIN:g} "
            f"points above {floor_name})."
        )
    if row.baseline_low <= reference:
        rose = ""
        if rejects(row.p_holm, ALPHA) and row.drop > 0:
            constant = is_near_constant(getattr(row, "swapped_top", math.nan))
            if row.swapped_low > reference and not constant:
                rose = " The swap raised accuracy significantly above it: the donor's patterns helped this recipient."
            else:
                rose = (
                    f" The swap raised accuracy, but not significantly above {floor_name} "
                    f"({100 * reference:.1f}%)"
                    + (" and towards one constant answer" if constant else "")
                    + ": this is no evidence that the donor's patterns helped."
                )
        return (
            f"{head}: undecided, the recipient alone is not clearly above {floor_name}, so there is nothing "
            f"to lose.{rose}"
        )
    if rejects(row.p_holm, ALPHA) and row.drop < 0:  # the drop is detected; the bound is what is missing
        return (
            f"{head}: undecided; the drop is significant, but the swapped accuracy's upper bound is more than "
            f"{100 * COLLAPSE_MARGIN:g} points above {floor_name} and its lower bound not, so neither a complete "
            "collapse nor its absence is shown (more items narrow the interval)."
        )
    return (
        f"{head}: undecided; with {row.n_items} items a paired change smaller than {100 * row.mde:.0f} points "
        "would go undetected (80% power)."
    )
