"""The methods page's generated entries: every number in them is computed or read from a code constant.

``book/methods.md`` is static prose; the definition-list entries that state numbers are written here
and included from ``book/_generated/`` (:func:`helpers.report.methods_statistics.methods_pages`, called by
:func:`helpers.report.book.write_generated`; the trends and margins entries go into the Statistics section):

* ``methods_families.md``: the two families and their size ranges (the study's published models);
* ``methods_tasks.md``: the three tasks, with their item counts read from ``data/``;
* ``methods_metrics.md``: the Metrics list (:data:`METRICS`), the letter-bias interval's level from
  :data:`helpers.analysis.verdicts.ALPHA` (the level of ``task_contrast.letters.letter_diagnosis``);
* :func:`trends_entry`: the model-level trend fit, with the false-trend rates of the seeded simulation
  :func:`helpers.analysis.trend_simulation.simulate_flat_family`, and :func:`margins_entry`: the claims'
  margins (code constants) and what they mean on the published Pythia/OPT MMLU-math data (items, decades of
  size, the slope's standard error), both inside ``methods_statistics.md``
  (:mod:`helpers.report.methods_statistics`);
* ``methods_beyond_data.md``: the heading of the section on the Observational Scaling Laws data and its
  "Data and formats" entry (models, families, subjects counted from the bundled files);
* ``methods_standard_errors.md``: the standard error of an unweighted mean of MMLU subject
  accuracies and its effective number of items, from the subject sizes in ``data/mmlu/test``.
"""

from __future__ import annotations

import math
from pathlib import Path
from string import Template

import numpy as np
import pandas as pd
from scipy import stats

from helpers.analysis.obsscaling import (
    ARITHMETIC_N,
    effective_n,
    leaderboard_mmlu_se,
    mmlu_subject_sizes,
    read_benchmark,
)
from helpers.analysis.power import power_flat
from helpers.analysis.published import load_published
from helpers.analysis.trend import FLAT_MARGIN, MIN_MODELS, model_slope
from helpers.analysis.trend_simulation import REPS, SEED, simulate_flat_family
from helpers.analysis.verdicts import ALPHA
from helpers.core.tasks.arithmetic import FILES as ARITHMETIC_FILES
from helpers.core.tasks.mmlu import CHANCE, LETTERS, MATH_SUBJECTS, load_split
from helpers.core.tasks.pairs import read_mrpc
from helpers.experiments.swap.verdict import COLLAPSE_MARGIN
from helpers.infra.paths import DATA_DIR
from helpers.render.numbers import about_percent, number_word, param_label, setting_percent, setting_points
from helpers.report.claims.evidence import published_mmlu_accuracies
from helpers.report.claims.knowledge import CLAIMED_BAND, LEVEL_MARGIN
from helpers.report.claims.loss_fall import CLAIMED_FALL, FALL_MARGIN

__all__ = [
    "METRICS",
    "metrics_entries",
    "families_paragraph",
    "tasks_entries",
    "trends_entry",
    "margins_entry",
    "beyond_data_entry",
    "standard_errors_entry",
    "mmlu_math_items",
]

METRICS = Template(
    """\
Per item (`helpers.analysis.items`, `helpers.analysis.metrics`):

- **accuracy**: the correct choice has the highest summed log-likelihood (ties go to the first);
- **acc_norm** and **per-byte accuracy**: the same after dividing each choice's log-likelihood by
  its length in characters (the harness's `acc_norm`) or UTF-8 bytes;
- **loss on the answer**: the negative log-likelihood of the correct continuation per token (the
  quantity the reproduced study reports) and per byte;
- **the Schaeffer chain** {cite:p}`schaeffer2024elusive`: the log-probability of the correct
  choice over the whole vocabulary, its probability, the probability of any of the choices, the
  correct choice's share of that mass (a softmax over the choices), the Brier score of that
  softmax, and accuracy. Each step discards information, so a metric can stop tracking scale
  where the one before it still does;
- **letter bias**: the distribution of predicted letters against the gold letters, a chi-square
  test of uniform predictions (Monte Carlo p-value), the accuracy of a guesser with the model's
  letter preferences and no knowledge, and of always answering the most common gold letter; a
  below-chance accuracy is *consistent with* letter bias only when that guesser scores within its
  $confidence interval and the letters are significantly non-uniform;
- **arithmetic**: exact match next to two continuous metrics, the loss per answer token and the
  fraction of answer tokens that are the greedy choice (teacher-forced digits correct). A
  discontinuous metric can make smooth improvement look like a ceiling or an emergent jump
  {cite:p}`schaeffer2023mirage,hu2024passuntil`.
"""
)
"""The Metrics section's list (MyST markdown); ``$confidence``: the letter-bias guesser's interval level."""


