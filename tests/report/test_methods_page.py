"""The methods page's generated entries (``helpers.report.methods_page``): numbers computed, worked by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.analysis.trend_simulation import simulate_flat_family
from helpers.report.methods_page import (
    about_percent,
    beyond_data_entry,
    margins_entry,
    number_word,
    standard_errors_entry,
    trends_entry,
)


def test_standard_errors_of_three_made_up_subjects_by_hand():
    # sizes 10, 20, 40: Σ 1/n = 0.1 + 0.05 + 0.025 = 0.175; effective n = 3² / 0.175 = 51.43 -> "51".
    # SE at 25%: sqrt(0.25·0.75·0.175) / 3 = sqrt(0.0328125) / 3 = 0.060381 -> "6.04" points;
    # pooled over 70 items: sqrt(0.1875 / 70) = 0.051755 -> "5.18".
    text = standard_errors_entry(sizes=(10, 20, 40))
    assert "mean of 3 subject accuracies" in text and "/ 3²" in text
    assert "(70 items in `data/mmlu/test`)" in text
    assert "about 6.04\n  points at 25%, against 5.18 for a pooled proportion of 70 items" in text
    assert "3² / Σ 1/n_s = 51." in text
    assert "2,000 items per task" in text


def test_standard_errors_of_the_mmlu_test_set():
    # 57 subject files, 14,042 items (the MMLU test split); the effective n is smaller than the pooled n.
    text = standard_errors_entry()
    assert "mean of 57 subject accuracies" in text and "(14,042 items in" in text
    assert "Σ 1/n_s = 9,528." in text


def test_the_trends_entry_prints_the_simulations_rates_replicates_and_seed():
    result = simulate_flat_family(reps=200, seed=7)
    text = trends_entry(reps=200, seed=7)
    assert f"about {about_percent(result.item_clustered_rate)} of the time" in text
    assert f"this fit does so about {about_percent(result.model_level_rate)}" in text
    assert "(200 replicates of 1,064 items, seed 7;" in text
    assert "whose 8 models scatter 1.5 points" in text
    assert "fewer than three models: two models give a change" in text
    assert "90% interval lies within ±1 point per decade" in text and "its 95% interval excludes zero" in text


def test_the_page_rates_are_stable_in_the_seed():
    # The printed (rounded) rates must not hinge on the seed: at 1,000 replicates another seed prints the
    # same clustered rate, and a model-level rate within its Monte Carlo error (about ±0.6 points at 4%).
    rates = [simulate_flat_family(reps=1000, seed=seed) for seed in (19, 20)]
    assert {about_percent(r.item_clustered_rate) for r in rates} == {"20%"}
    assert {about_percent(r.model_level_rate) for r in rates} <= {"3%", "4%", "5%"}


@pytest.mark.parametrize(
    ("rate", "text"), [(0.208, "20%"), (0.038, "4%"), (0.0049, "0.5%"), (0.0, "0%"), (1.0, "100%")]
)
def test_about_percent_keeps_one_significant_figure(rate, text):
    assert about_percent(rate) == text


def test_about_percent_and_number_word_refuse_what_they_cannot_write():
    with pytest.raises(ValueError, match="rate in"):
        about_percent(1.5)
    with pytest.raises(ValueError, match="write larger counts as digits"):
        number_word(11)
    assert number_word(3) == "three"


def _made_up_published(n_pythia=100, n_opt=100):
    rows = [("pythia", f"p{i}", size, n_pythia, k) for i, (size, k) in enumerate([(1e8, 20), (1e9, 22), (1e10, 25)])]
    rows += [
        ("opt", f"o{i}", size, n_opt, k) for i, (size, k) in enumerate([(1e8, 21), (1e9, 20), (3e9, 24), (1e10, 26)])
    ]
    frame = pd.DataFrame(rows, columns=["family", "model", "params", "n", "k_acc"])
    frame["acc_stderr"] = np.sqrt(frame["k_acc"] / frame["n"] * (1 - frame["k_acc"] / frame["n"]) / frame["n"])
    return frame


def test_margins_of_a_made_up_published_table_by_hand():
    # 100 items at 20%: 1.96 · sqrt(0.2 · 0.8 / 100) = 1.96 · 0.04 = 0.0784 -> "± 7.8 points";
    # Pythia 100M to 10B: 2.0 decades, ± 1 point per decade -> "± 2.0 points"; 3 and 4 models -> "3–4".
    text = margins_entry(_made_up_published())
    assert "a 95% interval on its 100 items at 20% (± 7.8 points)" in text
    assert "19–20% ± 2 points" in text and "inside 17–22%" in text
    assert "over the 2.0 decades from Pythia-100M to 10B that is ± 2.0 points" in text
    assert "*Claim 3*: 31% ± 10 points" in text and "within 10 points of chance" in text
    assert "published data (3–4 models, 100 items each)" in text


def test_margins_refuse_models_on_different_item_counts():
    with pytest.raises(ValueError, match="share one item count"):
        margins_entry(_made_up_published(n_opt=50))


def test_margins_of_the_published_pythia_and_opt_data():
    text = margins_entry()
    assert "published data (7–8 models, 1,064 items each)" in text
    assert "2.2 decades from Pythia-70M to 12B" in text and "(± 2.4 points)" in text


def test_the_beyond_data_entry_counts_a_made_up_collection():
    bench = pd.DataFrame({"model": ["a/1", "a/2", "b/1"], "family": ["A", "A", "B"], "tokens": [1e12, np.nan, np.nan]})
    published = pd.DataFrame({"family": ["opt", "opt", "pythia"], "params": [1.25e8, 6.7e9, 1.2e10]})
    text = beyond_data_entry(bench, published, sizes=(10, 20))
    assert text.startswith("## Beyond Pythia and OPT: published results of 3 models\n")
    assert "`base_llm_benchmark_eval.csv`: 3 base models in 2 families" in text
    assert "empty for the 2 models whose tokens are unknown" in text
    assert "unweighted mean of the 2 subject accuracies" in text and "averaged over the 2 subjects" in text
    assert "OPT to\n  6.7B)" in text and "cannot answer is 25%." in text
