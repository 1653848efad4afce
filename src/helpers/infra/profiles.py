"""Profiles: named model lists and task settings, read from ``data/profiles.yml``.

A profile says which models each experiment runs on (grouped by family, smallest first),
which task stands for each task kind (knowledge, procedure, pattern matching) with its
shots and item limit, and which donor/recipient pairs the attention-swap experiment uses.
Everything is validated when loaded, so a typo fails before any model is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from helpers.infra.paths import DATA_DIR

PROFILES_FILE = DATA_DIR / "profiles.yml"

TASK_KINDS = {
    "knowledge": "MMLU mathematics, letter-scored (current lm-evaluation-harness format)",
    "knowledge_5shot": "MMLU mathematics, letter-scored, with few-shot examples",
    "knowledge_fulltext": "MMLU mathematics, full-answer-text scored (the format of the published Pythia/OPT numbers)",
    "procedure": "GPT-3 arithmetic",
    "procedure_hard": "GPT-3 arithmetic, a harder file",
    "pattern": "paraphrase detection (QQP, or MRPC offline)",
}


class ProfileError(ValueError):
    """A missing or malformed profile, or a value in it that is not accepted."""


@dataclass(frozen=True)
class TaskSetting:
    """One task kind's task and settings within a profile."""

    kind: str  # key in TASK_KINDS
    task: str  # task name accepted by helpers.core.tasks.build_items
    shots: int = 0
    limit: int | None = None
    path: str | None = None  # local data file (QQP's GLUE dev.tsv)

    def build_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``helpers.core.tasks.build_items`` (seed added by the caller)."""
        kwargs: dict[str, Any] = {"shots": self.shots, "limit": self.limit}
        if self.path:
            kwargs["path"] = self.path
        return kwargs


@dataclass(frozen=True)
class SwapSetting:
    pairs: tuple[tuple[str, str], ...]  # (donor, recipient)
    alphas: tuple[float, ...]
    tasks: tuple[str, ...]  # task kinds
    limits: dict[str, int]  # task kind -> items per (sub)task (MMLU: per subject; arithmetic: per file)
    max_layers: int = 8  # recipient layers in the per-layer sweep (every k-th layer)


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    findings: bool  # False for profiles whose numbers are not findings (ci)
    device: str  # "cpu", "cuda" or "auto"
    families: dict[str, tuple[str, ...]]
    tasks: dict[str, TaskSetting]
    swap: SwapSetting | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def models(self) -> list[str]:
        """Every model of the profile once, in family order."""
        return unique_models(self.families)


def unique_models(families: dict[str, tuple[str, ...]]) -> list[str]:
    """Every model source listed in ``families`` once, in family order."""
    return list(dict.fromkeys(source for sources in families.values() for source in sources))


def _require(mapping: dict, key: str, where: str) -> Any:
    if key not in mapping:
        raise ProfileError(f"{where}: missing key {key!r} in {PROFILES_FILE}.")
    return mapping[key]


def _check_keys(mapping: dict, allowed: set[str], where: str) -> None:
    unknown = set(mapping) - allowed
    if unknown:
        raise ProfileError(f"{where}: unknown key(s) {sorted(unknown)}; accepted: {sorted(allowed)}.")


def _task_setting(kind: str, raw: Any, where: str) -> TaskSetting:
    if kind not in TASK_KINDS:
        raise ProfileError(f"{where}: unknown task kind {kind!r}; accepted: {sorted(TASK_KINDS)}.")
    if not isinstance(raw, dict):
        raise ProfileError(f"{where}.{kind}: expected a mapping like {{task: mmlu_math, shots: 0, limit: 10}}.")
    _check_keys(raw, {"task", "shots", "limit", "path"}, f"{where}.{kind}")
    shots, limit = raw.get("shots", 0), raw.get("limit")
    if not isinstance(shots, int) or shots < 0:
        raise ProfileError(f"{where}.{kind}.shots must be an integer >= 0, got {shots!r}.")
    if limit is not None and (not isinstance(limit, int) or limit < 1):
        raise ProfileError(f"{where}.{kind}.limit must be a positive integer or null, got {limit!r}.")
    return TaskSetting(kind, str(_require(raw, "task", f"{where}.{kind}")), shots, limit, raw.get("path"))


def _swap_limits(raw: Any, kinds: tuple[str, ...], where: str) -> dict[str, int]:
    """``swap.limit``: one positive integer for every task kind, or ``{kind: integer}`` for each."""
    def check(value: Any, what: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ProfileError(f"{where}.swap.{what} must be a positive integer, got {value!r}.")
        return value

    if isinstance(raw, dict):
        missing = [kind for kind in kinds if kind not in raw]
        unknown = [kind for kind in raw if kind not in kinds]
        if missing or unknown:
            raise ProfileError(f"{where}.swap.limit: give a limit for each of swap.tasks {list(kinds)} "
                               f"(missing {missing}, not in swap.tasks {unknown}).")
        return {kind: check(raw[kind], f"limit.{kind}") for kind in kinds}
    return {kind: check(raw, "limit") for kind in kinds}


def _profile(name: str, raw: dict) -> Profile:
    where = f"profile {name!r}"
    _check_keys(raw, {"description", "findings", "device", "families", "tasks", "swap"}, where)
    device = raw.get("device", "auto")
    if device not in ("cpu", "cuda", "auto"):
        raise ProfileError(f"{where}: device must be cpu, cuda or auto, got {device!r}.")
    families_raw = _require(raw, "families", where)
    if not isinstance(families_raw, dict) or not families_raw:
        raise ProfileError(f"{where}: families must map a family name to a list of model sources.")
    families = {fam: tuple(str(m) for m in models) for fam, models in families_raw.items()}
    tasks = {kind: _task_setting(kind, spec, f"{where}.tasks") for kind, spec in _require(raw, "tasks", where).items()}
    swap = None
    if raw.get("swap"):
        sw = raw["swap"]
        _check_keys(sw, {"pairs", "alphas", "tasks", "limit", "max_layers"}, f"{where}.swap")
        alphas = tuple(float(a) for a in sw.get("alphas", [0.0, 1.0]))
        if any(not 0.0 <= a <= 1.0 for a in alphas):
            raise ProfileError(f"{where}.swap.alphas must lie in [0, 1], got {list(alphas)}.")
        swap_tasks = tuple(sw.get("tasks", []))
        for kind in swap_tasks:
            if kind not in tasks:
                raise ProfileError(f"{where}.swap.tasks: {kind!r} is not a task kind of this profile ({sorted(tasks)}).")
        pairs = tuple((str(d), str(r)) for d, r in sw.get("pairs", []))
        max_layers = sw.get("max_layers", 8)
        if isinstance(max_layers, bool) or not isinstance(max_layers, int) or max_layers < 1:
            raise ProfileError(f"{where}.swap.max_layers must be a positive integer, got {max_layers!r}.")
        swap = SwapSetting(pairs, alphas, swap_tasks, _swap_limits(sw.get("limit", 20), swap_tasks, where),
                           max_layers)
    return Profile(name, str(raw.get("description", "")).strip(), bool(raw.get("findings", True)), device,
                   families, tasks, swap)


def load_profiles(path: str | Path = PROFILES_FILE) -> dict[str, Profile]:
    """All profiles in ``path``, validated."""
    path = Path(path)
    if not path.is_file():
        raise ProfileError(f"Profiles file {path} not found; restore data/profiles.yml from git.")
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        raise ProfileError(f"{path} is not valid YAML: {err}") from err
    if not isinstance(raw, dict):
        raise ProfileError(f"{path}: expected a mapping of profile names.")
    return {name: _profile(name, spec) for name, spec in raw.items()}


def load_profile(name: str, path: str | Path = PROFILES_FILE) -> Profile:
    """The profile called ``name`` (``ci``, ``offline``, ``small``, ``paper``, ...)."""
    profiles = load_profiles(path)
    if name not in profiles:
        raise ProfileError(f"Unknown profile {name!r}; defined in {path}: {', '.join(profiles)}.")
    return profiles[name]
