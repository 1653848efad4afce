"""The schema of ``data/profiles.yml``: a YAML reader that refuses YAML 1.1's surprises, and every check.

:func:`read_profiles_yaml` reads the file with PyYAML's safe loader, except that a plain scalar
YAML 1.1 reads as something it does not look like is kept as a :class:`Yaml11Surprise` instead of
being converted: ``010`` (octal: 8), ``1:30`` (base 60: 90), ``yes``/``no``/``on``/``off``/``y``/``n``
(booleans). A key given twice is refused too (PyYAML keeps the last one silently).

:func:`check_profiles` then checks the whole file against the schema below and returns *every*
problem, each one line with its YAML path, the value found and the fix, so a malformed file is
named in full before anything is scored. Own code rather than pydantic or jsonschema (both
installed): the YAML 1.1 checks need the raw scalar text, which a schema library never sees, and
the messages must name the fix in the project's terms.

Schema (``?``: optional)::

    <profile name>:                      a mapping
      description?: text
      findings?: true | false
      device?: cpu | cuda | auto
      families: {<family>: [<model source>, ...]}     non-empty mapping of non-empty lists of text
      tasks: {<task kind>: {task: <task name>, shots?: int >= 0, limit?: int >= 1 | null, path?: text}}
      <section>?: ...                    an experiment's own section (:class:`ProfileSection`), checked
                                         by the experiment's package, e.g. ``swap:`` (its schema is in
                                         :mod:`helpers.experiments.swap.settings`)

Any other key is refused. Only the sections passed to :func:`check_profiles` are accepted: the
layer that knows the experiments passes theirs (:func:`helpers.experiments.config.load_profiles`).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

PROFILE_KEYS = ("description", "findings", "device", "families", "tasks")
"""The generic keys of a profile; an experiment adds its own section (:class:`ProfileSection`)."""
TASK_KEYS = ("task", "shots", "limit", "path")
DEVICES = ("cpu", "cuda", "auto")


@dataclass(frozen=True)
class Yaml11Surprise:
    """A plain scalar that YAML 1.1 reads as ``read_as`` though it looks like something else."""

    raw: str
    read_as: Any
    fix: str


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, keeping YAML 1.1's surprising ints and booleans as :class:`Yaml11Surprise`."""


def _int(loader: _Loader, node: yaml.ScalarNode) -> Any:
    value = yaml.SafeLoader.construct_yaml_int(loader, node)
    raw = str(node.value)
    digits = raw.lstrip("+-")
    if re.fullmatch(r"0[0-9_]+", digits):
        decimal = int(raw.replace("_", ""), 10)
        return Yaml11Surprise(raw, value, f"a leading 0 makes it octal: write {decimal} without it")
    if ":" in raw:
        return Yaml11Surprise(raw, value, f'digits around a colon are base 60: write "{raw}" in quotes, or the number')
    return value


def _bool(loader: _Loader, node: yaml.ScalarNode) -> Any:
    value = yaml.SafeLoader.construct_yaml_bool(loader, node)
    raw = str(node.value)
    if raw.lower() in ("true", "false"):
        return value
    return Yaml11Surprise(
        raw, value, f'write true or false for a flag, a number for a count, or "{raw}" in quotes for text'
    )


def _mapping(loader: _Loader, node: yaml.MappingNode) -> dict:
    seen: set[tuple[str, str]] = set()
    for key, _ in node.value:  # the keys as written (merge keys, ``<<``, may be overridden on purpose)
        if isinstance(key, yaml.ScalarNode) and key.tag != "tag:yaml.org,2002:merge":
            if (key.tag, key.value) in seen:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"key {key.value!r} is given twice (YAML keeps only the last): delete one",
                    key.start_mark,
                )
            seen.add((key.tag, key.value))
    return yaml.SafeLoader.construct_mapping(loader, node, deep=True)


_Loader.add_constructor("tag:yaml.org,2002:int", _int)
_Loader.add_constructor("tag:yaml.org,2002:bool", _bool)
_Loader.add_constructor("tag:yaml.org,2002:map", _mapping)


def read_profiles_yaml(path: Path) -> Any:
    """The parsed file, with YAML 1.1 surprises kept as :class:`Yaml11Surprise` (``yaml.YAMLError``
    for text that is not YAML, or a key given twice)."""
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 (a SafeLoader subclass)


