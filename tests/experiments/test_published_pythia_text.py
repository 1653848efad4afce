"""The Published Pythia chapter's sentences (helpers.experiments.published_pythia.text), on hand-made inputs."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pandas as pd

from helpers.experiments.published_pythia import claim4a, fit_text, text, views


def test_a_percent_with_its_interval_in_brackets():
    assert views.format_percent_bracketed(0.874, 0.858, 0.890) == "87.4% [85.8–89.0%]"  # width 3.2 pts: 1 decimal
    assert views.format_percent_bracketed(0.0406, 0.0399, 0.0413) == "4.06% [3.99–4.13%]"  # width 0.14: 2 decimals
    assert views.format_percent_bracketed(0.5, math.nan, 0.6) == "n/a"


def _change(operation, shots, difference):
    return SimpleNamespace(
        operation=operation,
        shots=shots,
        difference=difference,
        small_model="pythia-160m-deduped",
        large_model="pythia-12b-deduped",
        acc_small=0.1,
        acc_large=0.1 + difference,
        low=-0.01,
        high=0.05,
        n_better=60,
        n_worse=30,
        n_clusters=100,
        p_value_permutation=0.0004,
    )


def test_an_increase_needs_holm_and_a_positive_change():
    found = claim4a.ScaleChanges(
        [_change("addition", 0, 0.02), _change("addition", 16, -0.03), _change("multiplication", 0, 0.04)],
        [True, True, False],
        [0.001, 0.002, 0.2],
    )
    assert found.increases == [True, False, False]
    lines = text.claim4a_lines(found, "partly", ["detail one"], seed=0).split("\n")
    assert lines[0].startswith("- **addition, 0-shot**: pythia-160m 10.0% → pythia-12b 12.0%, ")
    assert lines[0].endswith("Holm-adjusted 0.001 (a significant increase).")
    assert lines[1].endswith("(not a significant increase).")
    assert lines[-2:] == [
        "The claims table's rule gives claim 4a the verdict **partly** on these data:",
        "- detail one",
    ]
    other_seed = text.claim4a_lines(found, "partly", [], seed=7)
    assert other_seed.endswith("(at this run's seed 7; the claims table uses seed 0):")


def test_the_odds_ratio_per_tenfold_adds_the_interaction_at_log2_of_one_plus_shots():
    """b1 = ln 2, b3 = ln 1.5: at 0 shots odds x2, at 3 shots (log2 4 = 2) x2 * 1.5^2 = 4.5; zero covariance."""
    fit = SimpleNamespace(
        coefficients=pd.DataFrame({"estimate": [0.3, math.log(2), 0.1, math.log(1.5)]}),
        result=SimpleNamespace(cov_params=lambda: np.zeros((4, 4))),
    )
    assert fit_text.odds_ratio_per_tenfold(fit, 0) == (2.0, 2.0, 2.0)
    ratio, low, high = fit_text.odds_ratio_per_tenfold(fit, 3)
    assert math.isclose(ratio, 4.5) and math.isclose(low, 4.5) and math.isclose(high, 4.5)
