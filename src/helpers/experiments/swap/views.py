"""Tables behind the swap notebook, from the per-request rows of :mod:`helpers.experiments.swap.compute`.

- :func:`condition_items`: :func:`helpers.analysis.items.item_table` per condition (one row per
  donor, recipient, condition and item, with every per-item metric);
- :func:`condition_summary`: per (pair, task kind, condition) accuracy with a Wilson interval,
  gold-answer loss per token with a bootstrap interval over items, chance, and the items
  skipped (tokenization mismatch; for ``other_item``, no same-length partner);
- :func:`verification_table`: the largest |log-prob difference| of the self swap and of
  alpha = 0 from the baseline, request by request (both must be ~0);
- :func:`dose_table`, :func:`controls_table`, :func:`layer_table`: the slices each chart shows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from helpers.analysis.baselines import answer_share
from helpers.analysis.items import item_table
from helpers.analysis.resampling import check_resamples
from helpers.analysis.summaries import group_summary
from helpers.render.markdown import whole_words
from helpers.render.numbers import p_value, pct, signed
from helpers.render.tables import require_columns

PAIR_KEYS = ["donor", "recipient", "kind"]
CONDITION_COLUMNS = ["condition", "condition_kind", "alpha", "layers"]
COUNT_COLUMNS = ["n_items_requested", "n_skipped_tokenization", "n_skipped_no_partner"]
CONTROL_ORDER = ("baseline", "swap a=1", "self", "other_item", "uniform", "shuffled_heads")
"""Conditions of the controls chart, in display order."""
CONTROL_LABELS = {
    "baseline": "recipient alone",
    "swap a=1": "donor pattern (full swap)",
    "self": "own pattern (self)",
    "other_item": "own pattern, other item",
    "uniform": "uniform causal",
    "shuffled_heads": "donor, heads shuffled",
}


class SwapViewError(ValueError):
    """Rows or settings the swap tables cannot use (missing columns, bad bootstrap count)."""


def _require(rows: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    fix = "pass the rows of helpers.experiments.swap.compute.swap_rows (or the output of the view before it)"
    require_columns(rows, columns, what, fix, SwapViewError)


def short_name(model_id: str) -> str:
    """``offline:qwen2.5-coder-1.5b`` -> ``qwen2.5-coder-1.5b``; ``EleutherAI/pythia-410m`` -> ``pythia-410m``."""
    return str(model_id).split(":", 1)[-1].rsplit("/", 1)[-1]


def condition_items(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per (donor, recipient, condition, item) with every metric of :func:`item_table`."""
    _require(rows, ["donor_id", "model_id", *CONDITION_COLUMNS, *COUNT_COLUMNS], "condition_items")
    frames = []
    for _, group in rows.groupby(["donor_id", "model_id", "kind", "condition"], sort=False):
        items = item_table(group)
        first = group.iloc[0]
        items.insert(0, "donor", first["donor_id"])
        items.insert(1, "recipient", first["model_id"])
        for column in CONDITION_COLUMNS + COUNT_COLUMNS:
            items[column] = first[column]
        frames.append(items)
    return pd.concat(frames, ignore_index=True)


def condition_summary(
    rows: pd.DataFrame, *, bootstrap: int = 1000, seed: int = 0, confidence: float = 0.95
) -> pd.DataFrame:
    """One row per (donor, recipient, kind, condition): accuracy and loss with intervals.

    Columns: ``donor, recipient, kind, condition, condition_kind, alpha, layers, n_items,
    n_correct, accuracy, accuracy_low, accuracy_high`` (Wilson), ``loss, loss_low, loss_high``
    (mean gold-answer loss per token, percentile bootstrap over items; NaN when
    ``bootstrap=0`` or a single item), ``chance``, ``majority`` (the accuracy of always giving the
    gold answer most common on these items; NaN for exact-match tasks or rows without gold
    answers), ``top_answer`` and ``top_share`` (the model's most common answer and its share) and
    the skip counts. ``rows`` may be the per-request rows or the output of :func:`condition_items`.
    """
    check_resamples(bootstrap, error=SwapViewError)
    items = rows if "correct" in rows.columns else condition_items(rows)
    records = []
    for keys, group in items.groupby([*PAIR_KEYS, "condition"], sort=False):
        first = group.iloc[0]
        records.append(
            {
                **dict(zip([*PAIR_KEYS, "condition"], keys)),
                **{column: first[column] for column in CONDITION_COLUMNS[1:] + COUNT_COLUMNS},
                **group_summary(group, bootstrap=bootstrap, confidence=confidence, seed=seed),
                **_top_answer(group),
            }
        )
    return pd.DataFrame.from_records(records)