def metrics_entries() -> str:
    """The Metrics list with its one setting filled: the letter-bias interval at 1 - ALPHA."""
    return METRICS.substitute(confidence=setting_percent(1 - ALPHA))


def families_paragraph(published: pd.DataFrame | None = None) -> str:
    """The Models section's first sentences: Pythia's and OPT's size ranges among the study's published models.

    ``published``: :func:`~helpers.report.claims.evidence.published_mmlu_accuracies` (``family``, ``params``).
    """
    data = published_mmlu_accuracies() if published is None else published
    sizes = {family: group["params"] for family, group in data.groupby("family")}
    if not {"pythia", "opt"} <= set(sizes):
        raise ValueError(f"need published Pythia and OPT models; got families {sorted(sizes)}.")
    pythia, opt = sizes["pythia"], sizes["opt"]
    return (
        "Two families of decoder-only transformers with public weights: Pythia\n"
        f"{{cite:p}}`biderman2023pythia` ({param_label(pythia.min())} to {param_label(pythia.max())} parameters, "
        "all trained on the same data in the same\n"
        f"order) and OPT {{cite:p}}`zhang2022opt` ({param_label(opt.min())} to {param_label(opt.max())}). "
        "Any other Hugging Face causal language model\n"
        "can be added to a profile. A *profile* (`data/profiles.yml`) names the models and task settings\n"
        "of a build; the banner at the top of every page says which one built this copy:\n"
    )


def _count_each(counts: list[int], noun: str) -> str:
    """``2,000 questions each`` when all counts agree, else ``1,990–2,000 questions``."""
    low, high = min(counts), max(counts)
    return f"{low:,} {noun} each" if low == high else f"{low:,}–{high:,} {noun}"


def tasks_entries(data_dir: Path = DATA_DIR) -> str:
    """The Tasks section's three entries, with item counts read from ``data_dir`` (MMLU, arithmetic, MRPC)."""
    math_items = mmlu_math_items(data_dir)
    arithmetic = [
        sum(1 for line in (data_dir / "arithmetic" / f"{name}.jsonl").open(encoding="utf-8") if line.strip())
        for name in ARITHMETIC_FILES.values()
    ]
    mrpc = len(read_mrpc(data_dir / "mrpc" / "msr_paraphrase_test.txt"))
    return (
        "Knowledge: MMLU mathematics\n"
        f": The {number_word(len(MATH_SUBJECTS))} mathematics subjects of MMLU {{cite:p}}`hendrycks2021mmlu` "
        "(abstract algebra, college\n"
        f"  mathematics, elementary mathematics, high-school mathematics, high-school statistics; {math_items:,} test\n"
        "  questions). Two scoring formats:\n"
        f"  *letter* (the harness's current `mmlu` task: a description line, the question, the "
        f"{number_word(len(LETTERS))} options\n"
        f"  labelled {LETTERS[0]}–{LETTERS[-1]}, `Answer:`; the continuation is the letter; few-shot examples "
        "are the first dev\n"
        "  questions) and *full answer text* (the harness's old `hendrycksTest` version 0, which produced\n"
        "  the published Pythia/OPT numbers: `Question:`, `Choices:`, the options, `Answer:`; the\n"
        "  continuation is the text of the answer; few-shot examples are drawn from the validation split\n"
        "  with the old harness's seed). The format is part of the diagnosis of below-chance accuracy.\n\n"
        "Procedure: arithmetic\n"
        ": The synthetic arithmetic files of GPT-3 {cite:p}`brown2020gpt3` "
        f"({_count_each(arithmetic, 'questions')}), with the\n"
        "  harness's processing (`Question: What is 98 plus 45?` / `Answer:` / ` 143`). A question counts\n"
        "  as solved when every token of the answer is the model's greedy choice.\n\n"
        "Pattern matching: paraphrase detection\n"
        ": QQP from GLUE {cite:p}`wang2019glue` (the harness's prompt, choices `no`/`yes`), read from a\n"
        "  GLUE `dev.tsv` or the hub. Where neither is available, MRPC {cite:p}`dolan2005mrpc` stands in:\n"
        f"  the same kind of task with the harness's MRPC prompt, evaluated on the {mrpc:,} labelled pairs of\n"
        "  the original test file.\n"
    )


