"""``data/profiles.yml`` is checked against its schema when loaded: every problem at once, each
with its YAML path, the value and the fix; YAML 1.1 surprises refused (issue 20, class 3).

infra knows only the generic keys; an experiment's own section (the swap's ``swap:``) is checked
and parsed by its package, passed in by the project's loader (issue 21 §1). The tests load through
that loader (:func:`helpers.experiments.config.load_profiles`) unless they test infra alone."""

from __future__ import annotations

import textwrap

import pytest

from conftest import tiny_profiles_yaml
from helpers.core.tasks import list_tasks
from helpers.experiments.config import load_profiles
from helpers.experiments.swap.settings import SwapSetting, swap_settings
from helpers.infra import profiles as infra_profiles
from helpers.infra.profile_schema import ProfileSection, Yaml11Surprise, read_profiles_yaml
from helpers.infra.profiles import PROFILES_FILE, ProfileError

GOOD = tiny_profiles_yaml(swap=True)  # profile tiny: random:pythia-70m, limit 2, swap pair 70m -> 160m
GENERIC = tiny_profiles_yaml()
"""GOOD without its swap section: the generic keys only."""

# Every failure the issue lists, one per line of the file; the expected (path, value, fix) of each
# is written out by hand below.
BAD = """
empty_family:
  families: {pythia: []}
  tasks: {procedure: {task: arithmetic_2da}}
string_family:
  families: {opt: random:opt-125m}
  tasks: {procedure: {task: arithmetic_2da}}
tasks_as_list:
  families: {pythia: [random:pythia-70m]}
  tasks: [procedure, pattern]
not_a_mapping: [random:pythia-70m]
bad_swap:
  families: {pythia: [random:pythia-70m]}
  tasks: {procedure: {task: arithmetic_2da}}
  swap:
    pairs: [[random:pythia-70m]]
    alphas: [0.0, half]
    tasks: [procedure]
unknown_task:
  families: {pythia: [random:pythia-70m]}
  tasks: {procedure: {task: arithmetic_2dx, shots: 0}}
yaml11:
  families: {pythia: [random:pythia-70m]}
  tasks:
    procedure: {task: arithmetic_2da, shots: yes, limit: 010}
    pattern: {task: mrpc, shots: -1, limit: 2.5}
"""

EXPECTED = [
    ("empty_family.families.pythia: must be a non-empty list of model sources, got []", "a list in brackets"),
    (
        "string_family.families.opt: must be a non-empty list of model sources, got 'random:opt-125m'",
        "opt: [random:pythia-70m]",
    ),
    (
        "tasks_as_list.tasks: must map a task kind to its setting, got ['procedure', 'pattern']",
        "tasks: {knowledge: {task: mmlu_math",
    ),
    ("not_a_mapping: a profile must be a mapping, got ['random:pythia-70m']", "families and tasks keys"),
    (
        "bad_swap.swap.pairs[0]: must name two models, [donor, recipient], got ['random:pythia-70m']",
        "[random:pythia-410m, random:pythia-1.4b]",
    ),
    ("bad_swap.swap.alphas[1]: must be a number in [0, 1], got 'half'", "e.g. 0.25"),
    (
        "unknown_task.tasks.procedure.task: is not a known task, got 'arithmetic_2dx'",
        "did you mean arithmetic_2ds or arithmetic_2dm or arithmetic_2da?",
    ),
    ("yaml11.tasks.procedure.shots: YAML 1.1 reads this as True, got 'yes'", "write true or false"),
    ("yaml11.tasks.procedure.limit: YAML 1.1 reads this as 8, got '010'", "octal: write 10 without it"),
    ("yaml11.tasks.pattern.shots: must be an integer >= 0, got -1", "shots"),
    ("yaml11.tasks.pattern.limit: must be an integer >= 1 or null (all items), got 2.5", "limit"),
]


def _write(tmp_path, text):
    path = tmp_path / "profiles.yml"
    path.write_text(textwrap.dedent(text))
    return path


def test_the_shipped_profiles_pass_the_schema():
    profiles = load_profiles(PROFILES_FILE)
    assert {"ci", "offline", "small", "paper"} <= set(profiles)


def test_a_good_file_loads_to_the_values_written(tmp_path):
    tiny = load_profiles(_write(tmp_path, GOOD))["tiny"]
    assert tiny.families == {"pythia": ("random:pythia-70m",)} and tiny.device == "cpu" and tiny.findings is False
    assert (tiny.tasks["procedure"].task, tiny.tasks["procedure"].shots, tiny.tasks["procedure"].limit) == (
        "arithmetic_2da",
        0,
        2,
    )
    swap = swap_settings(tiny)
    assert swap.pairs == (("random:pythia-70m", "random:pythia-160m"),) and swap.alphas == (0.0, 1.0)
    assert swap.limits == {"procedure": 2} and swap.max_layers == 8