def _top_answer(group: pd.DataFrame) -> dict:
    """``top_answer``/``top_share``: one condition's most common answer and its share (None/NaN when unknown)."""
    result = {"top_answer": None, "top_share": math.nan}
    if int(group["n_choices"].min()) < 2:
        return result  # exact match: no fixed set of answers to always give
    predicted = next((group[c] for c in ("predicted_label", "predicted") if c in group.columns), None)
    if predicted is not None:
        result["top_answer"], result["top_share"] = answer_share(predicted.astype(str))
    return result


def _max_diff(frame: pd.DataFrame, condition: str) -> tuple[float, int]:
    """Largest |logprob(condition) - logprob(baseline)| over requests, and how many were compared."""
    index = ["task", "item_id", "choice"]
    base = frame[frame["condition"] == "baseline"].set_index(index)["logprob"]
    other = frame[frame["condition"] == condition].set_index(index)["logprob"]
    if base.empty or other.empty:
        return math.nan, 0
    joined = base.to_frame("base").join(other.to_frame("other"), how="inner")
    if len(joined) != len(other):
        raise SwapViewError(
            f"condition {condition!r} scored {len(other)} requests but only {len(joined)} match "
            "baseline requests; both must come from the same items."
        )
    return float(np.abs(joined["other"] - joined["base"]).max()), len(joined)


def verification_table(rows: pd.DataFrame, tolerance: float = 1e-4) -> pd.DataFrame:
    """Per (donor, recipient, kind): max |Δ log-prob| of ``self`` and of ``swap a=0`` vs the baseline.

    ``passes`` is True when both are within ``tolerance`` (nats per request).
    """
    _require(
        rows,
        ["donor_id", "model_id", "kind", "condition", "task", "item_id", "choice", "logprob"],
        "verification_table",
    )
    records = []
    for (donor, recipient, kind), frame in rows.groupby(["donor_id", "model_id", "kind"], sort=False):
        self_diff, n_requests = _max_diff(frame, "self")
        alpha0_diff, _ = _max_diff(frame, "swap a=0")
        records.append(
            {
                "donor": donor,
                "recipient": recipient,
                "kind": kind,
                "n_requests": n_requests,
                "self_max_abs_diff": self_diff,
                "alpha0_max_abs_diff": alpha0_diff,
                "passes": bool(self_diff <= tolerance and alpha0_diff <= tolerance),
            }
        )
    return pd.DataFrame.from_records(records)


def _with_pair(table: pd.DataFrame) -> pd.DataFrame:
    table = table.copy()
    table["pair"] = [f"{short_name(d)} → {short_name(r)}" for d, r in zip(table["donor"], table["recipient"])]
    return table


def controls_table(summary: pd.DataFrame) -> pd.DataFrame:
    """The full swap beside the baseline and the four controls, in :data:`CONTROL_ORDER`."""
    _require(summary, [*PAIR_KEYS, "condition", "accuracy", "loss", "chance"], "controls_table")
    table = _with_pair(summary[summary["condition"].isin(CONTROL_ORDER)])
    table["label"] = table["condition"].map(CONTROL_LABELS)
    table["order"] = table["condition"].map({name: i for i, name in enumerate(CONTROL_ORDER)})
    return table.sort_values(["pair", "kind", "order"], kind="stable").reset_index(drop=True)


def dose_table(summary: pd.DataFrame) -> pd.DataFrame:
    """The dose-response: swaps on all layers, one row per alpha (plus the pair label)."""
    _require(summary, [*PAIR_KEYS, "condition_kind", "layers", "alpha"], "dose_table")
    table = summary[(summary["condition_kind"] == "swap") & (summary["layers"] == "all")]
    return _with_pair(table).sort_values(["pair", "kind", "alpha"], kind="stable").reset_index(drop=True)


def layer_table(summary: pd.DataFrame) -> pd.DataFrame:
    """Per-layer swaps (alpha 1 on one layer), with ``layer`` as an integer and the baseline beside."""
    _require(summary, [*PAIR_KEYS, "condition", "condition_kind", "layers", "accuracy"], "layer_table")
    single = summary[
        (summary["condition_kind"] == "swap")
        & (summary["layers"] != "all")
        & ~summary["layers"].astype(str).str.contains(",")
    ].copy()
    single["layer"] = single["layers"].astype(int)
    baseline = summary[summary["condition"] == "baseline"].set_index(PAIR_KEYS)
    single["baseline_accuracy"] = [
        baseline["accuracy"].get(tuple(k), math.nan) for k in single[PAIR_KEYS].itertuples(index=False)
    ]
    single["baseline_loss"] = [
        baseline["loss"].get(tuple(k), math.nan) for k in single[PAIR_KEYS].itertuples(index=False)
    ]
    return _with_pair(single).sort_values(["pair", "kind", "layer"], kind="stable").reset_index(drop=True)


