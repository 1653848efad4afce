"""Issue 19: the claims' verdict rules on the smallest input that shows each (each failed before the issue).

Claim 1 with a family of two models, claim 3's margin against the study's 31%, zero-width intervals
and too few items, an MDE or a reason on every inconclusive verdict, and stand-in illustrations
without verdict words.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from helpers.analysis.published import load_published
from helpers.infra.store import ResultStore, StoreStack
from helpers.report.claims.evidence import Evidence, FamilyRuns

VERDICT_WORDS = re.compile(r"\b(reproduced|partly|not reproduced)\b")


@pytest.fixture
def empty_stack(tmp_path, monkeypatch) -> StoreStack:
    monkeypatch.setenv("CC_RESULTS", str(tmp_path / "results"))
    monkeypatch.setattr("helpers.experiments.evaluation.SHIPPED_RESULTS_DIR", tmp_path / "no-shipped")
    return StoreStack(ResultStore(tmp_path / "results"))


def _runs(before, after, column="gold_nll_per_token", byte=None):
    def table(model, losses, per_byte):
        n = len(losses)
        return pd.DataFrame(
            {
                "model_id": model,
                "task": "t",
                "item_id": [f"i{i}" for i in range(n)],
                "gold_nll_per_token": losses,
                "gold_nll_per_byte": per_byte,
            }
        )

    byte = byte if byte is not None else (np.asarray(before) / 3, np.asarray(after) / 3)
    return FamilyRuns(
        "small",
        "pythia",
        "knowledge_fulltext",
        0,
        "mmlu_math_fulltext",
        (table("pythia-70m", before, byte[0]), table("pythia-410m", after, byte[1])),
    )


# ----------------------------------------------------------------------------- rule 3: two models


def test_claim1_with_a_family_of_two_models_gives_a_change_not_a_crash(empty_stack):
    from helpers.report.claims.knowledge import claim1

    published = load_published()
    keep = ~published["model"].str.startswith("opt-") | published["model"].isin(["opt-125m", "opt-350m"])
    result = claim1(Evidence("offline", stack=empty_stack, published=published[keep]))
    opt = [line for line in result.details if line.startswith("opt")][0]
    assert "no trend from two models" in opt and "change opt-125m → opt-350m" in opt and "Newcombe 95%" in opt
    assert result.key_number.startswith("per family: ") and "opt change " in result.key_number
    # the key gives the detail line's change and interval, never a slope through the two points
    key_opt = [part for part in result.key_number.split("; ") if "opt change" in part][0]
    change = key_opt.split("opt change ")[1].split(" (two models, no slope)")[0]
    assert f"change opt-125m → opt-350m {change} (" in opt and "/decade" not in key_opt


def test_published_trend_table_with_two_models_says_why_there_is_no_slope():
    from helpers.experiments.scaling import published as sp

    mmlu = sp.published_mmlu_table()
    two = mmlu[~mmlu["model"].str.startswith("opt-") | mmlu["model"].isin(["opt-125m", "opt-350m"])]
    row = sp.published_trend_table(two, "0-shot acc").set_index("family").loc["opt"]
    assert row["shape"] == "inconclusive" and np.isnan(row["low"]) and "no trend" in row["note"]


# ----------------------------------------------------------------------------- rules 5 and 6: claim 3


def test_a_fall_whose_interval_excludes_31_percent_is_not_reproduced_and_says_smaller():
    """90% interval [22.9%, 25.7%] lies inside 31% +- 10 points but excludes 31%: the old rule said
    "reproduced"; the fall is smaller than the study's."""
    from helpers.report.claims.loss_fall import fall_code

    code, words, mde, why = fall_code(1064, 0.243, 0.229, 0.257, 0.226, 0.260)
    assert code == "not reproduced" and "smaller than the study's 31%" in words


def test_claim3_shows_the_per_token_and_the_per_byte_fall():
    from helpers.report.claims.loss_fall import loss_fall_lines

    rng = np.random.default_rng(3)
    before = rng.uniform(0.8, 1.2, 200)
    codes, details = loss_fall_lines([_runs(before, before * 0.69 + rng.normal(0, 0.02, 200))])[:2]
    assert codes == ["reproduced"] and "per-token loss" in details[0] and "per-byte loss fall" in details[0]


def test_a_zero_width_interval_does_not_decide_claim3():
    """Every item's loss falls by exactly 31%: the bootstrap interval is a point; it decides nothing."""
    from helpers.report.claims.loss_fall import loss_fall_lines

    before = np.full(40, 1.0)
    out = loss_fall_lines([_runs(before, before * 0.69)])
    assert out[0] == ["inconclusive"] and "zero width" in out[1][0]


def test_two_items_do_not_decide_claim3():
    from helpers.report.claims.loss_fall import loss_fall_lines

    out = loss_fall_lines([_runs([1.0, 1.2], [0.7, 0.82])])
    assert out[0] == ["inconclusive"] and "fewer than the 20" in out[1][0]


# ----------------------------------------------------------------------------- rule 10: MDE or reason


