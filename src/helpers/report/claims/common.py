"""What every claim rule shares: the result record, margins, formatting of numbers with intervals."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from helpers.analysis.verdicts import Verdict

ALPHA = 0.05
"""Significance level of every test (two-sided unless a rule says one-sided)."""

ILLUSTRATION = "the same test on stand-in models, numbers only"
"""How every stand-in line starts: it reports numbers and what they show, never a verdict word."""


@dataclass(frozen=True)
class ClaimResult:
    """One row of the claims table."""

    claim_id: str  # "1", "2", "3", "4a", "4b", "5"
    claim: str  # the study's claim, in one line
    verdict: Verdict
    key_number: str  # the number and interval that decide it
    source: str  # the data it rests on, in a few words
    details: tuple[str, ...] = ()  # one line per family / format / part
    illustration: str | None = None  # the same rule on this profile's stand-in models (not a verdict)
    other_lines: tuple[str, ...] = field(default_factory=tuple)  # other formats, labelled, never judged
    question: bool = False  # an open question the study raised, not a result it reports (claim 6)
    parts: tuple = ()  # the judged parts as records (helpers.report.claims.records.Part), where the rule has them

    @property
    def verdict_word(self) -> str:
        """The verdict as the table prints it: the code, or for an open question *supported* / *not supported*."""
        return question_word(self.verdict.code) if self.question else self.verdict.code


QUESTION_WORDS = {"reproduced": "supported", "partly": "partly supported", "not reproduced": "not supported"}
"""How a verdict code reads on a row that judges a question the study left open rather than a result
it reports: there is nothing to reproduce, only a statement the data support or contradict."""


def question_word(code: str) -> str:
    """A verdict code as it reads for an open question: ``"not reproduced"`` -> ``"not supported"``."""
    return QUESTION_WORDS.get(code, code)


def pct(value: float, digits: int = 1) -> str:
    """``0.2133`` -> ``21.3%``; NaN -> ``—``."""
    return "—" if value is None or not math.isfinite(value) else f"{100 * value:.{digits}f}%"


def points(value: float, digits: int = 1) -> str:
    """A difference of proportions in percentage points, signed: ``+2.0 pts``."""
    return "—" if value is None or not math.isfinite(value) else f"{_no_minus_zero(100 * value, digits):+.{digits}f} pts"


def _no_minus_zero(value: float, digits: int) -> float:
    """``value`` rounded to ``digits``, with -0.0 made 0.0 (so -0.04 prints as +0.0, never -0.0)."""
    return round(value, digits) + 0.0


def interval(low: float, high: float, unit: str = "pct", digits: int = 1) -> str:
    """``[20.1%, 23.4%]`` or ``[+0.9, +3.1] pts``; ``(no interval)`` when a bound is missing."""
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        return "(no interval)"
    if unit == "pct":
        return f"[{pct(low, digits)}, {pct(high, digits)}]"
    low, high = _no_minus_zero(100 * low, digits), _no_minus_zero(100 * high, digits)
    return f"[{low:+.{digits}f}, {high:+.{digits}f}] pts"


def p_text(p: float) -> str:
    """A p-value as text: ``p = 0.031``, ``p < 0.001``."""
    if p is None or not math.isfinite(p):
        return "p —"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def model_name(model_id: str) -> str:
    """A hub id without its organisation: ``EleutherAI/pythia-160m`` -> ``pythia-160m``."""
    return PurePosixPath(str(model_id)).name


def not_judged(claim_id: str, claim: str, why: str, needs: str, illustration: str | None = None) -> ClaimResult:
    """A claim with no Pythia/OPT evidence yet."""
    verdict = Verdict("not judged", why, "—", needs)
    return ClaimResult(claim_id, claim, verdict, "—", "needs a Pythia/OPT run", (), illustration)
