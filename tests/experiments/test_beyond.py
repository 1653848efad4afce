"""Claims 6, 7 and 4c and the "Beyond Pythia and OPT" numbers, against independent computations."""

from __future__ import annotations

import math
import re
from types import SimpleNamespace

import nbformat
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.multitest import multipletests

from helpers.analysis.claims.records import Part
from helpers.analysis.claims.result import ClaimResult
from helpers.analysis.obsscaling import Exclusion, mmlu_subjects, read_benchmark, read_emergent
from helpers.analysis.published import load_published
from helpers.analysis.verdicts import Verdict, question_word
from helpers.experiments.beyond import claims as beyond_claims
from helpers.experiments.beyond import judged, text
from helpers.infra.paths import REPO_ROOT
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
        ["opt-125m", "opt-350m", "opt-1.3b", "opt-2.7b", "opt-6.7b", "opt-13b", "opt-30b", "opt-66b"]
    )
    row = published[
        (published["model"] == "opt-66b")
        & published["task"].str.startswith("hendrycksTest-")
        & (published["metric"] == "acc")
        & (published["num_fewshot"] == 0)
    ]
    sizes = mmlu_subjects()
    p = row["value"].to_numpy(float)
    n = np.array([sizes[t.removeprefix("hendrycksTest-")] for t in row["task"]], float)
    opt66 = frame[frame["model"] == "opt-66b"].iloc[0]
    assert opt66["mmlu"] == pytest.approx(p.mean()) and opt66["mmlu_se"] == pytest.approx(
        math.sqrt((p * (1 - p) / n).sum()) / 57
    )


def test_fulltext_mmlu_with_a_missing_subject_names_the_model(published):
    broken = published[~((published["model"] == "opt-13b") & (published["task"] == "hendrycksTest-virology"))]
    with pytest.raises(ValueError, match="opt-13b.*virology"):
        judged.fulltext_mmlu(broken)


def test_the_opt_gain_above_1b_matches_statsmodels_directly():
    parts = judged.minimal_gains()
    letter_opt = next(p for p in parts if p["family"] == "opt" and p["format"].startswith("letter"))
    rows = letter_opt["rows"]
    assert list(rows["model"]) == [f"facebook/opt-{s}" for s in ("1.3b", "2.7b", "6.7b", "13b", "30b", "66b")]
    fit = sm.WLS(
        rows["mmlu"].to_numpy(),
        sm.add_constant(np.log10(rows["params"].to_numpy())),
        weights=1 / rows["mmlu_se"].to_numpy() ** 2,
    ).fit()
    se = fit.bse[1] * math.sqrt(max(fit.scale, 1) / fit.scale)
    slope = letter_opt["trend"].slope
    assert slope.slope == pytest.approx(fit.params[1]) and slope.se == pytest.approx(se)
    assert slope.high90 == pytest.approx(fit.params[1] + stats.t.ppf(0.95, 4) * se)
    assert len(parts) == 4 and {p["format"].split(",")[0] for p in parts} == {"letter format", "full answer text"}


@pytest.mark.parametrize(
    ("low90", "high90", "code"),
    [(-0.01, 0.015, "reproduced"), (0.021, 0.05, "not reproduced"), (0.0, 0.03, "inconclusive")],
)
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
    assert seven.verdict.code == "inconclusive" and len(seven.details) == 4
    assert all("90% [" in line and "models" in line for line in seven.details)
    assert four.verdict.code == "reproduced" and "Holm across 2 families × 4 operations" in four.verdict.test
    assert "not monotone: peak 79.5% at pythia-2.8b-deduped" in " ".join(four.details)
    assert "2,000 items per task" in four.verdict.data and "unconfirmed" in four.verdict.data


# ----------------------------------------------------------------------------- the chapter's views and charts


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return judged.benchmark()