def test_an_inconclusive_verdict_must_carry_its_mde_or_reason():
    from helpers.analysis.verdicts import InferenceError, Verdict

    with pytest.raises(InferenceError, match="mde"):
        Verdict("inconclusive", "r", "t", "d")
    assert Verdict("inconclusive", "r", "t", "d", no_mde="two models: no trend").no_mde


def test_claim4b_inconclusive_prints_its_mde():
    """Losses that wobble both ways on 200 items: inconclusive, and the MDE of the mean change is printed."""
    from helpers.report.claims.scaling import loss_lines

    rng = np.random.default_rng(4)
    before = rng.uniform(2.0, 4.0, 200)
    runs = _runs(before, before + rng.normal(0, 0.5, 200))
    codes, details, mdes, whys = loss_lines([runs])
    assert codes == ["inconclusive"] and mdes[0] > 0 and np.isfinite(mdes[0])


# ----------------------------------------------------------------------------- rule 12: illustrations


def test_stand_in_illustrations_carry_no_verdict_words():
    """The offline profile's shipped stand-in runs: every illustration line reports numbers, no verdict."""
    from helpers.report.claims import claim_results

    results = claim_results("offline")
    shown = [r.illustration for r in results if r.illustration]
    assert shown, "the offline profile ships stand-in runs: at least one illustration"
    for text in shown:
        assert not VERDICT_WORDS.search(text), text


# ----------------------------------------------------------------------------- what a referee asks


def test_sensitivity_subjects_and_checkpoints_on_the_published_results():
    from helpers.report.claims.below_chance import below_chance_code, chance_tests
    from helpers.report.claims.knowledge import _claim1_part
    from helpers.report.claims.sensitivity import checkpoint_lines, sensitivity_lines, subject_lines

    published = load_published()
    one, two = sensitivity_lines(published, _claim1_part, chance_tests, below_chance_code)
    assert len(one) == len(two) == 4 and all(line.startswith("sensitivity, ") for line in one + two)
    assert "OPT-66B added" in one[2] and "8 models" in one[2]
    subjects = subject_lines(published, families=("opt",))[0]
    assert "one common slope: Wald chi²" in subjects and "on 4 df" in subjects
    # the per-subject slope of one subject equals a model-level fit on that subject alone (same weights)
    rows = published[
        (published["family"] == "opt")
        & (published["num_fewshot"] == 0)
        & (published["metric"] == "acc")
        & (published["task"] == "hendrycksTest-abstract_algebra")
        & (published["params"] <= 30e9)
    ]
    from helpers.analysis.trend import wls_slope

    alone = wls_slope(rows["params"].astype(float), rows["value"], rows["stderr"], n=100)
    assert f"abstract algebra {100 * alone.slope:+.1f} pts/decade" in subjects
    assert len(checkpoint_lines(published)) == 8  # one line per Pythia size


def test_a_change_identical_on_every_item_does_not_decide_claim4b():
    """Every item's loss falls by exactly 2 nats (up to rounding): the interval has no width; it decides nothing."""
    from helpers.report.claims.scaling import loss_lines

    before = np.where(np.arange(60) % 2 == 0, 2.8, 3.2)
    codes, details = loss_lines([_runs(before, before - 2.0)])[:2]
    assert codes == ["inconclusive"] and "zero width" in details[0]


def test_claim1_on_runs_of_two_models_gives_the_paired_change():
    from helpers.analysis.claims import wording
    from helpers.report.claims.knowledge import claim1_runs

    def table(model, right, size):
        return pd.DataFrame(
            {
                "model_id": model,
                "task": "t",
                "item_id": [f"i{i}" for i in range(40)],
                "correct": right,
                "n_params_total": size,
            }
        )

    small, large = np.arange(40) < 8, np.arange(40) < 20  # 12 items turn right, none wrong
    runs = FamilyRuns(
        "small",
        "pythia",
        "knowledge_fulltext",
        0,
        "mmlu_math_fulltext",
        (table("pythia-70m", small, 7e7), table("pythia-410m", large, 4e8)),
    )
    part = claim1_runs([runs])[0]
    detail = wording.detail(part)
    assert "no trend from two models" in detail and "paired by item, 40 items" in detail
    assert part.get("mcnemar_p") == pytest.approx(2 * 0.5**12)  # 12 discordant items, all one way
    assert "exact McNemar p < 0.001" in detail  # the report's one p rule


def test_an_open_question_reads_supported_or_not_supported_and_a_claim_reads_reproduced():
    from helpers.analysis.verdicts import Verdict
    from helpers.report.claims.common import ClaimResult
    from helpers.report.claims.table import finding_sentence

    against = Verdict("not reproduced", "RWKV-4 sits on Pythia's plateau.", "TOST", "published")
    question = ClaimResult("6", "a question", against, "k", "s", question=True)
    claim = ClaimResult("7", "a claim", against, "k", "s")
    assert question.verdict_word == "not supported"
    assert "**not supported**" in finding_sentence(question)
    assert claim.verdict_word == "not reproduced"
    assert "**not reproduced**" in finding_sentence(claim)


def test_a_rounded_negative_zero_prints_as_plus_zero():
    from helpers.render.numbers import interval, points

    assert points(-0.0004) == "+0.0 pts"
    assert interval(-0.019, -0.0004, "pts") == "[-1.9, +0.0] pts"
