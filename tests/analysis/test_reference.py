"""Tests for helpers.analysis.published against the numbers printed in data/reference/SOURCES.md.

SOURCES.md's "Derived summary" tables were computed independently when the CSV was
extracted, so every printed value is a fair golden value: the tests parse those tables and
require our summaries to round to the same digits.
"""

from __future__ import annotations

import gzip
import hashlib
import re

import pandas as pd
import pytest

from helpers.analysis import published as reference
from helpers.analysis.published import ReferenceDataError
from helpers.infra.paths import DATA_DIR

SOURCES_MD = DATA_DIR / "reference" / "SOURCES.md"
FAMILY_NAMES = "|".join(re.escape(family) for family in reference.FAMILIES)


@pytest.fixture(scope="module")
def published() -> pd.DataFrame:
    return reference.load_published()


def _summary_block(title_start: str) -> list[str]:
    """Lines of the SOURCES.md derived-summary table whose title starts with ``title_start``."""
    text = SOURCES_MD.read_text(encoding="utf-8")
    code = text.split("## Derived summary", 1)[1].split("```")[1]
    lines = code.splitlines()
    start = next(index for index, line in enumerate(lines) if line.startswith(title_start))
    block = []
    for line in lines[start + 2 :]:  # skip the title and the column header
        if not line.strip():
            break
        block.append(line)
    return block


def _printed_mmlu_table() -> dict[str, dict[str, tuple[float, float] | None]]:
    """{model: {"0-shot acc": (value, stderr), ...}} parsed from SOURCES.md."""
    table = {}
    names = ["0-shot acc", "0-shot acc_norm", "5-shot acc", "5-shot acc_norm"]
    for line in _summary_block("MMLU math"):
        family_model, cells_0, cells_5 = line.split("|")
        model = family_model.split()[1]
        cells = cells_0.split() + cells_5.split()
        table[model] = {
            name: None if cell == "—" else tuple(float(part) for part in cell.split("±"))
            for name, cell in zip(names, cells)
        }
    return table


def _printed_lambada_table() -> dict[str, dict[str, float | None]]:
    table = {}
    names = ["0-shot ppl", "0-shot acc", "5-shot ppl", "5-shot acc"]
    for line in _summary_block("lambada_openai"):
        family_model, cells_0, cells_5 = line.split("|")
        cells = cells_0.split() + cells_5.split()
        table[family_model.split()[1]] = {
            name: None if cell == "—" else float(cell) for name, cell in zip(names, cells)
        }
    return table


# ------------------------------------------------------------------------------ load


def test_file_matches_sources_md(published):
    sources = SOURCES_MD.read_text(encoding="utf-8")
    expected_sha = re.search(r"sha256 of the `\.csv\.gz`: `([0-9a-f]{64})`", sources).group(1)
    assert hashlib.sha256(reference.PUBLISHED_CSV.read_bytes()).hexdigest() == expected_sha
    assert len(published) == 106_688
    assert list(published.columns) == list(reference.COLUMN_DTYPES)
    assert {column: str(dtype) for column, dtype in published.dtypes.items()} == {
        column: dtype for column, dtype in reference.COLUMN_DTYPES.items()
    }


def test_coverage_as_documented(published):
    counts = published.groupby(["family", "num_fewshot"]).size().to_dict()
    assert counts == {
        ("bloom", 0): 640,
        ("opt", 0): 1024,
        ("pythia", 0): 37_152,
        ("pythia", 5): 15_360,
        ("pythia-deduped", 0): 37_152,
        ("pythia-deduped", 5): 15_360,
    }
    pythia = published[published["family"].isin(reference.PYTHIA_FAMILIES)]
    assert sorted(pythia.loc[pythia["num_fewshot"] == 5, "step"].unique().tolist()) == list(
        range(3000, 143_001, 10_000)
    )
    assert published.loc[published["family"].isin(["opt", "bloom"]), "step"].isna().all()
    assert (published["task_version"] == 0).all()


def test_load_returns_independent_copies(published):
    published.loc[published.index[0], "value"] = -99.0
    assert reference.load_published().loc[0, "value"] != -99.0


def test_missing_file_raises(tmp_path):
    with pytest.raises(ReferenceDataError, match="not found"):
        reference.load_published(tmp_path / "absent.csv.gz")


def test_malformed_file_raises(tmp_path):
    bad = tmp_path / "bad.csv.gz"
    with gzip.open(bad, "wt", encoding="utf-8") as handle:
        handle.write("family,model,value\npythia,pythia-70m,0.5\n")
    with pytest.raises(ReferenceDataError, match="unexpected columns"):
        reference.load_published(bad)


def test_invalid_values_raise(tmp_path, published):
    rows = published.head(3).copy()
    rows.loc[rows.index[0], "num_fewshot"] = 3
    bad = tmp_path / "bad_shots.csv.gz"
    rows.to_csv(bad, index=False)
    with pytest.raises(ReferenceDataError, match="num_fewshot"):
        reference.load_published(bad)