def trends_entry(reps: int = REPS, seed: int = SEED) -> str:
    """The "Trends are slopes" entry; runs the flat-family simulation (``reps`` replicates, about 1 s per 1,000)
    at the claims' flat margin, which the entry prints beside its rates."""
    sim = simulate_flat_family(reps=reps, seed=seed, margin=FLAT_MARGIN)
    return (
        "Trends are slopes, and models are a sample too\n"
        ': "Flat across scale" is judged on the slope of accuracy against log10(parameters)\n'
        "  (`helpers.analysis.trend.wls_slope`), for published aggregates and our runs alike: weighted least\n"
        "  squares on the per-model accuracies whose error carries both sources of variance. Each model's\n"
        "  variance is the larger of its standard error squared and what its items alone imply (binomial at\n"
        "  the family's pooled proportion or the model's Wilson-adjusted proportion (k + 2)/(n + 4), so a\n"
        "  model at 0% cannot carry the fit); the residual scale (the models' scatter around the line) is\n"
        "  estimated and never taken below 1, the items' own scatter. The interval is t with\n"
        "  n_models − 2 degrees of freedom. A model-level fit is needed because the models are a sample:\n"
        "  an item-clustered fit treats them as points on the line and, in a simulation of a flat family\n"
        f"  whose {sim.n_models} models scatter {100 * sim.scatter:g} points, calls it rising or falling about "
        f"{about_percent(sim.item_clustered_rate)} of the time;\n"
        f"  this fit does so about {about_percent(sim.model_level_rate)} of the time "
        f"({sim.reps:,} replicates of {sim.n_items:,} items, seed {sim.seed};\n"
        "  `helpers.analysis.trend_simulation`, checked in `tests/analysis/test_verdict_rules.py`). No trend from\n"
        f"  fewer than {number_word(MIN_MODELS)} models: {number_word(MIN_MODELS - 1)} models give a change with its "
        'Newcombe interval and the words "no trend from\n'
        f'  {number_word(MIN_MODELS - 1)} models". The slope is *flat* only when its '
        f"{setting_percent(1 - 2 * ALPHA)} interval "
        f"lies within ±{100 * sim.margin:g} point per decade of\n"
        f"  parameters; *rising* or *falling* when its {setting_percent(1 - ALPHA)} interval excludes zero. "
        "The published "
        "arithmetic\n  trend uses pooled variances (equal weights) for the same reason.\n"
    )


def mmlu_math_items(data_dir: Path = DATA_DIR) -> int:
    """Test items of the MMLU mathematics subjects in ``data_dir/mmlu``."""
    return sum(len(load_split(subject, "test", data_dir / "mmlu")) for subject in MATH_SUBJECTS)


def _span(low: float, high: float, digits: int = 1) -> str:
    """``0.6``-``0.8`` or one number when both round alike."""
    low_text, high_text = f"{low:.{digits}f}", f"{high:.{digits}f}"
    return low_text if low_text == high_text else f"{low_text}–{high_text}"


