"""The obsscaling reader, its exclusions, the leaderboard MMLU standard error and family trends,
each checked against an independent computation."""

from __future__ import annotations

import csv
import itertools
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from helpers.analysis.family_fits import compare_trends, family_trend, leave_one_family_out, threshold_fit
from helpers.analysis.obsscaling import (
    BENCHMARK_CSV,
    EMERGENT_CSV,
    ObsScalingDataError,
    adjusted_se,
    effective_n,
    exclusion_text,
    leaderboard_mmlu_se,
    read_benchmark,
    read_emergent,
    usable,
)
from helpers.infra.paths import DATA_DIR


@pytest.fixture(scope="module")
def bench() -> pd.DataFrame:
    return read_benchmark()


def _rewrite(tmp_path: Path, source: Path, change) -> Path:
    frame = change(pd.read_csv(source))
    path = tmp_path / source.name
    frame.to_csv(path, index=False)
    return path


# ----------------------------------------------------------------------------- the files


def test_the_shipped_files_hold_148_models_in_47_families_and_84_arithmetic_rows(
    bench,
):  # SOURCES.md says 83 models; the file has 84 rows
    assert len(bench) == 148 and bench["family"].nunique() == 47
    assert len(read_emergent(benchmark=bench)) == 84
    assert (Path(DATA_DIR) / "reference" / "obsscaling" / "LICENSE").is_file()


@pytest.mark.parametrize("column", ["FLOPs (1E21)", "MMLU", "Model Family"])
def test_a_missing_column_is_named_with_its_file(tmp_path, column):
    path = _rewrite(tmp_path, BENCHMARK_CSV, lambda f: f.drop(columns=[column]))
    with pytest.raises(
        ObsScalingDataError, match=rf"base_llm_benchmark_eval\.csv: column\(s\) \['{re_escape(column)}'\] missing"
    ):
        read_benchmark(path)


def re_escape(text: str) -> str:
    import re

    return re.escape(text)


def test_a_renamed_column_is_named_with_its_file(tmp_path):
    path = _rewrite(tmp_path, BENCHMARK_CSV, lambda f: f.rename(columns={"MMLU": "MMLU (5-shot)"}))
    with pytest.raises(ObsScalingDataError) as error:
        read_benchmark(path)
    assert "'MMLU'" in str(error.value) and "base_llm_benchmark_eval.csv" in str(error.value)
    path = _rewrite(tmp_path, EMERGENT_CSV, lambda f: f.rename(columns={"arithmetic_2da_2_acc": "arith_2da"}))
    with pytest.raises(ObsScalingDataError, match="arithmetic_2da_2_acc"):
        read_emergent(path)


def test_duplicated_and_non_numeric_values_are_refused(tmp_path):
    path = _rewrite(tmp_path, BENCHMARK_CSV, lambda f: pd.concat([f, f.iloc[:1]]))
    with pytest.raises(ObsScalingDataError, match="more than once"):
        read_benchmark(path)
    path = _rewrite(
        tmp_path, BENCHMARK_CSV, lambda f: f.assign(MMLU=f["MMLU"].astype(object).where(f.index != 3, "twenty"))
    )
    with pytest.raises(ObsScalingDataError, match="'MMLU' is not numeric"):
        read_benchmark(path)


# ----------------------------------------------------------------------------- exclusions, never silent


def test_models_without_flops_are_named_not_dropped(bench):
    kept, excluded = usable(bench, "flops", "mmlu")
    no_flops = set(bench.loc[bench["flops"].isna(), "model"])
    assert {e.model for e in excluded} == no_flops and len(kept) + len(no_flops) == len(bench)
    assert "RWKV/rwkv-4-14b-pile" in no_flops and "no flops in the file" in exclusion_text(excluded)
    assert "RWKV/rwkv-4-14b-pile" in exclusion_text(excluded)


def test_a_one_model_family_is_named_for_a_within_family_trend(bench):
    kept, excluded = usable(bench, "params", "mmlu", min_per_family=2)
    singles = bench["family"].value_counts()
    singles = set(singles[singles == 1].index)
    assert {e.family for e in excluded} == singles and not set(kept["family"]) & singles
    assert "ai21labs/Jamba-v0.1" in exclusion_text(excluded)


def test_a_model_whose_flops_went_missing_is_named(tmp_path):
    path = _rewrite(
        tmp_path,
        BENCHMARK_CSV,
        lambda f: f.assign(**{"FLOPs (1E21)": f["FLOPs (1E21)"].where(f["Model"] != "facebook/opt-66b")}),
    )
    kept, excluded = usable(read_benchmark(path), "flops", "mmlu", families=["OPT"])
    assert [e.model for e in excluded] == ["facebook/opt-66b"] and len(kept) == 7


