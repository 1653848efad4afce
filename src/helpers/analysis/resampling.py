"""The one rule for how many bootstrap resamples a caller may ask for.

A percentile interval at 95% puts 2.5% of the resamples in each tail: with fewer than
:data:`MIN_RESAMPLES` (100) a tail holds at most two of them and the interval's ends are noise.
So every bootstrap count in the package, from a notebook parameter down to
:func:`helpers.analysis.intervals.bootstrap_mean_ci`, passes :func:`check_resamples`: either 0
(where the caller can skip the intervals: they are then NaN) or an integer of at least
:data:`MIN_RESAMPLES`. Each layer keeps its own error class (``error``), so a notebook user sees
the parameter's error and a library user the function's.
"""

from __future__ import annotations

from numbers import Integral

MIN_RESAMPLES = 100
"""The fewest bootstrap resamples that give a 95% percentile interval worth printing."""


def check_resamples(
    value: object, *, name: str = "bootstrap", allow_zero: bool = True, error: type[Exception] = ValueError
) -> int:
    """``value`` as an int if it is a valid number of bootstrap resamples, else raise ``error``.

    Valid: an integer (not a bool) ``>= MIN_RESAMPLES``, or 0 when ``allow_zero`` (no intervals).
    ``name`` is how the message names the value (e.g. ``"bootstrap"``, ``"n_resamples"``).
    """
    is_integer = isinstance(value, Integral) and not isinstance(value, bool)
    if is_integer and (value >= MIN_RESAMPLES or (allow_zero and value == 0)):
        return int(value)
    accepted = f"0 (no intervals) or an integer >= {MIN_RESAMPLES}" if allow_zero else f"an integer >= {MIN_RESAMPLES}"
    raise error(f"{name}={value!r}: expected {accepted} (fewer resamples cannot give a 95% interval).")