def margins_entry(published: pd.DataFrame | None = None) -> str:
    """The "Margins" entry. ``published``: :func:`~helpers.report.claims.evidence.published_mmlu_accuracies`
    (default: the bundled published Pythia/OPT MMLU-math, 0-shot full answer text)."""
    data = published_mmlu_accuracies() if published is None else published
    n_items = data["n"].unique()
    if n_items.size != 1:
        raise ValueError(f"the published models must share one item count; got {sorted(n_items.tolist())}.")
    n = int(n_items[0])
    band = f"{setting_points(CLAIMED_BAND[0])}–{setting_points(CLAIMED_BAND[1])}%"
    wide = f"{setting_points(CLAIMED_BAND[0] - LEVEL_MARGIN)}–{setting_points(CLAIMED_BAND[1] + LEVEL_MARGIN)}%"
    p = CLAIMED_BAND[1]
    half_width = stats.norm.ppf(1 - ALPHA / 2) * math.sqrt(p * (1 - p) / n)
    pythia = data[data["family"] == "pythia"]["params"]
    decades = math.log10(pythia.max() / pythia.min())
    fits = {
        family: model_slope(group["params"], group["k_acc"], group["n"], group["acc_stderr"])
        for family, group in data.groupby("family")
    }
    ses = np.array([100 * fit.se for fit in fits.values()])
    power = max(power_flat(fit.se, FLAT_MARGIN, fit.df, alpha=ALPHA) for fit in fits.values())
    models = [fit.n_models for fit in fits.values()]
    model_span = str(min(models)) if min(models) == max(models) else f"{min(models)}–{max(models)}"
    level, slope = setting_points(LEVEL_MARGIN), setting_points(FLAT_MARGIN)
    return (
        "Margins\n"
        f": *Level* (claim 1): {band} ± {level} points. The study states a band without an interval; "
        f"{level} points is\n"
        f"  about the half-width of a {setting_percent(1 - ALPHA)} interval on its {n:,} items at {setting_points(p)}% "
        f"(± {100 * half_width:.1f} points), so a model\n"
        f"  inside {wide} is within the study's own sampling error of its band. *Slope*: ±{slope} point per\n"
        f"  decade: over the {decades:.1f} decades from Pythia-{param_label(pythia.min())} to "
        f"{param_label(pythia.max())} that is ± {100 * FLAT_MARGIN * decades:.1f} points, about the width of the\n"
        '  claimed band plus its sampling error, the most a "flat" family could move and still read as\n'
        f"  flat. *Claim 3*: {setting_points(CLAIMED_FALL)}% ± {setting_points(FALL_MARGIN)} points: "
        "the study names no loss formula "
        "and gives no interval; per\n"
        "  token and per byte, or summed, the relative fall of the same two models can differ by several\n"
        f"  points, and ± {setting_points(FALL_MARGIN)} points (a third of the claimed fall) separates "
        '"a fall of about that size" from\n'
        f"  a much smaller or larger one. *Collapse*: within {setting_points(COLLAPSE_MARGIN)} points of chance "
        "(the swap chapter). Beside\n"
        '  each slope the claims table prints the power of the "flat" test at a true slope of 0\n'
        "  (`helpers.analysis.power.power_flat`) and, when inconclusive, the minimum detectable slope. On the\n"
        f"  published data ({model_span} models, {n:,} items each) the slope's standard error is about "
        f"{_span(ses.min(), ses.max())} points\n"
        f"  per decade, so the power to call a truly flat family flat at ±{slope} point per decade is at most\n"
        f'  {about_percent(power)}: the published data can show a rise, not flatness; a "flat" verdict needs more '
        "models or items.\n"
    )


