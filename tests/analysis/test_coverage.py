"""Check the procedure, not only the code (STATISTICS.md, rule 10).

Simulations with a known truth, fixed seed (numpy default_rng(20261129)), 2,000 replicates
each: the intervals must cover the truth at their nominal level and a corrected test family
must keep its family-wise error rate. Monte-Carlo standard error of a 95% coverage over 2,000
replicates is about 0.005, so the tolerances below are three to six of them. Each function
under test is called for real; identical inputs (the same k) are computed once and reused.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager

import numpy as np
import pandas as pd
import pytest

from helpers.analysis.inference import binomial_vs_chance, chance_family, holm, mcnemar_change
from helpers.analysis.trend import wls_slope

SEED = 20261129
REPLICATES = 2000


@contextmanager
def frozen_garbage():
    """statsmodels' multipletests(method="holm") runs gc.collect() on every call (~0.1 s in a
    process with scipy, statsmodels and pandas loaded); freezing the objects that exist now
    makes those collections cheap. It changes no result, only the runtime."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def test_clopper_pearson_covers_at_least_nominally():
    rng = np.random.default_rng(SEED)
    n, p = 200, 0.2
    ks = rng.binomial(n, p, size=REPLICATES)
    intervals = {k: binomial_vs_chance(int(k), n, 0.25) for k in np.unique(ks)}
    covered = np.array([intervals[k].low <= p <= intervals[k].high for k in ks])
    coverage = covered.mean()
    # exact intervals over-cover; they must never under-cover by more than Monte-Carlo noise
    assert 0.93 <= coverage <= 0.995, coverage


def _paired_items(counts):
    both, up, down, neither = (int(c) for c in counts)
    before = np.repeat([1, 0, 1, 0], [both, up, down, neither])
    after = np.repeat([1, 1, 0, 0], [both, up, down, neither])
    return before, after


def test_newcombe_paired_interval_covers_at_95():
    rng = np.random.default_rng(SEED)
    # p_before 0.25, p_after 0.30, 20% discordant: up - down = 0.05, up + down = 0.20
    up, down = 0.125, 0.075
    both = 0.25 - down
    probabilities = [both, up, down, 1.0 - both - up - down]
    truth = 0.30 - 0.25
    tables = rng.multinomial(300, probabilities, size=REPLICATES)
    covered = []
    for counts in tables:
        result = mcnemar_change(*_paired_items(counts))
        covered.append(result.low <= truth <= result.high)
    coverage = np.mean(covered)
    assert abs(coverage - 0.95) <= 0.02, coverage


def test_holm_keeps_the_family_wise_error_rate_below_chance_family():
    rng = np.random.default_rng(SEED)
    n_models, n, chance, alpha = 15, 1064, 0.25, 0.05
    ks = rng.binomial(n, chance, size=(REPLICATES, n_models))  # every model exactly at chance
    pvalue = {k: binomial_vs_chance(int(k), n, chance, "less").pvalue for k in np.unique(ks)}
    pvalues = np.vectorize(pvalue.get)(ks)
    with frozen_garbage():
        any_holm = np.array([holm(row, alpha)[0].any() for row in pvalues])
    any_raw = (pvalues <= alpha).any(axis=1)
    # the family keeps its 5% error rate (+ Monte-Carlo slack); uncorrected it would not
    assert any_holm.mean() <= alpha + 0.015, any_holm.mean()
    assert any_raw.mean() > 0.2, any_raw.mean()
    # the table-level function makes the same calls as the primitive
    with frozen_garbage():
        for row in range(25):
            table = pd.DataFrame({"model": [f"m{i}" for i in range(n_models)], "k": ks[row], "n": n})
            flagged = chance_family(table, chance, "less", alpha)["significant"].to_numpy()
            assert flagged.tolist() == holm(pvalues[row], alpha)[0].tolist()


@pytest.mark.parametrize("scatter", [0.0, 0.015])
def test_wls_slope_interval_covers_at_95(scatter):
    """Models scattering around the line (``scatter``: sd of each model's own deviation) or not. With
    scatter the interval covers at its nominal level; without, the binomial floor on the residual scale
    makes it conservative (issue 19: never narrower than the items allow)."""
    n_items = 1064
    rng = np.random.default_rng(SEED)
    sizes = np.array([7.0e7, 1.6e8, 4.1e8, 1.0e9, 1.4e9, 2.8e9, 6.9e9, 1.2e10])
    true_slope = 0.015  # accuracy points per decade, as a proportion
    truth = 0.22 + true_slope * (np.log10(sizes) - 9.0)
    ks = rng.binomial(n_items, np.clip(truth + rng.normal(0, scatter, (REPLICATES, sizes.size)), 0, 1))
    covered = []
    for row in ks:
        accuracy = row / n_items
        stderr = np.sqrt(accuracy * (1 - accuracy) / (n_items - 1))  # the harness stderr
        slope = wls_slope(sizes, accuracy, stderr, n=n_items)
        covered.append(slope.low <= true_slope <= slope.high)
    coverage = np.mean(covered)
    if scatter:
        assert abs(coverage - 0.95) <= 0.03, coverage
    else:
        assert 0.94 <= coverage <= 0.995, coverage