def item_count_table(summary: pd.DataFrame) -> pd.DataFrame:
    """Items requested, skipped and scored per (pair, kind): the deterministic check table."""
    _require(summary, [*PAIR_KEYS, "condition", "n_items", *COUNT_COLUMNS], "item_count_table")
    base = summary[summary["condition"] == "baseline"].set_index(PAIR_KEYS)
    other = summary[summary["condition"] == "other_item"].set_index(PAIR_KEYS)["n_items"]
    table = base[["n_items_requested", "n_skipped_tokenization", "n_items"]].rename(columns={"n_items": "n_scored"})
    table["n_scored_other_item"] = [int(other.get(key, 0)) for key in table.index]
    table["n_conditions"] = summary.groupby(PAIR_KEYS)["condition"].nunique().reindex(table.index).to_numpy()
    table = table.reset_index()
    table["donor"] = table["donor"].map(short_name)
    table["recipient"] = table["recipient"].map(short_name)
    return table.astype({column: int for column in table.columns if column.startswith("n_")})


def item_count_view(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`item_count_table` with short labelled columns for readers (one row per pair and task kind)."""
    return pd.DataFrame(
        {
            "pair": [f"{d} → {r}" for d, r in zip(table["donor"], table["recipient"])],
            "task kind": table["kind"],
            "requested": table["n_items_requested"],
            "skipped (tokens differ)": table["n_skipped_tokenization"],
            "scored": table["n_scored"],
            "scored, other item": table["n_scored_other_item"],
            "conditions": table["n_conditions"],
        }
    )


def verification_view(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`verification_table` with short labelled columns (max |difference| in nats; word joiners
    (U+2060) keep "|Δ|" whole, since a line may break after "|")."""
    return pd.DataFrame(
        {
            "pair": [f"{short_name(d)} → {short_name(r)}" for d, r in zip(table["donor"], table["recipient"])],
            "task kind": table["kind"],
            "requests": table["n_requests"],
            "self: max |\u2060Δ\u2060|": table["self_max_abs_diff"].map("{:.1e}".format),
            "α = 0: max |\u2060Δ\u2060|": table["alpha0_max_abs_diff"].map("{:.1e}".format),
            "passes": table["passes"].map({True: "yes", False: "NO"}),
        }
    )


def plan_table(plan) -> pd.DataFrame:
    """The validated settings of a :class:`helpers.experiments.swap.compute.SwapPlan`, one row per (pair, task kind)."""
    records = []
    for donor, recipient in plan.pairs:
        for kind, setting in plan.settings.items():
            records.append(
                {
                    "donor": short_name(donor),
                    "recipient": short_name(recipient),
                    "kind": kind,
                    "task": setting.task,
                    "shots": setting.shots,
                    "limit per task": setting.limit,
                    "alphas": ", ".join(f"{alpha:g}" for alpha in plan.alphas),
                    "layers": f"every k-th, at most {plan.max_layers:d}"
                    if plan.layers is None
                    else ", ".join(map(str, plan.layers)),
                }
            )
    return pd.DataFrame.from_records(records)


def collapse_view(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`helpers.experiments.swap.verdict.collapse_table` formatted for reading (percentages)."""
    return pd.DataFrame(
        {
            "pair": [f"{short_name(d)} → {short_name(r)}" for d, r in zip(table["donor"], table["recipient"])],
            "task kind": table["kind"].to_numpy(),
            "items": table["n_items"].to_numpy(),
            "alone": table["baseline"].map(pct).to_numpy(),
            "full swap [95% CI]": [
                f"{pct(a)} [{pct(lo)}, {pct(hi)}]"
                for a, lo, hi in zip(table["swapped"], table["swapped_low"], table["swapped_high"])
            ],
            "chance": table["chance"].map(pct).to_numpy(),
            "majority baseline": [
                pct(m) + f' ("{label}")' if m == m else "—"
                for m, label in zip(
                    table.get("majority", pd.Series(math.nan, table.index)),
                    table.get("majority_label", pd.Series(None, table.index)),
                )
            ],
            "most common answer, swapped": [
                f'"{label}" on {100 * share:.0f}%' if share == share else "—"
                for share, label in zip(
                    table.get("swapped_top", pd.Series(math.nan, table.index)),
                    table.get("swapped_top_label", pd.Series(None, table.index)),
                )
            ],
            "change [95% CI]": [
                f"{signed(100 * d)} [{signed(100 * lo)}, {signed(100 * hi)}] pts"
                for d, lo, hi in zip(table["drop"], table["drop_low"], table["drop_high"])
            ],
            "McNemar p (Holm)": table["p_holm"].map(p_value).to_numpy(),
            "collapse verdict": [whole_words(code) for code in table["collapse"]],  # never broken inside a word
        }
    )
