"""Sentences of the chapter "Beyond Pythia and OPT", generated from the results they describe (never typed in).

One function per paragraph of ``notebooks/beyond.ipynb``; each returns markdown that the notebook shows with
``display(Markdown(...))``. Accuracies are proportions in [0, 1] and print as percentages; slopes are
proportions per decade of parameters and print as accuracy points per decade; compute is in FLOPs and
parameters in plain counts. Verdict words come from the claims' records
(:mod:`helpers.experiments.beyond.claims`), never from a second call of a rule here.
:func:`data_counts` gives the counts the chapter's markdown cells paste (MyST-NB ``glue``).
"""

from __future__ import annotations

import pandas as pd
from scipy import stats

from helpers.analysis.claims.result import ClaimResult
from helpers.analysis.claims.wording import finding_sentence
from helpers.analysis.claims.wording_trends import floor_caveat
from helpers.analysis.obsscaling import (
    ARITHMETIC_N,
    GSM8K_N,
    MMLU_CHANCE,
    effective_n,
    exclusion_text,
    leaderboard_mmlu_se,
    mmlu_subject_sizes,
    mmlu_subjects,
)
from helpers.analysis.verdicts import ALPHA, question_word
from helpers.experiments.beyond import judged
from helpers.experiments.beyond.views import FAMILIES_SHOWN, SMALL_SHOWN, THRESHOLD_LIFT
from helpers.render.numbers import number_word, param_label, setting_billions, setting_percent, setting_points, signed

__all__ = [
    "claim7_text",
    "rule_settings",
    "claims_summary",
    "data_counts",
    "file_summary",
    "lofo_summary",
    "pile_lines",
    "small_summary",
    "standard_error_note",
    "study_range",
    "threshold_summary",
]

STUDY_FAMILIES = ("Pythia", "OPT", "RWKV")
"""The families :func:`study_range` summarises: the study's two and RWKV-4, trained on the Pile like Pythia."""
PILE_PART = "(a)"
"""The label of claim 6's part comparing RWKV-4 with Pythia (:func:`~helpers.experiments.beyond.claims.pile_part`)."""


def data_counts(
    frame: pd.DataFrame,
    emergent: pd.DataFrame,
    subjects: dict[str, int] | None = None,
    fulltext: pd.DataFrame | None = None,
) -> dict[str, str]:
    """The counts the chapter's markdown cells paste, as text (``{glue:text}`` keys -> values).

    ``frame``: the benchmark file (:func:`~helpers.analysis.obsscaling.read_benchmark`, one row per model,
    columns ``model``, ``family``, ``params``); ``emergent``: the arithmetic file
    (:func:`~helpers.analysis.obsscaling.read_emergent`, one row per model); ``subjects``: MMLU test items per
    subject (None: :func:`~helpers.analysis.obsscaling.mmlu_subjects`); ``fulltext``: the published full-text MMLU
    (columns ``family`` in lower case, ``params``; None: :func:`~helpers.experiments.beyond.judged.fulltext_mmlu`).
    Keys: ``obs_models`` and ``obs_families``
    (the benchmark file), ``obs_arithmetic_models`` (models of the benchmark file with arithmetic results),
    ``pythia_largest`` and ``opt_largest`` (the largest model of each family in the file, e.g. ``"12B"``),
    ``fulltext_pythia_largest`` and ``fulltext_opt_largest`` (the same in the published full-text results),
    ``mmlu_subjects`` and ``mmlu_items`` (the MMLU test set), ``arithmetic_n`` (items per arithmetic task,
    :data:`~helpers.analysis.obsscaling.ARITHMETIC_N`), ``gsm8k_n`` (GSM8K's test problems,
    :data:`~helpers.analysis.obsscaling.GSM8K_N`).
    """
    subjects = mmlu_subjects() if subjects is None else subjects
    arithmetic = emergent.loc[emergent["model"].isin(frame["model"]), "model"].nunique()
    largest = frame.groupby("family")["params"].max()
    fulltext = judged.fulltext_mmlu() if fulltext is None else fulltext
    fulltext_largest = fulltext.groupby("family")["params"].max()
    return {
        "obs_models": f"{len(frame)}",
        "obs_families": f"{frame['family'].nunique()}",
        "obs_arithmetic_models": f"{arithmetic}",
        "pythia_largest": param_label(largest["Pythia"]),
        "opt_largest": param_label(largest["OPT"]),
        "fulltext_pythia_largest": param_label(fulltext_largest["pythia"]),
        "fulltext_opt_largest": param_label(fulltext_largest["opt"]),
        "mmlu_subjects": f"{len(subjects)}",
        "mmlu_items": f"{sum(subjects.values()):,}",
        "arithmetic_n": f"{ARITHMETIC_N:,}",
        "gsm8k_n": f"{GSM8K_N:,}",
    }