def test_unknown_family_or_column_is_refused(bench):
    with pytest.raises(ObsScalingDataError, match="Gopher"):
        usable(bench, "params", "mmlu", families=["Gopher"])
    with pytest.raises(ObsScalingDataError, match="'mmlu_pro'"):
        usable(bench, "params", "mmlu_pro")


# ----------------------------------------------------------------------------- standard errors


def _subject_sizes_by_hand() -> list[int]:
    sizes = []
    for path in sorted((Path(DATA_DIR) / "mmlu" / "test").glob("*_test.csv")):
        with open(path, newline="", encoding="utf-8") as handle:
            sizes.append(sum(1 for _ in csv.reader(handle)))
    return sizes


def test_the_leaderboard_mmlu_se_matches_a_direct_computation_from_subject_sizes():
    sizes = _subject_sizes_by_hand()
    assert len(sizes) == 57 and sum(sizes) == 14042
    for p in (0.25, 0.2606, 0.57):
        direct = math.sqrt(sum(p * (1 - p) / n for n in sizes)) / 57
        assert leaderboard_mmlu_se(p) == pytest.approx(direct, rel=1e-12)
        # larger than a pooled proportion's: small subjects weigh as much as large ones
        assert direct > math.sqrt(p * (1 - p) / 14042)
    assert effective_n() == pytest.approx(57**2 / sum(1 / n for n in sizes))
    assert leaderboard_mmlu_se(0.25) == pytest.approx(math.sqrt(0.25 * 0.75 / effective_n()))


def test_the_adjusted_arithmetic_se_is_never_zero():
    assert adjusted_se(0.0, 2000) == pytest.approx(math.sqrt((2 / 2004) * (1 - 2 / 2004) / 2004))
    assert adjusted_se(1.0, 2000) > 0 and adjusted_se(0.5, 2000) == pytest.approx(math.sqrt(0.25 / 2004))


# ----------------------------------------------------------------------------- family trends


def _floored_wls(x, y, se):
    """Independent route: statsmodels WLS, then the residual scale floored at 1 by hand."""
    fit = sm.WLS(
        np.asarray(y, float), sm.add_constant(np.log10(np.asarray(x, float))), weights=1 / np.asarray(se) ** 2
    ).fit()
    factor = math.sqrt(max(fit.scale, 1.0) / fit.scale)
    return fit, fit.bse[1] * factor, factor


def test_one_family_slope_matches_statsmodels_wls_with_the_floor(bench):
    opt = bench[bench["family"] == "OPT"].sort_values("params")
    se = leaderboard_mmlu_se(opt["mmlu"].to_numpy())
    trend = family_trend("OPT", opt["model"], opt["params"], opt["mmlu"], se)
    fit, slope_se, _ = _floored_wls(opt["params"], opt["mmlu"], se)
    assert trend.slope.slope == pytest.approx(fit.params[1], rel=1e-10)
    assert trend.slope.se == pytest.approx(slope_se, rel=1e-10) and trend.df == 6
    t = stats.t.ppf(0.95, 6)
    assert trend.slope.low90 == pytest.approx(fit.params[1] - t * slope_se, rel=1e-10)


def test_a_hand_checked_three_model_slope():
    # equal weights, x = 8, 9, 10; y = 0.25, 0.26, 0.30: slope 0.025, residuals +-0.005/-0.01
    se = np.full(3, 0.001)
    trend = family_trend("toy", ["a", "b", "c"], [1e8, 1e9, 1e10], [0.25, 0.26, 0.30], se)
    assert trend.slope.slope == pytest.approx(0.025)
    rss = sum(r**2 for r in (0.25 - 0.245, 0.26 - 0.27, 0.30 - 0.295))
    scale = rss / 0.001**2 / 1  # chi2 / df, df = 1
    assert trend.scale == pytest.approx(scale) and trend.slope.se == pytest.approx(math.sqrt(rss / 1 / 2))


def test_models_scattering_less_than_sampling_keep_the_binomial_floor():
    se = np.full(4, 0.01)
    trend = family_trend("toy", list("abcd"), [1e8, 1e9, 1e10, 1e11], [0.25, 0.2501, 0.2502, 0.2503], se)
    assert trend.scale < 1
    assert trend.slope.se == pytest.approx(0.01 / math.sqrt(5.0))  # sqrt(se^2 / sum((x - mean)^2)), no shrinking


def test_no_trend_from_fewer_than_three_models():
    trend = family_trend("two", ["a", "b"], [1e8, 1e9], [0.25, 0.27], [0.005, 0.005])
    assert math.isnan(trend.slope.slope) and "two models give a change, not a slope" in trend.note


