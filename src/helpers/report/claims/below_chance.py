"""Claim 2's rule as records: each model's MMLU-math accuracy against the 25% of chance.

Exact one-sided binomial test of each model against chance (:data:`helpers.core.tasks.mmlu.CHANCE`),
Holm-corrected across all the models judged (each counted once, STATISTICS.md rule 4); per family, all
below -> reproduced, some -> partly, none with every one-sided 95% lower bound at or above chance - 2 pts
-> not reproduced, else inconclusive. Beside acc: acc_norm (per-character normalisation; same test) and the
length-aware baselines "always the shortest answer" and "always the most common gold letter" (Wilson
intervals). When no model is significantly below chance in acc_norm and the shortest-answer baseline's
interval lies below chance, the effect is a scoring artefact.

The records (:class:`~helpers.analysis.claims.records.Part` of kinds ``below_chance`` and ``baseline``) are
rendered by :mod:`helpers.analysis.claims.wording`; the claim's row is assembled in
:mod:`helpers.report.claims.knowledge` beside claim 1 (they share the referee lines).
"""

from __future__ import annotations

import pandas as pd

from helpers.analysis.baselines import baseline_table
from helpers.analysis.claims.records import Part, by_family, chance_models, shortest_answer
from helpers.analysis.inference import binomial_vs_chance, chance_family
from helpers.core.tasks.mmlu import CHANCE
from helpers.report.claims.common import ALPHA

__all__ = [
    "CHANCE_MARGIN",
    "chance_tests",
    "below_chance_code",
    "chance_parts",
    "baseline_parts",
    "family_codes",
    "scoring_artefact",
]

CHANCE_MARGIN = 0.02  # "not below chance": every model's one-sided 95% lower bound at or above chance - 2 pts


def chance_tests(table: pd.DataFrame, k_column: str) -> pd.DataFrame:
    """One exact one-sided binomial test per model against chance, Holm across all the rows (each model once).

    ``table``: one row per model with ``model``, ``family``, ``n`` and the correct count ``k_column``.
    Returns :func:`~helpers.analysis.inference.chance_family`'s table plus ``low_one_sided``: the one-sided
    95% lower bound (Clopper-Pearson), for "not below chance".
    """
    tests = chance_family(table.rename(columns={k_column: "k"})[["model", "family", "k", "n"]], CHANCE, "less", ALPHA)
    tests["low_one_sided"] = [
        binomial_vs_chance(k, n, CHANCE, "less", confidence=1 - 2 * ALPHA).low for k, n in zip(tests["k"], tests["n"])
    ]
    return tests


def _code(significant, low_one_sided) -> str:
    n_below = sum(bool(s) for s in significant)
    if n_below:
        return "reproduced" if n_below == len(significant) else "partly"
    return "not reproduced" if all(low >= CHANCE - CHANCE_MARGIN for low in low_one_sided) else "inconclusive"


def below_chance_code(tests: pd.DataFrame) -> str:
    """Per family: all models significantly below chance (Holm) -> reproduced; some -> partly; none and every
    model's one-sided 95% lower bound at or above chance - 2 pts (an intersection-union test, no correction
    needed) -> not reproduced; none otherwise -> inconclusive (absence of evidence decides nothing).
    ``tests``: the family's rows of :func:`chance_tests` (columns ``significant``, ``low_one_sided``)."""
    return _code(tests["significant"], tests["low_one_sided"])


def chance_parts(table: pd.DataFrame, acc_column: str = "k_acc", norm_column: str = "k_norm") -> list[Part]:
    """One ``below_chance`` record per model of ``table`` (columns ``model``, ``family``, ``n`` and the correct
    counts ``acc_column``, ``norm_column``): acc and acc_norm each tested against chance, Holm across all rows."""
    acc, norm = chance_tests(table, acc_column), chance_tests(table, norm_column)
    return [
        Part(
            "below_chance",
            str(row.model),
            _code([row.significant], [row.low_one_sided]),
            estimate=float(row.estimate),
            low=float(row.low),
            high=float(row.high),
            test="exact binomial, one-sided",
            n=int(row.n),
            p=float(row.p_holm),
            extra=(
                ("family", str(row.family)),
                ("chance", CHANCE),
                ("significant", bool(row.significant)),
                ("low_one_sided", float(row.low_one_sided)),
                ("norm", float(norm_row.estimate)),
                ("norm_p", float(norm_row.p_holm)),
                ("norm_significant", bool(norm_row.significant)),
            ),
        )
        for row, norm_row in zip(acc.itertuples(), norm.itertuples())
    ]


def family_codes(parts) -> list[str]:
    """Claim 2's verdict code per family (in order of first appearance), from the ``below_chance`` records."""
    return [
        _code([p.get("significant") for p in group], [p.get("low_one_sided") for p in group])
        for group in by_family(parts).values()
    ]


def baseline_parts(choice_texts, gold) -> list[Part]:
    """The length-aware baselines shown beside claim 2 (not the uniform guess: that is chance itself)."""
    table = baseline_table(choice_texts, gold)
    return [
        Part(
            "baseline",
            str(row.baseline),
            "not judged",
            estimate=float(row.accuracy),
            low=float(row.low),
            high=float(row.high),
            test="Wilson 95%",
            n=int(row.n),
        )
        for row in table.itertuples()
        if row.baseline != "uniform guess"
    ]


def scoring_artefact(parts) -> bool:
    """Whether below-chance accuracy is a scoring artefact: some model is significantly below chance in acc,
    none in acc_norm, and always choosing the shortest answer has its 95% interval below chance."""
    models, shortest = chance_models(parts), shortest_answer(parts)
    acc = sum(bool(part.get("significant")) for part in models)
    norm = sum(bool(part.get("norm_significant")) for part in models)
    return norm == 0 and acc > 0 and shortest.high < CHANCE
