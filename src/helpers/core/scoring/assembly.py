"""What both scorers share between the token windows and the scores: distinct model inputs, and a
request's :class:`~helpers.core.requests.Score` assembled from its per-token values.

The batched engine (:mod:`helpers.core.scoring.engine`) and the lockstep swap scorer
(:mod:`helpers.core.attention.lockstep`) compute log-probabilities differently (shared prefix
keys/values versus several forwards per batch) but agree on everything around that: requests
whose model inputs are identical share one :class:`InputRow` (:func:`distinct_inputs`), and a
request's score is the sum of its continuation tokens' fp32 log-probabilities, greedy when every
token is the argmax (:func:`assemble_score`, lm-evaluation-harness's ``(logprob, is_greedy)``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from helpers.core.requests import Score
from helpers.core.scoring.encoding import ModelWindow


@dataclass
class InputRow:
    """One distinct model input and the requests scored on it."""

    input_ids: tuple[int, ...]
    n_scored: int = 0  # last positions of input_ids whose logits are needed (the longest continuation)
    requests: list[int] = field(default_factory=list)  # indices into the caller's request list


def distinct_inputs(windows: Sequence[ModelWindow]) -> list[InputRow]:
    """One :class:`InputRow` per distinct ``window.input_ids``, in order of first appearance; each
    lists the indices of its windows and needs the logits of its longest continuation."""
    rows: dict[tuple[int, ...], InputRow] = {}
    for index, window in enumerate(windows):
        row = rows.setdefault(window.input_ids, InputRow(window.input_ids))
        row.n_scored = max(row.n_scored, len(window.targets))
        row.requests.append(index)
    return list(rows.values())


def assemble_score(token_logprobs: Sequence[float], token_is_greedy: Sequence[bool], *, token_values: bool) -> Score:
    """The :class:`Score` of one request from its continuation tokens' log-probabilities and greedy
    flags (in token order); per-token values kept only when ``token_values``."""
    return Score(
        logprob=float(sum(token_logprobs)),
        is_greedy=all(token_is_greedy),
        n_tokens=len(token_logprobs),
        token_logprobs=tuple(token_logprobs) if token_values else None,
        token_is_greedy=tuple(bool(flag) for flag in token_is_greedy) if token_values else None,
    )
