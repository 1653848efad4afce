"""What the rules judged on stored runs share: items paired by (task, item), the MDE or the reason there is
none, the note on unusable runs and the stand-in illustration."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from helpers.analysis.claims import wording
from helpers.analysis.verdicts import Verdict, combine
from helpers.report.claims.common import ILLUSTRATION
from helpers.report.claims.evidence import Evidence

NEEDS_RUN = "a run of Pythia/OPT: `make run PROFILE=small` (or `paper`), or lm-evaluation-harness samples imported"


def paired(small: pd.DataFrame, large: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray]:
    """``column`` of the items both models scored, aligned by (task, item)."""
    merged = small.merge(large, on=["task", "item_id"], suffixes=("_small", "_large"))
    return merged[f"{column}_small"].to_numpy(dtype=float), merged[f"{column}_large"].to_numpy(dtype=float)


def se_from(low: float, high: float, confidence: float = 0.95) -> float:
    """Standard error implied by a symmetric-normal reading of an interval (for the MDE only)."""
    return (high - low) / (2.0 * float(stats.norm.ppf(0.5 + confidence / 2.0)))


def mde_or_reason(code: str, mdes, whys) -> dict:
    """The ``mde``/``no_mde`` of an inconclusive verdict: the largest MDE of its parts, or their reasons."""
    if code != "inconclusive":
        return {}
    finite = [m for m in mdes if m is not None and np.isfinite(m)]
    if finite:
        return {"mde": max(finite)}
    return {"no_mde": "; ".join(dict.fromkeys(w for w in whys if w)) or "no part could detect an effect"}


def judged_verdict(parts, test: str, data: str, **fields) -> tuple[list[str], Verdict]:
    """The details of ``parts`` (rendered by :func:`~helpers.analysis.claims.wording.details`) and their verdict:
    the parts' combined code, the details as its reason, ``test``, ``data``, further ``fields`` (``margin``,
    ``mde_unit``) and, when inconclusive, the largest MDE of the parts or their reasons (:func:`mde_or_reason`)."""
    details = wording.details(parts)
    code = combine([part.code for part in parts])
    mde = mde_or_reason(code, [part.mde for part in parts], [part.why for part in parts])
    return details, Verdict(code, "; ".join(details), test, data, **fields, **mde)


def problems(evidence: Evidence) -> str:
    return ("; stored runs not usable: " + "; ".join(evidence.problems)) if evidence.problems else ""


def illustration(evidence: Evidence, kind: str, lines) -> str | None:
    """The same test on this profile's stand-in models: its numbers and what they show, no verdict words,
    one Holm family across every model shown. ``lines(found)`` -> (codes, details, ...) of the rule, with
    no verdict words in its details."""
    found = evidence.illustration_runs(kind)
    if not found:
        return None
    return f"{ILLUSTRATION}: " + "; ".join(lines(found)[1])
