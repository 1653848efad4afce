"""The report's one set of number formatters (helpers.render.numbers), by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from helpers.render import numbers as nb


def test_one_p_value_rule():
    assert [nb.p_value(p) for p in (0.0, 0.00099, 0.001, 0.0312, 0.2101, 1.0)] == [
        "< 0.001",
        "< 0.001",
        "0.001",
        "0.031",
        "0.210",
        "1.000",
    ]
    assert nb.p_value(math.nan) == "—" and nb.p_value(None) == "—"
    assert nb.p_text(0.0312) == "p = 0.031" and nb.p_text(1e-30) == "p < 0.001" and nb.p_text(math.nan) == "p —"
    assert nb.p_text(0.5, "Holm p ") == "Holm p = 0.500" and nb.p_text(0.0004, "") == "< 0.001"


def test_percentages_and_points_never_print_minus_zero():
    assert nb.pct(0.2133) == "21.3%" and nb.pct(-0.0001) == "0.0%" and nb.pct(math.nan) == "—"
    assert nb.pct(np.float32(0.5)) == "50.0%"  # numpy numbers are numbers
    assert nb.points(0.02) == "+2.0 pts" and nb.points(-0.0004) == "+0.0 pts" and nb.points(-0.031) == "-3.1 pts"


def test_fixed_intervals():
    assert nb.interval(0.201, 0.234) == "[20.1%, 23.4%]"
    assert nb.interval(0.009, 0.031, "pts") == "[+0.9, +3.1] pts"
    assert nb.interval(-0.0004, 0.01, "pts") == "[+0.0, +1.0] pts"
    assert nb.interval(math.nan, 0.2) == "(no interval)"
    with pytest.raises(ValueError, match="interval unit must be 'pct' or 'pts'; got 'nats'"):
        nb.interval(0.1, 0.2, "nats")


def test_decimals_follow_the_interval_width():
    assert nb.decimals_for(65) == 0 and nb.decimals_for(5) == 1 and nb.decimals_for(0.6) == 2
    assert nb.decimals_for(0.0) == 1 and nb.decimals_for(math.nan) == 1
    assert nb.percent_range(0.0406, 0.02637, 0.05483) == "4.1% (2.6–5.5%)"  # width 2.8 points: 1 decimal
    assert nb.percent_range(0.4476, 0.3950, 0.5002) == "45% (40–50%)"  # width 10.5 points: 0 decimals
    assert nb.points_range(0.0406, 0.0298, 0.0602) == "+4.1 pp (+3.0 to +6.0)"
    assert nb.pct_interval(0.25, 0.05, 0.70) == "25% [5%, 70%]" and nb.points_interval(0.15, -0.048, 0.333) == (
        "+15 pts [-5, +33]"
    )
    assert nb.relative_interval(-0.11, -0.14, -0.08) == "-11.0% [-14.0%, -8.0%]"


@pytest.mark.parametrize(
    "count, label",
    [
        (134_515_008, "135M"),
        (1_777_088_000, "1.8B"),
        (6_539_008, "6.5M"),
        (70_426_624, "70M"),
        (268_098_176, "268M"),
        (11_846_072_320, "12B"),
        (100_096, "100K"),
        (999, "999"),
        (float("nan"), nb.MISSING),
        (0, nb.MISSING),
        (None, nb.MISSING),
        ("12B", nb.MISSING),  # text is not a count
        (5.7, "6"),  # rounded, not cut
    ],
)
def test_param_label(count, label):
    assert nb.param_label(count) == label


def test_counts_and_lists_in_words():
    assert nb.count_text(1, "model") == "1 model" and nb.count_text(1_200, "model") == "1,200 models"
    assert nb.count_text(3, "family") == "3 families" and nb.count_text(2, "day") == "2 days"
    assert nb.listing([]) == "" and nb.listing(["a"]) == "a" and nb.listing(["a", "b", "c"]) == "a, b and c"


@pytest.mark.parametrize(
    ("proportion", "as_points", "as_percent"),
    [
        (0.19, "19", "19%"),
        (0.015, "1.5", "1.5%"),
        (0.05, "5", "5%"),
        (0.95, "95", "95%"),
        (1 / 3, "33.3333", "33.3333%"),
    ],
)
def test_a_setting_is_written_without_trailing_zeros(proportion, as_points, as_percent):
    """Margins and levels read as written in the rules (19–20% ± 2 points), not with a measurement's decimals."""
    from helpers.render.numbers import setting_percent, setting_points

    assert setting_points(proportion) == as_points
    assert setting_percent(proportion) == as_percent


def test_a_setting_is_never_negative_zero_and_never_missing():
    from helpers.render.numbers import setting_points

    assert setting_points(-1e-9) == "0"
    with pytest.raises(ValueError, match="a setting must be a finite number; got nan"):
        setting_points(float("nan"))


def test_signed_numbers_never_print_negative_zero():
    # what f"{x:+.1f}" printed as "-0.0" for a slightly negative value
    assert nb.signed(-0.04) == "+0.0" and nb.signed(1.26) == "+1.3" and nb.signed(-1.26) == "-1.3"
    assert nb.signed(-0.0004, 3) == "+0.000" and nb.signed(0.4, 0) == "0" and nb.signed(2.6, 0) == "+3"
    # the other formatters too: the scaling chapter printed a gap of "-0.00 [-0.02, 0.01]"
    assert nb.number(-0.001) == "0.00" and nb.number_interval(-0.001, -0.02, 0.01, most=2) == "0.00 [-0.02, 0.01]"
    assert nb.points_range(-0.00001, -0.01, 0.02) == "+0.0 pp (-1.0 to +2.0)"
    assert nb.range_text(-0.00001, 0.5) == "0–50%"
