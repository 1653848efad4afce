"""Tests of helpers.experiments.task_contrast.views on small synthetic item tables with hand-computed answers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from helpers.experiments.task_contrast import views as cv

LETTER_KIND = "knowledge"


def make_items(kind: str, values: dict[str, dict[str, list]], sizes: dict[str, int], n_choices: int = 4,
               task: str | None = None) -> pd.DataFrame:
    """An item table: ``values[model][column]`` is the list of per-item values of that column."""
    frames = []
    for model_id, columns in values.items():
        n_items = len(next(iter(columns.values())))
        frame = pd.DataFrame({
            "model_id": model_id, "task": task or kind, "kind": kind,
            "item_id": [f"{kind}/{index}" for index in range(n_items)],
            "n_params_total": sizes[model_id] * 10, "n_params_nonembedding": sizes[model_id],
            "n_choices": n_choices,
        })
        for column, column_values in columns.items():
            frame[column] = column_values
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


SIZES = {"m-small": 10, "m-mid": 100, "m-large": 1000}
FAMILIES = {"fam": ["m-small", "m-mid", "m-large"]}


def knowledge_and_arithmetic() -> pd.DataFrame:
    knowledge = make_items(LETTER_KIND, {
        "m-small": {"correct": [True, False, False, False], "gold_nll_per_token": [1.0, 2.0, 3.0, 4.0]},
        "m-mid": {"correct": [True, True, False, False], "gold_nll_per_token": [1.0, 1.0, 1.0, 1.0]},
        "m-large": {"correct": [True, True, True, False], "gold_nll_per_token": [0.5, 0.5, 1.0, 2.0]},
    }, SIZES)
    arithmetic = make_items("procedure", {
        "m-small": {"correct": [False, False, False, False], "gold_nll_per_token": [3.0, 3.0, 3.0, 3.0],
                    "greedy_token_fraction": [0.0, 0.5, 0.0, 0.5]},
        "m-mid": {"correct": [False, False, True, False], "gold_nll_per_token": [2.0, 2.0, 1.0, 3.0],
                  "greedy_token_fraction": [0.0, 0.5, 1.0, 0.5]},
        "m-large": {"correct": [True, True, True, False], "gold_nll_per_token": [0.2, 0.2, 0.2, 1.4],
                    "greedy_token_fraction": [1.0, 1.0, 1.0, 0.5]},
    }, SIZES, n_choices=1)
    return pd.concat([knowledge, arithmetic], ignore_index=True)


# ------------------------------------------------------------------------- families


def test_model_families_orders_by_size_and_allows_shared_models():
    items = knowledge_and_arithmetic()
    table = cv.model_families(items, {"b": ["m-large", "m-small", "m-mid"], "a": ["m-large"]})
    assert table[["family", "model_id", "n_params"]].values.tolist() == [
        ["b", "m-small", 10], ["b", "m-mid", 100], ["b", "m-large", 1000], ["a", "m-large", 1000]]


def test_model_families_rejects_unknown_source_and_unassigned_model():
    items = knowledge_and_arithmetic()
    with pytest.raises(cv.ContrastInputError, match="no-such-model"):
        cv.model_families(items, {"fam": ["m-small", "m-mid", "m-large", "no-such-model"]})
    with pytest.raises(cv.ContrastInputError, match="m-large"):
        cv.model_families(items, {"fam": ["m-small", "m-mid"]})
    with pytest.raises(cv.ContrastInputError, match="size_column"):
        cv.model_families(items, FAMILIES, size_column="params")


def test_short_model_name():
    assert cv.short_model_name("random:pythia-70m") == "pythia-70m"
    assert cv.short_model_name("EleutherAI/pythia-70m") == "pythia-70m"
    assert cv.short_model_name("offline:qwen2.5-coder-0.5b") == "qwen2.5-coder-0.5b"
    assert cv.short_model_name("local:/tmp/models/tiny/") == "tiny"


# -------------------------------------------------------------------- side by side


def test_side_by_side_accuracy_loss_and_chance_by_hand():
    table = cv.side_by_side(knowledge_and_arithmetic(), FAMILIES, bootstrap=0)
    assert list(table["kind"].unique()) == ["knowledge", "procedure"]  # pattern absent: skipped
    small = table[(table["model_id"] == "m-small") & (table["kind"] == "knowledge")].iloc[0]
    assert (small["n_items"], small["n_correct"], small["accuracy"]) == (4, 1, 0.25)
    low, high = proportion_confint(1, 4, alpha=0.05, method="wilson")  # independent implementation
    assert small["accuracy_low"] == pytest.approx(low) and small["accuracy_high"] == pytest.approx(high)
    assert small["loss"] == pytest.approx(2.5)
    assert small["chance"] == 0.25
    assert math.isnan(small["loss_low"])  # bootstrap=0: no interval
    large_arithmetic = table[(table["model_id"] == "m-large") & (table["kind"] == "procedure")].iloc[0]
    assert large_arithmetic["accuracy"] == 0.75
    assert large_arithmetic["loss"] == pytest.approx(0.5)
    assert large_arithmetic["chance"] == 0.0  # exact match: helpers.analysis.summaries.chance_level


def test_side_by_side_bootstrap_interval_brackets_the_mean():
    table = cv.side_by_side(knowledge_and_arithmetic(), FAMILIES, ["knowledge"], bootstrap=500, seed=3)
    for row in table.itertuples():
        assert row.loss_low <= row.loss <= row.loss_high
    mid = table[table["model_id"] == "m-mid"].iloc[0]
    assert mid["loss_low"] == mid["loss_high"] == 1.0  # constant losses: degenerate interval
    again = cv.side_by_side(knowledge_and_arithmetic(), FAMILIES, ["knowledge"], bootstrap=500, seed=3)
    pd.testing.assert_frame_equal(table, again)


def test_side_by_side_bad_input():
    items = knowledge_and_arithmetic()
    with pytest.raises(cv.ContrastInputError, match="bootstrap=50"):
        cv.side_by_side(items, FAMILIES, bootstrap=50)
    with pytest.raises(cv.ContrastInputError, match="pattern"):
        cv.side_by_side(items, FAMILIES, ["pattern"])
    with pytest.raises(cv.ContrastInputError, match="gold_nll_per_token"):
        cv.side_by_side(items.drop(columns="gold_nll_per_token"), FAMILIES)


# -------------------------------------------------------------------------- chain


def chain_items() -> pd.DataFrame:
    """3 models x 3 items. log p rises with size on items 0 and 2 and falls on item 1."""
    return make_items(LETTER_KIND, {
        "m-small": {"log_p_vocab_correct": [-3.0, -1.0, -5.0], "brier": [0.7, 0.5, 0.1],
                    "correct": [False, True, False]},
        "m-mid": {"log_p_vocab_correct": [-2.0, -2.0, -4.0], "brier": [0.8, 0.6, 0.2],
                  "correct": [False, True, True]},
        "m-large": {"log_p_vocab_correct": [-1.0, -3.0, -0.5], "brier": [0.9, 0.7, 0.3],
                    "correct": [False, True, True]},
    }, SIZES)


def test_chain_per_item_and_model_means_by_hand():
    table = cv.chain_correlations(chain_items(), bootstrap=0)
    assert set(table["metric"]) == {"log_p_vocab_correct", "brier", "correct"}  # other columns absent
    row = table.set_index(["metric", "level"])
    # per item: rho = +1, -1, +1 -> median 1, two of three positive
    assert row.loc[("log_p_vocab_correct", "per item"), "correlation"] == pytest.approx(1.0)
    assert row.loc[("log_p_vocab_correct", "per item"), "share_positive"] == pytest.approx(2 / 3)
    # model means -3, -8/3, -1.5 rise with size
    assert row.loc[("log_p_vocab_correct", "model means"), "correlation"] == pytest.approx(1.0)
    # Brier rises with size on every item: worse with scale, so the negated metric gives -1
    assert row.loc[("brier", "per item"), "correlation"] == pytest.approx(-1.0)
    assert row.loc[("brier", "per item"), "share_positive"] == 0.0
    # accuracy: item 0 and 1 constant across models; item 2 (F, T, T) has rho = +0.866
    accuracy = row.loc[("correct", "per item")]
    assert accuracy["n_constant"] == 2
    assert accuracy["correlation"] == pytest.approx(stats.spearmanr([10, 100, 1000], [0, 1, 1]).statistic)
    assert row.loc[("correct", "model means"), "correlation"] == pytest.approx(
        stats.spearmanr([10, 100, 1000], [1 / 3, 2 / 3, 2 / 3]).statistic)


def test_chain_arithmetic_has_only_its_metrics_and_bootstrap_bounds():
    items = knowledge_and_arithmetic()
    items["log_p_vocab_correct"] = -items["gold_nll_per_token"]
    table = cv.chain_correlations(items, ["procedure"], bootstrap=300, seed=1)
    assert set(table["metric"]) == {"log_p_vocab_correct", "correct"}
    finite = table.dropna(subset=["correlation_low"])
    assert ((finite["correlation_low"] >= -1) & (finite["correlation_high"] <= 1)).all()
    assert (finite["correlation_low"] <= finite["correlation_high"]).all()


def test_row_spearman_matches_scipy_with_ties():
    rng = np.random.default_rng(0)
    values = rng.integers(0, 4, size=(50, 6)).astype(float)  # many ties
    sizes = np.array([1.0, 2.0, 2.0, 5.0, 9.0, 9.0])
    ours = cv._row_spearman(values, sizes)
    for row, rho in zip(values, ours):
        expected = stats.spearmanr(sizes, row).statistic if np.ptp(row) > 0 else np.nan
        assert (np.isnan(rho) and np.isnan(expected)) or rho == pytest.approx(expected)


def test_chain_with_two_models_gives_nan_not_error():
    items = chain_items()
    two = items[items["model_id"] != "m-large"]
    table = cv.chain_correlations(two, bootstrap=0)
    assert table["correlation"].isna().all()
    assert (table["n_models"] == 2).all()


# ---------------------------------------------------------------------- letter bias


def letter_items(predicted_by_model: dict[str, list[int]], gold: list[int]) -> pd.DataFrame:
    values = {model: {"gold": gold, "predicted": predicted,
                      "correct": [p == g for p, g in zip(predicted, gold)]}
              for model, predicted in predicted_by_model.items()}
    return make_items(LETTER_KIND, values, {model: 10 * (i + 1) for i, model in enumerate(predicted_by_model)})


# 40 items whose gold is A only twice; one model always answers A, one answers the next letter.
GOLD_RARE_A = [0, 0] + [1] * 14 + [2] * 12 + [3] * 12


def test_letter_diagnosis_always_a_is_explained_by_bias():
    items = letter_items({"always-a": [0] * 40}, GOLD_RARE_A)
    row = cv.letter_diagnosis(items).iloc[0]
    assert row["accuracy"] == pytest.approx(2 / 40)
    assert row["p_below"] == pytest.approx(stats.binom.cdf(2, 40, 0.25))
    assert row["chi2"] == pytest.approx(120.0)  # counts [40, 0, 0, 0], expected 10 each
    assert (row["top_letter"], row["top_predicted_share"], row["top_gold_share"]) == ("A", 1.0, 0.05)
    assert row["bias_expected_accuracy"] == pytest.approx(0.05)
    assert (row["majority_letter"], row["majority_accuracy"]) == ("B", 0.35)
    assert row["verdict"] == "below chance, explained by letter bias"
    assert cv.letter_verdict_markdown(cv.letter_diagnosis(items)).startswith("**Verdict: supported.**")


def test_letter_diagnosis_uniform_wrong_answers_are_not_bias():
    gold = [0, 1, 2, 3] * 10
    items = letter_items({"shifted": [(g + 1) % 4 for g in gold], "right-half": gold[:20] + [(g + 1) % 4 for g in gold[20:]]},
                         gold)
    table = cv.letter_diagnosis(items).set_index("model")
    shifted = table.loc["shifted"]
    assert shifted["accuracy"] == 0.0 and shifted["chi2"] == 0.0 and shifted["chi2_pvalue"] == pytest.approx(1.0)
    assert shifted["bias_expected_accuracy"] == pytest.approx(0.25)
    assert shifted["verdict"] == "below chance, not explained by letter bias"
    assert table.loc["right-half", "verdict"] == "above chance"  # 20/40 vs 0.25
    text = cv.letter_verdict_markdown(table.reset_index())
    assert text.startswith("**Verdict: refuted.**") and "`shifted`" in text and "right-half" not in text


def test_letter_verdict_when_nothing_is_below_chance():
    gold = [0, 1, 2, 3] * 5
    items = letter_items({"m": gold[:5] + [0] * 15}, gold)  # 5 + 3 of the last 15 gold A -> 8/20
    table = cv.letter_diagnosis(items)
    assert table.loc[0, "accuracy"] == pytest.approx(8 / 20)
    assert table.loc[0, "verdict"] in ("not below chance", "above chance")
    assert cv.letter_verdict_markdown(table).startswith("**Verdict: not supported.**")


def test_letter_shares_and_bad_labels():
    items = letter_items({"always-a": [0] * 40}, GOLD_RARE_A)
    shares = cv.letter_shares(items).set_index("letter")
    assert shares["predicted_share"].tolist() == [1.0, 0.0, 0.0, 0.0]
    assert shares["gold_share"].tolist() == pytest.approx([0.05, 0.35, 0.30, 0.30])
    with pytest.raises(cv.ContrastInputError, match="labels"):
        cv.letter_diagnosis(items, labels=("A", "B"))
    with pytest.raises(cv.ContrastInputError, match="knowledge_fulltext"):
        cv.letter_diagnosis(items, kind="knowledge_fulltext")


# ---------------------------------------------------------------- scoring formats


def test_format_comparison_counts_each_scoring():
    letter = make_items("knowledge", {m: {"correct": c, "correct_norm": c} for m, c in {
        "m-small": [True, False, False, False], "m-mid": [True, True, False, False],
        "m-large": [False, False, False, False]}.items()}, SIZES)
    fulltext = make_items("knowledge_fulltext", {
        "m-small": {"correct": [False, False, False, False], "correct_norm": [True, True, True, False]},
        "m-mid": {"correct": [True, False, False, False], "correct_norm": [True, True, False, False]},
        "m-large": {"correct": [True, True, True, True], "correct_norm": [True, True, True, True]},
    }, SIZES)
    table = cv.format_comparison(pd.concat([letter, fulltext]), FAMILIES)
    counts = table.pivot(index="model_id", columns="format", values="n_correct")
    assert counts.loc["m-small"].to_dict() == {"letter (acc)": 1, "full text (acc)": 0, "full text (acc_norm)": 3}
    assert counts.loc["m-large"].to_dict() == {"letter (acc)": 0, "full text (acc)": 4, "full text (acc_norm)": 4}
    assert (table["chance"] == 0.25).all()
    only_letter = cv.format_comparison(letter, FAMILIES)
    assert set(only_letter["format"]) == {"letter (acc)"}
    with pytest.raises(cv.ContrastInputError, match="knowledge"):
        cv.format_comparison(knowledge_and_arithmetic().query("kind == 'procedure'").assign(correct_norm=False),
                             FAMILIES)


def test_published_formats_long_table():
    summary = pd.DataFrame({"family": ["opt"], "model": ["opt-125m"], "params": [125_000_000],
                            "acc": [0.3], "acc_stderr": [0.01], "acc_norm": [0.02], "acc_norm_stderr": [0.02]})
    table = cv.published_formats(summary).set_index("metric")
    assert table.loc["acc", "low"] == pytest.approx(0.3 - 0.0196)
    assert table.loc["acc", "high"] == pytest.approx(0.3 + 0.0196)
    assert table.loc["acc_norm", "low"] == 0.0  # clipped at 0


# --------------------------------------------------------------------- arithmetic


def test_arithmetic_metric_view_by_hand():
    table = cv.arithmetic_metric_view(knowledge_and_arithmetic(), FAMILIES, bootstrap=0)
    mid = table[table["model_id"] == "m-mid"].set_index("metric")["value"]
    assert mid.to_dict() == pytest.approx({"correct": 0.25, "greedy_token_fraction": 0.5,
                                           "gold_nll_per_token": 2.0})
    exact = table[(table["model_id"] == "m-mid") & (table["metric"] == "correct")].iloc[0]
    low, high = proportion_confint(1, 4, method="wilson")
    assert (exact["low"], exact["high"]) == pytest.approx((low, high))
    with pytest.raises(cv.ContrastInputError, match="greedy_token_fraction"):
        items = knowledge_and_arithmetic()
        items["kind"] = items["kind"].replace({"knowledge": "procedure_hard"})
        cv.arithmetic_metric_view(items, FAMILIES, ["procedure_hard"])


def test_item_counts_rows_by_size_columns_by_kind():
    counts = cv.item_counts(knowledge_and_arithmetic())
    assert list(counts.index) == ["m-small", "m-mid", "m-large"]
    assert list(counts.columns) == ["knowledge", "procedure"]
    assert (counts.to_numpy() == 4).all()
