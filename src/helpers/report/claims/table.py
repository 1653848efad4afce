"""The claims table: every claim's verdict, as findings in words, a compact table and the details.

:func:`claim_results` judges each claim (the rules are in the sibling modules, one per kind of
claim); :func:`claims_markdown_parts` renders them for the book's first page: one generated
sentence per claim (verdict, the deciding numbers, the data), then a compact table (claim,
verdict, key number, source), then per claim the test, margin, data and per-family lines.
Nothing here is typed in: every number comes from the computation it describes.
"""

from __future__ import annotations

import pandas as pd

from helpers.analysis.claims.wording import finding_sentence
from helpers.render.markdown import markdown_table, table_directive, whole_words
from helpers.report.claims.beyond import claim4c, claim6, claim7
from helpers.report.claims.common import ClaimResult
from helpers.report.claims.evidence import Evidence
from helpers.report.claims.knowledge import claim1, claim2
from helpers.report.claims.loss_fall import claim3
from helpers.report.claims.scaling import claim4a, claim4b
from helpers.report.claims.swap import claim5

CLAIM_RULES = (claim1, claim2, claim3, claim4a, claim4b, claim4c, claim5, claim6, claim7)
TABLE_COLUMNS = ("claim", "verdict", "key number", "source")


def claim_results(profile: str, *, stack=None, published: pd.DataFrame | None = None) -> list[ClaimResult]:
    """One :class:`ClaimResult` per claim, for the book built with ``profile``.

    ``stack`` defaults to the project's store stack; ``published`` to the bundled published
    results (:class:`helpers.infra.profiles.ProfileError` for an unknown profile).
    """
    evidence = Evidence(profile, stack=stack, published=published)
    return [rule(evidence) for rule in CLAIM_RULES]


def claims_frame(profile: str, *, stack=None, published: pd.DataFrame | None = None) -> pd.DataFrame:
    """The compact table as a DataFrame (columns :data:`TABLE_COLUMNS` plus ``id``)."""
    results = claim_results(profile, stack=stack, published=published)
    return pd.DataFrame(
        [(r.claim_id, f"{r.claim_id}. {r.claim}", r.verdict_word, r.key_number, r.source) for r in results],
        columns=["id", *TABLE_COLUMNS],
    )


def _details(result: ClaimResult) -> str:
    verdict = result.verdict
    lines = [f"- **Test:** {verdict.test}", f"- **Margin:** {verdict.margin or '—'}", f"- **Data:** {verdict.data}"]
    lines += [f"- {line}" for line in result.details]
    lines += [f"- *Other format, not judged:* {line}" for line in result.other_lines]
    if result.illustration:
        lines.append(
            f"- *Illustration on this profile's stand-in models (no verdict: verdicts rest on Pythia/OPT "
            f"evidence only):* {result.illustration}"
        )
    body = "\n".join(lines)
    return f":::{{dropdown}} Claim {result.claim_id}: {result.verdict_word}: how it was decided\n{body}\n:::\n"


def claims_markdown_parts(profile: str, *, stack=None, results: list[ClaimResult] | None = None) -> dict[str, str]:
    """``{"findings": ..., "table": ..., "details": ...}``: MyST markdown for the first page (``results``:
    the claims already judged for ``profile``, e.g. shared with the first page's bottom line)."""
    results = claim_results(profile, stack=stack) if results is None else results
    findings = "\n".join(f"- {finding_sentence(result)}" for result in results)
    rows = [(f"{r.claim_id}. {r.claim}", whole_words(f"**{r.verdict_word}**"), r.key_number, r.source) for r in results]
    table = table_directive(
        f"Claims of the study and our verdicts (built with profile {profile})",
        "claims-table",
        markdown_table(list(TABLE_COLUMNS), rows),
    )
    details = "\n".join(_details(result) for result in results)
    return {"findings": findings, "table": table, "details": details}


def claims_table(profile: str, *, stack=None) -> str:
    """The claims section of the first page: findings, compact table, then the details."""
    parts = claims_markdown_parts(profile, stack=stack)
    return f"{parts['findings']}\n\n{parts['table']}\n{parts['details']}"
