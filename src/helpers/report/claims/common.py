"""What every claim rule shares: the result record, the significance level, the stand-in prefix, "not judged".

Numbers are formatted by :mod:`helpers.render.numbers` (``pct``, ``points``, ``interval``, ``p_text``).
The result record (:class:`~helpers.analysis.claims.result.ClaimResult`), the significance level and the
open-question words (:mod:`helpers.analysis.verdicts`) live below the chapters, which show them too.
"""

from __future__ import annotations

from helpers.analysis.claims.result import ClaimResult
from helpers.analysis.verdicts import ALPHA, Verdict

__all__ = ["ALPHA", "ILLUSTRATION", "ClaimResult", "not_judged"]

ILLUSTRATION = "the same test on stand-in models, numbers only"
"""How every stand-in line starts: it reports numbers and what they show, never a verdict word."""


def not_judged(claim_id: str, claim: str, why: str, needs: str, illustration: str | None = None) -> ClaimResult:
    """A claim with no Pythia/OPT evidence yet."""
    verdict = Verdict("not judged", why, "—", needs)
    return ClaimResult(claim_id, claim, verdict, "—", "needs a Pythia/OPT run", (), illustration)
