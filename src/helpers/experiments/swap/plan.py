"""What one attention-swap run measures: pairs, dose-response, per-layer sweep, task settings.

:func:`swap_plan` turns a validated :class:`~helpers.experiments.config.ExperimentConfig` of the
swap experiment (and its own parameters: ``pairs``, ``alphas``, ``layers``, ``max_layers``,
``swap_limit``) into a :class:`SwapPlan`; :func:`conditions_for` lists every condition scored on
one (pair, task): the recipient alone, four controls, the dose-response over alpha on every
layer, and one-layer swaps.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from helpers.core.attention.lockstep import Condition
from helpers.experiments.config import ExperimentConfig, configure
from helpers.experiments.parameters import ParameterError
from helpers.experiments.swap.settings import swap_settings
from helpers.infra.profiles import TaskSetting

NAME = "swap"
"""The experiment's name in the registry (its ``experiment.py`` registers it)."""
DEFAULT_MAX_LAYERS = 8
CONTROL_CONDITIONS = ("self", "other_item", "uniform", "shuffled_heads")


class SwapExperimentError(ParameterError):
    """A swap-experiment setting that is not accepted (pairs, alphas, layers, limits)."""


@dataclass(frozen=True)
class SwapPlan:
    """What one swap run measures (validated; see :func:`swap_plan`)."""

    profile: str
    pairs: tuple[tuple[str, str], ...]  # (donor source, recipient source)
    alphas: tuple[float, ...]  # dose-response, sorted, 0 and 1 included
    settings: dict[str, TaskSetting]  # task kind -> setting with the swap limit
    layers: tuple[int, ...] | None  # per-layer sweep; None = every k-th layer, at most max_layers
    max_layers: int
    seed: int | None  # few-shot sampling seed
    device: str | None
    findings: bool


def _check_pairs(pairs: Any) -> tuple[tuple[str, str], ...]:
    if isinstance(pairs, str) or not isinstance(pairs, Sequence) or not pairs:
        raise SwapExperimentError(f"pairs={pairs!r}: give a non-empty list of [donor, recipient] model sources.")
    checked = []
    for pair in pairs:
        if (
            isinstance(pair, str)
            or not isinstance(pair, Sequence)
            or len(pair) != 2
            or not all(isinstance(source, str) and source for source in pair)
        ):
            raise SwapExperimentError(
                f"pair {pair!r} in pairs: give [donor, recipient], two model sources, "
                "e.g. ['random:pythia-70m', 'random:pythia-160m']."
            )
        checked.append((pair[0], pair[1]))
    return tuple(checked)


def _check_alphas(alphas: Any) -> tuple[float, ...]:
    if isinstance(alphas, str) or not isinstance(alphas, Sequence):
        raise SwapExperimentError(f"alphas={alphas!r}: give a list of mixing weights in [0, 1], e.g. [0, 0.5, 1].")
    bad = [a for a in alphas if isinstance(a, bool) or not isinstance(a, (int, float)) or not 0.0 <= a <= 1.0]
    if bad:
        raise SwapExperimentError(f"alphas {bad} are not mixing weights; give numbers in [0, 1].")
    return tuple(sorted({0.0, 1.0, *(float(a) for a in alphas)}))


def _check_layers(layers: Any) -> tuple[int, ...] | None:
    if layers is None:
        return None
    if (
        isinstance(layers, str)
        or not isinstance(layers, Sequence)
        or not layers
        or not all(isinstance(layer, int) and not isinstance(layer, bool) and layer >= 0 for layer in layers)
    ):
        raise SwapExperimentError(
            f"layers={layers!r}: give a non-empty list of recipient layer indices (>= 0) or None for every k-th layer."
        )
    return tuple(sorted(set(int(layer) for layer in layers)))


