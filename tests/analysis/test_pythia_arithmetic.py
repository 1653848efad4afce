"""Tests of helpers.analysis.pythia_arithmetic on the real published files and on hand-made frames."""

from __future__ import annotations

import csv
import math
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from helpers.analysis import pythia_arithmetic as pa
from helpers.analysis.published import SUSPECT_MAX_STEP, SUSPECT_MODELS


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return pa.load_pythia_arithmetic()


# ---------------------------------------------------------------------------------- loader


def test_loader_rows_mapping_and_columns(frame):
    assert len(frame) == 7 * 6000
    assert list(frame.columns) == [
        "model",
        "old_name",
        "size",
        "n_params",
        "step",
        "tokens",
        "compute",
        "operation",
        "operand",
        "shots",
        "acc",
        "acc_stderr",
        "n_items",
        "k_correct",
    ]
    assert frame.groupby("model").size().eq(6000).all()
    mapping = frame.drop_duplicates("model").set_index("old_name")["model"].to_dict()
    assert mapping == {
        "125m": "pythia-160m-deduped-v0",
        "350m": "pythia-410m-deduped-v0",
        "800m": "pythia-1b-deduped-v0",
        "1.3b": "pythia-1.4b-deduped-v0",
        "2.7b": "pythia-2.8b-deduped-v0",
        "6.7b": "pythia-6.9b-deduped-v0",
        "13b": "pythia-12b-deduped-v0",
    }
    counts = frame.drop_duplicates("size").set_index("size")["n_params"].to_dict()
    # exact totals of data/reference/SOURCES.md, not the sizes in the names
    assert counts["160m"] == 162_322_944 and counts["1.4b"] == 1_414_647_808 and counts["12b"] == 11_846_072_320
    assert set(frame["step"]) == set(pa.STEPS) and set(frame["shots"]) == set(pa.SHOTS)
    assert set(frame["operation"]) == {"addition", "multiplication"} and set(frame["operand"]) == set(range(100))
    assert frame["n_items"].eq(50).all()
    assert np.allclose(frame["k_correct"], frame["acc"] * 50, atol=1e-9)
    assert not frame.duplicated(["model", "step", "operation", "shots", "operand"]).any()


def test_loader_compute_of_one_row_by_hand(frame):
    row = frame[
        (frame["size"] == "12b")
        & (frame["step"] == 143000)
        & (frame["operation"] == "multiplication")
        & (frame["shots"] == 16)
        & (frame["operand"] == 7)
    ].iloc[0]
    tokens = 143000 * 1024 * 2048
    assert row["tokens"] == tokens == 299_892_736_000
    assert row["compute"] == pytest.approx(6 * 11_846_072_320 * 299_892_736_000, rel=1e-12)
    assert row["compute"] == pytest.approx(2.1315e22, rel=1e-4)
    # the same row in the raw file (old name 13b)
    with (pa.ARITHMETIC_DIR / "pythia-13b-deduped.csv").open(newline="") as handle:
        raw = [
            r
            for r in csv.DictReader(handle)
            if r["checkpoint"] == "143000"
            and r["fewshot"] == "16"
            and r["task"] == "num_reasoning_arithmetic_multiplication_7"
        ]
    assert len(raw) == 1 and float(raw[0]["acc"]) == row["acc"] and row["k_correct"] == round(row["acc"] * 50)


