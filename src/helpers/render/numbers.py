"""The report's one set of number formatters: percentages, points, intervals and p-values as text.

Every chapter, the claims table and the first page format numbers here, so a number reads the same
on every page. Proportions are in [0, 1] and print as percentages; differences of proportions print
as signed percentage points; a missing value (``None``, NaN, infinite) prints as :data:`MISSING`;
nothing prints as ``-0``. Two ways to round:

* fixed decimals: :func:`pct` (``21.3%``), :func:`points` (``+2.0 pts``), :func:`interval`
  (``[20.1%, 23.4%]``, ``[+0.9, +3.1] pts``), as the claims table prints them;
* decimals from the interval's width (:func:`decimals_for`: about two significant digits of the
  width): :func:`pct_interval` (``25% [5%, 70%]``), :func:`points_interval` (``+15 pts [-6, +34]``),
  :func:`number_interval`, :func:`relative_interval`, :func:`percent_range` (``4.1% (2.6–5.5%)``).

**One p-value rule** (:func:`p_value`, :func:`p_text`): below 0.001 ``< 0.001``, otherwise three
decimals (``0.031``, ``0.214``, ``1.000``); the claims table's rule, used on every page.

Counts in words: :func:`param_label` (``"135M"``, ``"1.8B"``), :func:`count_text` (``"3 families"``),
:func:`listing` (``"a, b and c"``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Real

MISSING = "—"
"""What a missing number prints as."""
P_FLOOR = 0.001
"""p-values below this print as ``< 0.001``."""


def finite(*values) -> bool:
    """True when every value is a finite real number (``None``, NaN, infinities and text are not)."""
    return all(isinstance(value, Real) and math.isfinite(value) for value in values)


def _rounded(value: float, digits: int) -> float:
    """``value`` rounded to ``digits`` decimals, -0.0 made 0.0 (so -0.04 prints as 0.0, never -0.0)."""
    return round(value, digits) + 0.0


def signed(value: float, digits: int = 1) -> str:
    """``value`` with its sign and ``digits`` decimals, never ``-0.0``: ``-0.04`` -> ``"+0.0"``, ``1.26`` ->
    ``"+1.3"`` (in the caller's units; with no decimals a zero is ``"0"``)."""
    text = f"{_rounded(value, digits):+.{digits}f}"
    return "0" if float(text) == 0 and digits == 0 else text


def decimals_for(width: float, *, scale: float = 1.0, most: int = 2) -> int:
    """Decimals that show an interval of ``width`` (in display units after ``scale``) to ~2 digits.

    ``decimals_for(65) == 0``, ``decimals_for(5) == 1``, ``decimals_for(0.6) == 2``; a zero or
    missing width gives 1 (an exact value needs no more), never more than ``most``.
    """
    shown = abs(width) * scale if finite(width) else math.nan
    if not math.isfinite(shown) or shown == 0:
        return min(1, most)
    return int(min(most, max(0, 1 - math.floor(math.log10(shown)))))


# ----------------------------------------------------------------------------- fixed decimals


def pct(value: float, digits: int = 1) -> str:
    """``0.2133`` -> ``21.3%`` (``digits`` decimals); missing -> ``—``; never ``-0.0%``."""
    return f"{_rounded(100 * value, digits):.{digits}f}%" if finite(value) else MISSING


def points(value: float, digits: int = 1) -> str:
    """A difference of proportions in percentage points, signed: ``0.02`` -> ``+2.0 pts``; -0.0004 -> ``+0.0 pts``."""
    return f"{_rounded(100 * value, digits):+.{digits}f} pts" if finite(value) else MISSING


def interval(low: float, high: float, unit: str = "pct", digits: int = 1) -> str:
    """``[20.1%, 23.4%]`` (``unit="pct"``) or ``[+0.9, +3.1] pts`` (``unit="pts"``); ``(no interval)`` when a
    bound is missing. Any other ``unit`` raises ``ValueError``."""
    if unit not in ("pct", "pts"):
        raise ValueError(f"interval unit must be 'pct' or 'pts'; got {unit!r}.")
    if not finite(low, high):
        return "(no interval)"
    if unit == "pct":
        return f"[{pct(low, digits)}, {pct(high, digits)}]"
    return f"[{_rounded(100 * low, digits):+.{digits}f}, {_rounded(100 * high, digits):+.{digits}f}] pts"


def p_value(p: float) -> str:
    """The one p-value rule: ``< 0.001`` below :data:`P_FLOOR`, else three decimals (``0.031``); missing -> ``—``."""
    if not finite(p):
        return MISSING
    return f"< {P_FLOOR}" if p < P_FLOOR else f"{p:.3f}"


def p_text(p: float, prefix: str = "p ") -> str:
    """A p-value in a sentence: ``p = 0.031``, ``p < 0.001``, ``p —`` (no test); ``prefix`` names it
    (``"Holm p "``, or ``""`` for ``= 0.031``)."""
    shown = p_value(p)
    if shown == MISSING:
        return f"{prefix}{MISSING}"
    return f"{prefix}{shown}" if shown.startswith("<") else f"{prefix}= {shown}"


# ----------------------------------------------------------------------------- decimals from the interval


def pct_interval(value: float, low: float, high: float, most: int = 2) -> str:
    """``"25% [5%, 70%]"``, decimals from the interval width; no interval -> the value alone."""
    if not finite(low, high):
        return pct(value, 1)
    digits = decimals_for(high - low, scale=100, most=most)
    return f"{pct(value, digits)} [{pct(low, digits)}, {pct(high, digits)}]"


def points_interval(difference: float, low: float, high: float, most: int = 1) -> str:
    """A difference of proportions in percentage points: ``"+15 pts [-6, +34]"``."""
    if not finite(difference):
        return MISSING
    digits = decimals_for(high - low, scale=100, most=most) if finite(low, high) else 1
    text = f"{signed(100 * difference, digits)} pts"
    if finite(low, high):
        text += f" [{signed(100 * low, digits)}, {signed(100 * high, digits)}]"
    return text


def number(value: float, digits: int = 2) -> str:
    """A plain number with ``digits`` decimals (no exponent); missing -> ``—``."""
    return f"{_rounded(value, digits):,.{digits}f}" if finite(value) else MISSING


def number_interval(value: float, low: float, high: float, most: int = 4) -> str:
    """``"2.31 [2.20, 2.45]"``: decimals from the interval width (at most ``most``)."""
    if not finite(value):
        return MISSING
    if not finite(low, high):
        return number(value, 2)
    digits = decimals_for(high - low, most=most)
    return f"{number(value, digits)} [{number(low, digits)}, {number(high, digits)}]"


def relative_interval(change: float, low: float, high: float) -> str:
    """A relative change as a signed percentage: ``"-11% [-14%, -8%]"``."""
    if not finite(change):
        return MISSING
    digits = decimals_for(high - low, scale=100, most=1) if finite(low, high) else 0
    text = f"{signed(100 * change, digits)}%"
    if finite(low, high):
        text += f" [{signed(100 * low, digits)}%, {signed(100 * high, digits)}%]"
    return text


def ratio_text(ratio: float) -> str:
    """A fold change: ``36.3 -> "36x"``, ``4.2 -> "4.2x"``."""
    if not finite(ratio):
        return MISSING
    return f"{ratio:.0f}x" if ratio >= 10 else f"{ratio:.1f}x"


def percent_range(value: float, low: float, high: float) -> str:
    """``0.0406, 0.0264, 0.0548`` -> ``"4.1% (2.6–5.5%)"``, decimals from the width (0 to 2); missing -> ``n/a``."""
    if not finite(value, low, high):
        return "n/a"
    digits = decimals_for(high - low, scale=100)
    return f"{_rounded(100 * value, digits):.{digits}f}% ({range_text(low, high)})"


def range_text(low: float, high: float) -> str:
    """``0.0264, 0.0548`` -> ``"2.6–5.5%"`` (decimals as in :func:`percent_range`)."""
    digits = decimals_for(high - low, scale=100)
    return f"{_rounded(100 * low, digits):.{digits}f}–{_rounded(100 * high, digits):.{digits}f}%"


def points_range(value: float, low: float, high: float) -> str:
    """A difference of accuracies in percentage points: ``"+4.1 pp (+3.0 to +6.0)"``."""
    digits = decimals_for(high - low, scale=100)
    return f"{signed(100 * value, digits)} pp ({signed(100 * low, digits)} to {signed(100 * high, digits)})"


# ----------------------------------------------------------------------------- counts in words


def param_label(n_params: float) -> str:
    """A parameter count for readers: ``134_515_008 -> "135M"``, ``1_777_088_000 -> "1.8B"``.

    Units K, M, B; one decimal below 10 units, none from 10 up (``6_539_008 -> "6.5M"``,
    ``70_426_624 -> "70M"``). A missing (None, NaN, infinite, not a number) or non-positive count gives
    :data:`MISSING`.
    """
    if not finite(n_params) or n_params <= 0:
        return MISSING
    for unit, scale in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if n_params >= scale * 0.9995:
            value = n_params / scale
            text = f"{value:.1f}" if round(value, 1) < 10 else f"{value:.0f}"
            return f"{text}{unit}"
    return f"{round(n_params)}"


def count_text(n: int, noun: str) -> str:
    """``count_text(1, "model") == "1 model"``, ``count_text(3, "family") == "3 families"``."""
    if n == 1:
        return f"1 {noun}"
    plural = noun[:-1] + "ies" if noun.endswith("y") and noun[-2:-1] not in tuple("aeiou") else noun + "s"
    return f"{n:,} {plural}"


def listing(items: Sequence[str]) -> str:
    """``["a", "b", "c"] -> "a, b and c"``."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


# ----------------------------------------------------------------------------- a setting, as written


def setting_billions(n_params: float) -> str:
    """A size setting in billions as written, no trailing zeros: ``1e9`` -> ``"1B"``, ``2.8e9`` -> ``"2.8B"``."""
    return f"{n_params / 1e9:g}B"


def setting_points(proportion: float) -> str:
    """A setting (a margin, a band, a level) in points, as one would write it, no trailing zeros:
    ``0.19`` -> ``19``, ``0.015`` -> ``1.5``. For measured differences use :func:`points`. A setting is a code
    constant: one that is not a finite number raises ``ValueError`` (a bug, not a missing measurement)."""
    if not finite(proportion):
        raise ValueError(f"a setting must be a finite number; got {proportion!r}.")
    return f"{_rounded(100 * proportion, 6):g}"


def setting_percent(proportion: float) -> str:
    """A setting as a percentage, no trailing zeros: ``0.05`` -> ``5%``, ``0.95`` -> ``95%``. For measured
    proportions use :func:`pct`."""
    return f"{setting_points(proportion)}%"


_NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def number_word(n: int) -> str:
    """``3`` -> ``three`` for 0 to 10 (prose style); a larger or negative count raises ``ValueError``."""
    if not 0 <= n < len(_NUMBER_WORDS):
        raise ValueError(f"number_word takes 0 to {len(_NUMBER_WORDS) - 1}; got {n!r}: write larger counts as digits.")
    return _NUMBER_WORDS[n]


def about_percent(rate: float) -> str:
    """A rate in [0, 1] as an "about" percentage, one significant figure: ``0.208`` -> ``20%``, ``0.038`` -> ``4%``."""
    if not 0 <= rate <= 1:
        raise ValueError(f"about_percent takes a rate in [0, 1]; got {rate!r}.")
    if rate == 0:
        return "0%"
    value = 100 * rate
    digits = -math.floor(math.log10(value))
    return f"{round(value, digits):.{max(digits, 0)}f}%"
