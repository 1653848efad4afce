"""The validated settings of one experiment notebook, built from its ``parameters`` cell.

Every notebook's parameters cell holds plain values (so papermill can inject new ones); the
next cell calls :func:`configure`, which checks each value, applies the overrides to the
profile and fails early with a message naming the bad value and the accepted ones.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Sequence

import pandas as pd

from helpers.experiments.evaluation import evaluate_many
from helpers.infra.profiles import Profile, ProfileError, TaskSetting, load_profile, load_profiles, unique_models
from helpers.infra.store import ResultStore


class ParameterError(ValueError):
    """A notebook parameter that is not accepted."""


@dataclass(frozen=True)
class ExperimentConfig:
    """What one notebook run measures: which models, which task settings, how."""

    profile: Profile
    families: dict[str, tuple[str, ...]]  # family -> model sources, smallest first
    settings: dict[str, TaskSetting]  # task kind -> setting (after overrides)
    seed: int | None
    device: str | None  # None: the default policy (CUDA if present)
    bootstrap: int
    compute_missing: bool

    @property
    def models(self) -> list[str]:
        return unique_models(self.families)

    @property
    def findings(self) -> bool:
        return self.profile.findings

    def rows(self, kinds: Sequence[str] | None = None, store: ResultStore | None = None,
             progress: bool = True) -> pd.DataFrame:
        """Per-request rows of every model on the chosen task kinds (computed if missing and allowed)."""
        chosen = [self.settings[kind] for kind in (kinds or self.settings)]
        if not self.compute_missing:
            from helpers.experiments.evaluation import load_stored

            frames = [load_stored(model, setting, seed=self.seed, device=self.device, store=store)
                      for model in self.models for setting in chosen]
            return pd.concat(frames, ignore_index=True)
        return evaluate_many(self.models, chosen, seed=self.seed, device=self.device, store=store,
                             progress=progress)

    def family_of(self) -> dict[str, str]:
        """model_id-independent map: source -> family (first family listing it)."""
        mapping: dict[str, str] = {}
        for family, sources in self.families.items():
            for source in sources:
                mapping.setdefault(source, family)
        return mapping


def _check_optional_int(name: str, value, minimum: int) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < minimum):
        raise ParameterError(f"Parameter {name}={value!r}: expected an integer >= {minimum} or None.")


def configure(*, profile: str = "ci", models: Sequence[str] | None = None,
              families: Sequence[str] | None = None, task_kinds: Sequence[str] | None = None,
              shots: int | None = None, limit: int | None = None, seed: int | None = None,
              device: str | None = None, bootstrap: int = 1000, compute_missing: bool = True) -> ExperimentConfig:
    """Validate a notebook's parameters and resolve them against ``profile``.

    ``models`` replaces the profile's model lists (one family called ``"custom"``);
    ``families`` keeps only those families; ``task_kinds`` keeps only those task kinds;
    ``shots``/``limit`` override every task's settings.
    """
    try:
        chosen = load_profile(profile)
    except ProfileError as error:
        raise ParameterError(f"Parameter profile={profile!r}: {error}") from error
    family_lists = dict(chosen.families)
    if models is not None:
        if isinstance(models, str) or not models or not all(isinstance(m, str) for m in models):
            raise ParameterError(f"Parameter models={models!r}: expected a non-empty list of model sources "
                                 "(e.g. ['pythia-70m', 'pythia-160m']) or None for the profile's models.")
        family_lists = {"custom": tuple(models)}
    if families is not None:
        unknown = [f for f in families if f not in family_lists]
        if unknown:
            raise ParameterError(f"Parameter families={list(families)!r}: unknown {unknown}; "
                                 f"profile {profile!r} has {sorted(family_lists)}.")
        family_lists = {f: family_lists[f] for f in families}
    settings = dict(chosen.tasks)
    if task_kinds is not None:
        unknown = [k for k in task_kinds if k not in settings]
        if unknown or not task_kinds:
            raise ParameterError(f"Parameter task_kinds={list(task_kinds)!r}: unknown {unknown}; "
                                 f"profile {profile!r} has {sorted(settings)}.")
        settings = {k: settings[k] for k in task_kinds}
    _check_optional_int("shots", shots, 0)
    _check_optional_int("limit", limit, 1)
    _check_optional_int("seed", seed, 0)
    _check_optional_int("bootstrap", bootstrap, 0)
    if shots is not None:
        settings = {k: replace(s, shots=shots) for k, s in settings.items()}
    if limit is not None:
        settings = {k: replace(s, limit=limit) for k, s in settings.items()}
    if device not in (None, "cpu", "cuda") and not str(device).startswith("cuda:"):
        raise ParameterError(f"Parameter device={device!r}: expected 'cpu', 'cuda', 'cuda:N' or None.")
    resolved_device = device if device is not None else (None if chosen.device == "auto" else chosen.device)
    return ExperimentConfig(chosen, family_lists, settings, seed, resolved_device, bootstrap, bool(compute_missing))


def known_profiles() -> list[str]:
    return list(load_profiles())
