"""Slow tests on the real offline models built by ``make models`` (helpers.core.models.offline).

SmolLM2-135M is required (``make models-ci`` builds it): when it is missing these tests fail
under CI (env ``CI`` set) and skip elsewhere. The other three models are checked only if
built, and only cheaply (provenance, stored dtype, tokenizer), never loaded whole.
"""

from __future__ import annotations

import json
import os

import pytest

from conftest import offline_model_dir_or_skip as _built_or_skip
from helpers.core.models.offline import OFFLINE_MODELS, model_dir

pytestmark = pytest.mark.slow

CONTEXT = "The capital of France is"


@pytest.fixture(scope="module")
def smollm2():
    """(tokenizer, fp32 model) of SmolLM2-135M from the cache."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = _built_or_skip("smollm2-135m", required_in_ci=True)
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32).eval()
    return tokenizer, model


def _continuation_logprob(tokenizer, model, context: str, continuation: str) -> float:
    """Summed log-prob of ``continuation`` after ``context``, lm-evaluation-harness style:
    encode the whole string and the context alone, continuation = whole[len(context):]."""
    import torch

    whole = tokenizer(context + continuation)["input_ids"]
    context_ids = tokenizer(context)["input_ids"]
    assert whole[: len(context_ids)] == context_ids, "context tokens change when extended"
    continuation_ids = whole[len(context_ids) :]
    assert continuation_ids, f"{continuation!r} encodes to no tokens"
    with torch.no_grad():
        logits = model(input_ids=torch.tensor([whole])).logits  # [1, seq, vocab]
    logprobs = torch.log_softmax(logits[0].float(), dim=-1)  # [seq, vocab]
    positions = range(len(context_ids) - 1, len(whole) - 1)  # each predicts the next token
    return float(sum(logprobs[p, whole[p + 1]] for p in positions))


def test_smollm2_loads_in_fp32_from_fp16_storage(smollm2):
    import torch
    from safetensors import safe_open

    _, model = smollm2
    assert {p.dtype for p in model.parameters()} == {torch.float32}
    path = model_dir("smollm2-135m")
    with safe_open(str(path / "model.safetensors"), framework="pt") as stored:
        dtypes = {stored.get_slice(key).get_dtype() for key in stored.keys()}
    assert dtypes == {"F16"}
    assert sum(p.numel() for p in model.parameters()) == OFFLINE_MODELS["smollm2-135m"].n_parameters


def test_smollm2_tokenizer_adds_no_bos(smollm2):
    tokenizer, _ = smollm2
    ids = tokenizer(CONTEXT)["input_ids"]
    assert not set(ids) & set(tokenizer.all_special_ids), ids
    assert tokenizer.decode(ids) == CONTEXT  # round trip, nothing added


def test_smollm2_prefers_paris_over_berlin(smollm2):
    tokenizer, model = smollm2
    paris = _continuation_logprob(tokenizer, model, CONTEXT, " Paris")
    berlin = _continuation_logprob(tokenizer, model, CONTEXT, " Berlin")
    print(f"log p(' Paris' | {CONTEXT!r}) = {paris:.4f}; log p(' Berlin' | ...) = {berlin:.4f}")
    assert paris < 0 and berlin < 0
    assert paris > berlin


@pytest.mark.parametrize("name", sorted(OFFLINE_MODELS))
def test_built_model_matches_registry(name):
    from safetensors import safe_open
    from transformers import AutoTokenizer

    path = _built_or_skip(name, required_in_ci=(name == "smollm2-135m"))
    spec = OFFLINE_MODELS[name]
    provenance = json.loads((path / "provenance.json").read_text())
    assert provenance["gguf_sha256"] == spec.sha256
    assert provenance["n_parameters"] == spec.n_parameters
    assert provenance["model_type"] == spec.architecture
    assert provenance["probe_max_abs_token_logprob_drift_fp16_vs_gguf"] < 0.05
    assert [(w["package"], w["version"]) for w in provenance["wheels"]] == list(spec.wheels)
    for member in spec.licence_files:
        assert (path / member.rsplit("/", 1)[-1]).stat().st_size > 0
    assert not list(path.glob("*.gguf"))

    shards = sorted(path.glob("*.safetensors"))
    assert shards
    with safe_open(str(shards[0]), framework="pt") as stored:
        assert {stored.get_slice(key).get_dtype() for key in stored.keys()} == {"F16"}

    tokenizer = AutoTokenizer.from_pretrained(path)
    first = tokenizer(CONTEXT)["input_ids"][0]
    assert (first == tokenizer.bos_token_id) == spec.adds_bos
