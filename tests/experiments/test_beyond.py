"""Claims 6, 7 and 4c and the "Beyond Pythia and OPT" numbers, against independent computations."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.multitest import multipletests

from helpers.analysis.obsscaling import mmlu_subjects
from helpers.analysis.published import load_published
from helpers.experiments.beyond import judged
from helpers.report.claims.beyond import claim4c, claim6, claim7


@pytest.fixture(scope="module")
def published() -> pd.DataFrame:
    return load_published()


def test_small_decoder_only_models_are_tested_exactly_with_holm():
    table, excluded = judged.small_above_chance()
    assert {e.model for e in excluded} == {"RWKV/rwkv-4-169m-pile", "RWKV/rwkv-4-430m-pile", "RWKV/rwkv-4-1b5-pile"}
    assert (table["params"] <= 2e9).all() and len(table) == 41
    n = int(round(judged.effective_n()))
    p = [stats.binomtest(int(round(a * n)), n, 0.30, alternative="greater").pvalue for a in table["mmlu"]]
    reject, adjusted, _, _ = multipletests(p, alpha=0.05, method="holm")
    assert np.allclose(table["p_holm"], adjusted) and list(table["clearly_above"]) == list(reject)
    assert table.iloc[0]["model"] == "Qwen/Qwen2-1.5B" and 0 < reject.sum() < len(table)


def test_fulltext_mmlu_is_the_unweighted_subject_mean_with_its_own_se(published):
    frame = judged.fulltext_mmlu(published)
    assert sorted(frame["model"][frame["family"] == "opt"]) == sorted(
        ["opt-125m", "opt-350m", "opt-1.3b", "opt-2.7b", "opt-6.7b", "opt-13b", "opt-30b", "opt-66b"])
    row = published[(published["model"] == "opt-66b") & published["task"].str.startswith("hendrycksTest-")
                    & (published["metric"] == "acc") & (published["num_fewshot"] == 0)]
    sizes = mmlu_subjects()
    p = row["value"].to_numpy(float)
    n = np.array([sizes[t.removeprefix("hendrycksTest-")] for t in row["task"]], float)
    opt66 = frame[frame["model"] == "opt-66b"].iloc[0]
    assert opt66["mmlu"] == pytest.approx(p.mean()) and opt66["mmlu_se"] == pytest.approx(math.sqrt((p * (1 - p) / n).sum()) / 57)


def test_fulltext_mmlu_with_a_missing_subject_names_the_model(published):
    broken = published[~((published["model"] == "opt-13b") & (published["task"] == "hendrycksTest-virology"))]
    with pytest.raises(ValueError, match="opt-13b.*virology"):
        judged.fulltext_mmlu(broken)


def test_the_opt_gain_above_1b_matches_statsmodels_directly():
    parts = judged.minimal_gains()
    letter_opt = next(p for p in parts if p["family"] == "opt" and p["format"].startswith("letter"))
    rows = letter_opt["rows"]
    assert list(rows["model"]) == [f"facebook/opt-{s}" for s in ("1.3b", "2.7b", "6.7b", "13b", "30b", "66b")]
    fit = sm.WLS(rows["mmlu"].to_numpy(), sm.add_constant(np.log10(rows["params"].to_numpy())),
                 weights=1 / rows["mmlu_se"].to_numpy() ** 2).fit()
    se = fit.bse[1] * math.sqrt(max(fit.scale, 1) / fit.scale)
    slope = letter_opt["trend"].slope
    assert slope.slope == pytest.approx(fit.params[1]) and slope.se == pytest.approx(se)
    assert slope.high90 == pytest.approx(fit.params[1] + stats.t.ppf(0.95, 4) * se)
    assert len(parts) == 4 and {p["format"].split(",")[0] for p in parts} == {"letter format", "full answer text"}


@pytest.mark.parametrize(("low90", "high90", "code"), [(-0.01, 0.015, "reproduced"), (0.021, 0.05, "not reproduced"),
                                                        (0.0, 0.03, "inconclusive")])
def test_minimal_gain_rule(low90, high90, code):
    class Trend:
        slope = type("S", (), {"low90": low90, "high90": high90})()

    assert judged.gain_code(Trend()) == code


def test_the_pile_rule():
    eq = type("D", (), {"code": "equivalent"})()
    diff = type("D", (), {"code": "different"})()
    unsure = type("D", (), {"code": "inconclusive"})()
    assert judged.pile_code(eq, eq) == "not reproduced" and judged.pile_code(diff, eq) == "reproduced"
    assert judged.pile_code(eq, unsure) == "inconclusive"


def test_claim_rows_name_test_n_interval_and_exclusions(published):
    six, seven, four = claim6(), claim7(type("E", (), {"published": published})()), claim4c()
    assert six.verdict.code == "not reproduced" and "Holm over the 41 models" in six.verdict.test
    assert "RWKV/rwkv-raven-14b" in six.details[0] and "90% [" in six.details[0]
    assert seven.verdict.code in ("inconclusive", "reproduced", "not reproduced") and len(seven.details) == 4
    assert all("90% [" in line and "models" in line for line in seven.details)
    if seven.verdict.code == "inconclusive":
        assert seven.verdict.mde is not None and seven.verdict.mde > 0
    assert four.verdict.code == "reproduced" and "Holm across 2 families × 4 operations" in four.verdict.test
    assert "not monotone: peak 79.5% at pythia-2.8b-deduped" in " ".join(four.details)
    assert "2,000 items per task" in four.verdict.data and "unconfirmed" in four.verdict.data
