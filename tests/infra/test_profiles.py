"""``data/profiles.yml`` is checked against its schema when loaded: every problem at once, each
with its YAML path, the value and the fix; YAML 1.1 surprises refused (issue 20, class 3)."""

from __future__ import annotations

import textwrap

import pytest

from conftest import tiny_profiles_yaml
from helpers.core.tasks import list_tasks
from helpers.infra.profile_schema import Yaml11Surprise, read_profiles_yaml
from helpers.infra.profiles import PROFILES_FILE, ProfileError, load_profiles

GOOD = tiny_profiles_yaml(swap=True)  # profile tiny: random:pythia-70m, limit 2, swap pair 70m -> 160m

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
    profiles = load_profiles(PROFILES_FILE, list_tasks())
    assert {"ci", "offline", "small", "paper"} <= set(profiles)


def test_a_good_file_loads_to_the_values_written(tmp_path):
    tiny = load_profiles(_write(tmp_path, GOOD), list_tasks())["tiny"]
    assert tiny.families == {"pythia": ("random:pythia-70m",)} and tiny.device == "cpu" and tiny.findings is False
    assert (tiny.tasks["procedure"].task, tiny.tasks["procedure"].shots, tiny.tasks["procedure"].limit) == (
        "arithmetic_2da",
        0,
        2,
    )
    assert tiny.swap.pairs == (("random:pythia-70m", "random:pythia-160m"),) and tiny.swap.alphas == (0.0, 1.0)
    assert tiny.swap.limits == {"procedure": 2} and tiny.swap.max_layers == 8


def test_every_problem_is_reported_at_once_with_path_value_and_fix(tmp_path):
    path = _write(tmp_path, BAD)
    with pytest.raises(ProfileError) as error:
        load_profiles(path, list_tasks())
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
    path = _write(tmp_path, GOOD.replace("arithmetic_2da", "arithmetic_9zz"))
    assert load_profiles(path)["tiny"].tasks["procedure"].task == "arithmetic_9zz"  # infra alone cannot know
    with pytest.raises(ProfileError, match=r"tiny.tasks.procedure.task: is not a known task, got 'arithmetic_9zz'"):
        load_profiles(path, list_tasks())


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
        load_profiles(_write(tmp_path, text), list_tasks())
    assert "  profiles.yml: yes (the key): YAML 1.1 reads this as True, got 'yes'" in str(error.value)
    merged = GOOD.replace(
        "procedure: {task: arithmetic_2da, shots: 0, limit: 2}",
        "procedure: &setting {task: arithmetic_2da, shots: 0, limit: 2}",
    ).replace("pattern: {task: mrpc, shots: 0, limit: 2}", "pattern: {<<: *setting, task: mrpc}")
    pattern = load_profiles(_write(tmp_path, merged), list_tasks())["tiny"].tasks["pattern"]
    assert (pattern.task, pattern.shots, pattern.limit) == ("mrpc", 0, 2)  # a merge may override a key
