"""One row of the claims table as a record: the claim, its verdict, key number, source and judged parts.

Here, below the chapters, so that a chapter (e.g. "Beyond Pythia and OPT") computes and shows the same
result the claims table prints (:mod:`helpers.report.claims` re-exports it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from helpers.analysis.verdicts import Verdict, question_word

__all__ = ["ClaimResult"]


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
    parts: tuple = ()  # the judged parts as records (helpers.analysis.claims.records.Part), where the rule has them

    @property
    def verdict_word(self) -> str:
        """The verdict as the table prints it: the code, or for an open question *supported* / *not supported*."""
        return question_word(self.verdict.code) if self.question else self.verdict.code
