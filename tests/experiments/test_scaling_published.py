"""helpers.experiments.scaling.{published, text} and their formatters (helpers.render.{numbers, tables}):
exact tests on the published table (checked against scipy and statsmodels), and sentences generated
from hand-made tables, including one that must NOT say "order of magnitude"."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

from helpers.experiments.scaling import published as sp
from helpers.experiments.scaling import text as st
from helpers.render import numbers as sd
from helpers.render import tables as sd_tables


@pytest.fixture(scope="module")
def mmlu():
    return sp.published_mmlu_table()


@pytest.fixture(scope="module")
def chance(mmlu):
    return sp.published_chance_table(mmlu)


# ----------------------------------------------------------------------------- the published table


def test_published_mmlu_table_has_exact_counts_and_intervals(mmlu):
    assert len(mmlu) == 29 * 2 + 16 * 2  # 29 models at 0 shots, 16 Pythia models at 5 shots; acc and acc_norm
    row = mmlu[(mmlu.model == "pythia-70m") & (mmlu.setting == "0-shot acc")].iloc[0]
    assert (row.n, row.k) == (1064, 227) and row.value == pytest.approx(227 / 1064)
    ci = stats.binomtest(227, 1064).proportion_ci(method="exact")
    assert (row.low, row.high) == (pytest.approx(ci.low), pytest.approx(ci.high))
    assert (np.abs(mmlu.k / mmlu.n - mmlu.value) < 1e-9).all()  # k is exact: subject accuracies times sizes


def test_chance_table_is_exact_binomial_with_holm_within_each_family(chance):
    part = chance[(chance.setting == "0-shot acc") & (chance.family == "pythia")]
    assert (part.n_tests == 8).all() and len(part) == 8  # each model once, a family of 8 tests
    pvalues = [stats.binomtest(k, n, 0.25).pvalue for k, n in zip(part.k, part.n)]
    assert part.pvalue.tolist() == pytest.approx(pvalues)
    assert part.p_holm.tolist() == pytest.approx(multipletests(pvalues, method="holm")[1].tolist())
    checked = chance.set_index(["model", "setting"])
    assert checked.loc[("bloom-1b7", "0-shot acc"), "position"] == "below chance"
    assert checked.loc[("pythia-6.9b-deduped", "0-shot acc_norm"), "position"] == "above chance"
    assert checked.loc[("opt-66b", "0-shot acc"), "position"] == "not distinguishable from chance"
    assert (chance[chance.metric == "acc_norm"].position != "below chance").all()


def test_trend_table_per_family(mmlu):
    trends = sp.published_trend_table(mmlu, "0-shot acc").set_index("family")
    assert list(trends.index) == ["pythia", "pythia-deduped", "opt", "bloom"]
    assert trends.loc["opt", "residual_df"] == 6 and trends.loc["bloom", "residual_df"] == 3
    assert trends.loc["opt", "shape"] == "rising" and trends.loc["opt", "low"] > 0
    with pytest.raises(ValueError, match="setting"):
        sp.published_trend_table(mmlu, "7-shot acc")


def test_lambada_fold_changes_match_sources():
    lambada = sp.published_lambada_table()
    folds = sp.lambada_fold_changes(lambada).set_index("family")
    assert folds.loc["pythia", "fold_change"] == pytest.approx(142.429 / 3.924, rel=1e-3)  # about 36x
    assert folds.loc["opt", "fold_change"] == pytest.approx(26.021 / 3.288, rel=1e-3)  # about 8x
    assert (lambada.ppl_low > 0).all() and (lambada.ppl_low < lambada.ppl).all()
    sentence = st.lambada_sentence(folds.reset_index())
    assert "order of magnitude" not in sentence  # OPT 7.9x, BLOOM 4.3x
    assert "tenfold or more only for pythia and pythia-deduped" in sentence


def test_published_training_table():
    training = sp.published_training_table()
    assert training.step.min() > 0
    assert set(training["size"]) == {"70m", "160m", "410m", "1b", "1.4b", "2.8b", "6.9b", "12b"}
    suspect = training[training.suspect]
    assert set(suspect.model) == {"pythia-2.8b", "pythia-2.8b-deduped"} and suspect.step.max() <= 43000


def test_baselines_on_the_fulltext_items():
    baselines = sp.published_baselines().set_index("baseline")
    assert baselines.loc["uniform guess", "accuracy"] == 0.25
    assert int(baselines.loc["shortest answer", "n"]) == 1064
    assert baselines.loc["shortest answer", "accuracy"] < 0.25


# ----------------------------------------------------------------------------- sentences on hand-made tables


def _folds(ratios):
    return pd.DataFrame(
        {
            "family": [f"f{i}" for i in range(len(ratios))],
            "smallest_model": "s",
            "largest_model": "l",
            "smallest_params": 70e6,
            "largest_params": 12e9,
            "smallest_ppl": [10.0 * r for r in ratios],
            "largest_ppl": 10.0,
            "fold_change": ratios,
        }
    )


def test_lambada_sentence_says_order_of_magnitude_only_when_every_family_meets_it():
    mixed = st.lambada_sentence(_folds([36.3, 4.3, 7.9]))
    assert "order of magnitude" not in mixed and "4.3x to 36x" in mixed and "only for f0" in mixed
    assert "order of magnitude or more in every family" in st.lambada_sentence(_folds([12.0, 36.0]))
    assert "less than tenfold in every family" in st.lambada_sentence(_folds([4.0, 8.0]))
    rising = st.lambada_sentence(_folds([5.0, 0.8]))
    assert "falls from the smallest to the largest model of f0" in rising and "does not fall for f1" in rising


def _chance_rows(acc, norm):
    """A published_chance_table-shaped frame: (model, value, position) per metric, one family, 0-shot."""
    rows = []
    for metric, entries in (("acc", acc), ("acc_norm", norm)):
        for model, value, position in entries:
            rows.append(
                {
                    "family": "fam",
                    "model": model,
                    "params": 1e8,
                    "setting": f"0-shot {metric}",
                    "shots": 0,
                    "metric": metric,
                    "n": 1064,
                    "k": round(value * 1064),
                    "value": value,
                    "low": value - 0.02,
                    "high": value + 0.02,
                    "pvalue": 0.01,
                    "p_holm": 0.02,
                    "n_tests": len(entries),
                    "position": position,
                }
            )
    return pd.DataFrame(rows)


BASELINES = pd.DataFrame(
    {
        "baseline": ["uniform guess", "shortest answer", "always A"],
        "accuracy": [0.25, 0.216, 0.199],
        "low": [0.25, 0.192, 0.176],
        "high": [0.25, 0.242, 0.224],
        "k": [None, 230, 212],
        "n": 1064,
        "note": ["", "", ""],
    }
)


def test_chance_sentences_name_the_test_and_only_call_it_an_artefact_when_the_numbers_do():
    below, at = "below chance", "not distinguishable from chance"
    artefact = _chance_rows([("a", 0.20, below), ("b", 0.26, at)], [("a", 0.25, at), ("b", 0.27, at)])
    sentences = st.chance_sentences(artefact, BASELINES)
    assert "1 is significantly below 25% in acc (a 20.0%)" in sentences[0]
    assert "exact two-sided binomial test, Holm-corrected across the models of its family: fam (2)" in sentences[0]
    assert "21.6% [19.2%, 24.2%]" in sentences[1]
    assert any("length bias" in sentence for sentence in sentences)
    real = _chance_rows([("a", 0.20, below)], [("a", 0.21, below)])  # below in acc_norm too: no artefact claim
    assert not any("length bias" in sentence for sentence in st.chance_sentences(real, BASELINES))
    assert "stays close to chance" not in " ".join(sentences)


def test_trend_sentence_from_a_hand_table():
    trends = pd.DataFrame(
        {
            "family": ["a", "b"],
            "setting": "0-shot acc",
            "n_models": [8, 5],
            "residual_df": [6, 3],
            "slope": [0.02, 0.001],
            "low": [0.01, -0.03],
            "high": [0.03, 0.032],
            "shape": ["rising", "inconclusive"],
            "mde": [np.nan, 0.045],
            "margin": 0.01,
        }
    )
    sentence = st.trend_sentence(trends)
    assert "a +2.0 pts [+1.0, +3.0] per decade (rising, 6 residual df)" in sentence
    assert "smallest detectable slope 4.5 pts" in sentence and "0 of 2 families meet it" in sentence


class _Profile:
    def __init__(self, findings, name):
        self.findings, self.name = findings, name


def test_summary_says_ci_numbers_are_not_findings(chance):
    empty = pd.DataFrame(columns=["family", "kind", "accuracy_status", "loss_status"])
    fits = pd.DataFrame(columns=["family", "kind", "size_basis", "status", "residual_df", "at_bound"])
    trends = pd.DataFrame(
        {
            "family": ["a"],
            "setting": "0-shot acc",
            "n_models": [8],
            "residual_df": [6],
            "slope": [0.02],
            "low": [0.01],
            "high": [0.03],
            "shape": ["rising"],
            "mde": [np.nan],
            "margin": 0.01,
        }
    )
    kwargs = dict(
        changes=empty, fit_table=fits, chance=chance, baselines=BASELINES, trends=trends, folds=_folds([36.0, 4.0])
    )
    ci = st.scaling_summary(_Profile(False, "ci"), **kwargs)
    assert "profile ci: random-weight models, so these are not findings" in ci
    offline = st.scaling_summary(_Profile(True, "offline"), **kwargs, caveats=["Within q, quantization differs."])
    assert "not findings" not in offline and " ci" not in offline
    assert "- Within q, quantization differs." in offline


# ----------------------------------------------------------------------------- display


def test_numbers_are_rounded_to_their_interval_and_never_in_exponent_form():
    assert sd.pct_interval(0.25, 0.05, 0.70) == "25% [5%, 70%]"
    assert sd.pct_interval(0.2133, 0.189, 0.239) == "21.3% [18.9%, 23.9%]"
    assert sd.pct_interval(0.21334, 0.2103, 0.2163) == "21.33% [21.03%, 21.63%]"
    assert sd.points_interval(0.15, -0.048, 0.333) == "+15 pts [-5, +33]"
    assert sd.number_interval(2.3123, 2.2, 2.45) == "2.31 [2.20, 2.45]"
    assert sd.p_text(0.0) == "p < 0.001" and sd.p_text(0.2101) == "p = 0.210" and sd.p_text(0.0312) == "p = 0.031"
    assert "e+" not in sd.number(9.4e28) and "e" not in sd.p_text(1e-30)
    assert sd.ratio_text(36.3) == "36x" and sd.ratio_text(4.26) == "4.3x"
    assert sd.count_text(1, "family") == "1 family" and sd.count_text(3, "family") == "3 families"


def test_long_tables_are_collapsed():
    frame = pd.DataFrame({"a": [str(i) for i in range(20)]})
    assert sd_tables.reader_table(frame, {"a": "A"}).startswith("<details>")
    assert sd_tables.reader_table(frame.head(3), {"a": "A"}).startswith("| A |")
