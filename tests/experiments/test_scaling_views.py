"""helpers.experiments.scaling.{views, fits, changes} on small item tables whose answers are worked out by hand.

The change table's rules (STATISTICS.md 1, 3, 4, 7): exact McNemar for 0/1 outcomes, Holm across
the table's comparisons, "no change" only by equivalence (TOST), otherwise "inconclusive" with the
minimum detectable effect; no row for a family with one model; no fit across families.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.proportion import proportion_confint

from helpers.analysis.power import mde_paired_floor, mde_paired_proportions
from helpers.experiments.scaling import changes as sc
from helpers.experiments.scaling import fits as sf
from helpers.experiments.scaling import views as sv


def _items(
    model_id,
    n_params,
    kind="knowledge",
    losses=(1.0, 2.0, 3.0, 2.0),
    correct=(1, 0, 0, 1),
    n_choices=4,
    nonembedding=None,
    task="mmlu:x",
):
    """Item rows for one model: one per (loss, correct) pair."""
    n = len(correct)
    losses = np.broadcast_to(np.asarray(losses, dtype=float), (n,)) if np.ndim(losses) == 0 else losses
    return pd.DataFrame(
        {
            "model_id": model_id,
            "task": task,
            "kind": kind,
            "item_id": [f"x/{i}" for i in range(n)],
            "n_choices": n_choices,
            "correct": np.asarray(correct, dtype=bool),
            "gold_nll_per_token": np.asarray(losses, dtype=float),
            "n_params_total": n_params,
            "n_params_nonembedding": nonembedding or n_params // 2,
        }
    )


def _table(*frames):
    return pd.concat(frames, ignore_index=True)


def _pair(small_correct, large_correct, small_loss=2.0, large_loss=2.0, kind="knowledge"):
    return _table(
        _items("s", 10, kind=kind, correct=small_correct, losses=small_loss),
        _items("l", 100, kind=kind, correct=large_correct, losses=large_loss),
    )


# ----------------------------------------------------------------------------- model_summary


def test_model_summary_hand_values_and_wilson_parity():
    items = _table(
        _items("small", 100),
        _items("big", 1000, losses=(1, 1, 1, 1), correct=(1, 1, 1, 0)),
        _items("small", 100, kind="procedure", n_choices=1, correct=(0, 0, 0, 0), task="arith"),
    )
    summary = sv.model_summary(items, {"fam": ["big", "small"]}, bootstrap=200, seed=1)
    assert summary[["model_id", "kind"]].values.tolist() == [
        ["small", "knowledge"],
        ["big", "knowledge"],
        ["small", "procedure"],
    ]
    small = summary.iloc[0]
    assert (small.n_items, small.n_correct, small.accuracy) == (4, 2, 0.5)
    assert small.loss == pytest.approx(2.0)  # (1 + 2 + 3 + 2) / 4
    assert small.chance == 0.25
    low, high = proportion_confint(2, 4, alpha=0.05, method="wilson")
    assert (small.accuracy_low, small.accuracy_high) == (pytest.approx(low), pytest.approx(high))
    assert small.loss_low <= 2.0 <= small.loss_high
    big = summary.iloc[1]
    assert (big.loss, big.loss_low, big.loss_high) == (1.0, 1.0, 1.0)  # constant losses: degenerate interval
    assert summary.iloc[2].chance == 0.0  # exact match: helpers.analysis.summaries.chance_level


def test_model_summary_rejects_bad_input():
    items = _items("a", 10)
    with pytest.raises(sv.ScalingViewError, match="'missing'"):
        sv.model_summary(items, {"fam": ["a", "missing"]})
    with pytest.raises(sv.ScalingViewError, match="gold_nll_per_token"):
        sv.model_summary(items.drop(columns="gold_nll_per_token"), {"fam": ["a"]})
    with pytest.raises(sv.ScalingViewError, match="bootstrap=50"):
        sv.model_summary(items, {"fam": ["a"]}, bootstrap=50)
    with pytest.raises(sv.ScalingViewError, match="families is empty"):
        sv.model_summary(items, {})


def test_reader_tables_count_each_model_once():
    items = _table(_items("a", 70_426_624), _items("b", 1_777_088_000))
    summary = sv.model_summary(items, {"one": ["a", "b"], "two": ["b"]}, bootstrap=0)
    assert summary["family"].tolist() == ["one", "one", "two"]  # per family for the charts
    counts = sv.counts_markdown(summary)
    assert counts.count("`b`") == 1 and "one, two" in counts  # each model once, with both families
    assert "70M" in counts and "1.8B" in counts
    table = sv.summary_markdown(summary)
    assert table.count("`b`") == 1
    assert "50% [15%, 85%]" in table  # 2 of 4: Wilson [15.0%, 85.0%], whole percents for a 70-point interval
    assert "e+" not in table and "e-0" not in table


def test_kind_labels_and_default_kinds():
    from helpers.experiments.config import configure

    config = configure("ci", None, {"task_kinds": sv.default_task_kinds("ci"), "limit": 3}, experiment="scaling")
    assert list(config.settings) == ["knowledge_fulltext", "knowledge", "procedure", "pattern"]
    labels = sv.kind_labels(config.settings)
    assert labels["knowledge_fulltext"] == "MMLU-math full text, 0-shot (study)"
    table = sv.settings_table(config.families, config.settings)
    assert table.loc["procedure", "task"] == "arithmetic_core" and (table["limit"] == 3).all()
    assert "procedure_hard" not in sv.KIND_ORDER


# ----------------------------------------------------------------------------- fits


def _power_law_items(sizes, a=2.0, alpha=0.5, c=1.0):
    """Per-item losses whose mean is exactly a N^-alpha + c (items spread symmetrically)."""
    frames = []
    for size in sizes:
        mean = a * size ** (-alpha) + c
        frames.append(_items(f"m{size}", size, losses=(mean - 0.1, mean + 0.1, mean, mean), nonembedding=size))
    return _table(*frames)


def test_fit_families_within_each_family_with_residual_df():
    sizes = [100, 1_000, 10_000, 100_000]
    items = _table(_power_law_items(sizes), _items("lone1", 50), _items("lone2", 60), _items("solo", 70))
    families = {"law": [f"m{s}" for s in sizes], "pair": ["lone1", "lone2"], "single": ["solo"]}
    fits = sf.fit_families(items, families, size_bases=["total"], bootstrap=100, seed=0)
    table = sf.fits_table(fits)
    law = table[table.family == "law"].iloc[0]
    assert law.status == "fitted" and law.paired and law.residual_df == 1  # 4 sizes - 3 parameters
    assert (law.a, law.alpha, law.c) == (
        pytest.approx(2.0, rel=1e-4),
        pytest.approx(0.5, rel=1e-4),
        pytest.approx(1.0, abs=1e-4),
    )
    pair = table[table.family == "pair"].iloc[0]
    assert pair.status.startswith("not fitted: 2 model sizes") and math.isnan(pair.alpha)
    single = table[table.family == "single"].iloc[0]
    assert single.status.startswith("not fitted: 1 model size") and single.residual_df == -2
    curves = sf.fit_curves(fits, n_points=5)
    assert set(curves.family) == {"law"} and len(curves) == 5  # no curve for an unfitted family
    assert curves.n_params.iloc[0] == pytest.approx(100) and curves.n_params.iloc[-1] == pytest.approx(100_000)


def test_three_sizes_have_zero_residual_df_and_say_so():
    items = _power_law_items([100, 1_000, 10_000])
    fits = sf.fit_families(items, {"law": ["m100", "m1000", "m10000"]}, size_bases=["total"], bootstrap=100)
    table = sf.fits_table(fits)
    assert table.residual_df.iloc[0] == 0
    assert "item noise only" in table.interval_note.iloc[0]
    sentences = sf.fit_sentences(table)
    assert "0 residual degrees of freedom" in sentences[0] and "passes through every point" in sentences[0]


def test_fit_families_rejects_a_bad_basis():
    with pytest.raises(sv.ScalingViewError, match="'embedding'"):
        sf.fit_families(_power_law_items([100]), {"law": ["m100"]}, size_bases=["embedding"])


# ----------------------------------------------------------------------------- changes: hand cases


def test_a_family_with_one_model_gets_no_row():
    assert sc.change_table(_items("s", 1), {"f": ["s"]}, bootstrap=0).empty
    same_size = _table(_items("a", 5), _items("b", 5))
    assert sc.change_table(same_size, {"f": ["a", "b"]}, bootstrap=0).empty
    assert "no family has two model sizes" in sc.changes_markdown(sc.change_table(_items("s", 1), {"f": ["s"]}))


def test_25_to_40_percent_on_40_items_is_inconclusive_with_an_mde():
    small = [1] * 10 + [0] * 30  # 10/40 = 25%
    large = [0] * 5 + [1] * 16 + [0] * 19  # 16/40 = 40%: 5 both right, 11 up, 5 down
    row = sc.change_table(_pair(small, large), {"f": ["s", "l"]}, bootstrap=0).iloc[0]
    assert (row.accuracy_small, row.accuracy_large, row.n_up, row.n_down) == (0.25, 0.40, 11, 5)
    assert row.accuracy_p == pytest.approx(stats.binomtest(5, 16, 0.5).pvalue)  # 0.210
    assert row.accuracy_p == pytest.approx(mcnemar([[5, 5], [11, 19]], exact=True).pvalue)
    assert row.accuracy_change_low < 0 < row.accuracy_change_high
    assert row.accuracy_status == "inconclusive"  # not "flat": an interval containing 0 is not "no change"
    assert row.accuracy_mde == pytest.approx(mde_paired_proportions(40, 16 / 40))
    assert 0.26 < row.accuracy_mde < 0.28
    sentence = sc.change_sentence(row)
    assert "inconclusive (the smallest change detectable with 40 items is about 27 pts)" in sentence
    assert "flat" not in sentence


def test_25_to_40_percent_with_six_items_all_up_is_a_rise():
    small = [1] * 10 + [0] * 30
    large = [1] * 16 + [0] * 24  # 6 up, none down: exact McNemar p = 2 / 2**6
    row = sc.change_table(_pair(small, large), {"f": ["s", "l"]}, bootstrap=0).iloc[0]
    assert row.accuracy_p == pytest.approx(2 / 64)
    assert row.accuracy_status == "rose"


def test_holm_across_the_tables_comparisons():
    small = [1] * 10 + [0] * 30
    large = [1] * 16 + [0] * 24
    items = _table(_pair(small, large), _pair(small, large, kind="pattern"))
    table = sc.change_table(items, {"f": ["s", "l"]}, bootstrap=0)
    assert (table.n_comparisons == 2).all()
    assert table.accuracy_p_holm.tolist() == pytest.approx([4 / 64, 4 / 64])  # Holm of two equal p = 2/64
    assert (table.accuracy_status == "inconclusive").all()  # each alone would be "rose"
    assert "Holm across the 2 comparisons" in sc.methods_text(table)


def test_two_identical_models_show_no_change_only_by_equivalence():
    right = [1] * 100 + [0] * 300
    many = sc.change_table(_pair(right, right), {"f": ["s", "l"]}, bootstrap=200).iloc[0]
    assert many.accuracy_p == 1.0 and many.accuracy_equivalent
    assert -0.05 < many.accuracy_tost_low and many.accuracy_tost_high < 0.05
    assert many.accuracy_status == "no change"
    assert many.loss_status == "no change"  # identical losses: the 90% interval is [0, 0]
    few = sc.change_table(_pair([1, 0, 0, 1], [1, 0, 0, 1]), {"f": ["s", "l"]}, bootstrap=200).iloc[0]
    assert few.accuracy_p == 1.0 and few.accuracy_status == "inconclusive"  # 4 items cannot show equivalence


@pytest.mark.parametrize(
    "n, correct, status",
    [(40, 0, "inconclusive"), (40, 1, "inconclusive"), (100, 0, "no change"), (100, 1, "no change")],
)
def test_zero_of_n_and_n_of_n(n, correct, status):
    row = sc.change_table(_pair([correct] * n, [correct] * n), {"f": ["s", "l"]}, bootstrap=0).iloc[0]
    assert row.n_up == row.n_down == 0 and row.accuracy_p == 1.0
    assert row.accuracy_status == status  # the 90% Newcombe bound is +-0.063 at n = 40, +-0.026 at n = 100
    if status == "inconclusive":
        # nothing discordant: the MDE is the smallest change 40 items can show (all flips one way), not "none"
        assert row.accuracy_mde == pytest.approx(mde_paired_floor(40)) and 0.15 < row.accuracy_mde < 0.25


def test_one_item():
    row = sc.change_table(_pair([1], [0]), {"f": ["s", "l"]}, bootstrap=0).iloc[0]
    assert (row.n_items, row.accuracy_p, row.accuracy_status) == (1, 1.0, "inconclusive")
    assert math.isinf(row.accuracy_mde) and row.loss_status == "inconclusive"
    assert "no change is detectable with 1 item at this discordance" in sc.change_sentence(row)


def test_loss_fall_by_paired_bootstrap_and_wilcoxon():
    rng = np.random.default_rng(0)
    before = 2.0 + rng.normal(0, 0.1, 30)
    after = before - 0.5 + rng.normal(0, 0.05, 30)
    row = sc.change_table(
        _pair([1] * 30, [1] * 30, small_loss=before, large_loss=after), {"f": ["s", "l"]}, bootstrap=500
    ).iloc[0]
    assert row.loss_p == pytest.approx(stats.wilcoxon(after - before).pvalue)
    assert row.loss_relative == pytest.approx(after.mean() / before.mean() - 1)
    assert row.loss_relative_high < 0 and row.loss_status == "fell"
    assert ": fell;" in sc.change_sentence(row)


def test_gap_is_bounded_only_after_a_significant_accuracy_change():
    n = 60
    small, large = [1] * 10 + [0] * 50, [1] * 40 + [0] * 20  # 30 up, 0 down
    rng = np.random.default_rng(1)
    before = 2.0 + rng.normal(0, 0.2, n)
    after = before * 0.7
    row = sc.change_table(_pair(small, large, before, after), {"f": ["s", "l"]}, bootstrap=500).iloc[0]
    assert row.accuracy_status == "rose"
    assert row.gap == pytest.approx(0.3 / 3.0)  # loss falls 30%, accuracy rises 300%
    assert row.gap_status.startswith("bounded") and row.gap_low <= row.gap <= row.gap_high
    flat = sc.change_table(_pair([1, 0] * 10, [1, 0] * 10, 2.0, 1.0), {"f": ["s", "l"]}, bootstrap=200).iloc[0]
    assert flat.gap_status == "not bounded: the accuracy change is not significant" and math.isnan(flat.gap)
    zero = sc.change_table(_pair([0] * 20, [1] * 20), {"f": ["s", "l"]}, bootstrap=200).iloc[0]
    assert zero.gap_status.startswith("undefined")


def test_changes_markdown_and_summary_count_verdicts():
    small = [1] * 10 + [0] * 30
    items = _table(
        _pair(small, [1] * 16 + [0] * 24), _pair([1] * 100 + [0] * 300, [1] * 100 + [0] * 300, kind="pattern")
    )
    table = sc.change_table(items, {"f": ["s", "l"]}, bootstrap=0)
    summary = sc.changes_summary(table)
    assert summary.startswith("Across 2 smallest-to-largest comparisons, accuracy:")
    assert "flat" not in sc.changes_markdown(table)


def test_change_table_orders_by_parameters_not_by_the_list():
    items = _table(_items("s", 10), _items("m", 50), _items("l", 100))
    row = sc.change_table(items, {"fam": ["l", "m", "s"]}, bootstrap=0).iloc[0]
    assert (row.small_model, row.large_model) == ("s", "l")


def test_a_rise_to_a_near_constant_answerer_below_the_majority_baseline_is_not_a_plain_rise():
    """Issue 22: on 100 yes/no items with 70 "yes", a small model answering "no" on 90 (20% right) and a
    large one answering "yes" on 85 (65% right): accuracy rises significantly, but stays below always
    "yes" (70%); the sentence names the majority baseline and the near-constant answerer before the verdict."""
    gold = np.array(["yes"] * 70 + ["no"] * 30)
    small = np.array(["no"] * 90 + ["yes"] * 10)  # right: the gold-"no" items 70..89
    large = np.array(["yes"] * 60 + ["no"] * 10 + ["yes"] * 25 + ["no"] * 5)  # right: 60 + 5 = 65
    frames = []
    for model, n_params, predicted in (("s", 10, small), ("l", 100, large)):
        frame = _items(model, n_params, kind="pattern", correct=predicted == gold, losses=2.0, n_choices=2)
        frames.append(frame.assign(gold_label=gold, predicted_label=predicted))
    row = sc.change_table(_table(*frames), {"f": ["s", "l"]}, bootstrap=0).to_dict("records")[0]
    assert row["majority"] == pytest.approx(0.70) and row["majority_label"] == "yes"
    assert row["top_small"] == pytest.approx(0.90) and row["top_large"] == pytest.approx(0.85)
    sentence = sc.change_sentence(row)
    assert 'always answering "yes" scores 70% on these items' in sentence
    assert 's answers "no" on 90% of them (a near-constant answerer)' in sentence
    assert "rose, but not above always answering" in sentence
    assert sentence.index("near-constant") < sentence.index("rose")


def test_the_accuracy_chart_draws_the_majority_baseline_of_unbalanced_labels():
    import json

    from helpers.experiments.scaling.charts import scale_chart

    gold = np.array(["yes"] * 7 + ["no"] * 3)
    frames = [
        _items(m, n, kind="pattern", correct=[True] * 5 + [False] * 5, losses=2.0, n_choices=2).assign(gold_label=gold)
        for m, n in (("s", 10), ("l", 100))
    ]
    summary = sv.model_summary(_table(*frames), {"f": ["s", "l"]}, bootstrap=0)
    assert summary["majority"].tolist() == [pytest.approx(0.7)] * 2
    spec = json.dumps(scale_chart(summary, "accuracy").to_dict())
    assert "mean(majority)" in spec or '"field": "majority"' in spec
    assert "majority" not in json.dumps(scale_chart(summary.drop(columns="majority"), "accuracy").to_dict())