def test_every_chart_fits_the_content_column(frame):
    import helpers.render.plots  # noqa: F401 (registers the theme)
    from helpers.experiments.beyond import charts, views
    from helpers.render.charts import MAX_CHART_WIDTH, rendered_size

    families = views.check_parameters(frame, None, "flops", "mmlu")
    built = {}
    for axis in ("flops", "params", "tokens"):
        points, _ = views.landscape(frame, families, axis, "mmlu")
        built[f"landscape {axis}"] = charts.landscape_chart(points, axis, "MMLU", 0.25)
    _, curve, _ = views.threshold_view(frame, 5, 0)
    flops_points, _ = views.landscape(frame, families, "flops", "mmlu")
    built["landscape with fit"] = charts.landscape_chart(flops_points, "FLOPs", "MMLU", 0.25, curve, x_format=".0e")
    built["fit on another axis"] = charts.landscape_chart(points, "tokens", "MMLU", 0.25, curve)
    pile = judged.rwkv_vs_pythia(frame)
    lines = pd.concat(
        [
            views.trend_line(t, pile["rows"].loc[pile["rows"]["family"] == f, "params"])
            for f, t in pile["trends"].items()
        ]
    )
    built["pile"] = charts.pile_chart(pile["rows"], lines)
    built["arithmetic"] = charts.arithmetic_chart(views.arithmetic_points())
    built["lofo"] = charts.lofo_chart(views.lofo_view(frame, 5, 0)[0]["errors"])
    built["contrast"] = charts.contrast_chart(views.contrast_view(frame)[0])
    for name, chart in built.items():
        width, _ = rendered_size(chart)
        assert width <= MAX_CHART_WIDTH, f"{name}: {width:.0f} px wide"


def test_bad_notebook_parameters_are_refused_with_the_choices(frame):
    from helpers.analysis.obsscaling import ObsScalingDataError
    from helpers.experiments.beyond import views

    with pytest.raises(ObsScalingDataError, match="choose one of"):
        views.check_parameters(frame, None, "compute", "mmlu")
    with pytest.raises(ObsScalingDataError, match="'mmlu_pro'"):
        views.check_parameters(frame, None, "flops", "mmlu_pro")
    with pytest.raises(ObsScalingDataError, match=r"\['Gopher'\]"):
        views.check_parameters(frame, ["Pythia", "Gopher"], "flops", "mmlu")
    assert views.check_parameters(frame, ["Pythia", "OPT"], "params", "gsm8k") == ["Pythia", "OPT"]


def test_chapter_views_name_every_model_they_leave_out(frame):
    from helpers.experiments.beyond import views

    points, excluded = views.landscape(frame, ["RWKV", "Pythia", "Jamba"], "flops", "mmlu")
    assert set(points["family"]) == {"Pythia"}
    assert {e.model for e in excluded} == set(frame.loc[frame["family"].isin(["RWKV", "Jamba"]), "model"])
    changes, left_out = views.contrast_view(frame)
    single = {e.model for e in left_out if "only model" in e.reason}
    assert "ai21labs/Jamba-v0.1" in single and "Jamba" not in set(changes["family"])
    # one row per family with at least two complete models, smallest to largest (hand-checked in the file)
    opt = changes[changes["family"] == "OPT"].iloc[0]
    assert (opt["smallest"], opt["largest"]) == ("facebook/opt-125m", "facebook/opt-66b")


def test_a_model_without_flops_in_the_file_is_named_by_the_pile_and_threshold_views(frame):
    from helpers.experiments.beyond import views

    broken = frame.assign(flops=frame["flops"].where(frame["model"] != "EleutherAI/pythia-12b-deduped"))
    _, _, excluded = views.threshold_view(broken, 5, 0)
    assert "EleutherAI/pythia-12b-deduped" in {e.model for e in excluded}
    # the size-matched comparison uses parameters, so it keeps the model
    assert "EleutherAI/pythia-12b-deduped" in set(judged.rwkv_vs_pythia(broken)["rows"]["model"])


