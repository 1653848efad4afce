"""One reading of the settings: :func:`configure` validates a run's parameters against a profile.

The runner, each fill job and each notebook call the same :func:`configure` with the same
profiles file, so every process sees one set of settings. It checks every value before anything
is scored (a bad ``-p`` fails in seconds, not after hours of scoring), resolves every model
source once (id, revision, dtype, device: :mod:`helpers.core.models.sources`, loading nothing
and contacting no hub), and refuses a parameter the experiment does not use.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from helpers.experiments.parameters import COMMON_DEFAULTS, ParameterError, check_values, optional_int, string_list
from helpers.experiments.registry import Experiment, get_experiment, profile_sections
from helpers.infra import profiles
from helpers.infra.profiles import Profile, ProfileError, TaskSetting, default_profiles_file, unique_models


@dataclass(frozen=True)
class ExperimentConfig:
    """What one run of an experiment measures: which models, which task settings, how."""

    experiment: str
    profile: Profile
    profiles_file: Path
    families: dict[str, tuple[str, ...]]  # family -> model sources, smallest first
    settings: dict[str, TaskSetting]  # task kind -> setting (after overrides)
    seed: int | None
    device: str | None  # None: the default policy (CUDA if present)
    bootstrap: int
    compute_missing: bool
    bootstrap_seed: int = 0
    extra: dict[str, Any] = field(default_factory=dict)  # the experiment's own parameters

    @property
    def models(self) -> list[str]:
        """Every model source once, in family order."""
        return unique_models(self.families)

    @property
    def findings(self) -> bool:
        return self.profile.findings

    def handles(self) -> list:
        """One :class:`helpers.experiments.evaluation.ModelHandle` per model (resolved, not loaded)."""
        from helpers.experiments.evaluation import ModelHandle

        return [ModelHandle(source, device=self.device) for source in self.models]

    def model_ids(self) -> dict[str, str]:
        """``{source: canonical model id}``, resolved once (no weights, no hub)."""
        return {handle.source: handle.model_id for handle in self.handles()}

    def family_model_ids(self) -> dict[str, list[str]]:
        """``{family: [model id, ...]}`` in the profile's order (smallest first)."""
        ids = self.model_ids()
        return {family: [ids[source] for source in sources] for family, sources in self.families.items()}

    def rows(self, kinds: Sequence[str] | None = None, stack=None, progress: bool = True) -> pd.DataFrame:
        """Per-request rows of every model on the chosen task kinds (computed if missing and allowed)."""
        from helpers.experiments.evaluation import evaluate_many

        chosen = [self.settings[kind] for kind in (kinds or self.settings)]
        return evaluate_many(
            self.handles(), chosen, seed=self.seed, stack=stack, compute_missing=self.compute_missing, progress=progress
        )


# ----------------------------------------------------------------------------- the project's profile loader


def load_profiles(path: str | Path | None = None) -> dict[str, Profile]:
    """Every profile of ``path`` (None: the run's profiles file, :func:`default_profiles_file`), checked
    in full: the generic schema, each ``task:`` against :func:`helpers.core.tasks.list_tasks`, and the
    sections the registered experiments own (:func:`~helpers.experiments.registry.profile_sections`,
    e.g. the swap's ``swap:``). :class:`ProfileError` lists every problem (see
    :func:`helpers.infra.profiles.load_profiles`, which knows no experiment)."""
    from helpers.core.tasks import list_tasks

    return profiles.load_profiles(path, list_tasks(), profile_sections())


def load_profile(name: str, path: str | Path | None = None) -> Profile:
    """The profile called ``name`` of ``path`` (None: the run's profiles file), the whole file checked
    as :func:`load_profiles` does (:class:`ProfileError` for an unknown name, listing the defined ones)."""
    from helpers.core.tasks import list_tasks

    return profiles.load_profile(name, path, list_tasks(), profile_sections())


# ----------------------------------------------------------------------------- checks against the profile


def _subset(name: str, wanted: list[str] | None, available: Mapping[str, Any], profile: str) -> list[str] | None:
    if wanted is None:
        return None
    unknown = [item for item in wanted if item not in available]
    if unknown:
        raise ParameterError(
            f"Parameter {name}={wanted!r}: unknown {unknown}; profile {profile!r} has {sorted(available)}."
        )
    return wanted