def rule_settings() -> dict[str, str]:
    """The settings the chapter's markdown cells paste (``{glue:text}`` keys -> values), from the constants the
    rules use: chance, the claim-6a margins, level size and test levels, the claim-6b size limit and threshold,
    the claim-7 size and margin, and the sigmoid's lift (:data:`~helpers.experiments.beyond.views.THRESHOLD_LIFT`)."""
    return {
        "chance": setting_percent(judged.MMLU_CHANCE),
        "alpha": setting_percent(ALPHA),
        "tost_level": setting_percent(1 - 2 * ALPHA),
        "slope_margin": setting_points(judged.SLOPE_MARGIN),
        "level_margin": setting_points(judged.LEVEL_MARGIN),
        "level_at": setting_billions(10**judged.LEVEL_AT),
        "small_max": setting_billions(judged.SMALL_MAX_PARAMS),
        "clear_threshold": setting_percent(judged.MMLU_CHANCE + judged.CLEAR_LIFT),
        "clear_lift": setting_points(judged.CLEAR_LIFT),
        "gain_min": setting_billions(judged.GAIN_MIN_PARAMS),
        "gain_margin": setting_points(judged.GAIN_MARGIN),
        "fit_lift": setting_points(THRESHOLD_LIFT),
    }


def file_summary(frame: pd.DataFrame, shown: int = FAMILIES_SHOWN) -> str:
    """What the benchmark file holds: models, families, models without FLOPs, single-model families.

    ``frame``: the benchmark file (columns ``family``, ``flops``; NaN FLOPs where the tokens are unknown);
    ``shown``: how many of the largest families the table above it lists.
    """
    no_flops = frame[frame["flops"].isna()]
    return (
        f"The file holds {len(frame)} models in {frame['family'].nunique()} families (the {shown} largest families "
        "above). "
        f"{len(no_flops)} models have no training tokens and therefore no FLOPs: they are left out of every chart "
        f"against compute or tokens, and named where that happens. "
        f"{(frame['family'].value_counts() == 1).sum()} families have a single model: they are points in the "
        "charts but give no within-family trend."
    )


def study_range(points: pd.DataFrame, label: str) -> str:
    """The range of the study's families (Pythia, OPT, RWKV-4) on ``label`` against the three best models of at
    most :data:`~helpers.experiments.beyond.judged.SMALL_MAX_PARAMS` parameters (claim 6b's small models).

    ``points``: :func:`~helpers.experiments.beyond.views.landscape` against parameters (columns ``family``,
    ``model``, ``x`` in parameters, ``y`` a proportion); ``label``: the benchmark's name.
    """
    study = points[points["family"].isin(STUDY_FAMILIES)]
    best = points[points["x"] <= judged.SMALL_MAX_PARAMS].nlargest(3, "y")
    return (
        f"Pythia, OPT and RWKV-4 stay between {study['y'].min():.1%} and {study['y'].max():.1%} on {label} over "
        f"{study['x'].min() / 1e9:.2g}B to {study['x'].max() / 1e9:.0f}B parameters, while "
        + ", ".join(f"{r.model} reaches {r.y:.1%} at {r.x / 1e9:.1f}B" for r in best.itertuples())
        + "."
    )