def test_a_one_model_family_gives_no_trend_and_says_so(frame):
    one = frame[~((frame["family"] == "RWKV") & (frame["model"] != "RWKV/rwkv-4-14b-pile"))]
    result = judged.rwkv_vs_pythia(one)
    assert "no trend from fewer than 3 models" in result["trends"]["RWKV"].note
    assert (
        result["slope"].code == "inconclusive" and judged.pile_code(result["slope"], result["level"]) == "inconclusive"
    )


def test_the_published_page_lists_every_model_with_its_flags():
    from helpers.report.obsscaling_page import obsscaling_models_markdown

    text = obsscaling_models_markdown()
    assert "148 base models in 47 families" in text and text.count("\n| ") == 47 + 1
    assert "rwkv-4-14b-pile°" in text and "opt-66b*" in text and "pythia-2.8b-deduped*" in text


def test_claim7_mde_is_the_one_sided_distance_from_the_margin(published):
    """(t_.95,df + t_.80,df) * se: what the one-sided 5% test against +2 pts/decade detects at 80% power."""
    for part in judged.minimal_gains(published=published):
        slope = part["trend"].slope
        expected = (stats.t.ppf(0.95, slope.df) + stats.t.ppf(0.80, slope.df)) * slope.se
        assert part["mde"] == pytest.approx(expected, rel=1e-12)


def test_claim4c_slopes_are_not_carried_by_the_models_at_zero():
    """Each model's variance is at least the family's pooled binomial one, as ``trend.wls_slope`` floors it."""
    from helpers.analysis.trend import wls_slope

    table, _ = judged.arithmetic_trends()
    emergent = judged.read_emergent(benchmark=judged.read_benchmark())
    row = table[(table["family"] == "OPT") & (table["operation"] == "2-digit addition")].iloc[0]
    part = emergent[emergent["family"] == "OPT"].dropna(subset=[row["column"], "params"]).sort_values("params")
    direct = wls_slope(part["params"], part[row["column"]], n=judged.ARITHMETIC_N)
    assert row["slope"] == pytest.approx(direct.slope, rel=1e-9)
    assert (row["slope_low"], row["slope_high"]) == pytest.approx((direct.low, direct.high), rel=1e-9)


# ----------------------------------------------------------------------------- the chapter's sentences (text.py)


def _result(claim_id, code, parts=(), question=False, details=(), key="k"):
    verdict = Verdict(code, "reason", "test", "data")
    return ClaimResult(claim_id, f"claim {claim_id}", verdict, key, "source", details, question=question, parts=parts)


def test_data_counts_count_models_families_and_arithmetic_models_of_the_file():
    frame = pd.DataFrame(
        {
            "model": ["p1", "p2", "o1", "q1"],
            "family": ["Pythia", "Pythia", "OPT", "Qwen"],
            "params": [70e6, 12e9, 66e9, 1.5e9],
        }
    )
    emergent = pd.DataFrame({"model": ["p1", "o1", "z"]})  # z is not in the benchmark file
    fulltext = pd.DataFrame({"family": ["pythia", "opt", "opt"], "params": [6.9e9, 1.3e9, 30e9]})
    assert text.data_counts(frame, emergent, {"algebra": 100, "anatomy": 135}, fulltext) == {
        "obs_models": "4",
        "obs_families": "3",
        "obs_arithmetic_models": "2",
        "pythia_largest": "12B",
        "opt_largest": "66B",
        "fulltext_pythia_largest": "6.9B",
        "fulltext_opt_largest": "30B",
        "mmlu_subjects": "2",
        "mmlu_items": "235",
        "arithmetic_n": "2,000",
        "gsm8k_n": "1,319",
    }


