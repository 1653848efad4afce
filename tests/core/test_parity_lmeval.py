"""Parity with lm-evaluation-harness on the report's own requests, request by request.

The same requests (built by ``helpers.core.tasks`` for every task kind of the report) are scored by
lm-evaluation-harness 0.4.13's ``HFLM.loglikelihood`` and by ``helpers.core.scoring`` on the same
model object in fp32. Every log-likelihood must agree within 1e-4 and every greedy flag must be
identical. Models: SmolLM2-135M from the offline cache (real pretrained weights, Llama
architecture) and random-weight Pythia (GPT-NeoX) and OPT models of the real shapes with the
real tokenizers.
"""

from __future__ import annotations

import pytest
import torch

from conftest import offline_model_dir_or_skip
from helpers.core.models import load_model
from helpers.core.requests import Request
from helpers.core.scoring import score_requests
from helpers.core.tasks import build_items

pytestmark = pytest.mark.slow

TOLERANCE = 1e-4  # nats, fp32 on CPU

# (task, shots, limit): limit is per subject for the MMLU group.
WORKLOADS = [
    ("mmlu_math", 0, 2),
    ("mmlu_math", 5, 1),
    ("arithmetic_2da", 0, 10),
    ("arithmetic_4ds", 0, 10),
    ("qqp_sample", 0, None),
    ("mrpc", 0, 50),
]


def workload_requests() -> list[tuple[str, Request]]:
    """Every request of every workload, labelled with its task."""
    labelled = []
    for task, shots, limit in WORKLOADS:
        for item in build_items(task, shots=shots, limit=limit):
            labelled.extend((f"{task}/{shots}-shot", request) for request in item.requests)
    return labelled


def harness_scores(model, tokenizer, requests: list[Request]) -> list[tuple[float, bool]]:
    """``HFLM.loglikelihood`` on the same model object: [(logprob, is_greedy)]."""
    from lm_eval.api.instance import Instance
    from lm_eval.models.huggingface import HFLM

    harness = HFLM(pretrained=model, tokenizer=tokenizer, batch_size=8, device="cpu")
    instances = [
        Instance(request_type="loglikelihood", doc={}, arguments=(r.context, r.continuation), idx=i)
        for i, r in enumerate(requests)
    ]
    return [(float(logprob), bool(greedy)) for logprob, greedy in harness.loglikelihood(instances, disable_tqdm=True)]


def assert_parity(model, tokenizer) -> None:
    labelled = workload_requests()
    requests = [request for _, request in labelled]
    ours = score_requests(model, tokenizer, requests, progress=False)
    theirs = harness_scores(model, tokenizer, requests)
    assert len(ours) == len(theirs) == len(requests)
    worst = {}
    for (task, request), score, (logprob, greedy) in zip(labelled, ours, theirs):
        difference = abs(score.logprob - logprob)
        worst[task] = max(worst.get(task, 0.0), difference)
        assert difference <= TOLERANCE, (task, request, score.logprob, logprob)
        assert score.is_greedy == greedy, (task, request, score, greedy)
    print("max |ours - harness| per workload:", {task: f"{value:.2e}" for task, value in worst.items()})
    assert set(worst) == {f"{t}/{s}-shot" for t, s, _ in WORKLOADS}


@pytest.mark.parametrize("source", ["random:pythia-160m", "random:opt-125m"])
def test_random_real_architectures_match_harness(source):
    loaded = load_model(source, device="cpu", dtype="float32")
    assert_parity(loaded.model, loaded.tokenizer)


def test_smollm2_matches_harness():
    offline_model_dir_or_skip("smollm2-135m", required_in_ci=True)
    loaded = load_model("offline:smollm2-135m", device="cpu", dtype="float32")
    assert next(loaded.model.parameters()).dtype == torch.float32
    assert_parity(loaded.model, loaded.tokenizer)
