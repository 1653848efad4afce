"""Shipped rows against re-scored ones, request by request, and the tolerances of that comparison.

:func:`compare` matches two row tables on task, item and choice (plus, for swap rows, the
condition) and lists every stored column that differs as a :class:`Mismatch`: floats within
:data:`TOLERANCE`, the log-probabilities of swap rows run on another forward's attention pattern
within :data:`SPREAD_TOLERANCE` (:func:`score_tolerance`), everything else exactly. A shipped
shard file altered since it was sealed is an :class:`AlteredFile`, one that cannot be read an
:class:`UnreadFile`. Used by :mod:`helpers.experiments.verify`, which re-exports these names.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

TOLERANCE = 1e-4
SPREAD_TOLERANCE = 2e-2
"""Tolerance on log-probabilities of the swap rows that run the recipient on another forward's
attention pattern (:func:`score_tolerance`: ``other_item``, ``shuffled_heads`` and every ``swap``
condition but ``a=0``): their fp32 values are ill-conditioned.

These conditions push the recipient off its own computation, and their fp32 log-probabilities
move with the order of float accumulation (CPU thread count, padded width of the batch an item
is scored in), which a re-score of a sample cannot reproduce (the shipping run's thread count is
not recorded, its batches were whole shards, and one thread on the run's shard does not give its
bits back either). Measured on the shipped Qwen2.5-Coder 1.5B -> 0.5B tables, every item
re-scored two per chunk on 2 threads as the verification does, against the shipped values:
``other_item`` rows differ by up to 1.0e-3 on MRPC (19 of 128 rows above 1e-4), 1.3e-3 on MMLU
(16 of 164) and 6.1e-3 on arithmetic (11 of 78; per token up to 6.0e-3); ``swap a=0.75`` by up to
3.6e-4 on MRPC (8 of 160 above 1e-4); ``swap a=1`` by at most 1.7e-5 on MRPC. A later commit's
sample drew ``swap layer 0`` on ``arithmetic_2dm/2``: 3.5e-3 (shipped -4.218587, re-scored
-4.215055), so every donor-pattern row gets this tolerance, not only those measured above it. No
greedy flag flipped. An fp64 forward puts the true value between the shipped and the re-scored
fp32 ones (``mrpc/77`` other_item, choice 1: shipped -9.51403, fp64 -9.51448, re-scored -9.51457
alone on 2 threads, -9.51421 on one), so neither is wrong. 2e-2 is three times the largest spread
measured; a real change is still caught (``mrpc/77`` with another same-length partner, ``mrpc/43``
instead of ``mrpc/51``, moves by 5 to 7.5 nats; neighbouring alphas differ by 0.04 to 4 nats
there); the rows that run the same injection and mixing code on the recipient's own pattern
(``baseline``, ``self``, ``uniform``, ``swap a=0``: at most 1.7e-5 measured) keep
:data:`TOLERANCE`, so a change of that code still shows at 1e-4; greedy flags are still compared
exactly."""


def score_tolerance(record: dict) -> float:
    """Tolerance on the log-probabilities of one merged row of :func:`compare`:
    :data:`SPREAD_TOLERANCE` for a row on another forward's attention pattern (``other_item``,
    ``shuffled_heads``, ``swap`` with alpha > 0, per-layer swaps included), else :data:`TOLERANCE`
    (every evaluation row, and ``baseline``, ``self``, ``uniform``, ``swap a=0``)."""
    from helpers.core.attention.lockstep import SWAP_CONDITION

    kind, alpha = record.get("condition_kind_shipped"), record.get("alpha_shipped")
    if kind in ("other_item", "shuffled_heads") or (
        kind == SWAP_CONDITION and alpha is not None and float(alpha) > 0.0
    ):
        return SPREAD_TOLERANCE
    return TOLERANCE


KEYS = ["task", "item_id", "choice"]


@dataclass(frozen=True)
class Mismatch:
    model: str
    task: str
    item_id: str
    choice: int
    what: str  # the column that differs, e.g. "logprob" or "is_greedy" (with the condition for swap rows)
    shipped: object
    current: object

    def line(self) -> str:
        return (
            f"{self.model}, task {self.task}, item {self.item_id}, choice {self.choice}: {self.what} shipped "
            f"{self.shipped!r}, current code {self.current!r}"
        )


@dataclass(frozen=True)
class AlteredFile:
    """A shipped shard file whose sha256 is not the one recorded when it was shipped."""

    model: str
    task: str
    file: str
    sealed: str | None
    actual: str | None

    def line(self) -> str:
        now = "missing" if self.actual is None else f"sha256 {self.actual[:16]}"
        then = "not shipped" if self.sealed is None else f"sha256 {self.sealed[:16]}"
        return (
            f"{self.model}, task {self.task}: shipped file {self.file} changed since it was shipped ({then}, "
            f"now {now}); every item in it was re-scored"
        )


@dataclass(frozen=True)
class UnreadFile:
    """A shipped shard file that could not be compared: not parquet, or a stored column gone."""

    model: str
    task: str
    file: str
    why: str

    def line(self) -> str:
        return f"{self.model}, task {self.task}: shipped file {self.file} {self.why}, so its rows were not compared"


SCORE_COLUMNS = ("logprob", "token_logprobs")
"""Columns that must be finite: a NaN there is always a difference (elsewhere NaN means "not applicable",
e.g. the alpha of a control condition, and NaN on both sides agrees)."""


def _differs(shipped: object, current: object, score: bool = False, tolerance: float = TOLERANCE) -> bool:
    """Whether two stored values differ: numbers within ``tolerance``, sequences element by
    element, anything else exactly. NaN against a number differs; NaN on both sides agrees unless
    ``score`` (a log-probability, which must be finite)."""
    if isinstance(shipped, (list, tuple, np.ndarray)) or isinstance(current, (list, tuple, np.ndarray)):
        left, right = list(shipped), list(current)
        return len(left) != len(right) or any(_differs(a, b, score, tolerance) for a, b in zip(left, right))
    if isinstance(shipped, (bool, np.bool_)) or isinstance(current, (bool, np.bool_)):
        return bool(shipped) != bool(current)
    if isinstance(shipped, (float, np.floating)) or isinstance(current, (float, np.floating)):
        left, right = float(shipped), float(current)
        if np.isnan(left) and np.isnan(right) and not score:
            return False
        return not abs(left - right) <= tolerance  # NaN compares False: a difference
    return shipped != current


def compare(shipped: pd.DataFrame, current: pd.DataFrame, model: str, extra_keys: Sequence[str] = ()) -> list[Mismatch]:
    """Request-by-request differences between two row tables (matched on task, item, choice, ...).

    Every column both tables hold is compared (log-probabilities, greedy flags, token counts and
    per-token values, gold, labels, parameter counts): floats within :data:`TOLERANCE` (within
    :data:`SPREAD_TOLERANCE` for the log-probabilities of the ill-conditioned swap rows, see
    :func:`score_tolerance`), the rest exactly; a NaN log-probability is always a difference.
    """
    keys = [*extra_keys, *KEYS]
    columns = [name for name in shipped.columns if name in current.columns and name not in keys]
    merged = shipped.merge(current, on=keys, how="outer", suffixes=("_shipped", "_current"), indicator="side")
    found = []
    for row in merged.itertuples(index=False):
        record = row._asdict()
        where = f"{' '.join(str(record[k]) for k in extra_keys)} ".lstrip()
        if record["side"] != "both":
            side = "shipped" if record["side"] == "left_only" else "current"
            found.append(_mismatch(model, record, f"{where}row present only in the {side} rows"))
            continue
        tolerance = score_tolerance(record)
        for name in columns:
            before, after = record[f"{name}_shipped"], record[f"{name}_current"]
            score = name in SCORE_COLUMNS
            if _differs(before, after, score, tolerance if score else TOLERANCE):
                found.append(_mismatch(model, record, f"{where}{name}", _plain(before), _plain(after)))
    return found


def _mismatch(model: str, record: dict, what: str, shipped: object = None, current: object = None) -> Mismatch:
    """The :class:`Mismatch` of a merged row ``record`` (its task, item and choice)."""
    return Mismatch(model, record["task"], record["item_id"], record["choice"], what, shipped, current)


def _plain(value: object) -> object:
    """A value as it reads in a message (numpy scalars and arrays as Python ones)."""
    if isinstance(value, np.ndarray):
        return [_plain(element) for element in value.tolist()]
    return value.item() if isinstance(value, np.generic) else value