def test_data_counts_on_the_shipped_files_match_sources_md():
    """148 models in 47 families, 84 arithmetic rows (data/reference/obsscaling/SOURCES.md); Pythia-deduped to
    12B, OPT to 66B; MMLU's 57 subjects and 14,042 test items (data/mmlu/test)."""
    benchmark = read_benchmark()
    assert text.data_counts(benchmark, read_emergent(benchmark=benchmark)) == {
        "obs_models": "148",
        "obs_families": "47",
        "obs_arithmetic_models": "84",
        "pythia_largest": "12B",
        "opt_largest": "66B",
        "fulltext_pythia_largest": "12B",  # data/reference/lm_eval_published.csv.gz: Pythia to 12B, OPT to 66B
        "fulltext_opt_largest": "66B",
        "mmlu_subjects": "57",
        "mmlu_items": "14,042",
        "arithmetic_n": "2,000",
        "gsm8k_n": "1,319",
    }


def test_every_count_the_notebook_pastes_is_glued():
    """Each ``{glue:text}`` key of the chapter's markdown is one :func:`text.data_counts` glues, and the counts it
    replaced are not typed in any more."""
    notebook = nbformat.read(REPO_ROOT / "notebooks" / "beyond.ipynb", as_version=4)
    markdown = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")
    pasted = set(re.findall(r"\{glue:text\}`([^`:]+)", markdown))
    frame = pd.DataFrame({"model": ["p", "o"], "family": ["Pythia", "OPT"], "params": [1e9, 2e9]})
    fulltext = frame.assign(family=frame["family"].str.lower())
    assert pasted == set(text.data_counts(frame, frame[["model"]], {"s": 1}, fulltext)) | set(text.rule_settings())
    for typed in (
        "148",
        "84 of them",
        "1,319",
        "14,042",
        "2,000",
        " 57 ",
        "12B,",
        "to 66B",
        "±2 points",
        "30%",
        "at 5%",
    ):
        assert typed not in markdown, typed


def test_the_rule_settings_the_chapter_pastes_by_hand():
    # judged: chance 25%, margins 2 points, level at 1e9, small up to 2e9, lift 5, gains from 1e9; ALPHA 0.05
    assert text.rule_settings() == {
        "chance": "25%",
        "alpha": "5%",
        "tost_level": "90%",
        "slope_margin": "2",
        "level_margin": "2",
        "level_at": "1B",
        "small_max": "2B",
        "clear_threshold": "30%",
        "clear_lift": "5",
        "gain_min": "1B",
        "gain_margin": "2",
        "fit_lift": "5",
    }


def test_file_summary_counts_models_without_flops_and_single_model_families():
    frame = pd.DataFrame({"family": ["A", "A", "B"], "flops": [1e21, math.nan, 2e21]})
    assert text.file_summary(frame) == (
        "The file holds 3 models in 2 families (the 12 largest families above). 1 models have no training tokens "
        "and therefore no FLOPs: they are left out of every chart against compute or tokens, and named where that "
        "happens. 1 families have a single model: they are points in the charts but give no within-family trend."
    )
    assert "(the 5 largest families above)" in text.file_summary(frame, shown=5)


def test_study_range_names_the_three_best_models_up_to_2b():
    points = pd.DataFrame(
        {
            "family": ["Pythia", "OPT", "Qwen", "Other", "Pythia", "Big"],
            "model": ["p-160m", "opt-1.3b", "qwen-1.5b", "other-0.5b", "p-12b", "big-3b"],
            "x": [0.16e9, 1.3e9, 1.5e9, 0.5e9, 12e9, 3e9],
            "y": [0.25, 0.27, 0.55, 0.30, 0.26, 0.90],
        }
    )
    assert text.study_range(points, "MMLU") == (
        "Pythia, OPT and RWKV-4 stay between 25.0% and 27.0% on MMLU over 0.16B to 12B parameters, while "
        "qwen-1.5b reaches 55.0% at 1.5B, other-0.5b reaches 30.0% at 0.5B, opt-1.3b reaches 27.0% at 1.3B."
    )


