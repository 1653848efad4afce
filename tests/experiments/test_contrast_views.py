"""helpers.experiments.task_contrast.{views, chain, letters, formats} on small item tables with
hand-computed answers, and parity with scipy/statsmodels for every test."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint

from helpers.experiments.task_contrast import chain as cch
from helpers.experiments.task_contrast import formats as cf
from helpers.experiments.task_contrast import letters as cl
from helpers.experiments.task_contrast import views as cv

LETTER_KIND = "knowledge"


def make_items(
    kind: str, values: dict[str, dict[str, list]], sizes: dict[str, int], n_choices: int = 4, task: str | None = None
) -> pd.DataFrame:
    """An item table: ``values[model][column]`` is the list of per-item values of that column."""
    frames = []
    for model_id, columns in values.items():
        n_items = len(next(iter(columns.values())))
        frame = pd.DataFrame(
            {
                "model_id": model_id,
                "task": task or kind,
                "kind": kind,
                "item_id": [f"{kind}/{index}" for index in range(n_items)],
                "n_params_total": sizes[model_id] * 10,
                "n_params_nonembedding": sizes[model_id],
                "n_choices": n_choices,
            }
        )
        for column, column_values in columns.items():
            frame[column] = column_values
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


SIZES = {"m-small": 10, "m-mid": 100, "m-large": 1000}
FAMILIES = {"fam": ["m-small", "m-mid", "m-large"]}


def knowledge_and_arithmetic() -> pd.DataFrame:
    knowledge = make_items(
        LETTER_KIND,
        {
            "m-small": {"correct": [True, False, False, False], "gold_nll_per_token": [1.0, 2.0, 3.0, 4.0]},
            "m-mid": {"correct": [True, True, False, False], "gold_nll_per_token": [1.0, 1.0, 1.0, 1.0]},
            "m-large": {"correct": [True, True, True, False], "gold_nll_per_token": [0.5, 0.5, 1.0, 2.0]},
        },
        SIZES,
    )
    arithmetic = make_items(
        "procedure",
        {
            "m-small": {
                "correct": [False, False, False, False],
                "gold_nll_per_token": [3.0, 3.0, 3.0, 3.0],
                "greedy_token_fraction": [0.0, 0.5, 0.0, 0.5],
            },
            "m-mid": {
                "correct": [False, False, True, False],
                "gold_nll_per_token": [2.0, 2.0, 1.0, 3.0],
                "greedy_token_fraction": [0.0, 0.5, 1.0, 0.5],
            },
            "m-large": {
                "correct": [True, True, True, False],
                "gold_nll_per_token": [0.2, 0.2, 0.2, 1.4],
                "greedy_token_fraction": [1.0, 1.0, 1.0, 0.5],
            },
        },
        SIZES,
        n_choices=1,
    )
    return pd.concat([knowledge, arithmetic], ignore_index=True)


# ------------------------------------------------------------------------- families and section 1


def test_model_families_orders_by_size_and_allows_shared_models():
    items = knowledge_and_arithmetic()
    table = cv.model_families(items, {"b": ["m-large", "m-small", "m-mid"], "a": ["m-large"]})
    assert table[["family", "model_id", "n_params"]].values.tolist() == [
        ["b", "m-small", 10],
        ["b", "m-mid", 100],
        ["b", "m-large", 1000],
        ["a", "m-large", 1000],
    ]


def test_model_families_rejects_unknown_and_unassigned_models():
    items = knowledge_and_arithmetic()
    with pytest.raises(cv.ContrastInputError, match="no-such-model"):
        cv.model_families(items, {"fam": ["m-small", "m-mid", "m-large", "no-such-model"]})
    with pytest.raises(cv.ContrastInputError, match="m-large"):
        cv.model_families(items, {"fam": ["m-small", "m-mid"]})
    with pytest.raises(cv.ContrastInputError, match="size_column"):
        cv.model_families(items, FAMILIES, size_column="params")


def test_side_by_side_accuracy_loss_and_chance_by_hand():
    table = cv.side_by_side(knowledge_and_arithmetic(), FAMILIES, bootstrap=0)
    assert list(table["kind"].unique()) == ["knowledge", "procedure"]  # pattern absent: skipped
    small = table[(table["model_id"] == "m-small") & (table["kind"] == "knowledge")].iloc[0]
    assert (small["n_items"], small["n_correct"], small["accuracy"]) == (4, 1, 0.25)
    low, high = proportion_confint(1, 4, alpha=0.05, method="wilson")
    assert small["accuracy_low"] == pytest.approx(low) and small["accuracy_high"] == pytest.approx(high)
    assert small["loss"] == pytest.approx(2.5) and small["chance"] == 0.25 and math.isnan(small["loss_low"])
    assert table[(table["model_id"] == "m-large") & (table["kind"] == "procedure")].iloc[0]["chance"] == 0.0


def test_chance_positions_are_exact_with_holm_and_count_each_model_once():
    items = make_items(
        "pattern",
        {
            m: {"correct": c, "gold_nll_per_token": [1.0] * 20}
            for m, c in {"m-small": [True] * 20, "m-mid": [True] * 10 + [False] * 10, "m-large": [False] * 20}.items()
        },
        SIZES,
        n_choices=2,
    )
    side = cv.side_by_side(items, {"a": ["m-small", "m-mid", "m-large"], "b": ["m-mid"]}, ["pattern"], bootstrap=0)
    positions = cv.chance_positions(side).set_index("model_id")
    assert len(positions) == 3 and (positions["n_tests"] == 3).all()  # m-mid is in two families, tested once
    pvalues = [stats.binomtest(k, 20, 0.5).pvalue for k in (20, 10, 0)]
    assert positions.loc[["m-small", "m-mid", "m-large"], "p_holm"].tolist() == pytest.approx(
        multipletests(pvalues, method="holm")[1].tolist()
    )
    assert positions.loc["m-small", "position"] == "above chance"
    assert positions.loc["m-large", "position"] == "below chance"
    assert positions.loc["m-mid", "position"] == "not distinguishable from chance"
    arithmetic = cv.chance_positions(cv.side_by_side(knowledge_and_arithmetic(), FAMILIES, ["procedure"], bootstrap=0))
    assert arithmetic.set_index("model_id").loc["m-small", "position"] == "no item right"
    assert (arithmetic["n_tests"] == 0).all()  # exact match has no chance level: no test


def test_majority_baselines_use_the_items_actually_scored():
    items = make_items(
        "pattern",
        {
            "a": {
                "gold": [1, 1, 1, 0],
                "correct": [True, True, False, False],
                "gold_label": [" yes", " yes", " yes", " no"],
            },
            "b": {"gold": [1, 0], "correct": [True, True], "gold_label": [" yes", " no"]},
        },
        {"a": 1, "b": 2},
        n_choices=2,
    )
    table = cv.majority_baselines(items).set_index("model_id")
    assert (table.loc["a", "majority_share"], table.loc["a", "majority_label"]) == (0.75, "yes")
    assert table.loc["b", "majority_share"] == 0.5 and table.loc["a", "chance"] == 0.5
    assert cv.majority_baselines(items, kind="knowledge").empty


# -------------------------------------------------------------------------- chain, within each family


def chain_items() -> pd.DataFrame:
    """Family "up": 3 models x 3 items, log p rises with size on items 0 and 2, falls on item 1;
    family "pair": 2 models (too few for a rank correlation)."""
    up = make_items(
        LETTER_KIND,
        {
            "m-small": {
                "log_p_vocab_correct": [-3.0, -1.0, -5.0],
                "brier": [0.7, 0.5, 0.1],
                "correct": [False, True, False],
            },
            "m-mid": {
                "log_p_vocab_correct": [-2.0, -2.0, -4.0],
                "brier": [0.8, 0.6, 0.2],
                "correct": [False, True, True],
            },
            "m-large": {
                "log_p_vocab_correct": [-1.0, -3.0, -0.5],
                "brier": [0.9, 0.7, 0.3],
                "correct": [False, True, True],
            },
        },
        SIZES,
    )
    pair = make_items(
        LETTER_KIND,
        {
            "p-1": {"log_p_vocab_correct": [-9.0, -9.0, -9.0], "brier": [0.1, 0.1, 0.1], "correct": [True, True, True]},
            "p-2": {
                "log_p_vocab_correct": [-0.1, -0.1, -0.1],
                "brier": [0.9, 0.9, 0.9],
                "correct": [False, False, False],
            },
        },
        {"p-1": 5, "p-2": 5000},
    )
    return pd.concat([up, pair], ignore_index=True)


CHAIN_FAMILIES = {"up": ["m-small", "m-mid", "m-large"], "pair": ["p-1", "p-2"]}


def test_chain_is_computed_within_each_family_with_exact_p():
    table = cch.chain_correlations(chain_items(), CHAIN_FAMILIES, bootstrap=0)
    up = table[table["family"] == "up"].set_index(["metric", "level"])
    assert up.loc[("log_p_vocab_correct", "per item"), "correlation"] == pytest.approx(1.0)  # +1, -1, +1
    assert up.loc[("log_p_vocab_correct", "per item"), "share_positive"] == pytest.approx(2 / 3)
    assert up.loc[("log_p_vocab_correct", "model means"), "correlation"] == pytest.approx(1.0)
    assert up.loc[("log_p_vocab_correct", "model means"), "pvalue"] == pytest.approx(2 / 6)  # exact: 2 of 3! orders
    assert up.loc[("brier", "per item"), "correlation"] == pytest.approx(-1.0)  # negated: worse with scale
    assert up.loc[("correct", "per item"), "n_constant"] == 2
    tested = table["pvalue"].notna()
    assert (table["n_tests"] == tested.sum()).all()
    assert table.loc[tested, "p_holm"].tolist() == pytest.approx(
        multipletests(table.loc[tested, "pvalue"], method="holm")[1].tolist()
    )
    pair = table[table["family"] == "pair"]
    assert pair["correlation"].isna().all() and pair["note"].str.contains("needs 3 or more").all()


def test_row_spearman_matches_scipy_with_ties():
    rng = np.random.default_rng(0)
    values = rng.integers(0, 4, size=(50, 6)).astype(float)
    sizes = np.array([1.0, 2.0, 2.0, 5.0, 9.0, 9.0])
    for row, rho in zip(values, cch.row_spearman(values, sizes)):
        expected = stats.spearmanr(sizes, row).statistic if np.ptp(row) > 0 else np.nan
        assert (np.isnan(rho) and np.isnan(expected)) or rho == pytest.approx(expected)


# ------------------------------------------------------------------------------- letter bias


def letter_items(predicted_by_model: dict[str, list[int]], gold: list[int]) -> pd.DataFrame:
    values = {
        model: {"gold": gold, "predicted": predicted, "correct": [p == g for p, g in zip(predicted, gold)]}
        for model, predicted in predicted_by_model.items()
    }
    return make_items(LETTER_KIND, values, {model: 10 * (i + 1) for i, model in enumerate(predicted_by_model)})


GOLD_RARE_A = [0, 0] + [1] * 14 + [2] * 12 + [3] * 12  # 40 items, gold A only twice


def test_always_a_is_explained_by_letter_bias():
    row = cl.letter_diagnosis(letter_items({"always-a": [0] * 40}, GOLD_RARE_A)).iloc[0]
    assert row["accuracy"] == pytest.approx(2 / 40)
    assert row["p_below"] == pytest.approx(stats.binom.cdf(2, 40, 0.25))  # exact, one-sided
    assert row["p_below_holm"] == pytest.approx(row["p_below"])  # one model: a family of one
    ci = stats.binomtest(2, 40).proportion_ci(method="exact")
    assert (row["accuracy_low"], row["accuracy_high"]) == (pytest.approx(ci.low), pytest.approx(ci.high))
    assert row["chi2"] == pytest.approx(120.0) and row["letters_p"] == pytest.approx(1 / 10_000)
    assert (row["top_letter"], row["top_predicted_share"], row["top_gold_share"]) == ("A", 1.0, 0.05)
    assert row["bias_expected_accuracy"] == pytest.approx(0.05)
    assert (row["majority_letter"], row["majority_accuracy"]) == ("B", 0.35)
    assert row["verdict"] == "below chance, consistent with letter bias"


def test_the_letter_interval_and_its_sentence_follow_alpha():
    # the guesser is judged against the accuracy's (1 - alpha) exact interval, and the verdict names that level
    items = letter_items({"always-a": [0] * 40}, GOLD_RARE_A)
    row = cl.letter_diagnosis(items, alpha=0.10).iloc[0]
    ci = stats.binomtest(2, 40).proportion_ci(confidence_level=0.90, method="exact")
    assert (row["accuracy_low"], row["accuracy_high"]) == (pytest.approx(ci.low), pytest.approx(ci.high))
    assert "within its 90% interval" in cl.letter_verdict_markdown(pd.DataFrame([row]), alpha=0.10)
    assert "within its 95% interval" in cl.letter_verdict_markdown(cl.letter_diagnosis(items))


def test_mild_letter_preference_on_few_items_leaves_letter_bias_undecided():
    # gold: A A | B x14 | C x12 | D x12; predictions 16 A, 8 B, 8 C, 8 D with 4 right (2 A, 2 B)
    predicted = (
        [0, 0] + [1, 1] + [0] * 6 + [2] * 3 + [3] * 3 + [0] * 4 + [1] * 3 + [3] * 5 + [0] * 4 + [1] * 3 + [2] * 5
    )
    row = cl.letter_diagnosis(letter_items({"mild": predicted}, GOLD_RARE_A)).iloc[0]
    assert row["accuracy"] == pytest.approx(4 / 40) and row["p_below"] == pytest.approx(stats.binom.cdf(4, 40, 0.25))
    assert row["chi2"] == pytest.approx(4.8) and row["letters_p"] > 0.05  # letters not significantly non-uniform
    assert row["bias_expected_accuracy"] == pytest.approx(0.4 * 0.05 + 0.2 * 0.35 + 0.2 * 0.3 + 0.2 * 0.3)
    assert row["accuracy_low"] <= row["bias_expected_accuracy"] <= row["accuracy_high"]
    assert row["verdict"] == "below chance, letter bias undecided"  # consistent, but no evidence of a bias
    text = cl.letter_verdict_markdown(pd.DataFrame([row]))
    assert text.startswith("**Verdict: inconclusive.**")


def test_letter_tests_are_holm_corrected_across_models():
    gold = [0, 1, 2, 3] * 10
    table = cl.letter_diagnosis(
        letter_items(
            {
                "shifted": [(g + 1) % 4 for g in gold],
                "half": gold[:20] + [(g + 1) % 4 for g in gold[20:]],
                "always-a": [0] * 40,
            },
            gold,
        )
    ).set_index("model")
    raw = table.loc[["shifted", "half", "always-a"], "p_below"].tolist()
    assert raw == pytest.approx([stats.binom.cdf(k, 40, 0.25) for k in (0, 20, 10)])
    assert table.loc[["shifted", "half", "always-a"], "p_below_holm"].tolist() == pytest.approx(
        multipletests(raw, method="holm")[1].tolist()
    )
    assert (table["n_tests"] == 3).all()
    assert table.loc["shifted", "verdict"] == "below chance, not explained by letter bias"  # uniform letters
    assert table.loc["half", "verdict"] == "not significantly below chance"
    assert table.loc["always-a", "verdict"] == "not significantly below chance"  # 10/40 is exactly chance


def test_letter_uniformity_parity_with_the_chi_square_approximation_at_large_n():
    rng = np.random.default_rng(3)
    predicted = rng.choice(4, size=2000, p=[0.27, 0.25, 0.24, 0.24])
    chi2, pvalue = cl.letter_uniformity(predicted, 4)
    reference = stats.chisquare(np.bincount(predicted, minlength=4))
    assert chi2 == pytest.approx(reference.statistic)
    assert pvalue == pytest.approx(reference.pvalue, abs=0.015)


def test_letter_shares_and_bad_labels():
    items = letter_items({"always-a": [0] * 40}, GOLD_RARE_A)
    shares = cl.letter_shares(items).set_index("letter")
    assert shares["predicted_share"].tolist() == [1.0, 0.0, 0.0, 0.0]
    assert shares["gold_share"].tolist() == pytest.approx([0.05, 0.35, 0.30, 0.30])
    with pytest.raises(cv.ContrastInputError, match="labels"):
        cl.letter_diagnosis(items, labels=("A", "B"))
    with pytest.raises(cv.ContrastInputError, match="knowledge_fulltext"):
        cl.letter_diagnosis(items, kind="knowledge_fulltext")


# ---------------------------------------------------------------- scoring formats and arithmetic


def test_format_comparison_and_paired_acc_norm_test():
    letter = make_items(
        "knowledge",
        {
            m: {"correct": c, "correct_norm": c}
            for m, c in {
                "m-small": [True, False, False, False],
                "m-mid": [True, True, False, False],
                "m-large": [False, False, False, False],
            }.items()
        },
        SIZES,
    )
    fulltext = make_items(
        "knowledge_fulltext",
        {
            "m-small": {"correct": [False] * 8, "correct_norm": [True] * 6 + [False] * 2},  # 6 up, 0 down
            "m-mid": {"correct": [True, False] * 4, "correct_norm": [True, False] * 4},
            "m-large": {"correct": [True] * 8, "correct_norm": [True] * 8},
        },
        SIZES,
    )
    table = cf.format_comparison(pd.concat([letter, fulltext]), FAMILIES)
    counts = table.pivot(index="model_id", columns="format", values="n_correct")
    assert counts.loc["m-small"].to_dict() == {"letter (acc)": 1, "full text (acc)": 0, "full text (acc_norm)": 6}
    tests = cf.format_tests(fulltext).set_index("model_id")
    assert tests.loc["m-small", "pvalue"] == pytest.approx(2 / 64)  # exact McNemar, 6 discordant, all one way
    assert tests.loc["m-small", "p_holm"] == pytest.approx(min(1.0, 3 * 2 / 64))
    assert tests.loc["m-mid", "direction"] == "no significant difference"


def test_published_formats_have_exact_intervals():
    summary = pd.DataFrame(
        {
            "family": ["opt"],
            "model": ["opt-125m"],
            "params": [125_000_000],
            "n_items": [1064],
            "acc": [226 / 1064],
            "acc_stderr": [0.01],
            "acc_norm": [263 / 1064],
            "acc_norm_stderr": [0.01],
        }
    )
    table = cf.published_formats(summary).set_index("metric")
    assert table.loc["acc", "k"] == 226
    ci = stats.binomtest(226, 1064).proportion_ci(method="exact")
    assert (table.loc["acc", "low"], table.loc["acc", "high"]) == (pytest.approx(ci.low), pytest.approx(ci.high))


def test_arithmetic_metric_view_by_hand_pooled_and_by_difficulty():
    items = knowledge_and_arithmetic()
    table = cf.arithmetic_metric_view(items, FAMILIES, bootstrap=0)
    mid = table[table["model_id"] == "m-mid"].set_index("metric")["value"]
    assert mid.to_dict() == pytest.approx({"correct": 0.25, "greedy_token_fraction": 0.5, "gold_nll_per_token": 2.0})
    assert set(table["task"]) == {"all"}
    items.loc[items["kind"] == "procedure", "task"] = [
        "arithmetic_2da",
        "arithmetic_2da",
        "arithmetic_3ds",
        "arithmetic_3ds",
    ] * 3
    by_task = cf.arithmetic_metric_view(items, FAMILIES, by_task=True, bootstrap=0)
    assert set(by_task["task"]) == {"2da", "3ds"}
    large_3ds = by_task[(by_task["model_id"] == "m-large") & (by_task["task"] == "3ds")].set_index("metric")
    assert large_3ds.loc["correct", "value"] == 0.5 and large_3ds.loc["correct", "n_items"] == 2
    with pytest.raises(cv.ContrastInputError, match="greedy_token_fraction"):
        cf.arithmetic_metric_view(items.assign(kind="procedure"), FAMILIES, ["procedure"])


def test_item_counts_rows_by_size_columns_by_kind():
    counts = cv.item_counts(knowledge_and_arithmetic())
    assert list(counts.index) == ["m-small", "m-mid", "m-large"]
    assert list(counts.columns) == ["knowledge", "procedure"] and (counts.to_numpy() == 4).all()
