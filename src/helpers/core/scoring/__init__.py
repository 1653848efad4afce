"""Batched log-likelihood scoring, request by request identical to lm-evaluation-harness.

``score_requests(model, tokenizer, requests)`` (or ``Scorer(model, tokenizer).score(requests)``)
returns one :class:`helpers.core.requests.Score` per :class:`helpers.core.requests.Request`, in order.
Modules: ``encoding`` (the harness's token contract), ``planning`` (shared prefixes and
batches), ``assembly`` (distinct inputs and a request's score, shared with the swap scorer),
``engine`` (the forward passes).
"""

from helpers.core.scoring.assembly import InputRow, assemble_score, distinct_inputs
from helpers.core.scoring.encoding import (
    EncodedRequest,
    ModelWindow,
    ScoringInputError,
    encode_requests,
    model_window,
    resolve_max_length,
)
from helpers.core.scoring.engine import Scorer, WorkCounts, score_requests

__all__ = [
    "InputRow",
    "assemble_score",
    "distinct_inputs",
    "EncodedRequest",
    "ModelWindow",
    "Scorer",
    "ScoringInputError",
    "WorkCounts",
    "encode_requests",
    "model_window",
    "resolve_max_length",
    "score_requests",
]