def test_pile_lines_take_claim_6a_word_from_its_record():
    rwkv_slope = SimpleNamespace(slope=0.012, low90=-0.004, high90=0.028)
    pile = {
        "trends": {"RWKV": SimpleNamespace(slope=rwkv_slope, level=0.262, level_se=0.005, note="scale 1.3")},
        "slope": SimpleNamespace(
            what="slope", estimate=0.003, low90=-0.01, high90=0.016, df=5, code="equivalent", margin=0.02
        ),
        "level": SimpleNamespace(
            what="level", estimate=-0.021, low90=-0.03, high90=-0.012, df=4, code="different", margin=0.02
        ),
        "excluded": [],
    }
    part = Part("trend_difference", "(a)", "not reproduced", extra=(("at_floor", False),))
    result6 = _result("6", "not reproduced", parts=(part,))
    assert text.pile_lines(pile, result6).split("\n") == [
        "- **RWKV**: slope +1.2 points per decade, 90% [-0.4, +2.8]; level at 1B 26.2% ± 1.0% (scale 1.3).",
        "- **RWKV-4 minus Pythia**: slope +0.3 points, 90% [-1.0, +1.6], 5 df: **equivalent** within ±2 points.",
        "- **RWKV-4 minus Pythia**: level -2.1 points, 90% [-3.0, -1.2], 4 df: **different** within ±2 points.",
        "- No model was left out.",
        '- Claim 6a: **not supported** (equivalent trends and levels contradict "a property of decoder-only '
        'architectures").',
    ]
    # at the chance floor the chapter says what the equivalence cannot show, as the claims table does
    floor = Part("trend_difference", "(a)", "not reproduced", extra=(("at_floor", True),))
    assert text.pile_lines(pile, _result("6", "not reproduced", parts=(floor,))).split("\n")[-1] == (
        '- Claim 6a: **not supported** (equivalent trends and levels contradict "a property of decoder-only '
        'architectures"; both at the 25% floor: the same plateau is what (a) asks, but it cannot show that the '
        "two architectures would also agree off the floor)."
    )
    with pytest.raises(ValueError, match=r"no part '\(a\)'"):
        text.pile_lines(pile, _result("6", "reproduced", parts=(Part("above_chance", "(b)", "reproduced"),)))


def test_claim_6a_word_from_the_record_is_the_rule_on_the_chapter_data():
    pile = judged.rwkv_vs_pythia(judged.benchmark())
    last = text.pile_lines(pile, claim6()).split("\n")[-1]
    assert last.startswith(f"- Claim 6a: **{question_word(judged.pile_code(pile['slope'], pile['level']))}** (")
    # on the shipped data, by hand: slope and level equivalent, both families' levels at the floor
    assert last.startswith("- Claim 6a: **not supported** (") and "both at the 25% floor" in last


def test_small_summary_counts_models_above_30_percent():
    small = pd.DataFrame({"clearly_above": [True, False, True]})
    left_out = [Exclusion("rwkv-169m", "RWKV", "recurrent")]
    assert text.small_summary(small, left_out) == (
        "Effective n = 9,528 (from the 57 subject sizes, 14,042 items). 2 of 3 models are significantly above 30% "
        "after Holm; the twelve highest are shown. Left out (recurrent, 1): rwkv-169m."
    )
    assert "the five highest are shown" in text.small_summary(small, left_out, shown=5)


