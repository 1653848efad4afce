"""Profiles: named model lists and task settings, read from ``data/profiles.yml``.

A profile says which models each experiment runs on (grouped by family, smallest first),
which task stands for each task kind (knowledge, procedure, pattern matching) with its
shots and item limit, and any experiment's own section (e.g. the attention swap's donor/recipient
pairs), which this module knows only as a :class:`~helpers.infra.profile_schema.ProfileSection`
passed in by the layer that knows the experiments. The whole file is checked against its schema
when loaded (:mod:`helpers.infra.profile_schema`), and every problem reported at once, so a typo
fails before any model is loaded.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from helpers.infra.paths import DATA_DIR
from helpers.infra.profile_schema import ProfileSection, check_profiles, read_profiles_yaml

PROFILES_FILE = DATA_DIR / "profiles.yml"
"""The project's profiles file (the default when ``$CC_PROFILES_FILE`` is not set)."""
PROFILES_ENV = "CC_PROFILES_FILE"
"""The environment variable naming a run's profiles file (set by :func:`profiles_file_env`)."""


def default_profiles_file() -> Path:
    """The profiles file of this run: ``$CC_PROFILES_FILE`` when set (``make run/book
    PROFILES_FILE=...``), else :data:`PROFILES_FILE`."""
    given = os.environ.get(PROFILES_ENV)
    return Path(given) if given else PROFILES_FILE


@contextmanager
def profiles_file_env(path: str | Path | None) -> Iterator[None]:
    """Point ``$CC_PROFILES_FILE`` at ``path`` for this run (workers, notebook kernels and the book
    inherit it; a reader given no file reads it), restoring the previous value afterwards."""
    if path is None:
        yield
        return
    previous = os.environ.get(PROFILES_ENV)
    os.environ[PROFILES_ENV] = str(Path(path).expanduser().resolve())
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(PROFILES_ENV, None)
        else:
            os.environ[PROFILES_ENV] = previous


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
class Profile:
    """One profile of the file: the generic settings, and each experiment section it has, parsed by
    the section's owner (:class:`~helpers.infra.profile_schema.ProfileSection`; read it through the
    experiment's own accessor, e.g. :func:`helpers.experiments.swap.settings.swap_settings`)."""

    name: str
    description: str
    findings: bool  # False for profiles whose numbers are not findings (ci)
    device: str  # "cpu", "cuda" or "auto"
    families: dict[str, tuple[str, ...]]
    tasks: dict[str, TaskSetting]
    sections: Mapping[str, Any] = field(default_factory=dict)  # section key -> the experiment's parsed settings

    @property
    def models(self) -> list[str]:
        """Every model of the profile once, in family order."""
        return unique_models(self.families)


def unique_models(families: dict[str, tuple[str, ...]]) -> list[str]:
    """Every model source listed in ``families`` once, in family order."""
    return list(dict.fromkeys(source for sources in families.values() for source in sources))


def _task_setting(kind: str, raw: dict) -> TaskSetting:
    return TaskSetting(kind, raw["task"], raw.get("shots", 0), raw.get("limit"), raw.get("path"))


def _profile(name: str, raw: dict, sections: Mapping[str, ProfileSection]) -> Profile:
    """The :class:`Profile` of a profile that passed :func:`~helpers.infra.profile_schema.check_profiles`
    (a section that is absent, null or empty is left out of ``sections``)."""
    tasks = {kind: _task_setting(kind, spec) for kind, spec in raw["tasks"].items()}
    return Profile(
        name,
        str(raw.get("description", "")).strip(),
        bool(raw.get("findings", True)),
        raw.get("device", "auto"),
        {fam: tuple(models) for fam, models in raw["families"].items()},
        tasks,
        {key: section.parse(raw[key]) for key, section in sections.items() if raw.get(key)},
    )


def load_profiles(
    path: str | Path | None = None,
    task_names: Collection[str] | None = None,
    sections: Mapping[str, ProfileSection] | None = None,
) -> dict[str, Profile]:
    """All profiles in ``path`` (None: :func:`default_profiles_file`), checked against the schema first
    (:func:`helpers.infra.profile_schema.check_profiles`).

    Raises :class:`ProfileError` listing *every* problem, one line each with its YAML path, the
    value and the fix (YAML 1.1 surprises such as ``limit: 010`` or ``shots: yes`` included).
    ``task_names``: the accepted task names, to check each ``task:`` against; ``sections``: the
    experiment sections a profile may have (``{key: ProfileSection}``; None: none, so a ``swap:``
    is an unknown key). The project's loader passes both
    (:func:`helpers.experiments.config.load_profiles`); None skips the task-name check.
    """
    sections = dict(sections or {})
    path = Path(path) if path is not None else default_profiles_file()
    if not path.is_file():
        raise ProfileError(f"Profiles file {path} not found; restore data/profiles.yml from git.")
    try:
        raw = read_profiles_yaml(path)
    except yaml.YAMLError as err:
        raise ProfileError(f"{path} is not valid YAML: {' '.join(str(err).split())}") from None
    problems = check_profiles(raw, tuple(TASK_KINDS), task_names, sections)
    if problems:
        listed = "\n".join(f"  {path.name}: {line}" for line in problems)
        raise ProfileError(f"{path}: {len(problems)} problem(s), nothing was run:\n{listed}")
    return {str(name): _profile(str(name), spec, sections) for name, spec in raw.items()}


def load_profile(
    name: str,
    path: str | Path | None = None,
    task_names: Collection[str] | None = None,
    sections: Mapping[str, ProfileSection] | None = None,
) -> Profile:
    """The profile called ``name`` (``ci``, ``offline``, ``small``, ``paper``, ...) of ``path``
    (None: :func:`default_profiles_file`); the whole file is checked (:func:`load_profiles`)."""
    path = Path(path) if path is not None else default_profiles_file()
    profiles = load_profiles(path, task_names, sections)
    if name not in profiles:
        raise ProfileError(f"Unknown profile {name!r}; defined in {path}: {', '.join(profiles)}.")
    return profiles[name]