class Problems:
    """Problems found so far, each ``<path>: <what>, got <value>; <fix>``."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, path: str, value: Any, what: str, fix: str) -> None:
        shown = value.raw if isinstance(value, Yaml11Surprise) else value
        self.lines.append(f"{path}: {what}, got {shown!r}; {fix}")


@dataclass(frozen=True)
class ProfileSection:
    """An experiment's own top-level section of a profile (e.g. the swap's pairs), owned by its package.

    The generic schema knows only :data:`PROFILE_KEYS`; the layer that knows the experiments passes
    their sections to :func:`check_profiles` and :func:`helpers.infra.profiles.load_profiles`. A
    section that is absent, null or empty is not in :attr:`helpers.infra.profiles.Profile.sections`.
    """

    key: str  # the top-level key in a profile, e.g. swap
    check: Callable[[Any, str, tuple[str, ...], Problems], None]
    """``(raw, yaml_path, task_kinds, problems)``: add one line per problem (:meth:`Problems.add`);
    ``task_kinds`` are the valid task kinds of the profile's ``tasks``."""
    parse: Callable[[Any], Any]
    """``raw -> the section's settings``, called only on a section that passed ``check``."""


def _surprises(value: Any, path: str, problems: Problems) -> None:
    """Report every :class:`Yaml11Surprise` anywhere under ``value``."""
    if isinstance(value, Yaml11Surprise):
        problems.add(path, value, f"YAML 1.1 reads this as {value.read_as!r}", value.fix)
    elif isinstance(value, dict):
        for key, item in value.items():
            _surprises(key, f"{path}.{key_name(key)} (the key)", problems)
            _surprises(item, f"{path}.{key_name(key)}", problems)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _surprises(item, f"{path}[{index}]", problems)


def key_name(key: Any) -> str:
    """A mapping key as written in the file."""
    return key.raw if isinstance(key, Yaml11Surprise) else str(key)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_count(value: Any, path: str, minimum: int, problems: Problems, *, nullable: bool = False) -> None:
    """An integer >= ``minimum`` (or null when ``nullable``)."""
    if isinstance(value, Yaml11Surprise) or (nullable and value is None):
        return  # reported already / allowed
    if not _is_int(value) or value < minimum:
        null = " or null (all items)" if nullable else ""
        problems.add(
            path,
            value,
            f"must be an integer >= {minimum}{null}",
            f"write e.g. {path.rsplit('.', 1)[-1]}: {max(minimum, 1) if minimum else 0}",
        )


def _text_list(value: Any, path: str, what: str, example: str, problems: Problems) -> bool:
    """A non-empty list of non-empty strings."""
    if isinstance(value, Yaml11Surprise):
        return False
    if not isinstance(value, list) or not value:
        problems.add(path, value, f"must be a non-empty list of {what}", f"write e.g. {example}")
        return False
    good = True
    for index, item in enumerate(value):
        if not isinstance(item, Yaml11Surprise) and (not isinstance(item, str) or not item.strip()):
            problems.add(f"{path}[{index}]", item, f"must be a {what[:-1]} (text)", f"write e.g. {example}")
            good = False
    return good


def did_you_mean(name: str, choices: Collection[str], n: int) -> str:
    """``"did you mean a or b? "`` for the (at most ``n``) close matches of ``name`` among ``choices``, else ``""``."""
    close = difflib.get_close_matches(name, list(choices), n=n, cutoff=0.6)
    return f"did you mean {' or '.join(close)}? " if close else ""


def unknown_keys(raw: dict, allowed: Collection[str], path: str, problems: Problems, *, suggest: bool = False) -> None:
    """A problem for each key of ``raw`` not in ``allowed`` (``suggest``: name the close matches first)."""
    for key in raw:
        if key not in allowed:
            hint = did_you_mean(key_name(key), allowed, 2) if suggest else ""
            problems.add(f"{path}.{key_name(key)}", key, "is not a known key", f"{hint}use one of {', '.join(allowed)}")


def _check_task(kind: str, spec: Any, path: str, task_names: Collection[str] | None, problems: Problems) -> None:
    if not isinstance(spec, dict):
        problems.add(path, spec, "must be a mapping", "write e.g. {task: mmlu_math, shots: 0, limit: 10}")
        return
    unknown_keys(spec, TASK_KEYS, path, problems)
    task = spec.get("task")
    if "task" not in spec:
        problems.add(f"{path}.task", None, "is missing", "add task: <task name>, e.g. task: mmlu_math")
    elif not isinstance(task, Yaml11Surprise) and (not isinstance(task, str) or not task):
        problems.add(f"{path}.task", task, "must be a task name (text)", "write e.g. task: mmlu_math")
    elif isinstance(task, str) and task_names is not None and task not in task_names:
        problems.add(
            f"{path}.task",
            task,
            "is not a known task",
            did_you_mean(task, task_names, 3) + "helpers.core.tasks.list_tasks() lists the task names",
        )
    check_count(spec.get("shots", 0), f"{path}.shots", 0, problems)
    check_count(spec.get("limit"), f"{path}.limit", 1, problems, nullable=True)
    data = spec.get("path")
    if data is not None and not isinstance(data, (str, Yaml11Surprise)):
        problems.add(
            f"{path}.path", data, "must be a file or folder path (text)", "write e.g. path: glue_data/QQP/dev.tsv"
        )


