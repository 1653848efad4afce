"""The methods page's Statistics section, its settings rendered from the code constants that apply them.

:data:`TEMPLATE` is the section's prose (MyST markdown) with ``$name`` placeholders (:class:`string.Template`);
:func:`statistics_section` fills them: levels from :data:`helpers.analysis.verdicts.ALPHA`, the power of
:data:`helpers.analysis.power.POWER`, the claims' margins from their modules, counts from the data, and the two
generated entries of :mod:`helpers.report.methods_page` (the trend fit with its simulation, the margins), and claim
4a's published comparison from :func:`helpers.experiments.published_pythia.claim4a.published_design`.
Written to ``book/_generated/methods_statistics.md`` and included by ``book/methods.md``; :func:`methods_pages`
gathers it with the page's other generated entries.
"""

from __future__ import annotations

from string import Template

from helpers.analysis.inference import EXACT_SPEARMAN_MAX_N
from helpers.analysis.power import POWER
from helpers.analysis.pythia_arithmetic import load_pythia_arithmetic
from helpers.analysis.verdicts import ALPHA, MIN_ITEMS
from helpers.core.tasks.mmlu import CHANCE, MATH_SUBJECTS
from helpers.core.tasks.pairs import CHOICES
from helpers.experiments.published_pythia.claim4a import published_design
from helpers.experiments.swap.verdict import COLLAPSE_MARGIN
from helpers.render.numbers import number_word, setting_percent, setting_points
from helpers.report.claims.below_chance import CHANCE_MARGIN
from helpers.report.claims.evidence import published_mmlu_accuracies
from helpers.report.claims.knowledge import CLAIMED_BAND, LEVEL_MARGIN
from helpers.report.claims.loss_fall import CLAIMED_FALL, FALL_MARGIN
from helpers.report.claims.sensitivity import FIRST_STEP
from helpers.report.methods_beyond import beyond_rules_section
from helpers.report.methods_page import (
    beyond_data_entry,
    families_paragraph,
    margins_entry,
    metrics_entries,
    mmlu_math_items,
    standard_errors_entry,
    tasks_entries,
    trends_entry,
)

__all__ = ["TEMPLATE", "statistics_values", "statistics_section", "methods_pages"]