def pile_lines(pile: dict, result6: ClaimResult) -> str:
    """Claim 6a's bullets: each family's trend, RWKV-4 minus Pythia on slope and level, the models left out,
    and the verdict word of claim 6's part (a) (its record's code, read as an open question).

    ``pile``: :func:`~helpers.experiments.beyond.judged.rwkv_vs_pythia` (``trends``: family -> trend with
    slope per decade and level at 1B as proportions; ``slope``, ``level``: the differences; ``excluded``);
    ``result6``: :func:`~helpers.experiments.beyond.claims.claim6`. Raises ``ValueError`` when ``result6`` has
    no part (a).
    """
    part = next((part for part in result6.parts if part.label == PILE_PART), None)
    if part is None:
        raise ValueError(
            f"claim {result6.claim_id} has no part {PILE_PART!r} (parts: {[p.label for p in result6.parts]}); "
            "pass claims.claim6()."
        )
    tost, at = setting_percent(1 - 2 * ALPHA), setting_billions(10**judged.LEVEL_AT)  # the TOST's interval
    z = stats.norm.ppf(1 - ALPHA / 2)  # the level's two-sided interval, as claim 6 tests it
    trends = [
        f"- **{name}**: slope {signed(100 * t.slope.slope)} points per decade, {tost} [{signed(100 * t.slope.low90)}, "
        f"{signed(100 * t.slope.high90)}]; level at {at} {t.level:.1%} ± {z * t.level_se:.1%} ({t.note})."
        for name, t in pile["trends"].items()
    ]
    differences = [
        f"- **RWKV-4 minus Pythia**: {d.what} {signed(100 * d.estimate)} points, {tost} [{signed(100 * d.low90)}, "
        f"{signed(100 * d.high90)}], {d.df} df: **{d.code}** within ±{100 * d.margin:.0f} points."
        for d in (pile["slope"], pile["level"])
    ]
    caveat = floor_caveat(part)
    verdict = (
        f"- Claim 6a: **{question_word(part.code)}** "
        '(equivalent trends and levels contradict "a property of decoder-only architectures"'
        + (f"; {caveat}" if caveat else "")
        + ")."
    )
    return "\n".join(trends + differences + [f"- {exclusion_text(pile['excluded'])}", verdict])


def small_summary(small: pd.DataFrame, left_out, shown: int = SMALL_SHOWN) -> str:
    """Claim 6b's paragraph: the effective n, how many small models are significantly above chance + the clear
    lift after Holm, and how many the table shows (``shown``).

    ``small``: :func:`~helpers.experiments.beyond.judged.small_above_chance` (boolean column ``clearly_above``);
    ``left_out``: its exclusions.
    """
    threshold = setting_percent(judged.MMLU_CHANCE + judged.CLEAR_LIFT)
    return (
        f"Effective n = {effective_n():,.0f} (from the {len(mmlu_subject_sizes())} subject sizes, "
        f"{sum(mmlu_subject_sizes()):,} items). {int(small['clearly_above'].sum())} of {len(small)} models are "
        f"significantly above {threshold} after Holm; the {_shown_words(shown)} highest are shown. "
        f"{exclusion_text(left_out)}"
    )


def _shown_words(n: int) -> str:
    """How many rows a table shows, in words up to twelve (``12`` -> ``twelve``)."""
    words = {11: "eleven", 12: "twelve"}
    return words.get(n) or (number_word(n) if n <= 10 else f"{n}")


PYTHIA_12B, OPT_66B = "EleutherAI/pythia-12b-deduped", "facebook/opt-66b"
"""The largest model of each study family in the benchmark file, whose training compute the threshold is set beside."""