def _filled_mapping(raw: dict, key: str, path: str, what: str, example: str, problems: Problems) -> dict:
    """``raw[key]`` when it is a non-empty mapping; else one problem (``what``, and the fix ``write e.g. key: example``)
    and an empty mapping, so the checks after it run on nothing."""
    value = raw.get(key)
    if isinstance(value, dict) and value:
        return value
    problems.add(f"{path}.{key}", value, what, f"write e.g. {key}: {example}")
    return {}


def _check_profile(
    name: Any,
    raw: Any,
    task_kinds: Collection[str],
    task_names: Collection[str] | None,
    sections: Mapping[str, ProfileSection],
    problems: Problems,
) -> None:
    path = key_name(name)
    if not isinstance(raw, dict):
        problems.add(
            path,
            raw,
            "a profile must be a mapping",
            "give it description, findings, device, families and tasks keys (see the ci profile)",
        )
        return
    unknown_keys(raw, (*PROFILE_KEYS, *sections), path, problems, suggest=True)
    if "description" in raw and not isinstance(raw["description"], (str, Yaml11Surprise)):
        problems.add(f"{path}.description", raw["description"], "must be text", "write a sentence, or quote it")
    if "findings" in raw and not isinstance(raw["findings"], (bool, Yaml11Surprise)):
        problems.add(
            f"{path}.findings",
            raw["findings"],
            "must be true or false",
            "write findings: false for a profile whose numbers are not findings",
        )
    device = raw.get("device", "auto")
    if not isinstance(device, Yaml11Surprise) and device not in DEVICES:
        problems.add(f"{path}.device", device, "is not a device", f"use one of {', '.join(DEVICES)}")
    families = _filled_mapping(
        raw,
        "families",
        path,
        "must map a family name to a list of model sources",
        "{pythia: [random:pythia-70m, random:pythia-160m]}",
        problems,
    )
    for family, models in families.items():
        _text_list(
            models,
            f"{path}.families.{family}",
            "model sources",
            f"{family}: [random:pythia-70m] (a list in brackets, even for one model)",
            problems,
        )
    tasks = _filled_mapping(
        raw,
        "tasks",
        path,
        "must map a task kind to its setting",
        "{knowledge: {task: mmlu_math, shots: 0, limit: 4}}",
        problems,
    )
    for kind, spec in tasks.items():
        if kind not in task_kinds:
            problems.add(
                f"{path}.tasks.{key_name(kind)}", kind, "is not a task kind", f"use one of {', '.join(task_kinds)}"
            )
        else:
            _check_task(kind, spec, f"{path}.tasks.{kind}", task_names, problems)
    kinds = tuple(kind for kind in tasks if kind in task_kinds)
    for key, section in sections.items():
        if raw.get(key) is not None:
            section.check(raw[key], f"{path}.{key}", kinds, problems)


def check_profiles(
    raw: Any,
    task_kinds: Collection[str],
    task_names: Collection[str] | None = None,
    sections: Mapping[str, ProfileSection] | None = None,
) -> list[str]:
    """Every problem of a parsed profiles file (empty: valid), one line each with its YAML path.

    ``task_names``: the accepted task names (``helpers.core.tasks.list_tasks()``, passed in by a
    layer that may import the tasks); None skips that cross-reference. ``sections``: the experiment
    sections a profile may have (``{key: ProfileSection}``, passed in by the layer that knows the
    experiments); a top-level key that is neither a generic key nor one of them is refused.
    """
    sections = dict(sections or {})
    problems = Problems()
    _surprises(raw, "(file)" if not isinstance(raw, dict) else "", problems)
    problems.lines = [line.lstrip(".") for line in problems.lines]
    if not isinstance(raw, dict) or not raw:
        problems.add("(file)", raw, "must be a mapping of profile names to profiles", "see the ci profile in git")
        return problems.lines
    for name, spec in raw.items():
        _check_profile(name, spec, task_kinds, task_names, sections, problems)
    return problems.lines