def test_every_problem_is_reported_at_once_with_path_value_and_fix(tmp_path):
    path = _write(tmp_path, BAD)
    with pytest.raises(ProfileError) as error:
        load_profiles(path)
    lines = str(error.value).splitlines()
    assert lines[0] == f"{path}: {len(EXPECTED)} problem(s), nothing was run:", lines
    problems = [line.strip().removeprefix("profiles.yml: ") for line in lines[1:]]
    assert len(problems) == len(EXPECTED), "\n".join(problems)
    for (found, fix), line in zip(sorted(EXPECTED), sorted(problems)):
        assert line.startswith(found) and fix in line.split(";", 1)[1], (found, line)


def test_yaml_1_1_scalars_are_kept_raw_not_converted(tmp_path):
    raw = read_profiles_yaml(_write(tmp_path, "a: {limit: 010, shots: yes, when: 1:30, ok: true, n: 10, t: on}"))["a"]
    assert raw["limit"] == Yaml11Surprise("010", 8, raw["limit"].fix)
    assert raw["shots"].read_as is True and raw["when"].read_as == 90 and raw["t"].raw == "on"
    assert raw["ok"] is True and raw["n"] == 10


def test_a_key_given_twice_is_refused(tmp_path):
    with pytest.raises(ProfileError, match="'limit' is given twice"):
        load_profiles(_write(tmp_path, GOOD.replace("limit: 2}", "limit: 2, limit: 3}", 1)))


def test_task_names_are_checked_only_when_given(tmp_path):
    path = _write(tmp_path, GENERIC.replace("arithmetic_2da", "arithmetic_9zz"))
    assert infra_profiles.load_profiles(path)["tiny"].tasks["procedure"].task == "arithmetic_9zz"  # infra alone
    with pytest.raises(ProfileError, match=r"tiny.tasks.procedure.task: is not a known task, got 'arithmetic_9zz'"):
        infra_profiles.load_profiles(path, list_tasks())
    with pytest.raises(ProfileError, match=r"tiny.tasks.procedure.task: is not a known task, got 'arithmetic_9zz'"):
        load_profiles(path)  # the project's loader always checks them


def test_surprising_keys_are_named_as_written_and_merges_may_override(tmp_path):
    text = (
        GOOD
        + """
yes:
  families: {pythia: [random:pythia-70m]}
  tasks: {procedure: {task: arithmetic_2da}}
"""
    )
    with pytest.raises(ProfileError) as error:
        load_profiles(_write(tmp_path, text))
    assert "  profiles.yml: yes (the key): YAML 1.1 reads this as True, got 'yes'" in str(error.value)
    merged = GOOD.replace(
        "procedure: {task: arithmetic_2da, shots: 0, limit: 2}",
        "procedure: &setting {task: arithmetic_2da, shots: 0, limit: 2}",
    ).replace("pattern: {task: mrpc, shots: 0, limit: 2}", "pattern: {<<: *setting, task: mrpc}")
    pattern = load_profiles(_write(tmp_path, merged))["tiny"].tasks["pattern"]
    assert (pattern.task, pattern.shots, pattern.limit) == ("mrpc", 0, 2)  # a merge may override a key


# ----------------------------------------------------------------------------- experiment sections


def _problems(path, loader=load_profiles) -> list[str]:
    """The problem lines of loading ``path`` (without the file name), which must fail."""
    with pytest.raises(ProfileError) as error:
        loader(path)
    return [line.strip().removeprefix("profiles.yml: ") for line in str(error.value).splitlines()[1:]]


def test_an_unknown_top_level_key_is_refused_with_the_close_match(tmp_path):
    path = _write(tmp_path, GOOD.replace("  swap:", "  swpa:"))
    assert _problems(path) == [
        "tiny.swpa: is not a known key, got 'swpa'; did you mean swap? "
        "use one of description, findings, device, families, tasks, swap"
    ]
    assert _problems(_write(tmp_path, GENERIC + "  colour: blue\n")) == [
        "tiny.colour: is not a known key, got 'colour'; use one of description, findings, device, families, tasks, swap"
    ]


def test_infra_alone_does_not_know_the_swap_section(tmp_path):
    """Given no sections, infra's loader refuses ``swap:`` like any unknown key: the swap owns it."""
    path = _write(tmp_path, GOOD)
    assert _problems(path, infra_profiles.load_profiles) == [
        "tiny.swap: is not a known key, got 'swap'; use one of description, findings, device, families, tasks"
    ]
    assert infra_profiles.load_profiles(_write(tmp_path, GENERIC))["tiny"].sections == {}