TEMPLATE = Template(
    """\
## Statistics

A verdict is only as good as its test and the data it rests on. Items are the sampling unit and
every comparison between models is paired by item. Every test, interval and power calculation
comes from scipy or statsmodels (`helpers.analysis.inference`, `trend`, `power`, `baselines`);
the code writes only the glue. The significance level is $alpha.

Intervals
: Accuracies: Wilson $confidence intervals {cite:p}`wilson1927probable` in tables and charts; exact
  intervals {cite:p}`clopper1934binomial` where a verdict rests on a bound. Means over items
  (losses): BCa bootstrap over items {cite:p}`efron1987bca` (scipy's `bootstrap`), percentile where
  BCa is undefined (the table says which). Paired changes of 0/1 outcomes: Newcombe's hybrid score
  interval, method 10 {cite:p}`newcombe1998paired`; paired changes of continuous outcomes: a paired
  BCa bootstrap.

Tests
: One proportion against chance: exact binomial test (`scipy.stats.binomtest`), never a Wald z.
  Two models on the same 0/1 items: exact McNemar test {cite:p}`mcnemar1947note` (the conditional
  binomial on discordant items); its sample sizes follow {cite:t}`connor1987sample`. Two models on the same
  continuous values: Wilcoxon signed-rank test. Rank correlation
  with size: Spearman with an exact permutation p-value for $spearman_max models or fewer.

"No effect" needs an equivalence test
: "Flat", "no change" and "complete collapse" are claims too. They are reported only when an
  interval lies inside a stated margin (two one-sided tests at $alpha: the $tost_level interval inside the
  margin). An interval that merely contains zero decides nothing: the verdict is *inconclusive*
  and the row prints the minimum detectable effect at $power power for its n
  (`helpers.analysis.power`).

$trends_entry
$margins_entry
Intervals that cannot decide
: Fewer than $min_items paired items (`helpers.analysis.verdicts.MIN_ITEMS`), no interval, or an interval
  of zero width (every item changed identically: sampling error cannot be estimated) decide
  nothing: the part is *inconclusive* and says why.

Families of tests are corrected
: "k of $study_models models significantly below chance" is $study_models tests: Holm's procedure
  {cite:p}`holm1979simple` (`statsmodels.stats.multitest.multipletests`) across the $study_models Pythia and OPT
  models of the claims table, each model counted once (the chapters, which discuss one family at a
  time, correct within each family and say so). Smallest-to-largest comparisons per task difficulty are
  Holm-corrected across the difficulties; the collapse tests across the task kinds of a swap pair;
  the published arithmetic comparisons across operations and shot counts. One rule decides every
  Holm-adjusted p-value: significant when it is at most $alpha (`helpers.analysis.inference.rejects`,
  statsmodels' convention). Illustrations on stand-in models correct across all the models shown.

The right null
: $chance is chance for a uniform guess, not for a model that scores full answer texts by summed
  log-likelihood: longer answers get lower scores. Beside $chance the report shows acc_norm
  (per-character normalisation) and two baselines on the same $math_items items: always choosing the
  shortest answer (ties share the credit: its expected accuracy), and always choosing the most
  common gold letter. For MRPC and QQP the share of
  the majority label among the scored items is shown beside $pair_chance.

Fits stay within a family
: A family differs in size only (same architecture, tokenizer and training recipe): Pythia, OPT,
  and, offline, the two Qwen2.5-Coder sizes. No power law, correlation or smallest-to-largest
  change is computed across families. Power-law fits report their residual degrees of freedom,
  flag parameters at a bound of the optimisation, and give no interval where resampling cannot
  produce one (three model sizes resampled by points).

The verdict rules of the claims table (`helpers.report.claims`)
: - **Claim 1, flat at $band**: per family, the slope (above) and the level: *reproduced* when
    every model's exact $tost_level interval lies within $band_wide (one equivalence test per model, all must
    pass), *not reproduced* when any model's Bonferroni-simultaneous $confidence interval lies wholly
    outside; both parts must hold.
  - **Claim 2, below chance**: exact one-sided binomial test against $chance, Holm across the $study_models
    models; per family *reproduced* when every model is below, *partly* when some are, *not
    reproduced* only when none is and every model's one-sided $confidence lower bound is at least $not_below,
    else *inconclusive* (no significant deficit is not evidence of none); when no model is
    significantly below chance in acc_norm and the shortest-answer baseline's interval lies below
    $chance, the verdict names the effect a scoring artefact.
  - **Claim 3, the answer loss falls $fall**: the mean per-token gold-answer cross-entropy (nats),
    smallest to largest model of a family, relative fall with $tost_level and $confidence paired BCa intervals
    (the per-byte fall is shown beside it with its intervals, not judged); *reproduced* only when
    the $confidence interval contains $fall and the $tost_level interval lies within $fall ± $fall_margin points
    (two one-sided
    tests at $alpha); *not reproduced* when the $confidence interval excludes $fall, with the words "the fall is
    smaller (or larger) than the study's"; else *inconclusive* with the minimum detectable departure.
  - **Claim 4, arithmetic improves**: accuracy by the exact McNemar test and loss by the
    Wilcoxon test (a fall also needs the bootstrap interval of the mean change below 0), smallest
    vs largest model per difficulty, Holm across every test of the claim; an inconclusive
    verdict prints its minimum detectable change (points for accuracy, nats per token for the
    loss); without a
    Pythia/OPT run, accuracy from the published Pythia arithmetic (free generation, exact match),
    $arith_small vs $arith_large paired by first operand with a cluster bootstrap and a sign-flip test.
  - **Claim 5, complete collapse**: a significant paired drop from the recipient alone (exact
    McNemar, Holm across task kinds) *and* the full swap's exact upper bound within $collapse points of
    chance.
  Claims are judged only on Pythia/OPT numbers, in the study's format (MMLU-math 0-shot, full
  answer text); other formats appear as labelled lines, never swapped in. A coverage simulation
  in the test suite (1,000+ replicates with known truth) checks that these intervals cover at
  their nominal level and that the Holm-corrected below-chance family keeps its error rate.

What a referee asks (`helpers.report.claims.sensitivity`, in the details of claims 1 and 2)
: The verdict of claims 1 and 2 by the same rules under each variant: acc_norm in place of acc,
  5-shot (published for Pythia only), OPT-66B added, deduped Pythia in place of the standard one.
  The claim-1 slope per MMLU-math subject (the model-level fit with subject-specific intercepts and
  slopes, residual scale at least 1) and a Wald test that the $math_subjects subjects share one slope. The
  training-checkpoint axis: published Pythia MMLU-math at every checkpoint from step $first_step, the same
  model-level slope on log10(step) per size (descriptive: the checkpoints of one model share items
  and weights, so they are not independent samples).

The verdict words
: *Reproduced*: the test the claim needs came out for it (an equivalence inside its margin, or a
  significant change in the claimed direction, after Holm). *Not reproduced*: it came out
  significantly against it (an interval wholly outside the margin, a significant change the other
  way, or an interval that excludes the study's number). *Partly*: some parts of the claim are
  reproduced and they outnumber the parts that are significantly against it. *Inconclusive*: the
  data cannot decide; the row prints the minimum detectable effect at $power power, or the reason
  there is none (two models, too few items, a zero-width interval). *Not judged*: no Pythia/OPT
  evidence yet. These words belong to Pythia/OPT evidence only: on the stand-in models of the
  `offline` profile the same tests are reported as numbers, labelled as an illustration, with no
  verdict word.

Combining parts into one verdict (`helpers.analysis.verdicts.combine`)
: A claim is judged in parts (families, difficulties, trend and level). Parts that are not judged
  are ignored; parts that all agree give their common verdict. Otherwise the verdict follows the
  weight of the evidence: each *reproduced* or *partly* part counts for the claim, each *not
  reproduced* part against it (a significant contradiction), *inconclusive* parts count for
  neither. *Not reproduced* when the contradictions are at least as many as the supports (one
  part for the claim among four significant contradictions is not "partly"); *partly* when the
  supports outnumber the contradictions. A tie goes against the claim: the burden of evidence is
  on the claim being reproduced.

"""
)


