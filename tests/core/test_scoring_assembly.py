"""The pieces both scorers share (helpers.core.scoring.assembly), checked by hand, and the two
scorers' agreement through them."""

from __future__ import annotations

import pytest

from helpers.core.attention.lockstep import baseline_forward, score_with_forward
from helpers.core.models import load_model
from helpers.core.requests import Request, Score
from helpers.core.scoring import Scorer, assemble_score, distinct_inputs
from helpers.core.scoring.encoding import ModelWindow


def test_distinct_inputs_groups_identical_windows_and_keeps_the_longest_continuation():
    windows = [
        ModelWindow((1, 2, 3), (3,)),
        ModelWindow((5, 6), (6,)),
        ModelWindow((1, 2, 3), (2, 3)),
        ModelWindow((1, 2, 3), (3,)),
    ]
    rows = distinct_inputs(windows)
    assert [(row.input_ids, row.n_scored, row.requests) for row in rows] == [
        ((1, 2, 3), 2, [0, 2, 3]),
        ((5, 6), 1, [1]),
    ]


def test_assemble_score_sums_and_flags_by_hand():
    score = assemble_score([-1.25, -0.5], [True, False], token_values=True)
    assert score == Score(
        logprob=-1.75, is_greedy=False, n_tokens=2, token_logprobs=(-1.25, -0.5), token_is_greedy=(True, False)
    )
    assert assemble_score([-0.5], [1], token_values=False) == Score(-0.5, True, 1, None, None)


@pytest.fixture(scope="module")
def pythia():
    return load_model("random:pythia-70m", device="cpu", attn_implementation="eager")


REQUESTS = [
    Request("The capital of France is", " Paris"),
    Request("The capital of France is", " Lyon and more"),
    Request("2 + 2 =", " 4"),
    Request("2 + 2 =", " 4"),
]


def test_the_engine_and_the_lockstep_scorer_agree_request_by_request(pythia):
    engine = Scorer(pythia.model, pythia.tokenizer, progress=False).score(REQUESTS, return_token_values=True)
    lockstep = score_with_forward(
        baseline_forward(pythia.model), pythia.tokenizer, REQUESTS, max_length=pythia.max_length
    )
    for ours, theirs in zip(engine, lockstep):
        assert (ours.n_tokens, ours.is_greedy, ours.token_is_greedy) == (
            theirs.n_tokens,
            theirs.is_greedy,
            theirs.token_is_greedy,
        )
        assert ours.logprob == pytest.approx(theirs.logprob, abs=1e-4)
    assert engine[1].n_tokens > 1 and engine[2] == engine[3]  # a multi-token continuation; a repeated request