def test_the_project_loader_accepts_the_swap_section_and_swap_settings_reads_it(tmp_path):
    tiny = load_profiles(
        _write(tmp_path, GOOD.replace("    limit: 2\n", "    limit: {procedure: 3}\n    max_layers: 2\n"))
    )["tiny"]
    assert swap_settings(tiny) == SwapSetting(
        (("random:pythia-70m", "random:pythia-160m"),), (0.0, 1.0), ("procedure",), {"procedure": 3}, 2
    )
    assert swap_settings(load_profiles(_write(tmp_path, GENERIC))["tiny"]) is None
    for empty in ("  swap:\n", "  swap: {}\n"):  # a null or empty section is no swap section
        assert swap_settings(load_profiles(_write(tmp_path, GENERIC + empty))["tiny"]) is None


def test_a_section_is_checked_with_the_profile_task_kinds_and_parsed_by_its_owner(tmp_path):
    """The generic hook: infra passes the raw section, its YAML path and the profile's task kinds to the check,
    and the raw section to the parser."""
    seen = []

    def check(raw, path, kinds, problems):
        seen.append((raw, path, kinds))
        if raw.get("size", 0) < 1:
            problems.add(f"{path}.size", raw.get("size"), "must be at least 1", "write e.g. size: 2")

    toy = ProfileSection("toy", check, lambda raw: raw["size"])
    tiny = infra_profiles.load_profiles(_write(tmp_path, GENERIC + "  toy: {size: 2}\n"), sections={"toy": toy})
    assert tiny["tiny"].sections == {"toy": 2}
    assert seen == [({"size": 2}, "tiny.toy", ("procedure", "pattern"))]
    bad = _write(tmp_path, GENERIC.replace("shots: 0, limit: 2}", "shots: -1, limit: 2}", 1) + "  toy: {size: 0}\n")
    problems = _problems(bad, lambda path: infra_profiles.load_profiles(path, sections={"toy": toy}))
    assert problems == [  # every problem at once, the section's among the generic ones
        "tiny.tasks.procedure.shots: must be an integer >= 0, got -1; write e.g. shots: 0",
        "tiny.toy.size: must be at least 1, got 0; write e.g. size: 2",
    ]


SWAP_BAD = """
not_mapping:
  families: {pythia: [random:pythia-70m]}
  tasks: {procedure: {task: arithmetic_2da}}
  swap: [random:pythia-70m]
everything:
  families: {pythia: [random:pythia-70m]}
  tasks: {procedure: {task: arithmetic_2da}}
  swap:
    pairs: random:pythia-70m
    alphas: []
    tasks: [procedure, pattern]
    limit: {knowledge: 0}
    max_layers: 0
    colour: blue
bad_limit:
  families: {pythia: [random:pythia-70m]}
  tasks: {procedure: {task: arithmetic_2da}}
  swap: {pairs: [[a, b]], alphas: [1.5], tasks: procedure, limit: 0}
"""


def test_every_swap_section_problem_is_reported_with_its_message(tmp_path):
    """The swap section's messages, unchanged since it moved out of infra, each written out by hand."""
    assert sorted(_problems(_write(tmp_path, SWAP_BAD))) == sorted(
        [
            "not_mapping.swap: must be a mapping, got ['random:pythia-70m']; "
            "write pairs, alphas, tasks, limit, max_layers under it",
            "everything.swap.colour: is not a known key, got 'colour'; "
            "use one of pairs, alphas, tasks, limit, max_layers",
            "everything.swap.pairs: must be a list of [donor, recipient] pairs, got 'random:pythia-70m'; "
            "write e.g. pairs: [[random:pythia-410m, random:pythia-1.4b]]",
            "everything.swap.alphas: must be a non-empty list of numbers in [0, 1], got []; "
            "write e.g. alphas: [0.0, 0.5, 1.0]",
            "everything.swap.tasks[1]: is not a task kind of this profile, got 'pattern'; use one of procedure",
            "everything.swap.limit: has no limit for swap task 'procedure', got {'knowledge': 0}; "
            "add procedure: <items> (a limit for each of swap.tasks)",
            "everything.swap.limit: has no limit for swap task 'pattern', got {'knowledge': 0}; "
            "add pattern: <items> (a limit for each of swap.tasks)",
            "everything.swap.limit.knowledge: is not one of swap.tasks, got 0; "
            "delete it, or add knowledge to swap.tasks",
            "everything.swap.limit.knowledge: must be an integer >= 1, got 0; write e.g. knowledge: 1",
            "everything.swap.max_layers: must be an integer >= 1, got 0; write e.g. max_layers: 1",
            "bad_limit.swap.alphas[0]: must be a number in [0, 1], got 1.5; give a weight between 0 and 1, e.g. 0.25",
            "bad_limit.swap.tasks: must be a list of task kinds, got 'procedure'; "
            "write e.g. tasks: [knowledge, procedure]",
            "bad_limit.swap.limit: must be an integer >= 1, got 0; write e.g. limit: 1",
        ]
    )
