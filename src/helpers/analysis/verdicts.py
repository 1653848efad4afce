"""The vocabulary of the claims table: verdict codes, one verdict, and how parts combine.

A verdict is only as good as the test behind it and the data it rests on (``STATISTICS.md``),
so a :class:`Verdict` carries both: the deciding numbers (``reason``), the test and its family
(``test``), what it rests on (``data``), and, when nothing could be decided, the minimum
detectable effect at 80% power (``mde``, in the units of the claim: proportions in [0, 1] for
accuracies, proportion per decade of parameters for slopes).

This module also holds the input checks shared by :mod:`~helpers.analysis.inference`,
:mod:`~helpers.analysis.trend`, :mod:`~helpers.analysis.power` and
:mod:`~helpers.analysis.baselines`, and their error, :class:`InferenceError` (a
``ValueError`` subclass, via :class:`~helpers.analysis.metrics.MetricError`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Real

import numpy as np

from helpers.analysis.metrics import MetricError

__all__ = [
    "VERDICTS",
    "Verdict",
    "combine",
    "InferenceError",
    "MIN_ITEMS",
    "undecidable",
    "ALPHA",
    "QUESTION_WORDS",
    "question_word",
]

VERDICTS = ("reproduced", "partly", "not reproduced", "inconclusive", "not judged")

ALPHA = 0.05
"""Significance level of every test (two-sided unless a rule says one-sided)."""

QUESTION_WORDS = {"reproduced": "supported", "partly": "partly supported", "not reproduced": "not supported"}
"""How a verdict code reads on a row that judges a question the study left open rather than a result
it reports: there is nothing to reproduce, only a statement the data support or contradict."""


def question_word(code: str) -> str:
    """A verdict code as it reads for an open question: ``"not reproduced"`` -> ``"not supported"``."""
    return QUESTION_WORDS.get(code, code)


class InferenceError(MetricError):
    """Bad input to a test, interval or verdict (shape, range, NaN, ...); a ``ValueError``."""


@dataclass(frozen=True)
class Verdict:
    """One claim's (or one part's) verdict and what it rests on.

    ``code``: one of :data:`VERDICTS`. ``reason``: one sentence with the deciding numbers.
    ``test``: the test's name and family, e.g. "exact binomial test vs 25%, one-sided, Holm
    over 15 models". ``data``: models, n items, format (letter / full text), shots, acc or
    acc_norm. ``margin``: the equivalence margin, when one was used, as text with units.
    ``mde``: minimum detectable effect at 80% power, given when the verdict is inconclusive, in
    ``mde_unit`` (a proportion printed as points, or a slope printed as points per decade; a unit
    not in points, e.g. "nats per token", is printed as it is). ``no_mde``: when inconclusive
    without an MDE, the reason there is none (two models, zero-width interval, too few items).
    An inconclusive verdict without either raises: every inconclusive verdict says what n could
    detect, or why nothing can be said (issue 19, rule 10).
    """

    code: str
    reason: str
    test: str
    data: str
    margin: str | None = None
    mde: float | None = None
    mde_unit: str = "points"
    no_mde: str | None = None

    def __post_init__(self):
        if self.code not in VERDICTS:
            raise InferenceError(f"verdict code {self.code!r} is not one of {VERDICTS}; use one of those.")
        for name in ("reason", "test", "data"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name).strip():
                raise InferenceError(f"Verdict.{name} must be a non-empty sentence; got {getattr(self, name)!r}.")
        mde = self.mde
        if mde is not None and (isinstance(mde, bool) or not isinstance(mde, Real) or mde < 0):
            raise InferenceError(
                f"Verdict.mde must be None or a number >= 0 (inf: nothing detectable, NaN: unknown); got {mde!r}."
            )
        has_mde = self.mde is not None and not (isinstance(self.mde, Real) and math.isnan(self.mde))
        if self.code == "inconclusive" and not has_mde and not (self.no_mde and self.no_mde.strip()):
            raise InferenceError(
                "an inconclusive Verdict must carry its minimum detectable effect (mde) or the "
                "reason there is none (no_mde)."
            )


MIN_ITEMS = 20
"""Fewest paired items an interval may decide a verdict on: below it a bootstrap interval's coverage
is not to be trusted (the resampling distribution has few distinct values) and an exact paired test
of 0/1 outcomes cannot reach 5% with Holm over a family (issue 19, rule 6)."""


def undecidable(n: int, low: float, high: float, min_n: int = MIN_ITEMS) -> str | None:
    """Why an interval cannot decide a verdict (too few items, no interval, zero width), else ``None``."""
    if n < min_n:
        return f"{n} items, fewer than the {min_n} an interval needs to decide"
    if not (math.isfinite(low) and math.isfinite(high)):
        return "no interval could be made"
    if not high - low > 1e-9 * max(1.0, abs(low), abs(high)):  # zero up to rounding (0.8 - 2.8 vs 1.2 - 3.2)
        return "the interval has zero width (every item changed identically): sampling error cannot be estimated"
    return None


def combine(parts: Sequence[str]) -> str:
    """Combine per-family or per-part verdict codes into one claim verdict, by the weight of evidence.

    Each decided part is a significant finding: "reproduced" and "partly" parts support the claim,
    "not reproduced" parts contradict it significantly; "inconclusive" parts weigh nothing either way.
    The rule (defined on the methods page), in order:

    1. "not judged" parts are ignored when any other part exists; no parts, or only
       "not judged" parts -> "not judged".
    2. All remaining parts equal -> that code.
    3. Contradictions at least as many as supports (and at least one) -> "not reproduced": a claim
       with as much significant evidence against it as for it, or more, is not reproduced
       (one "reproduced" part among four significant contradictions is not "partly").
    4. Otherwise (more supports than contradictions, at least one support) -> "partly": some of the
       claim holds and the evidence against it, if any, is outweighed.

    Unknown codes raise :class:`InferenceError`.
    """
    if isinstance(parts, str):
        raise InferenceError(f"parts must be a sequence of verdict codes, not one string; got {parts!r}.")
    parts = list(parts)
    unknown = [part for part in parts if part not in VERDICTS]
    if unknown:
        raise InferenceError(f"unknown verdict codes {unknown}; each part must be one of {VERDICTS}.")
    judged = [part for part in parts if part != "not judged"]
    if not judged:
        return "not judged"
    if len(set(judged)) == 1:
        return judged[0]
    support = sum(part in ("reproduced", "partly") for part in judged)
    against = judged.count("not reproduced")
    if against and against >= support:
        return "not reproduced"
    return "partly"


# --------------------------------------------------------------------------- shared input checks


def check_level(value, name: str = "confidence") -> float:
    """Return ``value`` as a float in (0, 1) or raise (levels, alphas, powers)."""
    ok = isinstance(value, Real) and not isinstance(value, bool)
    if not ok or not 0.0 < float(value) < 1.0:
        raise InferenceError(f"{name} must be a number in (0, 1), e.g. 0.95 or 0.05; got {value!r}.")
    return float(value)


def check_count(value, name: str) -> int:
    """Return ``value`` as a non-negative int (a count of items) or raise."""
    is_number = isinstance(value, Real)
    if isinstance(value, bool) or not is_number or not math.isfinite(value) or int(value) != value:
        raise InferenceError(f"{name} must be an integer count; got {name}={value!r}.")
    if value < 0:
        raise InferenceError(f"{name} must be >= 0; got {name}={value!r}.")
    return int(value)


def check_counts(k, n) -> tuple[int, int]:
    """Return ``(k, n)`` as ints with ``n >= 1`` and ``0 <= k <= n`` or raise."""
    k, n = check_count(k, "k"), check_count(n, "n")
    if n < 1:
        raise InferenceError(f"n must be a positive number of items; got n={n}. Score some items first.")
    if not 0 <= k <= n:
        raise InferenceError(f"k must lie in 0..n; got k={k}, n={n} (k counts correct items out of n).")
    return k, n


def as_finite(values, name: str, min_size: int = 1) -> np.ndarray:
    """Return ``values`` as a finite 1-D float array with at least ``min_size`` entries."""
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise InferenceError(f"{name} must be numbers; got {values!r} ({error}).") from error
    if array.ndim != 1:
        raise InferenceError(f"{name} must be 1-D; got shape {array.shape}. Flatten it first.")
    if array.size < min_size:
        raise InferenceError(f"{name} needs at least {min_size} entries; got {array.size}.")
    if not np.all(np.isfinite(array)):
        bad = int(np.argmax(~np.isfinite(array)))
        raise InferenceError(f"{name}[{bad}] = {float(array[bad])} is not finite; drop or fix that entry.")
    return array


def as_binary(values, name: str) -> np.ndarray:
    """Return 0/1 (or boolean) ``values`` as a 1-D int array; anything else raises."""
    array = as_finite(values, name)
    if not np.all((array == 0) | (array == 1)):
        bad = int(np.argmax((array != 0) & (array != 1)))
        raise InferenceError(f"{name}[{bad}] = {float(array[bad])}; pass 0/1 correctness per item.")
    return array.astype(np.int64)


def same_length(first: np.ndarray, second: np.ndarray, names: str) -> None:
    """Raise unless the two arrays have the same length (paired by item)."""
    if first.size != second.size:
        raise InferenceError(f"{names} must be paired by item (same length); got {first.size} and {second.size}.")
