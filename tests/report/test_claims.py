"""The claims table (helpers.report.claims): every verdict rule on published data and on synthetic runs.

Published numbers are checked against an independent computation (numpy algebra on the
bundled CSV); synthetic runs are written into a temporary store under the keys
``helpers.experiments.evaluation`` uses, with losses and correctness chosen so each verdict is
known by hand.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.analysis.power import mde_paired_floor
from helpers.analysis.published import load_published, mmlu_math_summary
from helpers.experiments.config import load_profile
from helpers.experiments.evaluation import ROW_COLUMNS, ModelHandle, evaluation_code_version, result_key
from helpers.experiments.swap.verdict import collapse_code, collapse_table
from helpers.infra.profiles import ProfileError
from helpers.infra.store import ResultStore, StoreStack
from helpers.report.claims import CLAIM_RULES, claim_results, claims_frame, claims_table
from helpers.report.claims.evidence import Evidence, published_mmlu_accuracies

N_PARAMS = {
    "pythia-70m": 70_426_624,
    "pythia-160m": 162_322_944,
    "pythia-410m": 405_334_016,
    "opt-125m": 125_239_296,
    "opt-350m": 331_196_416,
}


@pytest.fixture
def empty_stack(tmp_path, monkeypatch) -> StoreStack:
    """An empty store stack, also the default one (so nothing real leaks in)."""
    monkeypatch.setenv("CC_RESULTS", str(tmp_path / "results"))
    monkeypatch.setattr("helpers.experiments.evaluation.SHIPPED_RESULTS_DIR", tmp_path / "no-shipped")
    return StoreStack(ResultStore(tmp_path / "results"))


def _by_id(results):
    return {result.claim_id: result for result in results}


@pytest.fixture(scope="module")
def published_only(tmp_path_factory):
    """The claims of the offline profile with no stored run: published data only."""
    root = tmp_path_factory.mktemp("empty")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CC_RESULTS", str(root / "results"))
        patch.setattr("helpers.experiments.evaluation.SHIPPED_RESULTS_DIR", root / "no-shipped")
        yield _by_id(claim_results("offline", stack=StoreStack(ResultStore(root / "results"))))


# ----------------------------------------------------------------------------- published data


def test_each_published_model_is_counted_once():
    table = published_mmlu_accuracies()
    assert table["model"].is_unique and len(table) == 15  # Pythia 70m..12b (8) + OPT 125m..30b (7)
    # k is exact: size-weighted subject accuracies times 1,064 items
    assert (table["n"] == 1064).all() and np.allclose(table["k_acc"], table["acc"] * 1064, atol=1e-6)


def _wls_slope_by_hand(x, y, se):
    """Weighted least squares by the normal equations (no statsmodels)."""
    w = 1 / np.asarray(se) ** 2
    X = np.column_stack([np.ones_like(x), x])
    beta = np.linalg.solve(X.T @ (w[:, None] * X), X.T @ (w * y))
    return beta[1]


def test_claim1_is_judged_on_the_trend_with_the_published_slopes(published_only):
    result = published_only["1"]
    summary = mmlu_math_summary(load_published(), shots=0)
    for family in ("pythia", "opt"):
        rows = summary[(summary["family"] == family) & (summary["params"] <= 30e9)]
        slope = _wls_slope_by_hand(
            np.log10(rows["params"].to_numpy()), rows["acc"].to_numpy(), rows["acc_stderr"].to_numpy()
        )
        assert f"{family}: slope {100 * slope:+.1f} pts per decade" in result.verdict.reason
    assert result.verdict.code == "not reproduced"  # OPT rises (95% interval excludes 0)
    # issue 19: the slope's error never falls below the items' binomial scatter (Pythia's models scatter
    # less than binomial sampling allows, so its residual scale is floored at 1): Pythia's 95% interval
    # now contains 0; OPT's scatter exceeds binomial and its rise stands
    assert "(inconclusive;" in result.details[0] and "(rising;" in result.details[1]
    assert "TOST" in result.verdict.test and "0-shot, full answer text" in result.verdict.data


def test_claim2_counts_holm_corrected_models_and_names_the_artefact(published_only):
    result = published_only["2"]
    assert result.verdict.code == "partly"
    assert "3 of 15 models below 25% in acc (Holm over 15: pythia 2, opt 1), 0 in acc_norm" in result.key_number
    assert "scoring artefact" in result.verdict.reason and "Holm across the 15 models" in result.verdict.test
    assert "no model is significantly below chance" in result.verdict.reason
    # ties share the credit (issue 19, rule 11): 21.6%, not the 20.9% of first-on-ties
    assert any(line.startswith("baseline shortest answer: 21.6%") for line in result.details)


def test_claim2_counts_match_holm_over_the_15_models_by_hand():
    from scipy.stats import binomtest
    from statsmodels.stats.multitest import multipletests

    table = published_mmlu_accuracies()
    for column, expected in (("k_acc", 3), ("k_norm", 0)):
        raw = [binomtest(int(k), int(n), 0.25, alternative="less").pvalue for k, n in zip(table[column], table["n"])]
        assert multipletests(raw, alpha=0.05, method="holm")[0].sum() == expected


def test_claim2_absence_of_significance_is_not_evidence_against_the_claim():
    from helpers.report.claims.below_chance import below_chance_code

    near = pd.DataFrame({"significant": [False, False], "low_one_sided": [0.215, 0.24]})  # 21.5% cannot be excluded
    clear = pd.DataFrame({"significant": [False, False], "low_one_sided": [0.235, 0.26]})  # all at or above 23%
    assert below_chance_code(near) == "inconclusive"
    assert below_chance_code(clear) == "not reproduced"
    assert below_chance_code(pd.DataFrame({"significant": [True, False], "low_one_sided": [0.1, 0.3]})) == "partly"


def test_claim2_without_holm_would_count_more_models():
    """The correction matters on these data: uncorrected one-sided tests flag more models."""
    from scipy.stats import binomtest

    table = published_mmlu_accuracies()
    raw = sum(binomtest(k, n, 0.25, alternative="less").pvalue < 0.05 for k, n in zip(table["k_acc"], table["n"]))
    assert raw > 3


def test_claim4a_from_published_pythia_arithmetic(published_only):
    result = published_only["4a"]
    assert result.verdict.code == "reproduced"
    assert "free generation" in result.verdict.data and "Holm" in result.verdict.test
    assert len(result.details) == 4 and all("Holm p < 0.001" in line for line in result.details)


@pytest.mark.parametrize("claim_id", ["3", "4b", "5"])
def test_claims_without_pythia_opt_runs_are_not_judged(published_only, claim_id):
    result = published_only[claim_id]
    assert result.verdict.code == "not judged" and result.key_number == "—"


def test_the_table_has_one_row_per_claim_and_findings_first(empty_stack):
    frame = claims_frame("offline", stack=empty_stack)
    assert list(frame["id"]) == ["1", "2", "3", "4a", "4b", "4c", "5", "6", "7"] and len(frame) == len(CLAIM_RULES)
    text = claims_table("offline", stack=empty_stack)
    assert text.index("**Claim 1**") < text.index(":::{table}") < text.index(":::{dropdown}")
    assert text.count(":::{dropdown}") == len(CLAIM_RULES)


def test_unknown_profile_is_refused(empty_stack):
    with pytest.raises(ProfileError, match="nope"):
        claim_results("nope", stack=empty_stack)


# ----------------------------------------------------------------------------- synthetic runs


def _fulltext_rows(model_id, gold_nll, correct, n_params, items):
    """Full-text rows for ``items`` (the setting's real items): the gold answer has loss
    ``gold_nll[i]`` per token (2 tokens) and wins iff ``correct[i]``."""
    rows = []
    for item, nll, right in zip(items, gold_nll, correct):
        for choice in range(len(item.requests)):
            gold = choice == item.gold
            rival = 1 if item.gold != 1 else 0  # the one wrong answer that beats gold when it loses
            logprob = -2 * nll if gold else (-2 * nll + 0.5 if not right and choice == rival else -2 * nll - 1.0)
            rows.append(
                {
                    "model_id": model_id,
                    "task": item.task,
                    "kind": "knowledge_fulltext",
                    "item_id": item.item_id,
                    "subject": item.task,
                    "choice": choice,
                    "label": f"answer {choice}",
                    "gold": item.gold,
                    "is_gold": gold,
                    "continuation": f" answer {choice}",
                    "logprob": logprob,
                    "is_greedy": False,
                    "n_tokens": 2,
                    "token_logprobs": [logprob / 2] * 2,
                    "token_is_greedy": [False, False],
                    "n_params_total": n_params,
                    "n_params_nonembedding": n_params // 2,
                }
            )
    return rows


def _arithmetic_rows(model_id, nll, correct, n_params, items):
    return [
        {
            "model_id": model_id,
            "task": item.task,
            "kind": "procedure",
            "item_id": item.item_id,
            "subject": item.task,
            "choice": 0,
            "label": "42",
            "gold": 0,
            "is_gold": True,
            "continuation": " 42",
            "logprob": -2 * loss,
            "is_greedy": bool(right),
            "n_tokens": 2,
            "token_logprobs": [-loss, -loss],
            "token_is_greedy": [bool(right)] * 2,
            "n_params_total": n_params,
            "n_params_nonembedding": n_params // 2,
        }
        for item, loss, right in zip(items, nll, correct)
    ]


def _items(setting):
    from helpers.experiments.evaluation import build_setting_items

    return build_setting_items(setting)


def _store(stack, source, setting, rows):
    """Store ``rows`` as the result of ``setting`` on ``source``, under the setting's real items (as a run would)."""
    handle = ModelHandle(source)
    frame = pd.DataFrame([{**row, "model_id": handle.model_id} for row in rows], columns=ROW_COLUMNS)
    stack.get_or_compute(
        result_key(handle, setting),
        evaluation_code_version(),
        _items(setting),
        lambda chunk: frame[frame["item_id"].isin([item.item_id for item in chunk])].reset_index(drop=True),
        shard_size=64,
        progress=False,
    )


def _alternating(low, high, n):
    return np.where(np.arange(n) % 2 == 0, low, high)


def test_runs_of_a_pythia_opt_profile_judge_claims_3_and_4(empty_stack):
    small = load_profile("small")
    knowledge, procedure = small.tasks["knowledge_fulltext"], small.tasks["procedure"]
    mmlu, arithmetic = _items(knowledge), _items(procedure)
    n, m = len(mmlu), len(arithmetic)
    # Pythia: loss 1.0 -> 0.69 per token (a 31% fall), accuracy 20% both; arithmetic 0% -> 30% in every
    # difficulty, loss 3 -> 1
    for name, loss in (("pythia-70m", (0.9, 1.1)), ("pythia-410m", (0.59, 0.79))):
        _store(
            empty_stack,
            name,
            knowledge,
            _fulltext_rows(name, _alternating(*loss, n), np.arange(n) < n // 5, N_PARAMS[name], mmlu),
        )
    _store(
        empty_stack,
        "pythia-70m",
        procedure,
        _arithmetic_rows(
            "pythia-70m", _alternating(2.8, 3.2, m), np.zeros(m, bool), N_PARAMS["pythia-70m"], arithmetic
        ),
    )
    _store(
        empty_stack,
        "pythia-410m",
        procedure,
        _arithmetic_rows(  # every third item falls 0.1 less: an interval
            "pythia-410m",
            _alternating(0.8, 1.2, m) + 0.1 * (np.arange(m) % 3 == 0),
            np.arange(m) % 10 < 3,
            N_PARAMS["pythia-410m"],
            arithmetic,
        ),
    )
    results = _by_id(claim_results("offline", stack=empty_stack))
    assert results["3"].verdict.code == "reproduced"  # the fall's interval lies inside 21-41%
    assert "fall 31.0%" in results["3"].verdict.reason
    assert results["4a"].verdict.code == "reproduced" and "exact McNemar" in results["4a"].verdict.test
    assert results["4b"].verdict.code == "reproduced" and "Wilcoxon" in results["4b"].verdict.test
    assert results["1"].verdict.data.startswith("our runs of profile `")  # the study format, not published


def _store_procedure_pair(stack, after):
    """Store pythia-70m (loss 3.0 nats, every answer wrong) and pythia-410m (``after(m)`` -> (losses, correct),
    over the m items) on the small profile's arithmetic."""
    procedure = load_profile("small").tasks["procedure"]
    arithmetic = _items(procedure)
    m = len(arithmetic)
    losses, correct = after(m)
    for name, (loss, right) in (
        ("pythia-70m", (np.full(m, 3.0), np.zeros(m, bool))),
        ("pythia-410m", (losses, correct)),
    ):
        _store(stack, name, procedure, _arithmetic_rows(name, loss, right, N_PARAMS[name], arithmetic))


def test_two_items_going_0_to_2_do_not_make_an_improvement(empty_stack):
    """The old percentile bootstrap gave [1, 1] and "improves"; the exact McNemar p is 0.5, 1.0 after Holm
    over the five difficulties; the MDE is the smallest change 500 items can show, not "none"."""
    # two items go from wrong to right, nothing else changes
    _store_procedure_pair(empty_stack, lambda m: (np.full(m, 3.0), np.arange(m) < 2))
    result = _by_id(claim_results("offline", stack=empty_stack))["4a"]
    first = result.verdict.reason.split("; ")[0]
    assert first.startswith("pythia arithmetic_2da") and "0.0% → 0.4%" in first and "Holm p = 1.000" in first
    assert result.verdict.code == "inconclusive"
    assert result.verdict.mde == pytest.approx(mde_paired_floor(500, alpha=0.05 / 5))  # Holm step 1: 2.3 points


def test_a_fall_far_from_31_percent_is_not_reproduced(empty_stack):
    knowledge = load_profile("small").tasks["knowledge_fulltext"]
    mmlu = _items(knowledge)
    n = len(mmlu)
    for name, loss in (("opt-125m", (1.9, 2.1)), ("opt-350m", (1.8, 2.0))):  # about a 5% fall
        _store(
            empty_stack,
            name,
            knowledge,
            _fulltext_rows(name, _alternating(*loss, n), np.arange(n) < n // 5, N_PARAMS[name], mmlu),
        )
    result = _by_id(claim_results("offline", stack=empty_stack))["3"]
    assert result.verdict.code == "not reproduced"


def test_a_loss_rank_test_and_a_mean_that_disagree_do_not_decide_claim_4b(empty_stack):
    """59 items in 60 fall by 0.1 nats, one rises by 20: the rank test says "fell", the mean rose; neither decides."""

    def after(m):
        losses = np.full(m, 2.9)
        losses[::60] = 23.0  # one item in 60 rises by 20 nats
        return losses, np.zeros(m, bool)

    _store_procedure_pair(empty_stack, after)
    result = _by_id(claim_results("offline", stack=empty_stack))["4b"]
    assert "Wilcoxon Holm p < 0.001" in result.verdict.reason and "change +0.2" in result.verdict.reason
    assert result.verdict.code == "inconclusive"


# ----------------------------------------------------------------------------- claim 5 by hand


@pytest.mark.parametrize(
    "difference, swapped, baseline_low, p, expected",
    [
        (-0.5, (0.10, 0.30), 0.6, 0.001, "complete"),  # significant drop, upper bound within 25+10
        (-0.1, (0.50, 0.80), 0.6, 0.40, "not complete"),  # most answers kept: lower bound above 35%
        (-0.5, (0.05, 0.60), 0.5, 0.03, "inconclusive"),  # a handful of items: bound too wide to say
        (-0.0, (0.10, 0.30), 0.10, 1.0, "inconclusive"),  # baseline at chance: nothing to lose
    ],
)
def test_collapse_needs_a_significant_drop_and_a_bound_near_chance(difference, swapped, baseline_low, p, expected):
    assert collapse_code(difference, *swapped, baseline_low, 0.25, p) == expected


def test_a_swap_that_keeps_most_answers_on_a_handful_of_items_is_not_a_complete_collapse():
    """The old rule called any swap "complete" when it was not significantly above chance."""
    items = pd.DataFrame(
        {
            "donor": "d",
            "recipient": "r",
            "kind": "knowledge",
            "task": "t",
            "n_choices": 4,
            "condition": ["baseline"] * 4 + ["swap a=1"] * 4,
            "item_id": [f"i{k}" for k in range(4)] * 2,
            "correct": [True, True, True, True, True, True, True, False],
        }
    )
    row = collapse_table(items).iloc[0]
    assert row["collapse"] == "inconclusive" and row["swapped"] == 0.75


def test_a_bug_in_the_swap_summary_is_not_hidden(empty_stack, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug in the swap code")

    monkeypatch.setattr("helpers.experiments.swap.compute.swap_rows", broken)
    with pytest.raises(RuntimeError, match="a bug in the swap code"):
        claim_results("offline", stack=empty_stack)


def test_nan_losses_give_a_verdict_not_a_crash(empty_stack):
    knowledge = load_profile("small").tasks["knowledge_fulltext"]
    mmlu = _items(knowledge)
    n = len(mmlu)
    losses = _alternating(0.9, 1.1, n).astype(float)
    losses[3] = np.nan
    _store(
        empty_stack,
        "pythia-70m",
        knowledge,
        _fulltext_rows("pythia-70m", losses, np.arange(n) < n // 5, N_PARAMS["pythia-70m"], mmlu),
    )
    _store(
        empty_stack,
        "pythia-410m",
        knowledge,
        _fulltext_rows("pythia-410m", _alternating(0.6, 0.8, n), np.arange(n) < n // 5, N_PARAMS["pythia-410m"], mmlu),
    )
    result = _by_id(claim_results("offline", stack=empty_stack))["3"]
    assert result.verdict.code in ("inconclusive", "not judged") and "NaN" in result.verdict.reason


def test_claim3_lines_survive_nan_losses_with_a_key():
    """The key is built from values, not by parsing the detail sentence (which has no "fall" here)."""
    from helpers.report.claims.evidence import FamilyRuns
    from helpers.report.claims.loss_fall import loss_fall_lines

    def table(model, losses):
        return pd.DataFrame(
            {
                "model_id": model,
                "task": "t",
                "item_id": ["a", "b", "c"],
                "gold_nll_per_token": losses,
                "gold_nll_per_byte": losses,
            }
        )

    runs = FamilyRuns(
        "small",
        "pythia",
        "knowledge_fulltext",
        0,
        "mmlu_math_fulltext",
        (table("pythia-70m", [1.0, np.nan, 1.2]), table("pythia-410m", [0.7, 0.8, 0.9])),
    )
    codes, details, keys = loss_fall_lines([runs])[:3]
    assert codes == ["inconclusive"] and "NaN" in details[0] and "no interval" in keys[0]


def test_evidence_profile_is_checked():
    with pytest.raises(ProfileError):
        Evidence("laptop")
