"""Claim 4a on the published Pythia arithmetic: the claims table's rule, shown by this chapter.

Without a stored Pythia/OPT run, the claims table (:func:`helpers.report.claims.scaling.claim4a`)
judges "arithmetic accuracy improves with scale" on the published Pythia deduped v0 arithmetic: the
smallest against the largest model (160M and 12B; :func:`published_design` counts them) at the final
checkpoint, per operation and shot count in :data:`PUBLISHED_SHOTS`, paired by first operand (cluster
bootstrap interval, sign-flip test), Holm across all of them. The
chapter calls the same functions, so its lines are the table's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import pandas as pd

from helpers.analysis.claims import wording
from helpers.analysis.claims.records import Part
from helpers.analysis.inference import holm
from helpers.analysis.pythia_arithmetic import FINAL_STEP, OPERATIONS, scale_change
from helpers.analysis.pythia_arithmetic_accuracy import ArithmeticAnalysisError, require_rows
from helpers.analysis.verdicts import ALPHA

__all__ = [
    "PUBLISHED_SHOTS",
    "PublishedDesign",
    "ScaleChanges",
    "published_changes",
    "published_design",
    "published_arithmetic_parts",
    "published_arithmetic_lines",
]

PUBLISHED_SHOTS = (0, 16)
"""The shot counts claim 4a compares on the published arithmetic."""


@dataclass(frozen=True)
class PublishedDesign:
    """What claim 4a compares on the published arithmetic, counted from the table (what its sentences name).

    ``small``/``large``: the smallest and largest model's size as Pythia names it ("160M", "12B"); ``step``: the
    checkpoint; ``operands``: first operands per cell (the clusters); ``items_per_cell``: items per (model,
    operation, shots) cell; ``operations``/``shot_counts``: how many of each are compared (the Holm family's shape).
    """

    small: str
    large: str
    step: int
    operands: int
    items_per_cell: int
    operations: int
    shot_counts: int


def _size_name(size: str) -> str:
    """Pythia's size as its model cards write it: "160m" -> "160M", "1.4b" -> "1.4B"."""
    return size.upper()


def published_design(frame: pd.DataFrame, step: int = FINAL_STEP) -> PublishedDesign:
    """The design of :func:`published_arithmetic_parts` on ``frame`` at ``step``, counted from its rows.

    The models are ordered by total parameters, as :func:`~helpers.analysis.pythia_arithmetic.scale_change` orders
    them. Raises ArithmeticAnalysisError when a compared cell is missing or the cells differ in operands or items
    (then no one count describes the comparison).
    """
    require_rows(frame)
    rows = frame[(frame["step"] == step) & frame["operation"].isin(OPERATIONS) & frame["shots"].isin(PUBLISHED_SHOTS)]
    cells = rows.groupby(["model", "operation", "shots"]).agg(operands=("operand", "nunique"), items=("n_items", "sum"))
    models = rows.drop_duplicates("model").sort_values("n_params", kind="stable")
    if models.empty:
        raise ArithmeticAnalysisError(
            f"no rows at step {step} for {OPERATIONS} x shots {PUBLISHED_SHOTS}; the table's steps are "
            f"{sorted(set(frame['step']))}."
        )
    expected = len(models) * len(OPERATIONS) * len(PUBLISHED_SHOTS)
    if len(cells) != expected or cells["operands"].nunique() != 1 or cells["items"].nunique() != 1:
        raise ArithmeticAnalysisError(
            f"step {step}: claim 4a needs every model at {OPERATIONS} x shots {PUBLISHED_SHOTS} with the same operands "
            f"and items; found {len(cells)} of {expected} cells, operands {sorted(set(cells['operands']))}, items "
            f"{sorted(set(cells['items']))}. Pass load_pythia_arithmetic() of the bundled files."
        )
    return PublishedDesign(
        _size_name(models["size"].iloc[0]),
        _size_name(models["size"].iloc[-1]),
        int(step),
        int(cells["operands"].iloc[0]),
        int(cells["items"].iloc[0]),
        len(OPERATIONS),
        len(PUBLISHED_SHOTS),
    )


class ScaleChanges(NamedTuple):
    """Claim 4a's comparisons on these data: one :func:`~helpers.analysis.pythia_arithmetic.scale_change` per
    (operation, shots), whether Holm rejects it at ``alpha``, and its Holm-adjusted p-value."""

    changes: list
    reject: list
    p_holm: list

    @property
    def increases(self) -> list[bool]:
        """A significant increase, per comparison."""
        return [bool(significant and change.difference > 0) for change, significant in zip(self.changes, self.reject)]


def published_changes(frame: pd.DataFrame, shots=PUBLISHED_SHOTS, alpha: float = ALPHA, seed: int = 0) -> ScaleChanges:
    """Smallest against largest model at the final checkpoint, per operation and ``shots``, Holm over all
    (the claims table's run: the default ``shots``, ``alpha`` and ``seed``)."""
    changes = [scale_change(frame, operation, count, seed=seed) for operation in OPERATIONS for count in shots]
    reject, p_holm = holm([change.p_value_permutation for change in changes], alpha)
    return ScaleChanges(changes, list(reject), list(p_holm))


def published_arithmetic_parts(
    frame: pd.DataFrame, found: ScaleChanges | None = None, design: PublishedDesign | None = None
) -> list[Part]:
    """One record per (operation, shots) of the published Pythia arithmetic ``frame``
    (:func:`~helpers.analysis.pythia_arithmetic.load_pythia_arithmetic`): smallest vs largest model (sizes in the
    extras ``small_size``/``large_size``, as :func:`published_design` names them), sign-flip test, Holm.

    ``found``: the comparisons already computed (:func:`published_changes`; None: computed here, seed 0);
    ``design``: :func:`published_design` of ``frame`` when the caller has it.
    """
    design = published_design(frame) if design is None else design
    found = published_changes(frame) if found is None else found
    sizes = (("small_size", design.small), ("large_size", design.large))
    parts = []
    for change, significant, up, p in zip(found.changes, found.reject, found.increases, found.p_holm):
        code = "reproduced" if up else "not reproduced" if significant else "inconclusive"
        parts.append(
            Part(
                "sign_flip",
                f"{change.operation}, {change.shots}-shot",
                code,
                (change.small_model, change.large_model),
                change.acc_small,
                change.acc_large,
                change.difference,
                change.low,
                change.high,
                "proportion",
                "sign-flip test",
                change.n_clusters,
                p,
                extra=sizes,
            )
        )
    return parts


def published_arithmetic_lines(frame: pd.DataFrame, found: ScaleChanges | None = None) -> tuple[list[str], list[str]]:
    """(codes, details) of :func:`published_arithmetic_parts`, rendered: what the claims table and the chapter show
    (``found``: the chapter's comparisons, so they are computed once)."""
    parts = published_arithmetic_parts(frame, found)
    return [part.code for part in parts], wording.details(parts)
