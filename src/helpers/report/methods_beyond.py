"""The methods page's entries after the standard errors (trends, exclusions, claims 6, 7 and 4c, descriptive fits).

:data:`TEMPLATE` is their prose (MyST markdown) with ``$name`` placeholders (:class:`string.Template`);
:func:`beyond_rules_section` fills them from the beyond chapter's constants
(:mod:`helpers.experiments.beyond.judged`), :data:`helpers.analysis.verdicts.ALPHA`,
:data:`helpers.analysis.power.POWER`, the MMLU chance level and claim 4c's tests (models, tests, peaks).
Written to ``book/_generated/methods_beyond_rules.md`` and included by ``book/methods.md``.
"""

from __future__ import annotations

from string import Template

import pandas as pd

from helpers.analysis.obsscaling import ARITHMETIC_N, read_benchmark, read_emergent
from helpers.analysis.power import POWER
from helpers.analysis.trend import MIN_MODELS
from helpers.analysis.verdicts import ALPHA
from helpers.core.tasks.mmlu import CHANCE
from helpers.experiments.beyond import judged
from helpers.render.numbers import number_word, setting_billions, setting_percent, setting_points

__all__ = ["TEMPLATE", "arithmetic_table", "peaks_text", "beyond_rules_values", "beyond_rules_section"]

TEMPLATE = Template(
    """\
Trends across models
: A model-level weighted fit of accuracy on log10 parameters, weights 1/SE²; the slope's variance
  is the weighted fit's times its residual scale (χ²/df), and that scale is **never below 1**: the
  error carries the models' own scatter around the line and never falls below what item sampling
  alone gives. t intervals with n − 2 degrees of freedom; no trend from fewer than $min_models models ($min_change
  give a change, not a slope). Two families are compared by the difference of their slopes and of
  their fitted levels at $level_at parameters (variances added, the smaller df).

Exclusions are stated
: A model without the value a view needs (no FLOPs, no arithmetic score), a family with one model
  in a within-family view, and RWKV-4 Raven (instruction-tuned) in the Pile comparison are left out
  and named in the chapter; a file with a missing or renamed column stops with the column and the file.

Verdict words for rows 6, 7 and 4c
: These rows judge the study's open question and its engineering conclusion, not a measurement:
  for rows 7 and 4c (statements the study makes) *reproduced* means the published data support the
  statement, *not reproduced* that they contradict it; row 6 is a question the study left open, not
  a result it reports, so there is nothing to reproduce: the table says *supported* or *not
  supported* (*partly supported* when parts disagree, by the combination rule above) for the same
  decisions. *Inconclusive* means the data cannot decide it at $power power (the row prints the minimum
  detectable effect).
  - **Claim 6, a property of decoder-only architectures**: (a) RWKV-4 {cite:p}`peng2023rwkv`, a
    recurrent model trained on the Pile like Pythia: RWKV-4 minus Pythia-deduped in slope (margin
    ±$slope_margin points per decade) and in level at $level_at (±$level_margin points), two one-sided tests
    at $alpha; both
    equivalent contradicts the claim, a significant difference supports it. (b) Every decoder-only
    model of at most $small_max parameters: exact one-sided binomial test against $clear (chance plus $lift
    points), Holm across the models tested; any model clearly above contradicts the claim. Part (a)
    is weak on its own: both Pile families sit at the $chance floor, so their agreement shows the same
    plateau, which is what the claim is about, but not that the architectures would agree off the
    floor (the row says so); (b) decides the row by the combination rule above.
  - **Claim 7, minimal gains beyond 1–2B**: per family (Pythia, OPT) and format (letter; full text),
    the slope from $gain_min up; *minimal* when the $tost_level upper bound is below $gain_margin points per
    decade (one-sided
    test at $alpha), *not minimal* when the $tost_level lower bound is above it. When inconclusive, the row
    prints how far from the margin a slope must lie for that one-sided test to detect it at $power
    power, (t$t_alpha + t$t_power) × SE.
  - **Claim 4c, arithmetic accuracy improves, OPT and Pythia**: per family and operation, Spearman's
    rank correlation of accuracy with size with an exact permutation p-value ($arith_models models: all
    $arith_models!
    orderings), Holm across the $arith_tests tests; the weighted slope is printed beside it, and a fall after a
    peak ($peaks) is stated with an unpaired two-proportion test (conservative for the same
    $arith_n items).

Descriptive fits across families
: The threshold where letter-format MMLU leaves chance is a sigmoid of accuracy on log10 training
  FLOPs with its floor at $chance; its interval is a percentile bootstrap over **families** (models of
  one family share data and recipe, so they are not independent draws). Size alone against size
  plus training tokens is compared by leave-one-family-out absolute error, after
  {cite:t}`liu2025notjustscaling`, with a bootstrap over held-out families. These fits cross
  families, which rule "fits stay within a family" forbids for verdicts: no verdict rests on them.
"""
)


