"""The attention swap's own section of a profile, ``swap:``: its schema, check and settings.

The swap experiment owns this section (issue 21: an experiment's settings live in its package);
:data:`SECTION` is registered on the experiment (:mod:`helpers.experiments.swap.experiment`), and
the project's profile loader (:func:`helpers.experiments.config.load_profiles`) passes it to the
generic loader in infra, which checks the section with :func:`check_swap` and parses it with
:func:`parse_swap`. Read a loaded profile's settings with :func:`swap_settings`.

Schema (``?``: optional), under a profile::

    swap?:
      pairs: [[<donor>, <recipient>], ...]          two model sources each
      alphas?: [<number in [0, 1]>, ...]            default [0.0, 1.0]
      tasks?: [<task kind of this profile>, ...]
      limit?: int >= 1 | {<each kind of swap.tasks>: int >= 1}    items per (sub)task, default 20
      max_layers?: int >= 1                         default 8
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from helpers.experiments.parameters import is_source_pair
from helpers.infra.profile_schema import (
    Problems,
    ProfileSection,
    Yaml11Surprise,
    check_count,
    key_name,
    unknown_keys,
)
from helpers.infra.profiles import Profile

KEY = "swap"
"""The section's key in a profile."""
KEYS = ("pairs", "alphas", "tasks", "limit", "max_layers")
"""The keys a ``swap:`` section may have."""
DEFAULT_ALPHAS = (0.0, 1.0)
"""Mixing weights when neither the profile nor the notebook gives any (the recipient alone, the full swap)."""
DEFAULT_LIMIT = 20
"""Items per (sub)task when neither the profile nor the notebook gives a limit."""
DEFAULT_MAX_LAYERS = 8
"""Recipient layers in the per-layer sweep (every k-th layer) when no one gives a number."""


@dataclass(frozen=True)
class SwapSetting:
    """A profile's ``swap:`` section, parsed."""

    pairs: tuple[tuple[str, str], ...]  # (donor, recipient)
    alphas: tuple[float, ...]
    tasks: tuple[str, ...]  # task kinds
    limits: dict[str, int]  # task kind -> items per (sub)task (MMLU: per subject; arithmetic: per file)
    max_layers: int  # recipient layers in the per-layer sweep (every k-th layer)


def _check_list(
    value: Any,
    path: str,
    problems: Problems,
    *,
    what: str,
    fix: str,
    item_ok: Callable[[Any], bool],
    item_what: str,
    item_fix: str,
    may_be_empty: bool = True,
) -> bool:
    """A list (non-empty unless ``may_be_empty``) whose every item passes ``item_ok`` (an item YAML 1.1
    misread is reported already); one problem for a value that is no such list, one per bad item.
    Returns whether ``value`` is a list."""
    if not isinstance(value, list) or not (value or may_be_empty):
        problems.add(path, value, what, fix)
        return False
    for index, item in enumerate(value):
        if not isinstance(item, Yaml11Surprise) and not item_ok(item):
            problems.add(f"{path}[{index}]", item, item_what, item_fix)
    return True


def is_mixing_weight(alpha: Any) -> bool:
    """Whether ``alpha`` is a number in [0, 1] (not a bool): a dose of the swap."""
    return not isinstance(alpha, bool) and isinstance(alpha, (int, float)) and 0.0 <= alpha <= 1.0


def check_swap(swap: Any, path: str, kinds: Collection[str], problems: Problems) -> None:
    """Add every problem of a profile's ``swap:`` section (at YAML path ``path``) to ``problems``;
    ``kinds``: the task kinds of the profile's ``tasks``."""
    if not isinstance(swap, dict):
        problems.add(path, swap, "must be a mapping", "write pairs, alphas, tasks, limit, max_layers under it")
        return
    unknown_keys(swap, KEYS, path, problems)
    _check_list(
        swap.get("pairs", []),
        f"{path}.pairs",
        problems,
        what="must be a list of [donor, recipient] pairs",
        fix="write e.g. pairs: [[random:pythia-410m, random:pythia-1.4b]]",
        item_ok=is_source_pair,
        item_what="must name two models, [donor, recipient]",
        item_fix="write e.g. [random:pythia-410m, random:pythia-1.4b]",
    )
    _check_list(
        swap.get("alphas", list(DEFAULT_ALPHAS)),
        f"{path}.alphas",
        problems,
        what="must be a non-empty list of numbers in [0, 1]",
        fix="write e.g. alphas: [0.0, 0.5, 1.0]",
        item_ok=is_mixing_weight,
        item_what="must be a number in [0, 1]",
        item_fix="give a weight between 0 and 1, e.g. 0.25",
        may_be_empty=False,
    )
    swap_kinds = swap.get("tasks", [])
    if not _check_list(
        swap_kinds,
        f"{path}.tasks",
        problems,
        what="must be a list of task kinds",
        fix="write e.g. tasks: [knowledge, procedure]",
        item_ok=lambda kind: kind in kinds,
        item_what="is not a task kind of this profile",
        item_fix=f"use one of {', '.join(map(str, kinds)) or '(none: add tasks first)'}",
    ):
        swap_kinds = []
    limit = swap.get("limit", DEFAULT_LIMIT)
    if isinstance(limit, dict):
        for kind in swap_kinds:
            if kind not in limit:
                problems.add(
                    f"{path}.limit",
                    limit,
                    f"has no limit for swap task {kind!r}",
                    f"add {kind}: <items> (a limit for each of swap.tasks)",
                )
        for kind, value in limit.items():
            if kind not in swap_kinds:
                problems.add(
                    f"{path}.limit.{key_name(kind)}",
                    value,
                    "is not one of swap.tasks",
                    f"delete it, or add {kind} to swap.tasks",
                )
            check_count(value, f"{path}.limit.{key_name(kind)}", 1, problems)
    else:
        check_count(limit, f"{path}.limit", 1, problems)
    check_count(swap.get("max_layers", DEFAULT_MAX_LAYERS), f"{path}.max_layers", 1, problems)


def _limits(raw: Any, kinds: tuple[str, ...]) -> dict[str, int]:
    """``swap.limit``: one positive integer for every task kind, or ``{kind: integer}`` for each."""
    return {kind: raw[kind] for kind in kinds} if isinstance(raw, dict) else {kind: raw for kind in kinds}


def parse_swap(raw: dict) -> SwapSetting:
    """The :class:`SwapSetting` of a ``swap:`` section that passed :func:`check_swap`."""
    kinds = tuple(raw.get("tasks", []))
    return SwapSetting(
        tuple((donor, recipient) for donor, recipient in raw.get("pairs", [])),
        tuple(float(alpha) for alpha in raw.get("alphas", DEFAULT_ALPHAS)),
        kinds,
        _limits(raw.get("limit", DEFAULT_LIMIT), kinds),
        raw.get("max_layers", DEFAULT_MAX_LAYERS),
    )


SECTION = ProfileSection(KEY, check_swap, parse_swap)
"""The ``swap:`` section as the generic profile loader takes it."""


def swap_settings(profile: Profile) -> SwapSetting | None:
    """The ``swap:`` settings of ``profile`` (None when it has no such section, or an empty one)."""
    return profile.sections.get(KEY)