def test_the_rwkv_pythia_comparison_matches_an_independent_computation(bench):
    parts = {}
    for family in ("RWKV", "Pythia"):
        rows = bench[(bench["family"] == family) & (bench["model"] != "RWKV/rwkv-raven-14b")]
        se = leaderboard_mmlu_se(rows["mmlu"].to_numpy())
        fit, slope_se, factor = _floored_wls(rows["params"], rows["mmlu"], se)
        level = fit.params[0] + 9 * fit.params[1]
        level_se = math.sqrt(np.array([1, 9]) @ fit.cov_params() @ np.array([1, 9])) * factor
        parts[family] = (fit.params[1], slope_se, level, level_se, int(fit.df_resid))
        parts[family + "_trend"] = family_trend(family, rows["model"], rows["params"], rows["mmlu"], se)
    slope, level = compare_trends(parts["RWKV_trend"], parts["Pythia_trend"], 0.02, 0.02)
    (s1, e1, l1, le1, d1), (s2, e2, l2, le2, d2) = parts["RWKV"], parts["Pythia"]
    assert slope.estimate == pytest.approx(s1 - s2) and slope.se == pytest.approx(math.hypot(e1, e2))
    assert level.estimate == pytest.approx(l1 - l2) and level.se == pytest.approx(math.hypot(le1, le2))
    assert slope.df == min(d1, d2) == 4
    t = stats.t.ppf(0.95, 4)
    assert slope.high90 == pytest.approx(s1 - s2 + t * math.hypot(e1, e2))


def test_spearman_of_opt_addition_matches_an_exact_enumeration(bench):
    from helpers.experiments.beyond.judged import arithmetic_trends

    table, _ = arithmetic_trends()
    row = table[(table["family"] == "OPT") & (table["operation"] == "2-digit addition")].iloc[0]
    emergent = read_emergent(benchmark=bench)
    opt = emergent[emergent["family"] == "OPT"].sort_values("params")
    y = stats.rankdata(opt["arith_2da"])
    x = np.arange(1, 9)
    observed = stats.spearmanr(x, y).statistic
    extreme = sum(abs(np.corrcoef(x, np.array(p))[0, 1]) >= abs(observed) - 1e-12 for p in itertools.permutations(y))
    assert row["rho"] == pytest.approx(observed) and row["pvalue"] == pytest.approx(extreme / math.factorial(8))


# ----------------------------------------------------------------------------- across families


def test_threshold_fit_recovers_a_known_midpoint():
    rng = np.random.default_rng(1)
    x = np.tile(np.linspace(20, 25, 10), 6)
    y = 0.25 + 0.45 / (1 + np.exp(-(x - 23) / 0.4)) + rng.normal(0, 0.005, x.size)
    result = threshold_fit(x, y, np.repeat(list("abcdef"), 10), n_boot=50)
    assert result["mid"] == pytest.approx(23, abs=0.05) and result["mid_low"] < 23 < result["mid_high"]
    assert result["failed"] == 0 and result["departure"] < result["mid"]


def test_leave_one_family_out_prefers_the_predictor_that_generated_the_data():
    rng = np.random.default_rng(2)
    rows = []
    for family in range(8):
        tokens = 10 ** rng.uniform(11, 13)
        for params in 10 ** np.linspace(8, 10.5, 4):
            z = 2.0 * (np.log10(params) - 9.5) + 2.0 * (np.log10(tokens) - 12)
            rows.append((str(family), f"{family}-{params:.0f}", params, tokens, 0.25 + 0.45 / (1 + np.exp(-z))))
    frame = pd.DataFrame(rows, columns=["family", "model", "params", "tokens", "mmlu"])
    result = leave_one_family_out(frame, n_boot=50)
    assert result["mae_size_tokens"] < result["mae_size"] and result["improvement"] > 0.5
    assert result["n_families"] == 8 and result["n_models"] == 32


@pytest.mark.parametrize("between_sd", [0.0, 0.008])
def test_the_floored_trend_interval_covers_at_its_nominal_level(between_sd):
    """Known truth (slope 0.01 per decade), 8 models with item-sampling SE 0.0045 and, in the second
    case, each model off the line by N(0, 0.008): the 95% interval covers about 95% (at least
    95% when the floor binds); 1,000 replicates, fixed seed."""
    rng = np.random.default_rng(18)
    x = 10 ** np.linspace(7.8, 10.1, 8)
    se = np.full(8, 0.0045)
    covered = 0
    for _ in range(1000):
        y = 0.25 + 0.01 * (np.log10(x) - 9) + rng.normal(0, between_sd, 8) + rng.normal(0, 0.0045, 8)
        s = family_trend("sim", list("abcdefgh"), x, y, se).slope
        covered += s.low <= 0.01 <= s.high
    assert 0.93 <= covered / 1000 <= (1.0 if between_sd == 0 else 0.97)