def test_module_does_not_import_torch_or_altair():
    code = (
        "import sys; import helpers.analysis.pythia_arithmetic as m; m.load_pythia_arithmetic(); "
        "print('torch' in sys.modules, 'altair' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "False"]


@pytest.fixture()
def copy_dir(tmp_path):
    target = tmp_path / "pythia_arithmetic"
    shutil.copytree(pa.ARITHMETIC_DIR, target)
    return target


def _rewrite_line(file, line_number, transform):
    lines = file.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[line_number - 1] = transform(lines[line_number - 1])
    file.write_text("".join(lines), encoding="utf-8")


def test_corrupt_header_names_file_line_field(copy_dir):
    file = copy_dir / "pythia-800m-deduped.csv"
    _rewrite_line(file, 1, lambda line: line.replace("acc_stderr", "stderr"))
    with pytest.raises(pa.ArithmeticDataError, match=r"pythia-800m-deduped\.csv, line 1, field 'header'"):
        pa.load_pythia_arithmetic(copy_dir)


def test_corrupt_acc_above_one_names_file_line_field(copy_dir):
    file = copy_dir / "pythia-2.7b-deduped.csv"

    def bad_acc(line):
        fields = line.rstrip("\n").split(",")
        fields[4] = "1.02"
        return ",".join(fields) + "\n"

    _rewrite_line(file, 101, bad_acc)
    with pytest.raises(ValueError, match=r"pythia-2\.7b-deduped\.csv, line 101, field 'acc'.*'1\.02'.*\[0, 1\]"):
        pa.load_pythia_arithmetic(copy_dir)


def test_corrupt_acc_not_multiple_of_fiftieth_and_bad_task(copy_dir):
    file = copy_dir / "pythia-125m-deduped.csv"
    _rewrite_line(file, 7, lambda line: line.replace(",0.0,0.0", ",0.013,0.0"))
    with pytest.raises(pa.ArithmeticDataError, match=r"line 7, field 'acc'.*1/50"):
        pa.load_pythia_arithmetic(copy_dir)
    shutil.copy(pa.ARITHMETIC_DIR / "pythia-125m-deduped.csv", file)
    _rewrite_line(file, 3000, lambda line: line.replace("num_reasoning_arithmetic_", "num_reasoning_arith_"))
    with pytest.raises(pa.ArithmeticDataError, match=r"pythia-125m-deduped\.csv, line 3000, field 'task'"):
        pa.load_pythia_arithmetic(copy_dir)


def test_missing_file_and_missing_rows(copy_dir):
    (copy_dir / "pythia-6.7b-deduped.csv").unlink()
    with pytest.raises(pa.ArithmeticDataError, match=r"pythia-6\.7b-deduped\.csv.*missing"):
        pa.load_pythia_arithmetic(copy_dir)
    file = copy_dir / "pythia-13b-deduped.csv"
    shutil.copy(pa.ARITHMETIC_DIR / "pythia-6.7b-deduped.csv", copy_dir / "pythia-6.7b-deduped.csv")
    file.write_text("".join(file.read_text(encoding="utf-8").splitlines(keepends=True)[:-1]), encoding="utf-8")
    with pytest.raises(pa.ArithmeticDataError, match=r"pythia-13b-deduped\.csv, line 6000, field 'rows'.*5999"):
        pa.load_pythia_arithmetic(copy_dir)


# ------------------------------------------------------------------------- cluster intervals


def _tiny_frame(accuracies, items=4, operation="addition") -> pd.DataFrame:
    """One model, one cell, one operand per accuracy (``items`` items each)."""
    accuracies = np.asarray(accuracies, dtype=float)
    return pd.DataFrame(
        {
            "model": "m",
            "old_name": "o",
            "size": "s",
            "n_params": 1000,
            "step": 143000,
            "tokens": 10,
            "compute": 6e4,
            "operation": operation,
            "shots": 0,
            "operand": np.arange(len(accuracies)),
            "acc": accuracies,
            "acc_stderr": 0.0,
            "n_items": items,
            "k_correct": np.round(accuracies * items).astype(int),
        }
    )


def test_cluster_se_by_hand():
    table = pa.accuracy_table(_tiny_frame([0.0, 0.5, 0.25, 1.0]))
    row = table.iloc[0]
    assert (row["k"], row["n"], row["n_clusters"]) == (7, 16, 4)
    assert row["acc"] == pytest.approx(7 / 16)
    # deviations from 0.4375: -0.4375, 0.0625, -0.1875, 0.5625; sum of squares 0.546875; var = /3; se² = var/4
    se = np.sqrt(0.546875 / 3 / 4)
    assert row["se_cluster"] == pytest.approx(se, rel=1e-12)
    assert row["se_binomial"] == pytest.approx(np.sqrt(0.4375 * 0.5625 / 16))
    assert row["design_effect"] == pytest.approx(se**2 / (0.4375 * 0.5625 / 16))
    assert row["low"] == 0.0 and row["high"] == 1.0  # ± t(3) · 0.213 clipped to [0, 1]
    assert row["interval"] == "cluster"
    # the same SE from statsmodels: OLS of the 0/1 items on a constant, CR1 sandwich clustered by operand
    items = np.concatenate([np.r_[np.ones(k), np.zeros(4 - k)] for k in (0, 2, 1, 4)])
    fit = sm.OLS(items, np.ones((16, 1))).fit(cov_type="cluster", cov_kwds={"groups": np.repeat(np.arange(4), 4)})
    assert fit.bse[0] == pytest.approx(se, rel=1e-9)


def test_collapsed_cluster_interval_falls_back_to_wilson():
    row = pa.accuracy_table(_tiny_frame([0.0] * 5, items=10)).iloc[0]
    assert row["se_cluster"] == 0 and row["interval"].startswith("wilson")
    assert (row["low"], row["high"]) == (row["wilson_low"], row["wilson_high"])
    assert row["low"] == 0 and 0 < row["high"] < 0.1 and np.isnan(row["design_effect"])


def test_design_effect_above_one_on_real_data(frame):
    table = pa.accuracy_table(frame)
    assert len(table) == 7 * 6 * 2 * 5
    assert table["design_effect"].median() > 3
    row = table[
        (table["size"] == "12b")
        & (table["step"] == 143000)
        & (table["operation"] == "multiplication")
        & (table["shots"] == 16)
    ].iloc[0]
    assert row["acc"] == pytest.approx(2238 / 5000)
    assert row["design_effect"] > 5
    assert row["high"] - row["low"] > row["wilson_high"] - row["wilson_low"]


# ------------------------------------------------------------------------------ scale change


def test_scale_change_real_addition_zero_shot(frame):
    change = pa.scale_change(frame, "addition", 0, n_resamples=1999)
    assert change.small_model == "pythia-160m-deduped-v0" and change.large_model == "pythia-12b-deduped-v0"
    assert change.acc_small == 0.0 and change.acc_large == pytest.approx(0.0406)
    assert change.difference == pytest.approx(0.0406)
    assert 0.02 < change.low < 0.0406 < change.high < 0.07 and change.interval_method == "BCa"
    assert change.n_better == 65 and change.n_worse == 0 and change.n_clusters == 100
    assert change.p_value_t < 1e-5 and change.p_value_permutation <= 0.002


def test_scale_change_real_multiplication_sixteen_shot(frame):
    change = pa.scale_change(frame, "multiplication", 16, n_resamples=1999)
    assert change.difference == pytest.approx(0.4476 - 0.004)
    assert 0.3 < change.low < change.difference < change.high < 0.6


def test_scale_change_equal_models_and_unknown_model(frame):
    two = pd.concat([_tiny_frame([0.0, 0.5]), _tiny_frame([0.0, 0.5]).assign(model="m2", n_params=2000)])
    change = pa.scale_change(two, "addition", 0)
    assert (change.difference, change.low, change.high, change.p_value_t) == (0.0, 0.0, 0.0, 1.0)
    with pytest.raises(pa.ArithmeticAnalysisError, match="pythia-99b"):
        pa.scale_change(frame, "addition", 0, large="pythia-99b")
    with pytest.raises(pa.ArithmeticAnalysisError, match="shots=3"):
        pa.scale_change(frame, "addition", 3)


def test_scale_trend_real(frame):
    trend = pa.scale_trend(frame, "multiplication", 16)
    assert trend.df_resid == 5 and len(trend.points) == 7
    assert 0 < trend.low < trend.slope < trend.high
    # pooled variances, equal weights (issue 19, rule 8): the ordinary least-squares slope; its se by hand,
    # the residual variance floored at the models' mean sampling variance
    x, y = np.log10(trend.points["n_params"].to_numpy(dtype=float)), trend.points["acc"].to_numpy()
    slope, intercept = np.polyfit(x, y, 1)
    assert trend.slope == pytest.approx(slope, rel=1e-9) and trend.points["weight"].nunique() == 1
    rss, sxx = float(((y - intercept - slope * x) ** 2).sum()), float(((x - x.mean()) ** 2).sum())
    assert trend.se == pytest.approx(math.sqrt(max(rss / 5, trend.points["se_used"].iloc[0] ** 2) / sxx), rel=1e-9)


# ------------------------------------------------------------------------------------- fit


def _synthetic(beta, seed=0, sizes=(1e7, 1e8, 1e9, 1.2e10)) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for n_params in sizes:
        for step in (1000, 10000, 40000, 143000):
            compute = 6.0 * n_params * step * pa.TOKENS_PER_STEP
            for shots in pa.SHOTS:
                p = 1 / (1 + np.exp(-(pa._design(compute, shots) @ beta)[0]))
                k = rng.binomial(50, p, size=100)
                rows.append(
                    pd.DataFrame(
                        {
                            "model": f"m{n_params:.0e}",
                            "old_name": "x",
                            "size": f"{n_params:.0e}",
                            "n_params": int(n_params),
                            "step": step,
                            "tokens": step * pa.TOKENS_PER_STEP,
                            "compute": compute,
                            "operation": "addition",
                            "shots": shots,
                            "operand": np.arange(100),
                            "acc": k / 50,
                            "acc_stderr": 0.0,
                            "n_items": 50,
                            "k_correct": k,
                        }
                    )
                )
    return pd.concat(rows, ignore_index=True)


BETA = np.array([-45.0, 2.0, -6.0, 0.3])  # from ~0 (1e7 params, step 1000) to ~0.9 (12b, 16 shots)


@pytest.mark.parametrize("errors", ["quasi", "cluster"])
def test_fit_recovers_coefficients_on_synthetic_data(errors):
    data = _synthetic(BETA)
    assert (data.groupby(["model", "step", "shots"])["k_correct"].sum() == 0).any()  # zero cells included
    fit = pa.fit_compute_shots(data, "addition", errors=errors)
    estimate, se = fit.coefficients["estimate"].to_numpy(), fit.coefficients["se"].to_numpy()
    assert np.all(np.abs(estimate - BETA) < 4 * se)
    assert np.allclose(estimate, BETA, rtol=0.1, atol=0.1)
    assert fit.scale == pytest.approx(1.0, abs=0.3)  # binomial data: no overdispersion
    assert np.all(se < 0.1 * np.abs(BETA))
    assert np.all(fit.coefficients["low"] < fit.coefficients["high"])
    compute = float(data["compute"].iloc[-1])
    assert fit.predict(compute, 16) == pytest.approx(1 / (1 + np.exp(-(pa._design(compute, 16) @ estimate)[0])))
    assert fit.predict(np.array([1e20, 1e21]), np.array([[0], [16]])).shape == (2, 2)


def test_fit_rejects_all_zero_and_bad_errors():
    data = _synthetic(np.array([-60.0, 0.0, 0.0, 0.0]), sizes=(1e8, 1e9))
    assert pa.accuracy_table(data)["acc"].max() == 0
    assert data["k_correct"].sum() == 0
    with pytest.raises(pa.ArithmeticAnalysisError, match="nothing to fit|all 0"):
        pa.fit_compute_shots(data, "addition")
    with pytest.raises(pa.ArithmeticAnalysisError, match="errors="):
        pa.fit_compute_shots(_synthetic(BETA), "addition", errors="robust")


def test_fit_real_data_held_out_and_failures(frame):
    fit = pa.fit_compute_shots(frame, "multiplication")
    assert fit.errors == "quasi" and len(fit.cells) == 7 * 6 * 5
    assert fit.coefficients.set_index("term").loc["log10_compute", "estimate"] > 0
    assert fit.scale > 10  # far more scatter than binomial
    # quasi-binomial SE = binomial SE x sqrt(Pearson X² / df)
    binomial = sm.GLM(
        np.column_stack([fit.cells["k"], fit.cells["n"] - fit.cells["k"]]),
        pa._design(fit.cells["compute"], fit.cells["shots"]),
        family=sm.families.Binomial(),
    ).fit()
    assert np.allclose(fit.coefficients["se"], binomial.bse * np.sqrt(fit.scale), rtol=1e-6)
    cluster = pa.fit_compute_shots(frame, "multiplication", errors="cluster")
    assert np.allclose(cluster.coefficients["estimate"], fit.coefficients["estimate"], rtol=1e-6)
    check = pa.held_out_check(frame, "addition")
    assert check.model == "pythia-12b-deduped-v0" and check.fit.excluded_models == ("pythia-12b-deduped-v0",)
    assert list(check.by_shots["shots"]) == list(pa.SHOTS)
    assert np.isfinite(check.by_shots.drop(columns="shots").to_numpy()).all()
    assert np.isfinite(check.cells[["observed", "predicted", "error"]].to_numpy()).all()
    failures = pa.where_fit_fails(frame, "addition", n_worst=5)
    assert len(failures.worst_cells) == 5
    assert failures.worst_cells["pearson"].abs().is_monotonic_decreasing
    assert failures.worst_cells["size"].iloc[0] == "2.8b"  # the 2.8b model beats the fit by far


# ------------------------------------------------------------------------------- MMLU-math


def test_mmlu_math_vs_compute():
    table = pa.mmlu_math_vs_compute()
    assert list(table.columns) == [
        "family",
        "model",
        "size",
        "n_params",
        "step",
        "tokens",
        "compute",
        "shots",
        "metric",
        "value",
        "low",
        "high",
        "stderr",
        "n_items",
        "suspect",
    ]
    assert set(table["family"]) == {"pythia", "pythia-deduped"} and set(table["shots"]) == {0, 5}
    assert (table["step"] > 0).all() and (table["metric"] == "mmlu_math_acc").all() and (table["n_items"] == 1064).all()
    assert not (table["model"].isin(SUSPECT_MODELS) & (table["step"] <= SUSPECT_MAX_STEP)).any()
    row = table[(table["model"] == "pythia-12b-deduped") & (table["step"] == 143000) & (table["shots"] == 0)].iloc[0]
    assert row["compute"] == pytest.approx(6 * 11_846_072_320 * 299_892_736_000)
    assert row["low"] < row["value"] < row["high"]
    flagged = pa.mmlu_math_vs_compute(drop_suspect=False)
    assert flagged["suspect"].sum() > 0 and len(flagged) > len(table)
