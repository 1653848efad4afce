"""Tests for helpers.report.claims: the claims table computed when the book is built.

Golden values for claims 1-2 come from the "Derived summary" printed in
data/reference/SOURCES.md (computed independently when the CSV was extracted), read by hand:
0-shot MMLU-math acc of Pythia 70m-12b and OPT 125m-30b ranges from 0.2058 (pythia-160m) to
0.2707 (opt-30b); (acc - 0.25) / stderr < -2 for pythia-70m (0.2133 ± 0.0126, z = -2.9),
pythia-160m (-3.6), pythia-410m (-2.4), opt-125m (-3.0) and opt-1.3b (-2.4) only.

Stored runs are synthetic rows written through ResultStore.get_or_compute under the key
fields helpers.experiments.evaluation uses; their losses and accuracies are chosen so the expected
verdicts follow by hand from the construction.
"""

from __future__ import annotations

import sys
import types

import numpy as np
import pandas as pd
import pytest

from helpers.report import book

from helpers.report import claims
from helpers.experiments.evaluation import ROW_COLUMNS, ModelHandle, result_key
from helpers.infra.profiles import ProfileError, TaskSetting, load_profile
from helpers.infra.store import ResultStore

STUDY_MODELS_BELOW_CHANCE = {"pythia-70m", "pythia-160m", "pythia-410m", "opt-125m", "opt-1.3b"}
N_PARAMS = {"pythia-70m": 70_426_624, "pythia-410m": 405_334_016,
            "opt-125m": 125_239_296, "opt-350m": 331_196_416}