def test_mmlu_math_sizes_match_bundled_test_csvs():
    for task, size in reference.MMLU_MATH_SIZES.items():
        subject = task.removeprefix("hendrycksTest-")
        rows = pd.read_csv(DATA_DIR / "mmlu" / "test" / f"{subject}_test.csv", header=None)
        assert len(rows) == size, subject
    assert sum(reference.MMLU_MATH_SIZES.values()) == 1064


# -------------------------------------------------------------------- MMLU math summary


@pytest.mark.parametrize(
    ("model", "shots", "metric", "value", "stderr"),
    [
        ("pythia-70m", 0, "acc", 0.2133, 0.0126),
        ("opt-30b", 0, "acc", 0.2707, 0.0136),
        ("pythia-12b", 5, "acc_norm", 0.2923, 0.0140),
        ("bloom-7b1", 0, "acc_norm", 0.3055, 0.0141),
    ],
)
def test_mmlu_math_summary_golden_values(published, model, shots, metric, value, stderr):
    summary = reference.mmlu_math_summary(published, shots=shots).set_index("model")
    assert summary.loc[model, metric] == pytest.approx(value, abs=5e-5)
    assert summary.loc[model, f"{metric}_stderr"] == pytest.approx(stderr, abs=5e-5)
    assert summary.loc[model, "n_items"] == 1064


@pytest.mark.parametrize("shots", [0, 5])
def test_mmlu_math_summary_reproduces_every_printed_value(published, shots):
    printed = _printed_mmlu_table()
    summary = reference.mmlu_math_summary(published, shots=shots).set_index("model")
    expected_models = [model for model, cells in printed.items() if cells[f"{shots}-shot acc"] is not None]
    assert list(summary.index) == expected_models  # same models, same (family, params) order
    for model in expected_models:
        for metric in ("acc", "acc_norm"):
            value, stderr = printed[model][f"{shots}-shot {metric}"]
            assert summary.loc[model, metric] == pytest.approx(value, abs=5.01e-5), (model, metric)
            assert summary.loc[model, f"{metric}_stderr"] == pytest.approx(stderr, abs=5.01e-5), (model, metric)
    assert (summary["params"] > 0).all()
    assert set(summary["family"]) <= set(reference.FAMILIES)


def test_mmlu_math_summary_rejects_unknown_shots(published):
    with pytest.raises(ReferenceDataError, match="available: \\[0, 5\\]"):
        reference.mmlu_math_summary(published, shots=3)


def test_mmlu_math_summary_requires_all_subjects(published):
    without_algebra = published[published["task"] != "hendrycksTest-abstract_algebra"]
    with pytest.raises(ReferenceDataError, match="4 of the 5 tasks"):
        reference.mmlu_math_summary(without_algebra)


# ------------------------------------------------------------------------- LAMBADA


@pytest.mark.parametrize("shots", [0, 5])
def test_lambada_summary_reproduces_every_printed_value(published, shots):
    printed = _printed_lambada_table()
    summary = reference.lambada_summary(published, shots=shots).set_index("model")
    expected_models = [model for model, cells in printed.items() if cells[f"{shots}-shot ppl"] is not None]
    assert list(summary.index) == expected_models
    for model in expected_models:
        assert summary.loc[model, "ppl"] == pytest.approx(printed[model][f"{shots}-shot ppl"], abs=5.01e-4), model
        assert summary.loc[model, "acc"] == pytest.approx(printed[model][f"{shots}-shot acc"], abs=5.01e-5), model


def test_fold_change_pythia_and_opt(published):
    summary = reference.lambada_summary(published, shots=0)
    pythia = reference.fold_change(summary, "pythia")
    assert (pythia.smallest_model, pythia.largest_model) == ("pythia-70m", "pythia-12b")
    assert pythia.ratio == pytest.approx(142.429 / 3.924, rel=2e-4)  # ≈ 36.3
    opt = reference.fold_change(summary, "opt")
    assert (opt.smallest_model, opt.largest_model) == ("opt-125m", "opt-66b")
    assert opt.ratio == pytest.approx(26.021 / 3.288, rel=2e-4)  # ≈ 7.9
    accuracy = reference.fold_change(summary, "pythia", column="acc")
    assert accuracy.ratio == pytest.approx(0.1846 / 0.7046, rel=1e-3)
    with pytest.raises(ReferenceDataError, match="family 'gpt2' not in the summary"):
        reference.fold_change(summary, "gpt2")


# ------------------------------------------------------------------ over training