def beyond_data_entry(bench: pd.DataFrame | None = None, published: pd.DataFrame | None = None, sizes=None) -> str:
    """The "Beyond Pythia and OPT" heading, its first paragraph and its "Data and formats" entry.

    ``bench``: :func:`~helpers.analysis.obsscaling.read_benchmark`; ``published``:
    :func:`~helpers.analysis.published.load_published`; ``sizes``: MMLU subject test sizes (defaults: bundled).
    """
    bench = read_benchmark() if bench is None else bench
    published = load_published() if published is None else published
    subjects = len(mmlu_subject_sizes() if sizes is None else sizes)
    opt_largest = param_label(published.loc[published["family"] == "opt", "params"].max())
    return (
        f"## Beyond Pythia and OPT: published results of {len(bench)} models\n\n"
        "The chapter {doc}`experiments/beyond` and rows 6, 7 and 4c of the claims table read the\n"
        "Observational Scaling Laws collection {cite:p}`ruan2024observational`, bundled in\n"
        "`data/reference/obsscaling/` with its `SOURCES.md` and licence (Apache 2.0).\n\n"
        "Data and formats\n"
        f": `base_llm_benchmark_eval.csv`: {len(bench)} base models in {bench['family'].nunique()} families "
        "with parameters, training tokens\n"
        "  and training compute (6·N·D; empty for the "
        f"{int(bench['tokens'].isna().sum())} models whose tokens are unknown, RWKV-4 among\n"
        "  them) and their Open LLM Leaderboard v1 scores. Its MMLU is **5-shot, letter format** (the\n"
        f"  model scores the letters A–D), the **unweighted mean of the {subjects} subject accuracies**; it is not\n"
        "  the study's 0-shot full-answer-text MMLU-math. In the letter format every answer is one token\n"
        "  long, so the length bias of full-text scoring does not arise and the baseline of a model that\n"
        f"  cannot answer is {setting_points(CHANCE)}%. `base_llm_emergent_capability_eval.csv`: the authors' "
        "lm-evaluation-harness\n"
        "  runs of GPT-3 arithmetic (2-digit and 3-digit addition, 3-digit subtraction, 2-digit\n"
        "  multiplication), few-shot; the columns end in `_2`, the shot count as labelled in the file, which\n"
        "  we could not confirm in the paper. The study's own format enters claim 7 from the published\n"
        "  Pythia/OPT runs (`data/reference/lm_eval_published.csv.gz`, hendrycksTest v0, 0-shot, OPT to\n"
        f"  {opt_largest}), averaged over the {subjects} subjects the same way.\n"
    )


def standard_errors_entry(sizes=None) -> str:
    """The "Standard errors that match how the numbers were made" entry; ``sizes``: MMLU subject test sizes."""
    sizes = tuple(mmlu_subject_sizes() if sizes is None else sizes)
    subjects, items = len(sizes), sum(sizes)
    mean_se = float(leaderboard_mmlu_se(CHANCE, sizes))
    pooled_se = math.sqrt(CHANCE * (1 - CHANCE) / items)
    return (
        "Standard errors that match how the numbers were made\n"
        f": An unweighted mean of {subjects} subject accuracies has variance Σ_s p_s(1 − p_s)/n_s / {subjects}², "
        "with n_s\n"
        f"  the subject's test size ({items:,} items in `data/mmlu/test`). Per-subject accuracies of the\n"
        "  leaderboard are not published, so each p_s is taken equal to the model's aggregate (about "
        f"{100 * mean_se:.2f}\n"
        f"  points at {100 * CHANCE:g}%, against {100 * pooled_se:.2f} for a pooled proportion of {items:,} items); "
        "for the published full-text\n"
        "  runs each subject's own accuracy is used. A one-proportion test treats the mean as a binomial\n"
        f"  with the effective number of items that gives the same variance, {subjects}² / Σ 1/n_s = "
        f"{effective_n(sizes):,.0f}.\n"
        f"  Arithmetic: {ARITHMETIC_N:,} items per task (assumed: the task's full test set, as the harness runs it),\n"
        "  Agresti–Coull standard errors ((k + 2)/(n + 4)); in a weighted slope each model's variance is at\n"
        "  least the family's pooled binomial one (`trend.item_floor`), so models at 0% cannot carry the fit.\n"
    )
