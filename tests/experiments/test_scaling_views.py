"""helpers.experiments.scaling.views on small synthetic item tables whose answers are computed by hand,
and on the published table against the numbers printed in data/reference/SOURCES.md."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from helpers.experiments.scaling import views as sv


def _items(model_id, n_params, kind="knowledge", losses=(1.0, 2.0, 3.0, 2.0), correct=(1, 0, 0, 1),
           n_choices=4, nonembedding=None, task="mmlu:x"):
    """Item rows for one model: one per (loss, correct) pair."""
    n = len(losses)
    return pd.DataFrame({
        "model_id": model_id, "task": task, "kind": kind, "item_id": [f"x/{i}" for i in range(n)],
        "n_choices": n_choices, "correct": np.asarray(correct, dtype=bool),
        "gold_nll_per_token": np.asarray(losses, dtype=float),
        "n_params_total": n_params, "n_params_nonembedding": nonembedding or n_params // 2,
    })


def _table(*frames):
    return pd.concat(frames, ignore_index=True)


# ----------------------------------------------------------------------------- model_summary


def test_model_summary_hand_values_and_wilson_parity():
    items = _table(_items("small", 100), _items("big", 1000, losses=(1, 1, 1, 1), correct=(1, 1, 1, 0)),
                   _items("small", 100, kind="procedure", n_choices=1, correct=(0, 0, 0, 0), task="arith"))
    summary = sv.model_summary(items, {"fam": ["big", "small"]}, bootstrap=200, seed=1)
    assert summary[["model_id", "kind"]].values.tolist() == [["small", "knowledge"], ["big", "knowledge"],
                                                              ["small", "procedure"]]
    small = summary.iloc[0]
    assert (small.n_items, small.n_correct, small.accuracy) == (4, 2, 0.5)
    assert small.loss == pytest.approx(2.0)  # (1 + 2 + 3 + 2) / 4
    assert small.chance == 0.25
    low, high = proportion_confint(2, 4, alpha=0.05, method="wilson")
    assert (small.accuracy_low, small.accuracy_high) == (pytest.approx(low), pytest.approx(high))
    assert small.loss_low <= 2.0 <= small.loss_high and small.loss_low >= 1.0 and small.loss_high <= 3.0
    big = summary.iloc[1]
    assert (big.loss, big.loss_low, big.loss_high) == (1.0, 1.0, 1.0)  # constant losses: degenerate interval
    assert big.accuracy == 0.75
    assert summary.iloc[2].chance == 0.0  # exact match: helpers.analysis.summaries.chance_level
    assert summary.iloc[2].accuracy_low == 0.0


def test_model_summary_model_in_two_families_and_no_bootstrap():
    items = _table(_items("a", 10), _items("b", 20))
    summary = sv.model_summary(items, {"one": ["a", "b"], "two": ["b"]}, bootstrap=0)
    assert summary["family"].tolist() == ["one", "one", "two"]
    assert summary["model_id"].tolist() == ["a", "b", "b"]
    assert summary["loss_low"].isna().all()


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


def test_item_counts_and_size_long():
    items = _table(_items("a", 10), _items("a", 10, kind="pattern", losses=(1, 2), correct=(1, 0), n_choices=2),
                   _items("b", 20))
    summary = sv.model_summary(items, {"fam": ["a", "b"]}, bootstrap=0)
    counts = sv.item_counts(summary)
    assert counts.loc["a"].tolist() == [4, 2]
    assert counts.loc["b", "knowledge"] == 4 and pd.isna(counts.loc["b", "pattern"])
    long = sv.size_long(summary)
    assert len(long) == 2 * len(summary)
    row = long[(long.model_id == "b") & (long.size_basis == "non-embedding")].iloc[0]
    assert row.n_params == 10  # nonembedding defaults to half of 20


# ----------------------------------------------------------------------------- fits


def _power_law_items(sizes, a=2.0, alpha=0.5, c=1.0):
    """Per-item losses whose mean is exactly a N^-alpha + c (items spread symmetrically)."""
    frames = []
    for size in sizes:
        mean = a * size ** (-alpha) + c
        frames.append(_items(f"m{size}", size, losses=(mean - 0.1, mean + 0.1, mean, mean), nonembedding=size))
    return _table(*frames)


def test_fit_families_recovers_a_known_power_law_and_skips_small_families():
    sizes = [100, 1_000, 10_000, 100_000]
    items = _table(_power_law_items(sizes), _items("lone1", 50), _items("lone2", 60))
    families = {"law": [f"m{s}" for s in sizes], "pair": ["lone1", "lone2"]}
    fits = sv.fit_families(items, families, size_bases=["total"], bootstrap=20, seed=0)
    table = sv.fits_table(fits)
    law = table[table.family == "law"].iloc[0]
    assert law.status == "fitted" and law.paired
    assert (law.a, law.alpha, law.c) == (pytest.approx(2.0, rel=1e-4), pytest.approx(0.5, rel=1e-4),
                                         pytest.approx(1.0, abs=1e-4))
    pair = table[table.family == "pair"].iloc[0]
    assert pair.status == "not fitted: 2 model sizes (need 3)" and math.isnan(pair.alpha)
    curves = sv.fit_curves(fits, n_points=5)
    assert set(curves.family) == {"law"} and len(curves) == 5
    assert curves.n_params.iloc[0] == pytest.approx(100) and curves.n_params.iloc[-1] == pytest.approx(100_000)
    assert curves.loss.iloc[-1] == pytest.approx(2.0 * 100_000 ** -0.5 + 1.0, rel=1e-4)
    assert (curves.loss_low <= curves.loss_high).all()


def test_fit_families_unpaired_when_items_differ_and_bad_basis():
    sizes = [100, 1_000, 10_000]
    items = _power_law_items(sizes)
    items = items[~((items.model_id == "m100") & (items.item_id == "x/3"))]  # one model lacks an item
    fits = sv.fit_families(items, {"law": [f"m{s}" for s in sizes]}, size_bases=["non-embedding"], bootstrap=0)
    assert fits[0].paired is False and fits[0].n_items == 4 and fits[0].status == "fitted"
    with pytest.raises(sv.ScalingViewError, match="'embedding'"):
        sv.fit_families(items, {"law": ["m100"]}, size_bases=["embedding"])


# ----------------------------------------------------------------------------- changes


def test_change_table_hand_values():
    small = _items("s", 10, losses=(2.0, 2.0, 2.0, 2.0), correct=(1, 0, 0, 0))
    middle = _items("m", 50, losses=(9.0, 9.0, 9.0, 9.0), correct=(0, 0, 0, 0))
    large = _items("l", 100, losses=(1.0, 2.0, 1.0, 2.0), correct=(1, 1, 0, 0))
    table = sv.change_table(_table(small, middle, large), {"fam": ["l", "m", "s"]}, bootstrap=200, seed=0)
    row = table.iloc[0]
    assert (row.small_model, row.large_model) == ("s", "l")  # ordered by parameters, not by the list
    assert row.relative_loss_reduction == pytest.approx(0.25)  # (2 - 1.5) / 2
    assert (row.accuracy_small, row.accuracy_large) == (0.25, 0.5)
    assert row.accuracy_change == pytest.approx(0.25) and row.relative_accuracy_change == pytest.approx(1.0)
    assert row.ratio == pytest.approx(0.25)  # 0.25 / 1.0
    assert row.accuracy_change_low <= 0 <= row.accuracy_change_high  # four items: cannot tell
    assert row.status == "accuracy flat" and row.ratio_status == "finite"
    assert sv.change_sentence(row) == (
        "fam, knowledge: accuracy 25% → 50% (accuracy flat) while the gold-answer loss falls 25% "
        f"(interval {sv._percent(row.relative_loss_reduction_low)} to "
        f"{sv._percent(row.relative_loss_reduction_high)}), s → l.")


def test_change_table_statuses():
    n = 100
    rose = _table(_items("s", 1, losses=[2.0] * n, correct=[1] * 10 + [0] * 90),
                  _items("l", 2, losses=[1.0] * n, correct=[1] * 90 + [0] * 10))
    assert sv.change_table(rose, {"f": ["s", "l"]}, bootstrap=200).iloc[0].status == "accuracy rose"
    flat = _table(_items("s", 1), _items("l", 2, losses=(1, 1, 1, 1)))
    row = sv.change_table(flat, {"f": ["s", "l"]}, bootstrap=0).iloc[0]
    assert (row.status, row.ratio_status, row.ratio) == ("accuracy flat", "accuracy_flat", math.inf)
    zero = _table(_items("s", 1, correct=(0, 0, 0, 0)), _items("l", 2))
    row = sv.change_table(zero, {"f": ["s", "l"]}, bootstrap=0).iloc[0]
    assert row.status == "baseline accuracy zero" and math.isnan(row.relative_accuracy_change)
    assert sv.change_table(_items("s", 1), {"f": ["s"]}, bootstrap=0).empty  # one model: nothing to compare


def test_change_sentence_for_a_rising_loss():
    row = {"family": "f", "kind": "pattern", "small_model": "s", "large_model": "l", "status": "accuracy rose",
           "accuracy_small": 0.5, "accuracy_large": 0.75, "relative_loss_reduction": -0.2,
           "relative_loss_reduction_low": -0.3, "relative_loss_reduction_high": -0.1}
    assert sv.change_sentence(row) == ("f, pattern: accuracy 50% → 75% (accuracy rose) while the gold-answer "
                                       "loss rises 20% (interval 10% to 30%), s → l.")


def test_percent_format():
    assert [sv._percent(v) for v in (0.3129, 0.014, -0.0004, float("nan"))] == ["31%", "1.4%", "0.0%", "n/a"]


def test_family_model_ids_are_resolved_once_by_the_config_without_loading():
    from helpers.experiments.config import configure

    config = configure("ci", None, {"models": ["pythia-70m", "random:pythia-160m"]}, experiment="scaling")
    assert config.family_model_ids() == {"custom": ["EleutherAI/pythia-70m", "random:pythia-160m"]}


# ----------------------------------------------------------------------------- published (SOURCES.md values)


@pytest.fixture(scope="module")
def mmlu():
    return sv.published_mmlu_table()


def test_published_mmlu_table_matches_sources(mmlu):
    assert len(mmlu) == 29 * 2 + 16 * 2  # 29 models at 0 shots, 16 Pythia models at 5 shots; acc and acc_norm
    assert set(mmlu.loc[mmlu.shots == 5, "family"]) == {"pythia", "pythia-deduped"}
    row = mmlu[(mmlu.model == "pythia-70m") & (mmlu.setting == "0-shot acc")].iloc[0]
    assert row.value == pytest.approx(0.2133, abs=5e-5) and row.stderr == pytest.approx(0.0126, abs=5e-5)
    assert row.low == pytest.approx(row.value - 2 * row.stderr) and row.chance == 0.25
    row = mmlu[(mmlu.model == "opt-66b") & (mmlu.setting == "0-shot acc_norm")].iloc[0]
    assert row.value == pytest.approx(0.2961, abs=5e-5)


def test_published_chance_table_positions(mmlu):
    checked = sv.published_chance_table(mmlu).set_index(["model", "setting"])
    assert checked.loc[("bloom-1b7", "0-shot acc"), "position"] == "below chance"  # (0.1983-0.25)/0.0122 = -4.2
    assert checked.loc[("pythia-6.9b-deduped", "0-shot acc_norm"), "position"] == "above chance"  # +3.8
    assert checked.loc[("opt-66b", "0-shot acc"), "position"] == "at chance"  # +0.1
    assert checked.loc[("bloom-1b7", "0-shot acc"), "z_vs_chance"] == pytest.approx((0.1983 - 0.25) / 0.0122, abs=0.02)


def test_lambada_fold_changes_match_sources():
    lambada = sv.published_lambada_table()
    folds = sv.lambada_fold_changes(lambada).set_index("family")
    assert folds.loc["pythia", "fold_change"] == pytest.approx(142.429 / 3.924, rel=1e-3)  # ≈ 36x
    assert folds.loc["opt", "fold_change"] == pytest.approx(26.021 / 3.288, rel=1e-3)  # ≈ 8x
    assert (folds.loc["opt", "smallest_model"], folds.loc["opt", "largest_model"]) == ("opt-125m", "opt-66b")
    assert (lambada.ppl_low > 0).all() and (lambada.ppl_low < lambada.ppl).all() and (lambada.ppl_high > lambada.ppl).all()


def test_published_training_table():
    training = sv.published_training_table()
    assert training.step.min() > 0
    assert set(training["size"]) == {"70m", "160m", "410m", "1b", "1.4b", "2.8b", "6.9b", "12b"}
    final = training[(training.model == "pythia-70m") & (training.step == 143000)].iloc[0]
    assert final.value == pytest.approx(0.2133, abs=5e-5)  # the final checkpoint of SOURCES' summary
    suspect = training[training.suspect]
    assert set(suspect.model) == {"pythia-2.8b", "pythia-2.8b-deduped"} and suspect.step.max() <= 43000
    assert not training[(training.model == "pythia-2.8b") & (training.step == 53000)].suspect.any()
    with pytest.raises(sv.ScalingViewError, match="n_stderr=0"):
        sv.published_training_table(n_stderr=0)


def test_settings_table_from_profile():
    from helpers.experiments.config import configure

    config = configure("ci", None, {"task_kinds": list(sv.DEFAULT_KINDS), "limit": 3}, experiment="scaling")
    table = sv.settings_table(config.families, config.settings)
    assert table.index.tolist() == ["knowledge", "procedure", "pattern"]
    assert table.loc["procedure", "task"] == "arithmetic_2da" and (table["limit"] == 3).all()
    assert table.loc["pattern", "models"].startswith("pythia: random:pythia-70m, random:pythia-160m")