def statistics_values() -> dict[str, str]:
    """The placeholders of :data:`TEMPLATE` but the two entries, as the page prints them."""
    arithmetic = published_design(load_pythia_arithmetic())
    return {
        "alpha": setting_percent(ALPHA),
        "confidence": setting_percent(1 - ALPHA),
        "tost_level": setting_percent(1 - 2 * ALPHA),
        "power": setting_percent(POWER),
        "spearman_max": str(EXACT_SPEARMAN_MAX_N),
        "min_items": str(MIN_ITEMS),
        "study_models": str(len(published_mmlu_accuracies())),
        "chance": setting_percent(CHANCE),
        "math_items": f"{mmlu_math_items():,}",
        "pair_chance": setting_percent(1 / len(CHOICES)),
        "band": f"{setting_points(CLAIMED_BAND[0])}–{setting_percent(CLAIMED_BAND[1])}",
        "band_wide": (
            f"{setting_points(CLAIMED_BAND[0] - LEVEL_MARGIN)}–{setting_percent(CLAIMED_BAND[1] + LEVEL_MARGIN)}"
        ),
        "not_below": setting_percent(CHANCE - CHANCE_MARGIN),
        "fall": setting_percent(CLAIMED_FALL),
        "fall_margin": setting_points(FALL_MARGIN),
        "collapse": setting_points(COLLAPSE_MARGIN),
        "first_step": f"{FIRST_STEP:,}",
        "math_subjects": number_word(len(MATH_SUBJECTS)),
        "arith_small": arithmetic.small,
        "arith_large": arithmetic.large,
    }


def statistics_section() -> str:
    """The whole Statistics section (heading to the end of its verdict-combination entry), every value filled."""
    return TEMPLATE.substitute(statistics_values(), trends_entry=trends_entry(), margins_entry=margins_entry())


def methods_pages() -> dict[str, str]:
    """The methods page's generated includes, by file name in ``book/_generated/``."""
    return {
        "methods_families.md": families_paragraph(),
        "methods_tasks.md": tasks_entries(),
        "methods_metrics.md": metrics_entries(),
        "methods_statistics.md": statistics_section(),
        "methods_beyond_data.md": beyond_data_entry(),
        "methods_standard_errors.md": standard_errors_entry(),
        "methods_beyond_rules.md": beyond_rules_section(),
    }