@pytest.fixture
def empty_store(tmp_path, monkeypatch) -> ResultStore:
    """An empty results store, also the default one (so nothing real leaks in)."""
    monkeypatch.setenv("CC_RESULTS", str(tmp_path / "results"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return ResultStore(tmp_path / "results")


def _by_id(results):
    return {result.claim_id: result for result in results}


@pytest.fixture(scope="module")
def published_only(tmp_path_factory):
    """The claims of the offline profile on an empty store: published data only."""
    root = tmp_path_factory.mktemp("empty") / "results"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CC_RESULTS", str(root))
        patch.setenv("HF_HUB_OFFLINE", "1")
        yield _by_id(claims.claim_results("offline", store=ResultStore(root)))


# --------------------------------------------------------------------- synthetic runs


def _multiple_choice_rows(model_id, setting, gold_nll, correct, n_params):
    """4-choice rows: the gold choice has loss ``gold_nll[i]`` (1 token) and wins iff ``correct[i]``."""
    rows = []
    for item, (nll, right) in enumerate(zip(gold_nll, correct)):
        for choice in range(4):
            if choice == 0:
                logprob = -nll
            else:
                logprob = -nll - 1.0 if right or choice > 1 else -nll + 0.5
            rows.append({
                "model_id": model_id, "task": setting.task, "kind": setting.kind,
                "item_id": f"item-{item}", "subject": "algebra", "choice": choice,
                "label": "ABCD"[choice], "gold": 0, "is_gold": choice == 0,
                "continuation": f" {'ABCD'[choice]}", "logprob": logprob, "is_greedy": False,
                "n_tokens": 1, "token_logprobs": [logprob], "token_is_greedy": [False],
                "n_params_total": n_params, "n_params_nonembedding": n_params // 2,
            })
    return rows


def _arithmetic_rows(model_id, setting, nll, correct, n_params):
    """One continuation per item (2 tokens): loss ``nll[i]`` per token, exact match ``correct[i]``."""
    return [{
        "model_id": model_id, "task": setting.task, "kind": setting.kind, "item_id": f"sum-{item}",
        "subject": "", "choice": 0, "label": "42", "gold": 0, "is_gold": True,
        "continuation": " 42", "logprob": -2 * loss, "is_greedy": bool(right), "n_tokens": 2,
        "token_logprobs": [-loss, -loss], "token_is_greedy": [bool(right), bool(right)],
        "n_params_total": n_params, "n_params_nonembedding": n_params // 2,
    } for item, (loss, right) in enumerate(zip(nll, correct))]


def _store_run(store, source, setting, rows, dtype=None):
    """Write ``rows`` under the key helpers.experiments.evaluation gives (source, setting)."""
    handle = ModelHandle(source, dtype=dtype)
    frame = pd.DataFrame([{**row, "model_id": handle.model_id} for row in rows], columns=ROW_COLUMNS)
    item_ids = list(dict.fromkeys(frame["item_id"]))
    store.get_or_compute(result_key(handle, setting), item_ids,
                         lambda chunk: frame[frame["item_id"].isin(chunk)].reset_index(drop=True),
                         shard_size=64, progress=False)


def _alternating(low, high, n=20):
    return np.where(np.arange(n) % 2 == 0, low, high)


def _fill(store, profile_name, prefix, families, dtypes=None):
    """Knowledge and procedure runs for ``families``: {family: (small, large)} names.

    Knowledge: 20 items, 4 correct (acc 0.20) for every model; the gold loss alternates
    0.9/1.1 (mean 1.0) on the small model. On the large one it alternates 0.59/0.79 (mean
    0.69, a 31% fall) for Pythia and 1.7/1.9 (mean 1.8 vs 1.9/2.1: about 10%) for OPT.
    Procedure: loss falls 3 -> 1 per token everywhere; exact match 0 -> 12/20 for Pythia,
    0 -> 0 for OPT.
    """
    profile = load_profile(profile_name)
    knowledge, procedure = profile.tasks["knowledge"], profile.tasks["procedure"]
    right = np.arange(20) < 4
    losses = {"pythia": ((0.9, 1.1), (0.59, 0.79)), "opt": ((1.9, 2.1), (1.7, 1.9))}
    exact = {"pythia": np.arange(20) < 12, "opt": np.zeros(20, bool)}
    dtypes = dtypes or {}
    for family, (small, large) in families.items():
        for name, loss_pair, procedure_loss, procedure_right in (
                (small, losses[family][0], 3.0, np.zeros(20, bool)),
                (large, losses[family][1], 1.0, exact[family])):
            source = f"{prefix}{name}"
            n_params = N_PARAMS[name]
            _store_run(store, source, knowledge,
                       _multiple_choice_rows(source, knowledge, _alternating(*loss_pair), right, n_params),
                       dtype=dtypes.get(name))
            _store_run(store, source, procedure,
                       _arithmetic_rows(source, procedure, _alternating(procedure_loss - 0.2, procedure_loss + 0.2),
                                        procedure_right, n_params), dtype=dtypes.get(name))


# ------------------------------------------------------------------- published only


def test_published_only_judges_claims_1_and_2_from_sources_values(published_only):
    flat, below = published_only[1], published_only[2]
    assert flat.values["n_models"] == 15  # Pythia 70m..12b (8) + OPT 125m..30b (7)
    assert flat.values["acc_min"] == pytest.approx(0.2058, abs=5e-5)
    assert flat.values["acc_max"] == pytest.approx(0.2707, abs=5e-5)
    assert (flat.values["model_min"], flat.values["model_max"]) == ("pythia-160m", "opt-30b")
    assert flat.verdict_code == "not reproduced"
    assert "20.6%–27.1%" in flat.verdict
    # 27.07% - 2 x 1.36% = 24.35% is far above the claimed 20%: at least opt-30b is outside.
    assert 1 <= flat.values["n_outside"] < 15
    assert set(below.values["models_below"]) == STUDY_MODELS_BELOW_CHANCE
    assert below.values["n_below"] == 5 and below.values["n_above"] == 0
    assert below.verdict_code == "partly"  # 5 of 15: some, not most
    for result in (flat, below):
        assert "published" in result.source and "SOURCES.md" in result.source


def test_published_only_leaves_claims_3_to_5_not_judged_with_the_remedy(published_only):
    results = published_only
    for claim_id in (3, 4, 5):
        assert results[claim_id].verdict_code == "not judged"
        assert "make book PROFILE=small" in results[claim_id].verdict
        assert results[claim_id].measured == "—"
    assert "no stored runs of profile `offline`" in results[3].illustration
    assert results[5].illustration.startswith(claims.NO_SWAP)


def test_claims_table_markdown_keeps_the_label_and_shows_the_rules(empty_store):
    text = claims.claims_table("offline", store=empty_store)
    assert ":name: claims-table" in text
    table_lines = [line for line in text.splitlines() if line.startswith("| ")]
    assert len(table_lines) == 1 + len(claims.CLAIMS)  # header + one row per claim
    assert all(line.count(" | ") == len(claims.TABLE_COLUMNS) - 1 for line in table_lines)
    for rule in claims.verdict_rules():
        assert rule in text
    # helpers.report.book uses the string as is.
    assert pages.claims_markdown("offline") == claims.claims_table("offline")


def test_unknown_profile_is_refused(empty_store):
    with pytest.raises(ProfileError, match="nope"):
        claims.claim_results("nope", store=empty_store)


# ------------------------------------------------------------------- stored runs


def test_ci_runs_fill_a_labelled_illustration_without_judging(empty_store):
    _fill(empty_store, "ci", "random:", {"pythia": ("pythia-70m", "pythia-410m"),
                                          "opt": ("opt-125m", "opt-350m")})
    results = _by_id(claims.claim_results("ci", store=empty_store))
    assert results[1].verdict_code == "not reproduced"  # still the published data
    for claim_id in (1, 2, 3, 4):
        assert "meaningless" in results[claim_id].illustration
    for claim_id in (3, 4):
        assert results[claim_id].verdict_code == "not judged"
    # Pythia: mean gold loss 1.0 -> 0.69 is a 31.0% fall; arithmetic 3.0 -> 1.0 is 66.7%.
    assert "pythia: pythia-70m → pythia-410m, loss −31.0% [" in results[3].illustration
    assert "loss −66.7%" in results[4].illustration
    assert "accuracy 0.0% → 60.0%" in results[4].illustration
    assert "20.0%–20.0% over 4 models" in results[1].illustration


def test_own_pythia_opt_runs_judge_claims_1_to_4(empty_store):
    # pythia-410m stored in bf16 (as on a GPU): found through the store's listing.
    _fill(empty_store, "small", "", {"pythia": ("pythia-70m", "pythia-410m"),
                                     "opt": ("opt-125m", "opt-350m")},
          dtypes={"pythia-410m": "bfloat16"})
    # A run with limit null beside limit-50 runs makes the store listing's limit column float.
    unlimited = TaskSetting("knowledge", "mmlu_math", shots=0, limit=None)
    _store_run(empty_store, "random:pythia-70m", unlimited,
               _multiple_choice_rows("random:pythia-70m", unlimited, [1.0, 1.0], [True, False], 1))
    # A single paper-profile model is not enough to judge "across scale": small is used.
    paper_knowledge = load_profile("paper").tasks["knowledge"]
    _store_run(empty_store, "opt-125m", paper_knowledge,
               _multiple_choice_rows("opt-125m", paper_knowledge, [1.0, 1.0], [True, False], 1))
    results = _by_id(claims.claim_results("offline", store=empty_store))
    for claim_id in (1, 2, 3, 4):
        assert "profile `small`" in results[claim_id].source
    # 4/20 = 20% with stderr sqrt(.2 * .8 / 19) = 9.2%: inside 19-20% and not below 25%.
    assert results[1].verdict_code == "reproduced" and results[1].values["n_models"] == 4
    assert results[2].verdict_code == "not reproduced"
    # Pythia's paired fall spans 28.2%..34.4% per item type, so its interval covers 31%;
    # OPT's spans 9.5%..10.5%, so it does not.
    assert results[3].values["covers"] == {"pythia": True, "opt": False}
    assert results[3].values["reduction"]["pythia"] == pytest.approx(0.31)
    assert results[3].verdict_code == "different"
    # Arithmetic: Pythia improves in loss and accuracy, OPT in loss only.
    assert results[4].values["improves"] == {"pythia": (True, True), "opt": (True, False)}
    assert results[4].verdict_code == "partly"
    assert results[5].verdict_code == "not judged"


def test_claim_3_reproduced_when_every_family_covers_31_percent(empty_store):
    _fill(empty_store, "small", "", {"pythia": ("pythia-70m", "pythia-410m")})
    results = _by_id(claims.claim_results("small", store=empty_store))
    assert results[3].verdict_code == "reproduced"
    assert results[4].verdict_code == "reproduced"
    assert results[3].illustration.startswith("—")  # the built profile itself judged it


# -------------------------------------------------------------------------- swap


SWAP_SUMMARY = pd.DataFrame([
    # collapses: 80% -> 2% [0, 5], chance 0
    ("pythia-160m", "pythia-410m", "procedure", 0.0, 0.80, 0.70, 0.90, 0.0),
    ("pythia-160m", "pythia-410m", "procedure", 1.0, 0.02, 0.00, 0.05, 0.0),
    # not testable: the recipient alone is at chance
    ("pythia-160m", "pythia-410m", "knowledge", 0.0, 0.26, 0.20, 0.32, 0.25),
    ("pythia-160m", "pythia-410m", "knowledge", 1.0, 0.24, 0.18, 0.30, 0.25),
    # survives: 60% -> 50% [40, 60], chance 25%
    ("pythia-160m", "pythia-410m", "pattern", 0.0, 0.60, 0.50, 0.70, 0.25),
    ("pythia-160m", "pythia-410m", "pattern", 1.0, 0.50, 0.40, 0.60, 0.25),
], columns=list(claims.SWAP_COLUMNS))


def test_judge_swap_counts_only_testable_cases():
    judged = claims.judge_swap(SWAP_SUMMARY)
    assert (judged.values["n_cases"], judged.values["n_collapsed"]) == (2, 1)
    assert judged.verdict_code == "partly"
    at_chance = SWAP_SUMMARY[SWAP_SUMMARY["kind"] == "knowledge"]
    assert claims.judge_swap(at_chance) is None


def test_judge_swap_uses_the_experiments_collapse_verdict_when_given():
    # The pattern case survives by the interval rule; the experiment's binomial test says complete.
    with_verdict = SWAP_SUMMARY.assign(collapse="complete")
    judged = claims.judge_swap(with_verdict)
    assert (judged.values["n_collapsed"], judged.verdict_code) == (2, "reproduced")
    judged = claims.judge_swap(with_verdict.assign(collapse="graceful"))
    assert (judged.values["n_collapsed"], judged.verdict_code) == (0, "not reproduced")


def test_swap_summary_of_a_judging_profile_judges_claim_5(empty_store, monkeypatch):
    module = types.ModuleType("helpers.experiments.swap.compute")

    def swap_summary(profile, *, store=None):
        assert store is empty_store  # the claims' store is passed on
        if profile != "small":
            raise FileNotFoundError(f"no swap results for {profile}")
        return SWAP_SUMMARY

    module.swap_summary = swap_summary
    monkeypatch.setitem(sys.modules, "helpers.experiments.swap.compute", module)
    result = _by_id(claims.claim_results("offline", store=empty_store))[5]
    assert result.verdict_code == "partly" and "profile `small`" in result.source
    assert result.illustration.startswith(claims.NO_SWAP)
    assert "FileNotFoundError" in result.illustration


def test_swap_summary_with_wrong_columns_is_named(monkeypatch):
    module = types.ModuleType("helpers.experiments.swap.compute")
    module.swap_summary = lambda profile: pd.DataFrame({"alpha": [0.0]})
    monkeypatch.setitem(sys.modules, "helpers.experiments.swap.compute", module)
    message = claims.swap_summary_for("ci")
    assert isinstance(message, str) and "lacks columns" in message and "'donor'" in message
