"""Notebook parameters as a schema: each experiment declares its parameters, each with its check.

A :class:`Parameter` holds a name, a one-line description and a ``check(value) -> value`` that
raises :class:`ParameterError` naming the parameter, the value and what is accepted, e.g.
``alphas: 2.0 is outside [0, 1]; give mixing weights between 0 and 1``. The command line checks
every ``-p``/``-y`` value against the chosen experiments' schemas (through
:func:`helpers.experiments.config.configure`) before anything is scored, so a bad value is refused
in one line instead of failing deep in a planner.

The checks that need the profile (models resolved, task kinds of the profile) stay in
``configure``; the per-value checks live here, one home each.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from helpers.analysis.resampling import check_resamples


class ParameterError(ValueError):
    """A run parameter that is not accepted (the message names the value and the accepted ones)."""


@dataclass(frozen=True)
class Parameter:
    """One notebook parameter: its name, what it means, and its check (returns the value to use)."""

    name: str
    help: str
    check: Callable[[Any], Any]


def schema(*parameters: Parameter) -> dict[str, Parameter]:
    """``{name: parameter}`` in the given order (a name given twice is a programming error)."""
    named = {parameter.name: parameter for parameter in parameters}
    if len(named) != len(parameters):
        raise ValueError(f"a parameter is declared twice in {[p.name for p in parameters]}")
    return named


def check_values(parameters: Mapping[str, Parameter], values: Mapping[str, Any], experiment: str) -> dict[str, Any]:
    """Every value of ``values`` through its parameter's check; a name the schema lacks is refused."""
    unknown = [name for name in values if name not in parameters]
    if unknown:
        raise ParameterError(
            f"Parameter(s) {unknown} are not used by the {experiment!r} experiment; it accepts: "
            f"{', '.join(parameters)}."
        )
    return {name: parameters[name].check(value) for name, value in values.items()}


# ----------------------------------------------------------------------------- checks (value -> value)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def optional_int(name: str, value: Any, minimum: int) -> int | None:
    """``value`` when it is None or an integer >= ``minimum``."""
    if value is not None and (not _is_int(value) or value < minimum):
        raise ParameterError(f"Parameter {name}={value!r}: expected an integer >= {minimum} or None.")
    return value


