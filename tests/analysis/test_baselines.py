"""Tests of helpers.analysis.baselines: length-aware and label baselines, by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from helpers.analysis.baselines import (
    always_letter_correct,
    baseline_table,
    majority_label_share,
    most_common_gold,
    shortest_answer_correct,
)

TEXTS = [
    ["a", "bb", "ccc", "dddd"],  # shortest 0
    ["xx", "y", "zzz", "ww"],  # shortest 1
    ["11", "2", "3", "44"],  # tie between 1 and 2: each gets half the credit
    ["élan", "ab", "abc", "abcd"],  # characters, not bytes: 'élan' is 4 chars, 'ab' shortest
    ["long answer", "longer answer", "x", "yy"],  # shortest 2
]
GOLD = [0, 2, 2, 1, 2]


def test_shortest_answer_by_hand():
    assert shortest_answer_correct(TEXTS, GOLD).tolist() == [1, 0, 0.5, 1, 1]
    assert shortest_answer_correct(TEXTS, [0, 1, 1, 1, 2]).tolist() == [1, 1, 0.5, 1, 1]


def test_shortest_answer_one_item():
    assert shortest_answer_correct([["abc", "a"]], [1]).tolist() == [1]
    assert shortest_answer_correct([["abc", "a"]], [0]).tolist() == [0]


def test_always_letter_and_most_common_gold():
    assert always_letter_correct(GOLD, 2).tolist() == [0, 1, 1, 0, 1]
    assert always_letter_correct(GOLD, 3).tolist() == [0, 0, 0, 0, 0]
    assert most_common_gold(GOLD, 4) == (2, 0.6)
    assert most_common_gold([1, 0, 1, 0], 4) == (0, 0.5)  # tie -> lowest index
    assert most_common_gold([3], 4) == (3, 1.0)


def test_majority_label_share():
    assert majority_label_share([1, 1, 0, 1]) == (1, 0.75)
    assert majority_label_share([0, 1]) == (0, 0.5)
    assert majority_label_share([0]) == (0, 1.0)


def test_baseline_table_by_hand():
    table = baseline_table(TEXTS, GOLD).set_index("baseline")
    assert list(table.index) == ["uniform guess", "shortest answer", "always C"]
    assert table.loc["uniform guess", ["accuracy", "low", "high"]].tolist() == [0.25, 0.25, 0.25]
    assert table.loc["shortest answer", "accuracy"] == pytest.approx(3.5 / 5)  # the tie shares its credit
    assert table.loc["always C", "accuracy"] == pytest.approx(3 / 5)
    low, high = proportion_confint(3.5, 5, alpha=0.05, method="wilson")
    assert table.loc["shortest answer", ["low", "high"]].tolist() == pytest.approx([low, high])
    assert table["n"].tolist() == [5, 5, 5]
    assert table.loc["always C", "k"] == 3 and table.loc["uniform guess", "k"] is pd.NA


def test_baseline_table_labels_and_two_choice_items():
    table = baseline_table([["yes", "no"], ["no", "yes"]], [1, 1], labels=("first", "second"))
    assert table["baseline"].tolist() == ["uniform guess", "shortest answer", "always second"]
    assert table["accuracy"].tolist() == pytest.approx([0.5, 0.5, 1.0])
    assert table["high"].iloc[2] == 1.0  # Wilson at n/n
    with pytest.raises(ValueError, match="labels"):
        baseline_table(TEXTS, GOLD, labels=("A", "B"))


@pytest.mark.parametrize(
    "call",
    [
        lambda: shortest_answer_correct(TEXTS, GOLD[:-1]),  # misaligned
        lambda: shortest_answer_correct(TEXTS, [0, 2, 2, 1, 4]),  # gold out of range
        lambda: shortest_answer_correct(TEXTS, [0, 2, 2, 1, math.nan]),
        lambda: shortest_answer_correct([["a", ""]], [0]),  # empty choice
        lambda: shortest_answer_correct([["a", "b"], ["a", "b", "c"]], [0, 0]),  # ragged
        lambda: shortest_answer_correct([], []),
        lambda: always_letter_correct(GOLD, -1),
        lambda: always_letter_correct(GOLD, 1.5),
        lambda: always_letter_correct([0, 1.5], 0),
        lambda: most_common_gold(GOLD, 2),
        lambda: most_common_gold([], 4),
        lambda: majority_label_share([0, -1]),
        lambda: majority_label_share(np.array([])),
    ],
)
def test_bad_input_raises(call):
    with pytest.raises(ValueError):
        call()
