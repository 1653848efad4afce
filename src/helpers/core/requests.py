"""The log-likelihood request contract shared by tasks, scoring and metrics.

It mirrors lm-evaluation-harness's ``loglikelihood`` contract: a request is a pair of
strings ``(context, continuation)`` and its answer is ``(logprob, is_greedy)``, the summed
log-probability of the continuation's tokens given the context and whether every one of
them is the model's argmax. The leading space of an answer belongs to the continuation
(``" Paris"``, ``" A"``); the scoring engine moves any trailing space of the context into
the continuation, as the harness does.

An :class:`Item` is one example of a task: one request per answer choice (multiple choice)
or a single request (arithmetic), and the index of the gold choice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Request:
    """One log-likelihood request: score ``continuation`` after ``context``."""

    context: str
    continuation: str


@dataclass(frozen=True)
class Item:
    """One task example.

    ``requests[i]`` scores choice ``i``; ``gold`` indexes the correct one. For a task with a
    single continuation (arithmetic) there is one request and ``gold == 0``; its accuracy is
    the greedy flag of that request, not an argmax over choices.
    """

    task: str  # task name, e.g. "mmlu_letter:high_school_mathematics", "arithmetic_2da"
    item_id: str  # stable id within the task (row number in the source file)
    requests: tuple[Request, ...]
    gold: int
    choice_labels: tuple[str, ...] = ()  # human-readable choices: ("A","B","C","D"), ("no","yes")
    meta: Mapping[str, Any] = field(default_factory=dict)  # e.g. {"subject": ...}

    @property
    def is_multiple_choice(self) -> bool:
        return len(self.requests) > 1

    def fingerprint(self) -> str:
        """What identifies the item's scores: task, id, request strings, gold and labels.

        ``meta`` is left out: it describes where the item came from (file, line), which differs
        between machines and must not change a results-store key or fingerprint.
        """
        return repr((self.task, self.item_id, self.requests, self.gold, self.choice_labels))


@dataclass(frozen=True)
class Score:
    """The engine's answer to one :class:`Request`.

    ``logprob`` is the summed natural-log probability of the continuation tokens;
    ``is_greedy`` is True when every continuation token is the argmax at its position;
    ``n_tokens`` counts the continuation tokens; ``token_logprobs`` and ``token_is_greedy``
    hold the per-token values when asked for (else ``None``): the log-probability of each
    continuation token and whether it was the argmax at its position (teacher-forced, so the
    fraction of greedy tokens is a "digits correct" metric for one-digit-per-token answers).
    """

    logprob: float
    is_greedy: bool
    n_tokens: int
    token_logprobs: tuple[float, ...] | None = None
    token_is_greedy: tuple[bool, ...] | None = None