def test_threshold_summary_reads_the_fit_in_log10_flops():
    fit = dict(
        n_models=10,
        n_families=4,
        departure=22.04,
        departure_low=21.5,
        departure_high=22.66,
        top=0.6,
        mid=23.1,
        mid_low=22.9,
        mid_high=23.34,
        n_boot=1000,
        failed=2,
        lift=0.05,
    )
    flops_of = pd.Series({"EleutherAI/pythia-12b-deduped": 2.16e22, "facebook/opt-66b": 1.1e23})
    assert text.threshold_summary(fit, flops_of, [Exclusion("m", "F", "no flops in the file")]) == (
        "Fit over 10 models in 4 families: the curve leaves chance by 5 points at about 10^22.0 FLOPs (95% bootstrap "
        "interval 10^21.5–10^22.7) and is half-way to its top (60%) at 10^23.1 FLOPs (10^22.9–10^23.3); 1,000 "
        "resamples of families, 2 failed fits left out. Pythia-12B was trained with 2.2e+22 FLOPs and OPT-66B with "
        "1.1e+23. Left out (no flops in the file, 1): m."
    )
    assert "leaves chance by 3 points" in text.threshold_summary({**fit, "lift": 0.03}, flops_of, [])
    with pytest.raises(ValueError, match="no training FLOPs for 'facebook/opt-66b'"):
        text.threshold_summary(fit, flops_of.drop("facebook/opt-66b"), [])


def test_lofo_summary():
    lofo = dict(
        n_models=20, n_families=5, mae_size=0.0512, mae_size_tokens=0.0431, improvement=0.158, low=-0.05, high=0.31
    )
    assert text.lofo_summary(lofo, []) == (
        "Mean absolute error over 20 models in 5 families: 5.1% from size alone, 4.3% from size and tokens, a relative "
        "improvement of 16% (95% interval -5% to 31%). No model was left out."
    )


def test_claim7_text_and_claims_summary():
    result7 = _result("7", "reproduced", details=("Pythia: flat", "OPT: flat"), key="k7")
    assert text.claim7_text(result7) == "Claim 7: **reproduced**. Pythia: flat; OPT: flat."
    result6 = _result("6", "reproduced", question=True, key="k6")
    assert text.claims_summary((result6, result7)) == (
        "- **Claim 6** (claim 6): **supported**: k6 (source). Test: test.\n"
        "- **Claim 7** (claim 7): **reproduced**: k7 (source). Test: test."
    )
    # an inconclusive claim says what the data could detect, as the claims table's findings do
    verdict = Verdict("inconclusive", "reason", "test", "data", no_mde="too few models above 1B")
    open7 = ClaimResult("7", "claim 7", verdict, "k7", "source", ())
    assert text.claims_summary((open7,)) == (
        "- **Claim 7** (claim 7): **inconclusive**: k7 (source). The data cannot decide it: too few models above 1B. "
        "Test: test."
    )


def test_standard_error_note_at_chance():
    """sqrt(.25 · .75 / 14,042) = 0.37 points pooled; the subject mean's SE is larger (0.44 points)."""
    assert text.standard_error_note() == (
        "At 25%: the unweighted mean's standard error is 0.44 points over 57 subjects and 14,042 items; a pooled "
        "proportion's would be 0.37 points (effective n 9,528)."
    )


def test_claim_7_states_the_margin_and_levels_it_tests_with(monkeypatch):
    # the words follow the constants: a 3-point margin, and at ALPHA 0.10 the TOST reads 80% intervals at 10%
    monkeypatch.setattr(judged, "GAIN_MARGIN", 0.03)
    monkeypatch.setattr("helpers.experiments.beyond.claims.ALPHA", 0.10)
    verdict = beyond_claims.claim7_from(None).verdict
    assert verdict.margin == "+3 accuracy points per tenfold increase in parameters"
    assert "minimal when the 80% upper bound < +3 pts per decade (one-sided test at 10%)" in verdict.test
    assert "(MMLU 5-shot, OPT to 66B)" in verdict.data and "mean of 57 subjects" in verdict.data


def test_claim_4c_names_the_sizes_and_orderings_of_its_tests():
    verdict = claim4c().verdict
    assert "over all 8! orderings), Holm across 2 families × 4 operations" in verdict.test
    assert verdict.data.endswith("OPT 125m–66b, Pythia-deduped 70m–12b")
    assert beyond_claims._size("EleutherAI/pythia-1.4b-deduped") == "1.4b"
    with pytest.raises(ValueError, match="no size in the model name 'facebook/opt'"):
        beyond_claims._size("facebook/opt")
