"""helpers.analysis.summaries (the one per-group summary) and helpers.analysis.resampling (the one
bootstrap-count rule), on small inputs checked by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from helpers.analysis.resampling import MIN_RESAMPLES, check_resamples
from helpers.analysis.summaries import accuracy_summary, group_summary, majority_share, mean_interval


class CustomError(ValueError):
    pass


def _items(correct, losses, gold, n_choices=4, labels=("A", "B", "C", "D")) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "correct": correct,
            "gold_nll_per_token": losses,
            "n_choices": n_choices,
            "gold": gold,
            "gold_label": [labels[g] for g in gold],
        }
    )


# ----------------------------------------------------------------------------- resampling


@pytest.mark.parametrize("value", [0, MIN_RESAMPLES, 1000, np.int64(250)])
def test_zero_or_at_least_100_resamples_pass_as_int(value):
    checked = check_resamples(value)
    assert checked == value and type(checked) is int


@pytest.mark.parametrize("value", [1, 50, 99, -100, True, 150.0, "1000", None])
def test_too_few_or_not_an_integer_is_refused_naming_value_and_fix(value):
    with pytest.raises(CustomError) as caught:
        check_resamples(value, error=CustomError)
    assert str(caught.value).startswith(f"bootstrap={value!r}: expected 0 (no intervals) or an integer >= 100")


def test_zero_is_refused_where_an_interval_is_always_computed():
    assert check_resamples(100, name="n_resamples", allow_zero=False) == 100
    with pytest.raises(ValueError, match=r"^n_resamples=0: expected an integer >= 100"):
        check_resamples(0, name="n_resamples", allow_zero=False)


def test_every_former_check_now_gives_the_same_rule():
    """The chapters' views, the scaling fits and the analysis functions all refuse 99 and accept 100."""
    from helpers.analysis.intervals import bootstrap_mean_ci
    from helpers.analysis.metrics import MetricError
    from helpers.analysis.scaling import ScalingInputError, fit_power_law
    from helpers.experiments.parameters import ParameterError
    from helpers.experiments.parameters import bootstrap as _bootstrap

    with pytest.raises(MetricError, match="n_resamples=99"):
        bootstrap_mean_ci([1.0, 2.0], n_resamples=99)
    with pytest.raises(ScalingInputError, match="bootstrap=99"):
        fit_power_law(np.array([1e6, 1e7, 1e8, 1e9]), np.array([4.0, 3.0, 2.5, 2.2]), bootstrap=99)
    with pytest.raises(ParameterError, match="Parameter bootstrap=99"):
        _bootstrap(99)
    assert _bootstrap(100) == 100 and _bootstrap(0) == 0


# --------------------------------------------------------------------------- group summary


def test_accuracy_summary_is_the_wilson_interval_of_the_count():
    # Wilson 95% for 2 of 4: centre (0.5 + z^2/8) / (1 + z^2/4) = 0.5, half width
    # z * sqrt(1/16 + z^2/64) / (1 + z^2/4) = 0.34997 with z = 1.95996
    summary = accuracy_summary([True, False, False, True])
    assert summary["n_items"] == 4 and summary["n_correct"] == 2 and summary["accuracy"] == 0.5
    assert summary["accuracy_low"] == pytest.approx(0.1500, abs=1e-4)
    assert summary["accuracy_high"] == pytest.approx(0.8500, abs=1e-4)


def test_mean_interval_is_nan_without_resamples_or_items_and_exact_for_equal_values():
    assert all(math.isnan(end) for end in mean_interval([1.0, 2.0, 3.0], 0))
    assert all(math.isnan(end) for end in mean_interval([1.0], 1000))
    assert mean_interval([2.0, 2.0, 2.0], 100) == (2.0, 2.0)
    low, high = mean_interval([1.0, 2.0, 3.0, 6.0], 1000, seed=0)
    assert 1.0 <= low < 3.0 < high <= 6.0  # the mean 3.0 inside, the ends inside the data's range


def test_group_summary_by_hand():
    items = _items([True, False, False, True], [1.0, 2.0, 3.0, 6.0], gold=[0, 0, 1, 2])
    summary = group_summary(items, bootstrap=0)
    assert summary["accuracy"] == 0.5 and summary["n_items"] == 4
    assert summary["loss"] == 3.0 and math.isnan(summary["loss_low"]) and math.isnan(summary["loss_high"])
    assert summary["chance"] == 0.25
    assert summary["majority"] == 0.5  # "always A" is right on 2 of 4
    assert list(summary) == [
        "n_items",
        "n_correct",
        "accuracy",
        "accuracy_low",
        "accuracy_high",
        "loss",
        "loss_low",
        "loss_high",
        "chance",
        "majority",
    ]


def test_majority_of_unbalanced_labels_and_none_for_exact_match():
    pairs = _items([True] * 5, [1.0] * 5, gold=[1, 1, 1, 0, 1], n_choices=2, labels=("no", "yes"))
    assert majority_share(pairs) == 0.8
    assert majority_share(pairs.drop(columns="gold")) == 0.8  # from the labels alone
    arithmetic = pairs.assign(n_choices=1)
    assert math.isnan(majority_share(arithmetic))
    summary = group_summary(arithmetic, bootstrap=0)
    assert summary["chance"] == 0.0 and math.isnan(summary["majority"])


def test_group_summary_refuses_an_empty_group_or_missing_columns():
    with pytest.raises(ValueError, match="gold_nll_per_token"):
        group_summary(pd.DataFrame({"correct": [True], "n_choices": [4]}))
    with pytest.raises(ValueError, match="non-empty"):
        group_summary(_items([], [], gold=[]))
    with pytest.raises(ValueError, match="bootstrap=10"):
        group_summary(_items([True, False], [1.0, 2.0], gold=[0, 1]), bootstrap=10)