def swap_plan(config: ExperimentConfig, *, pairs: Sequence[Sequence[str]] | None = None) -> SwapPlan:
    """The swap run of ``config`` (from :func:`~helpers.experiments.config.configure` for the swap experiment).

    Its own parameters come from ``config.extra`` (``pairs``, ``alphas``, ``layers``,
    ``max_layers``, ``swap_limit``); ``pairs`` here overrides them (one runner job per pair).
    Task kinds: the profile's ``swap.tasks`` kept by the config's task kinds; shots and seed
    from the config; item limit per (sub)task: ``swap_limit``, else the profile's ``swap.limit``.
    """
    extra: dict[str, Any] = dict(config.extra)
    pairs = pairs if pairs is not None else extra.get("pairs")
    alphas, layers = extra.get("alphas"), extra.get("layers")
    max_layers, swap_limit = extra.get("max_layers"), extra.get("swap_limit")
    profile = config.profile
    swap = swap_settings(profile)
    if swap is None and pairs is None:
        raise SwapExperimentError(f"profile {profile.name!r} has no swap: section; give pairs=[[donor, recipient]].")
    chosen_pairs = _check_pairs(pairs if pairs is not None else swap.pairs)
    chosen_alphas = _check_alphas(alphas if alphas is not None else (swap.alphas if swap else (0.0, 1.0)))
    if max_layers is None:
        max_layers = swap.max_layers if swap else DEFAULT_MAX_LAYERS
    if isinstance(max_layers, bool) or not isinstance(max_layers, int) or max_layers < 1:
        raise SwapExperimentError(
            f"max_layers={max_layers!r}: give a positive integer (layers in the per-layer sweep)."
        )
    if swap_limit is not None and (isinstance(swap_limit, bool) or not isinstance(swap_limit, int) or swap_limit < 1):
        raise SwapExperimentError(
            f"swap_limit={swap_limit!r}: give a positive integer or None (the profile's swap.limit)."
        )
    kinds = [kind for kind in (swap.tasks if swap else config.settings) if kind in config.settings]
    if not kinds:
        raise SwapExperimentError(
            f"no task kind left: swap.tasks {list(swap.tasks) if swap else []} and the chosen "
            f"task kinds {sorted(config.settings)} do not overlap."
        )
    settings = {
        kind: replace(
            config.settings[kind],
            limit=swap_limit if swap_limit is not None else (swap.limits.get(kind, 20) if swap else 20),
        )
        for kind in kinds
    }
    return SwapPlan(
        profile.name,
        chosen_pairs,
        chosen_alphas,
        settings,
        _check_layers(layers),
        max_layers,
        config.seed,
        config.device,
        config.findings,
    )


def swap_config(
    profile: str, profiles_file: str | Path | None = None, overrides: Mapping[str, Any] | None = None
) -> ExperimentConfig:
    """``configure`` for the swap experiment (its parameters checked, the profile's models resolved)."""
    return configure(profile, profiles_file, overrides or {}, experiment=NAME)


def profile_swap_plan(
    profile: str, profiles_file: str | Path | None = None, overrides: Mapping[str, Any] | None = None
) -> SwapPlan:
    """The swap plan of ``profile`` with the swap notebook's ``overrides`` (its defaults when None)."""
    return swap_plan(swap_config(profile, profiles_file, overrides))


def layer_subset(n_layers: int, max_layers: int = DEFAULT_MAX_LAYERS) -> list[int]:
    """Every k-th layer from 0 with ``k = ceil(n_layers / max_layers)``: at most ``max_layers`` layers."""
    if n_layers < 1 or max_layers < 1:
        raise SwapExperimentError(f"n_layers={n_layers}, max_layers={max_layers}: both must be positive.")
    step = math.ceil(n_layers / max_layers)
    return list(range(0, n_layers, step))


def sweep_layers(plan: SwapPlan, n_recipient_layers: int) -> list[int]:
    """The recipient layers of the per-layer sweep (explicit ``plan.layers`` are range-checked)."""
    if plan.layers is None:
        return layer_subset(n_recipient_layers, plan.max_layers)
    bad = [layer for layer in plan.layers if layer >= n_recipient_layers]
    if bad:
        raise SwapExperimentError(
            f"layers {bad} do not exist in a recipient with {n_recipient_layers} layers "
            f"(use 0..{n_recipient_layers - 1})."
        )
    return list(plan.layers)


def conditions_for(plan: SwapPlan, n_recipient_layers: int) -> list[Condition]:
    """Every condition of one (pair, task): baseline, controls, dose-response, per-layer swaps."""
    conditions = [Condition("baseline"), *(Condition(kind) for kind in CONTROL_CONDITIONS)]
    conditions += [Condition("swap", alpha, None) for alpha in plan.alphas]
    conditions += [Condition("swap", 1.0, (layer,)) for layer in sweep_layers(plan, n_recipient_layers)]
    return conditions