def _flops(flops_of: pd.Series, model: str) -> float:
    if model not in flops_of.index or pd.isna(flops_of[model]):
        raise ValueError(
            f"no training FLOPs for {model!r} in the benchmark file; pass read_benchmark()'s flops by model "
            "(the bundled data/reference/obsscaling file has them)."
        )
    return float(flops_of[model])


def threshold_summary(fit: dict, flops_of: pd.Series, left_out) -> str:
    """The compute threshold paragraph: where the sigmoid fit leaves chance, its bootstrap interval, and the
    training compute of Pythia-12B and OPT-66B.

    ``fit``: the fit of :func:`~helpers.experiments.beyond.views.threshold_view` (``departure``, ``mid`` and their
    ``_low``/``_high`` in log10 FLOPs, ``top`` a proportion, counts); ``flops_of``: model -> training FLOPs;
    ``left_out``: the fit's exclusions.
    """
    return (
        f"Fit over {fit['n_models']} models in {fit['n_families']} families: the curve leaves chance by "
        f"{setting_points(fit['lift'])} points at about 10^{fit['departure']:.1f} FLOPs "
        f"(95% bootstrap interval 10^{fit['departure_low']:.1f}"
        f"–10^{fit['departure_high']:.1f}) and is half-way to its top ({fit['top']:.0%}) at "
        f"10^{fit['mid']:.1f} FLOPs (10^{fit['mid_low']:.1f}–10^{fit['mid_high']:.1f}); "
        f"{fit['n_boot']:,} resamples of families, {fit['failed']} failed fits left out. "
        f"Pythia-12B was trained with {_flops(flops_of, PYTHIA_12B):.1e} FLOPs and OPT-66B with "
        f"{_flops(flops_of, OPT_66B):.1e}. " + exclusion_text(left_out)
    )


def lofo_summary(lofo: dict, left_out) -> str:
    """Leave-one-family-out: mean absolute error from size alone and from size and tokens, and the relative
    improvement with its interval.

    ``lofo``: :func:`~helpers.experiments.beyond.views.lofo_view` (``mae_size``, ``mae_size_tokens`` proportions;
    ``improvement``, ``low``, ``high`` relative changes; counts); ``left_out``: its exclusions.
    """
    return (
        f"Mean absolute error over {lofo['n_models']} models in {lofo['n_families']} families: "
        f"{lofo['mae_size']:.1%} from size alone, {lofo['mae_size_tokens']:.1%} from size and tokens, a relative "
        f"improvement of {lofo['improvement']:.0%} (95% interval {lofo['low']:.0%} to {lofo['high']:.0%}). "
        + exclusion_text(left_out)
    )


def claim7_text(result7: ClaimResult) -> str:
    """Claim 7's line: the verdict word and each part's detail. ``result7``:
    :func:`~helpers.experiments.beyond.claims.claim7`."""
    return f"Claim 7: **{result7.verdict_word}**. " + "; ".join(result7.details) + "."


def standard_error_note(chance: float = MMLU_CHANCE) -> str:
    """The leaderboard MMLU's standard error at accuracy ``chance`` (a proportion) against a pooled proportion's,
    over the MMLU test subjects (``data/mmlu/test``), in accuracy points."""
    sizes = mmlu_subjects()
    pooled_se = (chance * (1 - chance) / sum(sizes.values())) ** 0.5
    return (
        f"At {chance:.0%}: the unweighted mean's standard error is "
        f"{100 * leaderboard_mmlu_se([chance])[0]:.2f} points over {len(sizes)} subjects and "
        f"{sum(sizes.values()):,} items; a pooled proportion's would be {100 * pooled_se:.2f} points "
        f"(effective n {effective_n():,.0f})."
    )


def claims_summary(results) -> str:
    """One bullet per claim: the claims table's finding (claim, verdict, key number, source; what an
    inconclusive one would need), then its test. ``results``: claim results
    (:class:`~helpers.analysis.claims.result.ClaimResult`), in the order shown."""
    return "\n".join(f"- {finding_sentence(r)} Test: {r.verdict.test}." for r in results)
