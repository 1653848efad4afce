"""What every claim rule shares: the result record, the significance level, verdict words for open questions.

Numbers are formatted by :mod:`helpers.render.numbers` (``pct``, ``points``, ``interval``, ``p_text``).
"""

from __future__ import annotations

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


def model_name(model_id: str) -> str:
    """A hub id without its organisation: ``EleutherAI/pythia-160m`` -> ``pythia-160m``."""
    return PurePosixPath(str(model_id)).name


def not_judged(claim_id: str, claim: str, why: str, needs: str, illustration: str | None = None) -> ClaimResult:
    """A claim with no Pythia/OPT evidence yet."""
    verdict = Verdict("not judged", why, "—", needs)
    return ClaimResult(claim_id, claim, verdict, "—", "needs a Pythia/OPT run", (), illustration)
