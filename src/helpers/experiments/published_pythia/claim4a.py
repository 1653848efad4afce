"""Claim 4a on the published Pythia arithmetic: the claims table's rule, shown by this chapter.

Without a stored Pythia/OPT run, the claims table (:func:`helpers.report.claims.scaling.claim4a`)
judges "arithmetic accuracy improves with scale" on the published Pythia deduped v0 arithmetic:
160M against 12B at the final checkpoint, per operation and shot count in :data:`PUBLISHED_SHOTS`,
paired by first operand (cluster bootstrap interval, sign-flip test), Holm across all of them. The
chapter calls the same functions, so its lines are the table's.
"""

from __future__ import annotations

import pandas as pd

from helpers.analysis.claims import wording
from helpers.analysis.claims.records import Part
from helpers.analysis.inference import holm
from helpers.analysis.pythia_arithmetic import scale_change
from helpers.analysis.verdicts import ALPHA

__all__ = ["PUBLISHED_SHOTS", "published_arithmetic_parts", "published_arithmetic_lines"]

PUBLISHED_SHOTS = (0, 16)
"""The shot counts claim 4a compares on the published arithmetic."""


def published_arithmetic_parts(frame: pd.DataFrame) -> list[Part]:
    """One record per (operation, shots) of the published Pythia arithmetic ``frame``
    (:func:`~helpers.analysis.pythia_arithmetic.load_pythia_arithmetic`): 160M vs 12B, sign-flip test, Holm."""
    changes = [
        scale_change(frame, operation, shots)
        for operation in ("addition", "multiplication")
        for shots in PUBLISHED_SHOTS
    ]
    reject, p_holm = holm([c.p_value_permutation for c in changes], ALPHA)
    parts = []
    for change, significant, p in zip(changes, reject, p_holm):
        up = significant and change.difference > 0
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
            )
        )
    return parts


def published_arithmetic_lines(frame: pd.DataFrame) -> tuple[list[str], list[str]]:
    """(codes, details) of :func:`published_arithmetic_parts`, rendered: what the claims table and the chapter show."""
    parts = published_arithmetic_parts(frame)
    return [part.code for part in parts], wording.details(parts)
