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

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

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


@dataclass(frozen=True)
class SwapSetting:
    """A profile's ``swap:`` section, parsed."""

    pairs: tuple[tuple[str, str], ...]  # (donor, recipient)
    alphas: tuple[float, ...]
    tasks: tuple[str, ...]  # task kinds
    limits: dict[str, int]  # task kind -> items per (sub)task (MMLU: per subject; arithmetic: per file)
    max_layers: int = 8  # recipient layers in the per-layer sweep (every k-th layer)


def check_swap(swap: Any, path: str, kinds: Collection[str], problems: Problems) -> None:
    """Add every problem of a profile's ``swap:`` section (at YAML path ``path``) to ``problems``;
    ``kinds``: the task kinds of the profile's ``tasks``."""
    if not isinstance(swap, dict):
        problems.add(path, swap, "must be a mapping", "write pairs, alphas, tasks, limit, max_layers under it")
        return
    unknown_keys(swap, KEYS, path, problems)
    pairs = swap.get("pairs", [])
    if not isinstance(pairs, list):
        problems.add(
            f"{path}.pairs",
            pairs,
            "must be a list of [donor, recipient] pairs",
            "write e.g. pairs: [[random:pythia-410m, random:pythia-1.4b]]",
        )
    else:
        for index, pair in enumerate(pairs):
            if isinstance(pair, Yaml11Surprise):
                continue
            if (
                not isinstance(pair, list)
                or len(pair) != 2
                or not all(isinstance(model, str) and model.strip() for model in pair)
            ):
                problems.add(
                    f"{path}.pairs[{index}]",
                    pair,
                    "must name two models, [donor, recipient]",
                    "write e.g. [random:pythia-410m, random:pythia-1.4b]",
                )
    alphas = swap.get("alphas", [0.0, 1.0])
    if not isinstance(alphas, list) or not alphas:
        problems.add(
            f"{path}.alphas",
            alphas,
            "must be a non-empty list of numbers in [0, 1]",
            "write e.g. alphas: [0.0, 0.5, 1.0]",
        )
    else:
        for index, alpha in enumerate(alphas):
            if isinstance(alpha, Yaml11Surprise):
                continue
            if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0.0 <= alpha <= 1.0:
                problems.add(
                    f"{path}.alphas[{index}]",
                    alpha,
                    "must be a number in [0, 1]",
                    "write it as a decimal, e.g. 0.25 (YAML 1.1 reads 1e-1 as text: write 0.1)",
                )
    swap_kinds = swap.get("tasks", [])
    if not isinstance(swap_kinds, list):
        problems.add(
            f"{path}.tasks", swap_kinds, "must be a list of task kinds", "write e.g. tasks: [knowledge, procedure]"
        )
        swap_kinds = []
    for index, kind in enumerate(swap_kinds):
        if not isinstance(kind, Yaml11Surprise) and kind not in kinds:
            problems.add(
                f"{path}.tasks[{index}]",
                kind,
                "is not a task kind of this profile",
                f"use one of {', '.join(map(str, kinds)) or '(none: add tasks first)'}",
            )
    limit = swap.get("limit", 20)
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
    check_count(swap.get("max_layers", 8), f"{path}.max_layers", 1, problems)


def _limits(raw: Any, kinds: tuple[str, ...]) -> dict[str, int]:
    """``swap.limit``: one positive integer for every task kind, or ``{kind: integer}`` for each."""
    return {kind: raw[kind] for kind in kinds} if isinstance(raw, dict) else {kind: raw for kind in kinds}


def parse_swap(raw: dict, task_kinds: tuple[str, ...]) -> SwapSetting:
    """The :class:`SwapSetting` of a ``swap:`` section that passed :func:`check_swap` (``task_kinds``,
    the profile's, are not needed: the section names its own)."""
    kinds = tuple(raw.get("tasks", []))
    return SwapSetting(
        tuple((donor, recipient) for donor, recipient in raw.get("pairs", [])),
        tuple(float(alpha) for alpha in raw.get("alphas", [0.0, 1.0])),
        kinds,
        _limits(raw.get("limit", 20), kinds),
        raw.get("max_layers", 8),
    )


SECTION = ProfileSection(KEY, check_swap, parse_swap)
"""The ``swap:`` section as the generic profile loader takes it."""


def swap_settings(profile: Profile) -> SwapSetting | None:
    """The ``swap:`` settings of ``profile`` (None when it has no such section, or an empty one)."""
    return profile.sections.get(KEY)