def test_over_training_flags_suspect_rows(published):
    curve = reference.over_training(published, "lambada_openai", "ppl", shots=0)
    assert set(curve["family"]) == set(reference.PYTHIA_FAMILIES)
    assert len(curve) == 16 * 27  # 16 models x 27 zero-shot steps, one task
    indexed = curve.set_index(["model", "step"])
    assert indexed.loc[("pythia-2.8b", 43000), "suspect"]
    assert indexed.loc[("pythia-2.8b-deduped", 3000), "suspect"]
    assert not indexed.loc[("pythia-2.8b", 53000), "suspect"]
    assert not indexed.loc[("pythia-6.9b", 2), "suspect"]
    # steps 0, 1, 2, 4, ..., 512, 1000 (12) and 3000, 13000, ..., 43000 (5): 17 of the 27, two models
    assert int(curve["suspect"].sum()) == 2 * 17
    # caveat 1: the pair is byte-identical at step 2; caveat 3: pythia-70m ppl 101.7 -> 142.4
    assert indexed.loc[("pythia-2.8b", 2), "value"] == indexed.loc[("pythia-2.8b-deduped", 2), "value"]
    assert indexed.loc[("pythia-70m", 63000), "value"] == pytest.approx(101.7, abs=0.05)
    assert indexed.loc[("pythia-70m", 143000), "value"] == pytest.approx(142.429, abs=5e-4)
    assert indexed.loc[("pythia-12b", 143000), "tokens_seen"] == 299_892_736_000


def test_over_training_combined_mmlu_matches_final_summary(published):
    pattern = "hendrycksTest-(" + "|".join(t.removeprefix("hendrycksTest-") for t in reference.MMLU_MATH_SIZES) + ")"
    per_task = reference.over_training(published, pattern, "acc", shots=5)
    assert set(per_task["task"]) == set(reference.MMLU_MATH_SIZES)
    combined = reference.over_training(published, pattern, "acc", shots=5, combine=True)
    assert len(combined) == 16 * 15  # 16 models x 15 five-shot steps
    final = combined[combined["step"] == 143000].set_index("model")
    summary = reference.mmlu_math_summary(published, shots=5).set_index("model")
    assert final["value"].to_dict() == pytest.approx(summary.loc[final.index, "acc"].to_dict(), rel=1e-12)
    assert final["stderr"].to_dict() == pytest.approx(summary.loc[final.index, "acc_stderr"].to_dict(), rel=1e-12)


def test_over_training_bad_arguments(published):
    with pytest.raises(ReferenceDataError, match="matches no task"):
        reference.over_training(published, "no_such_task", "acc")
    with pytest.raises(ReferenceDataError, match="not a valid regex"):
        reference.over_training(published, "(", "acc")
    with pytest.raises(ReferenceDataError, match="no 'ppl' rows"):
        reference.over_training(published, "piqa", "ppl")
    with pytest.raises(ReferenceDataError, match="eval-set sizes"):
        reference.over_training(published, "hendrycksTest-anatomy", "acc", combine=True)


# --------------------------------------------------------------------- chance check


def test_chance_check(published):
    checked = reference.chance_check(reference.mmlu_math_summary(published, shots=0)).set_index("model")
    # pythia-70m: (0.2133 - 0.25) / 0.0126 ≈ -2.9 -> outside; opt-30b: (0.2707 - 0.25) / 0.0136 ≈ 1.5 -> within
    assert checked.loc["pythia-70m", "z_vs_chance"] == pytest.approx((0.2133 - 0.25) / 0.0126, abs=0.02)
    assert not checked.loc["pythia-70m", "within_chance"]
    assert checked.loc["opt-30b", "z_vs_chance"] == pytest.approx((0.2707 - 0.25) / 0.0136, abs=0.02)
    assert checked.loc["opt-30b", "within_chance"]
    # bloom-7b1 0.2895 ± 0.0139 is 2.8 stderr above chance
    assert not checked.loc["bloom-7b1", "within_chance"]
    with pytest.raises(ReferenceDataError, match="lacks columns"):
        reference.chance_check(checked.reset_index(), column="ppl")


def test_mmlu_math_long_has_one_row_per_metric_with_exact_intervals():
    from helpers.analysis.published import mmlu_math_long

    summary = pd.DataFrame(
        {
            "family": ["pythia"],
            "model": ["pythia-70m"],
            "params": [70e6],
            "n_items": [4],
            "acc": [0.5],
            "acc_stderr": [0.25],
            "acc_norm": [0.25],
            "acc_norm_stderr": [0.2],
        }
    )
    long = mmlu_math_long(summary)
    assert long["metric"].tolist() == ["acc", "acc_norm"] and long["k"].tolist() == [2, 1]
    # Clopper-Pearson 95% for 2 of 4: [0.0676, 0.9324]; for 1 of 4: [0.0063, 0.8059]
    assert long["low"].tolist() == pytest.approx([0.0676, 0.0063], abs=1e-4)
    assert long["high"].tolist() == pytest.approx([0.9324, 0.8059], abs=1e-4)
    with pytest.raises(ReferenceDataError, match=r"lacks columns \['acc_norm'\]; pass mmlu_math_summary"):
        mmlu_math_long(summary.drop(columns="acc_norm"))
