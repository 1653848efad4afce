"""Tests of helpers.analysis.verdicts: the verdict vocabulary, combine(), the shared checks."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from helpers.analysis.verdicts import (
    VERDICTS,
    InferenceError,
    Verdict,
    as_binary,
    as_finite,
    check_counts,
    check_level,
    combine,
)

R, P, N, I, J = VERDICTS  # reproduced, partly, not reproduced, inconclusive, not judged  # noqa: E741 (the verdict initials)


def _verdict(**changes) -> Verdict:
    fields = dict(
        code="inconclusive",
        reason="18.9% (201/1064), 95% CI 16.6-21.3%.",
        test="exact binomial test vs 25%, one-sided, Holm over 15 models",
        data="15 models, 1,064 items, full text, 0-shot, acc",
        mde=0.036,
    )
    fields.update(changes)
    return Verdict(**fields)


def test_verdict_codes_are_the_five_names_in_order():
    assert VERDICTS == ("reproduced", "partly", "not reproduced", "inconclusive", "not judged")


def test_verdict_keeps_its_fields_and_is_frozen():
    verdict = _verdict(margin="±1 point per decade", mde=0.036)
    assert (verdict.code, verdict.margin, verdict.mde) == ("inconclusive", "±1 point per decade", 0.036)
    with pytest.raises(dataclasses.FrozenInstanceError):
        verdict.code = "reproduced"


@pytest.mark.parametrize("code", ["Reproduced", "yes", "", "partial"])
def test_verdict_rejects_unknown_codes(code):
    with pytest.raises(ValueError, match="not one of"):
        _verdict(code=code)


@pytest.mark.parametrize("field", ["reason", "test", "data"])
def test_verdict_needs_every_sentence(field):
    with pytest.raises(InferenceError, match=field):
        _verdict(**{field: "  "})


def test_verdict_mde_must_be_a_nonnegative_number():
    assert _verdict(mde=math.inf).mde == math.inf  # nothing detectable at this n
    assert math.isnan(_verdict(mde=math.nan, no_mde="two models").mde)  # could not be computed: say why
    for bad in (-0.01, "5 points", True):
        with pytest.raises(InferenceError, match="mde"):
            _verdict(mde=bad)


@pytest.mark.parametrize(
    "parts, expected",
    [
        ([R], R),
        ([R, R, R], R),
        ([N, N], N),
        ([I], I),
        ([I, I], I),
        ([J], J),
        ([J, J], J),
        ([], J),
        ([R, J], R),  # not judged parts are ignored
        ([N, J, J], N),
        ([I, J], I),
        ([R, N], N),  # as much significant evidence against as for: not reproduced
        ([R, R, N], P),  # more for than against
        ([R, N, N, N, N], N),  # one part for, four significant contradictions (issue 19, rule 4)
        ([R, I], P),  # part reproduced, part undecided
        ([P], P),
        ([P, N], N),
        ([P, R], P),
        ([R, N, I, J], N),
        ([R, R, N, I, J], P),
        ([N, I], N),  # nothing reproduced, every decided part against
        ([N, I, J], N),
    ],
)
def test_combine_follows_the_documented_rule(parts, expected):
    assert combine(parts) == expected


def test_combine_accepts_any_sequence_and_rejects_bad_codes():
    assert combine((R, R)) == R
    with pytest.raises(InferenceError, match="unknown verdict"):
        combine([R, "maybe"])
    with pytest.raises(InferenceError, match="one string"):
        combine("reproduced")


def test_shared_checks_name_the_bad_value():
    assert check_counts(0, 1) == (0, 1) and check_counts(np.int64(3), 3.0) == (3, 3)
    for k, n in ((5, 4), (-1, 3), (1, 0), (math.nan, 3), (1.5, 3), (True, 3)):
        with pytest.raises(ValueError):
            check_counts(k, n)
    assert check_level(np.float64(0.95)) == 0.95
    for bad in (0, 1, 1.5, math.nan, "0.95", True):
        with pytest.raises(ValueError, match="confidence"):
            check_level(bad)
    with pytest.raises(ValueError, match=r"x\[2\] = nan"):
        as_finite([1.0, 2.0, math.nan], "x")
    with pytest.raises(ValueError, match="at least 1"):
        as_finite([], "x")
    with pytest.raises(ValueError, match=r"c\[1\] = 2.0"):
        as_binary([1, 2, 0], "c")
    assert as_binary([True, False], "c").tolist() == [1, 0]