def _check_models(sources: Sequence[str], device: str | None) -> None:
    """Resolve every source once (no weights, no hub): a typo fails here, before any scoring."""
    from helpers.core.models import model_facts
    from helpers.core.models.offline import OfflineModelError

    for source in sources:
        try:
            model_facts(source, device=device)
        except (ValueError, LookupError, OfflineModelError) as error:
            raise ParameterError(f"Model {source!r}: {error}") from error


# ----------------------------------------------------------------------------- configure


def configure(
    profile: str = "ci",
    profiles_file: str | Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    *,
    experiment: str | Experiment,
) -> ExperimentConfig:
    """Validate ``overrides`` for ``experiment`` and resolve them against ``profile``.

    ``overrides`` may hold only the experiment's parameters, each passing its check (the
    experiment's schema, :mod:`helpers.experiments.parameters`); any other name or a value out of
    range is a :class:`ParameterError`. ``models`` replaces the profile's models, grouped by
    family (:func:`families_of`); ``families``/``task_kinds`` keep only those; ``shots``/``limit`` override every
    task setting. Experiment-specific parameters are kept in ``extra``
    (checked against the profile by the experiment's ``check_plan``).
    """
    spec = experiment if isinstance(experiment, Experiment) else get_experiment(experiment)
    values = check_values(spec.parameters, dict(overrides or {}), spec.name)
    path = Path(profiles_file) if profiles_file is not None else default_profiles_file()
    try:
        chosen = load_profile(profile, path)
    except ProfileError as error:
        raise ParameterError(f"Parameter profile={profile!r}: {error}") from error
    merged = {**COMMON_DEFAULTS, **values}
    device = merged["device"]
    resolved_device = device if device is not None else (None if chosen.device == "auto" else chosen.device)
    families = _families(chosen, merged)
    settings = _settings(chosen, merged)
    seed = merged["seed"]
    _check_models(unique_models(families), resolved_device)
    extra = {name: values[name] for name in values if name not in COMMON_DEFAULTS}
    return ExperimentConfig(
        spec.name,
        chosen,
        path,
        families,
        settings,
        seed,
        resolved_device,
        merged["bootstrap"],
        merged["compute_missing"],
        merged["bootstrap_seed"] or 0,
        extra,
    )


def _families(chosen: Profile, merged: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    family_lists = dict(chosen.families)
    models = string_list("models", merged["models"], "[offline:smollm2-135m, offline:gemma3-270m]")
    if models is not None:
        family_lists = families_of(models, chosen)
    families = _subset(
        "families", string_list("families", merged["families"], "[qwen2.5-coder]"), family_lists, chosen.name
    )
    if families is not None:
        family_lists = {name: family_lists[name] for name in families}
    return family_lists


def families_of(models: Sequence[str], chosen: Profile) -> dict[str, tuple[str, ...]]:
    """Group ``models`` into families (models that differ in size only), in the given order.

    A model's family is the profile family that lists it, else its registry family (Pythia, OPT),
    else a family of its own, named by the model: nothing says two unknown models differ in size
    only, and a fit or a smallest-to-largest change across families would mix architecture and
    training data with size. To compare sizes of another family, list it in a profiles file
    (``--profiles-file``).
    """
    from helpers.core.models import model_facts
    from helpers.core.models.offline import OfflineModelError

    grouped: dict[str, list[str]] = {}
    for model in models:
        family = next((name for name, members in chosen.families.items() if model in members), None)
        if family is None:
            try:
                family = model_facts(model, device="cpu").family
            except (ValueError, LookupError, OfflineModelError):  # reported by _check_models
                family = None
        grouped.setdefault(family or model, []).append(model)
    return {family: tuple(members) for family, members in grouped.items()}


def _settings(chosen: Profile, merged: Mapping[str, Any]) -> dict[str, TaskSetting]:
    settings = dict(chosen.tasks)
    kinds = _subset(
        "task_kinds", string_list("task_kinds", merged["task_kinds"], "[knowledge, procedure]"), settings, chosen.name
    )
    if kinds is not None:
        settings = {kind: settings[kind] for kind in kinds}
    shots = optional_int("shots", merged["shots"], 0)
    limit = optional_int("limit", merged["limit"], 1)
    if shots is not None:
        settings = {kind: replace(setting, shots=shots) for kind, setting in settings.items()}
    if limit is not None:
        settings = {kind: replace(setting, limit=limit) for kind, setting in settings.items()}
    return settings