def strict_bool(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ParameterError(f"Parameter {name}={value!r}: expected True or False (papermill: -p {name} True).")
    return value


def bootstrap(value: Any) -> int:
    """0 (no intervals) or at least :data:`helpers.analysis.resampling.MIN_RESAMPLES` resamples."""
    return check_resamples(value, name="Parameter bootstrap", error=ParameterError)


def string_list(name: str, value: Any, example: str) -> list[str] | None:
    """None, or a non-empty list of non-empty strings."""
    if value is None:
        return None
    if (
        isinstance(value, str)
        or not isinstance(value, (list, tuple))
        or not value
        or not all(isinstance(item, str) and item for item in value)
    ):
        raise ParameterError(
            f"Parameter {name}={value!r}: expected a non-empty list of strings, e.g. {example} "
            f"(on the command line: -y {name} '{example}')."
        )
    return list(value)


def device(value: Any) -> str | None:
    if value not in (None, "cpu", "cuda") and not (isinstance(value, str) and value.startswith("cuda:")):
        raise ParameterError(f"Parameter device={value!r}: expected 'cpu', 'cuda', 'cuda:N' or None.")
    return value


def integer_at_least(name: str, minimum: int, *, nullable: bool = False, meaning: str = "") -> Callable[[Any], Any]:
    """A check: an integer >= ``minimum`` (or None when ``nullable``)."""

    def check(value: Any) -> Any:
        if value is None and nullable:
            return value
        if not _is_int(value) or value < minimum:
            null = " or None" if nullable else ""
            raise ParameterError(f"{name}: {value!r} is not an integer >= {minimum}{null}; give {meaning or 'one'}.")
        return value

    return check


def one_of(name: str, choices: Collection[str]) -> Callable[[Any], Any]:
    """A check: one of ``choices``."""

    def check(value: Any) -> Any:
        if value not in choices:
            raise ParameterError(f"{name}: {value!r} is not one of {', '.join(map(str, choices))}; choose one of them.")
        return value

    return check


def number_in(name: str, low: float, high: float, meaning: str, *, open_interval: bool = False) -> Callable[[Any], Any]:
    """A check: a number in ``[low, high]`` (``(low, high)`` when ``open_interval``)."""
    shown = f"({low:g}, {high:g})" if open_interval else f"[{low:g}, {high:g}]"

    def check(value: Any) -> Any:
        inside = _is_number(value) and (low < value < high if open_interval else low <= value <= high)
        if not inside:
            raise ParameterError(f"{name}: {value!r} is outside {shown}; give {meaning}.")
        return value

    return check


def _optional_list(name: str, not_a_list: str, refusal: Callable[[Any], str | None]) -> Callable[[Any], Any]:
    """A check: None, or a non-empty list (a string is not one) of items that ``refusal`` accepts.
    Anything else is a :class:`ParameterError` ``"<name>: <value> <not_a_list>"``; an item that
    ``refusal(item)`` refuses (a message, None when accepted) one ``"<name>: <item> <message>"``."""

    def check(value: Any) -> Any:
        if value is None:
            return value
        if isinstance(value, str) or not isinstance(value, (list, tuple)) or not value:
            raise ParameterError(f"{name}: {value!r} {not_a_list}")
        for item in value:
            message = refusal(item)
            if message is not None:
                raise ParameterError(f"{name}: {item!r} {message}")
        return value

    return check


def numbers_in(name: str, low: float, high: float, meaning: str) -> Callable[[Any], Any]:
    """A check: None, or a non-empty list of numbers in ``[low, high]`` (each out-of-range one is named)."""
    return _optional_list(
        name,
        f"is not a list; give {meaning}, e.g. -y {name} '[0, 0.5, 1]'.",
        lambda item: (
            None if _is_number(item) and low <= item <= high else f"is outside [{low:g}, {high:g}]; give {meaning}."
        ),
    )


def is_source_pair(pair: Any) -> bool:
    """Whether ``pair`` is ``[donor, recipient]``: a list or tuple of two non-blank model sources."""
    return isinstance(pair, (list, tuple)) and len(pair) == 2 and all(isinstance(s, str) and s.strip() for s in pair)


def model_pairs(name: str) -> Callable[[Any], Any]:
    """A check: None, or a non-empty list of ``[donor, recipient]`` model sources."""
    example = "-y pairs '[[random:pythia-70m, random:pythia-160m]]'"
    return _optional_list(
        name,
        f"is not a list of [donor, recipient] pairs; give e.g. {example}.",
        lambda pair: (
            None if is_source_pair(pair) else f"is not a [donor, recipient] pair of model sources; give e.g. {example}."
        ),
    )


def layer_list(name: str) -> Callable[[Any], Any]:
    """A check: None, or a non-empty list of layer indices >= 0."""
    return _optional_list(
        name,
        f"is not a list; give layer indices >= 0, e.g. -y {name} '[0, 3]', or None for every k-th layer.",
        lambda layer: None if _is_int(layer) and layer >= 0 else "is not a layer index; give integers >= 0.",
    )


def optional_strings(name: str, example: str) -> Callable[[Any], Any]:
    return lambda value: string_list(name, value, example)


# ----------------------------------------------------------------------------- the common parameters


COMMON = schema(
    Parameter(
        "models",
        "model sources (replace the profile's)",
        optional_strings("models", "[offline:smollm2-135m, offline:gemma3-270m]"),
    ),
    Parameter("families", "keep only these families of the profile", optional_strings("families", "[qwen2.5-coder]")),
    Parameter("task_kinds", "keep only these task kinds", optional_strings("task_kinds", "[knowledge, procedure]")),
    Parameter("shots", "few-shot examples (every task)", lambda value: optional_int("shots", value, 0)),
    Parameter("limit", "items per (sub)task (every task)", lambda value: optional_int("limit", value, 1)),
    Parameter("seed", "few-shot sampling seed", lambda value: optional_int("seed", value, 0)),
    Parameter("device", "cpu, cuda, cuda:N or None", device),
    Parameter("bootstrap", "bootstrap resamples of the intervals (0 or >= 100)", bootstrap),
    Parameter("compute_missing", "compute what the store lacks", lambda value: strict_bool("compute_missing", value)),
    Parameter("bootstrap_seed", "seed of the resampling", lambda value: optional_int("bootstrap_seed", value, 0)),
)
"""Notebook parameters every scoring experiment accepts; ``profile`` and ``profiles_file`` are set by the runner."""

COMMON_DEFAULTS: dict[str, Any] = {
    "models": None,
    "families": None,
    "task_kinds": None,
    "shots": None,
    "limit": None,
    "seed": None,
    "device": None,
    "bootstrap": 1000,
    "compute_missing": True,
    "bootstrap_seed": 0,
}
"""The common parameters' values when a run does not set them."""


def common(*names: str) -> tuple[Parameter, ...]:
    """The common parameters called ``names`` (all of them when none is named), for an experiment's schema."""
    return tuple(COMMON[name] for name in (names or COMMON))