def arithmetic_table() -> pd.DataFrame:
    """Claim 4c's tests (:func:`helpers.experiments.beyond.judged.arithmetic_trends`) with ``peak_params``."""
    emergent = read_emergent(benchmark=read_benchmark())
    table, _ = judged.arithmetic_trends(emergent)
    return table.assign(peak_params=table["peak_model"].map(dict(zip(emergent["model"], emergent["params"]))))


def peaks_text(table: pd.DataFrame) -> str:
    """The families and sizes whose accuracy peaks before the largest model: ``Pythia at 2.8B``."""
    drops = table[table["peak_model"] != table["largest"]]
    peaks = dict.fromkeys(
        f"{family} at {setting_billions(size)}" for family, size in zip(drops["family"], drops["peak_params"])
    )
    return "; ".join(peaks) if peaks else "none in these data"


def _subscript(text: str) -> str:
    """``"0.95"`` -> ``"₀.₉₅"``: a quantile's level written as a subscript."""
    return text.translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


def beyond_rules_values(table: pd.DataFrame | None = None) -> dict[str, str]:
    """The placeholders of :data:`TEMPLATE`. ``table``: :func:`arithmetic_table` (``family, n_models, largest,
    peak_model, peak_params``, one row per test of claim 4c)."""
    table = arithmetic_table() if table is None else table
    sizes = table["n_models"].unique()
    if sizes.size != 1:
        raise ValueError(f"claim 4c's families must have equally many models; got {sorted(sizes.tolist())}.")
    return {
        "alpha": setting_percent(ALPHA),
        "tost_level": setting_percent(1 - 2 * ALPHA),
        "power": setting_percent(POWER),
        "chance": setting_percent(CHANCE),
        "level_at": setting_billions(10**judged.LEVEL_AT),
        "slope_margin": setting_points(judged.SLOPE_MARGIN),
        "level_margin": setting_points(judged.LEVEL_MARGIN),
        "small_max": setting_billions(judged.SMALL_MAX_PARAMS),
        "clear": setting_percent(CHANCE + judged.CLEAR_LIFT),
        "lift": setting_points(judged.CLEAR_LIFT),
        "gain_min": setting_billions(judged.GAIN_MIN_PARAMS),
        "gain_margin": setting_points(judged.GAIN_MARGIN),
        "arith_models": str(int(sizes[0])),
        "arith_tests": str(len(table)),
        "peaks": peaks_text(table),
        "arith_n": f"{ARITHMETIC_N:,}",
        "min_models": number_word(MIN_MODELS),
        "min_change": number_word(MIN_MODELS - 1),
        "t_alpha": _subscript(f"{1 - ALPHA:.2f}"),
        "t_power": _subscript(f"{POWER:.2f}"),
    }


def beyond_rules_section(table: pd.DataFrame | None = None) -> str:
    """The entries from "Trends across models" to the end of the page, every value filled."""
    return TEMPLATE.substitute(beyond_rules_values(table))
