"""The runner's machinery (helpers.infra.run) and its jobs (helpers.infra.jobs).

Offline and fast: jobs are standard-library functions, notebooks are the two tiny notebooks
of ``tests/data``. The command line that feeds them is tested in ``tests/test_cli.py``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest
from papermill.cli import _resolve_type

from helpers.infra.jobs import Job, JobSpecError, run_job, run_job_safely
from helpers.infra.run import notebooks as nb
from helpers.infra.run.summary import format_report
from helpers.infra.run.workers import RunArgumentError, SlurmOptions, run_jobs

DATA = Path(__file__).parents[1] / "data"


def test_job_function_spec_errors_are_clear():
    with pytest.raises(JobSpecError, match="package.module:function"):
        run_job(Job("x", "json.loads"))
    with pytest.raises(JobSpecError, match="no function 'nope'"):
        run_job(Job("x", "json:nope"))
    outcome = run_job_safely(Job("bad json", "json:loads", {"s": "{bad"}))
    assert not outcome.ok and outcome.error_type == "JSONDecodeError" and "Traceback" in outcome.traceback
    assert run_job_safely(Job("good json", "json:loads", {"s": "[1, 2]"})).result == [1, 2]
    with pytest.raises(JobSpecError, match="not plain JSON"):
        Job("path", "os:makedirs", {"name": Path("/tmp")}).to_json()


# ----------------------------------------------------------------------------- parameters


PAPERMILL_VALUES = [
    "30",
    "0042",
    "-7",
    "1e-3",
    "0.5",
    "True",
    "False",
    "None",
    "yes",
    "no",
    "on",
    "off",
    "null",
    "~",
    "1:30",
    "0x10",
    "[a, b]",
    "{a: 1}",
    "",
    " 3",
    "nan",
    "inf",
    "1_000",
    "3.0",
]


@pytest.mark.parametrize("text", PAPERMILL_VALUES)
def test_p_values_are_read_exactly_as_papermill_reads_them(text):
    assert nb.resolve_value(text) == _resolve_type(text) or (
        nb.resolve_value(text) != nb.resolve_value(text) and _resolve_type(text) != _resolve_type(text)
    )  # nan
    assert type(nb.resolve_value(text)) is type(_resolve_type(text))


@pytest.mark.parametrize("text", [*PAPERMILL_VALUES, "-1e-3", "-inf", "-7.5", "-x", "--limit", "-p", "--"])
def test_p_pairs_on_the_command_line_are_taken_and_typed_as_papermill_takes_them(text):
    """Issue 20, class 6: whatever papermill's own CLI (click, ``nargs=2``) takes as a ``-p``
    value, dashes included, is taken and typed the same."""
    from papermill.cli import papermill as papermill_command

    context = papermill_command.make_context("papermill", ["in.ipynb", "out.ipynb", "-p", "x", text, "-p", "y", "1"])
    theirs = {name: _resolve_type(value) for name, value in context.params["parameters"]}
    rest, pairs = nb.take_parameter_pairs(["notebook", "--profile", "ci", "-p", "x", text, "--parameter", "y", "1"])
    assert rest == ["notebook", "--profile", "ci"] and pairs["yaml_parameter"] == []
    ours = nb.parse_parameters(pairs["parameter"])
    assert repr(ours) == repr(theirs) and [type(v) for v in ours.values()] == [type(v) for v in theirs.values()]


def test_a_yaml_pair_is_taken_whole_and_a_short_pair_is_refused():
    rest, pairs = nb.take_parameter_pairs(["notebook", "-y", "task_kinds", "[procedure]", "--store", "s"])
    assert rest == ["notebook", "--store", "s"]
    assert pairs == {"parameter": [], "yaml_parameter": [["task_kinds", "[procedure]"]]}
    with pytest.raises(RunArgumentError, match=r"-y needs a NAME and a VALUE after it, got \['models'\]"):
        nb.take_parameter_pairs(["notebook", "-y", "models"])


def test_the_old_yaml_reading_cases_now_follow_papermill():
    parsed = nb.parse_parameters([("seed", "0042"), ("flag", "yes"), ("when", "1:30"), ("x", "null")])
    assert parsed == {"seed": 42, "flag": "yes", "when": "1:30", "x": "null"}  # YAML 1.1 gave 34, True, 90, None


def test_lists_come_through_the_yaml_flag():
    parsed = nb.parse_parameters([("limit", "30")], [("models", "[random:pythia-70m, random:opt-125m]")])
    assert parsed == {"limit": 30, "models": ["random:pythia-70m", "random:opt-125m"]}
    with pytest.raises(RunArgumentError, match="not valid YAML"):
        nb.parse_parameters(yaml_pairs=[("models", "[a, b")])
    with pytest.raises(RunArgumentError, match="--profile"):
        nb.parse_parameters([("profile", "ci")])
    with pytest.raises(RunArgumentError, match="--profiles-file"):
        nb.parse_parameters([("profiles_file", "x.yml")])
    with pytest.raises(RunArgumentError, match="identifier"):
        nb.parse_parameters([("bad-name", "1")])


def test_declared_parameters_and_their_defaults():
    declared = nb.declared_parameters(DATA / "run_params.ipynb")
    assert set(declared) == {"greeting", "limit", "profile"}


def test_parameter_declared_by_no_notebook_is_rejected():
    with pytest.raises(RunArgumentError, match=r"\['limt'\].*greeting, limit"):
        nb.split_overrides({"run_params": DATA / "run_params.ipynb"}, {"limt": 3})


# ----------------------------------------------------------------------------- workers and Slurm


def _stdlib_jobs(tmp_path: Path) -> list[Job]:
    return [
        Job("make a", "os:makedirs", {"name": str(tmp_path / "made" / "a"), "exist_ok": True}),
        Job("bad json", "json:loads", {"s": "{not json"}),
        Job("make b", "os:makedirs", {"name": str(tmp_path / "made" / "b"), "exist_ok": True}),
    ]


def test_two_workers_run_every_job_and_collect_failures(tmp_path, capsys):
    outcomes = run_jobs(_stdlib_jobs(tmp_path), workers=2, log_dir=tmp_path / "logs")
    assert [o.label for o in outcomes] == ["make a", "bad json", "make b"]  # job order, not finish order
    assert [o.ok for o in outcomes] == [True, False, True]
    assert (tmp_path / "made" / "a").is_dir() and (tmp_path / "made" / "b").is_dir()
    assert outcomes[1].error_type == "JSONDecodeError"
    assert "JSONDecodeError" in Path(outcomes[1].log_path).read_text()
    assert capsys.readouterr().out.count("job ") >= 6  # a start and an end line per job


def test_each_worker_sees_its_own_gpu(tmp_path, monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0,1")
    jobs = [Job(f"env {i}", "os:getenv", {"key": "CUDA_VISIBLE_DEVICES"}) for i in range(2)]
    outcomes = run_jobs(jobs, workers=2, log_dir=tmp_path)
    assert sorted(o.result for o in outcomes) == ["0", "1"]


def test_a_worker_that_dies_is_reported(tmp_path):
    outcomes = run_jobs(
        [Job("exits", "builtins:exit", {"code": 3}), Job("fine", "json:loads", {"s": "1"})], workers=2, log_dir=tmp_path
    )
    assert outcomes[0].error_type == "WorkerDied" and "status 3" in outcomes[0].message
    assert outcomes[1].ok and outcomes[1].result == 1


def test_submitit_local_cluster_runs_the_slurm_path(tmp_path):
    options = SlurmOptions(gpus_per_job=0, timeout_min=5, cluster="local", poll_seconds=0.5)
    assert SlurmOptions(partition="gpu").parameters()["slurm_partition"] == "gpu"
    outcomes = run_jobs(_stdlib_jobs(tmp_path), slurm=options, log_dir=tmp_path / "slurm_logs")
    assert [o.ok for o in outcomes] == [True, False, True]
    assert (tmp_path / "made" / "b").is_dir()
    assert outcomes[1].error_type == "JSONDecodeError"
    assert all(Path(o.log_path).parent == tmp_path / "slurm_logs" for o in outcomes)


# ----------------------------------------------------------------------------- notebooks


def _outputs_text(path: Path) -> str:
    notebook = nbformat.read(path, as_version=4)
    return "".join(
        output.get("text", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
    )


def test_notebook_runs_with_injected_parameters(tmp_path, monkeypatch):
    monkeypatch.setenv("CC_RESULTS", str(tmp_path / "store"))
    outcomes = nb.execute_notebooks(
        {"run_params": DATA / "run_params.ipynb"},
        tmp_path / "out",
        {"profile": "ci"},
        {"limit": 7, "greeting": "hi there"},
        log_dir=tmp_path / "logs",
    )
    assert outcomes[0].ok, outcomes[0].message
    text = _outputs_text(tmp_path / "out" / "run_params.ipynb")
    assert "profile=ci limit=7 greeting=hi there limit_type=int" in text
    assert f"store={tmp_path / 'store'}" in text  # the kernel inherits the run's store
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["run_params.ipynb"]  # no temp file left


def test_failing_notebook_is_reported_and_publishes_nothing(tmp_path):
    output, logs = tmp_path / "out", tmp_path / "logs"
    output.mkdir()
    paths = {"run_failing": DATA / "run_failing.ipynb", "run_params": DATA / "run_params.ipynb"}
    failing, passing = nb.execute_notebooks(paths, output, {"profile": "ci"}, {}, log_dir=logs)
    assert not failing.ok and passing.ok  # the failure did not stop the next notebook
    assert failing.error_type == "ZeroDivisionError"
    # cells: markdown, parameters, injected parameters, x = 1, raise -> index 4, 3rd code cell run
    assert "cell 4 (In [4])" in failing.message and "deliberate failure" in failing.message
    assert sorted(p.name for p in output.iterdir()) == ["run_params.ipynb"]
    assert Path(failing.log_path) == logs / "run_failing.failed.ipynb"
    assert "ZeroDivisionError" in json.dumps(nbformat.read(failing.log_path, as_version=4))
    report = format_report([], [failing, passing])
    assert "1 failure(s)" in report and "run_failing" in report.split("1 failure(s)")[1]


def test_failed_rerun_keeps_the_previous_output(tmp_path):
    output = tmp_path / "out"
    output.mkdir()
    (output / "run_failing.ipynb").write_text("previous good run")
    outcome = nb.execute_notebook(
        "run_failing", DATA / "run_failing.ipynb", output, {"profile": "ci"}, log_dir=tmp_path
    )
    assert not outcome.ok
    assert (output / "run_failing.ipynb").read_text() == "previous good run"
    assert [p.name for p in output.iterdir()] == ["run_failing.ipynb"]


def test_missing_notebook_is_a_collected_failure(tmp_path):
    outcome = nb.execute_notebook("scaling", tmp_path / "scaling.ipynb", tmp_path / "out", {})
    assert not outcome.ok and outcome.error_type == "NotebookMissing" and "scaling.ipynb" in outcome.message


@pytest.mark.skipif(shutil.which("srun") is not None, reason="a real Slurm cluster is present")
def test_slurm_without_a_cluster_fails_with_a_remedy(tmp_path):
    with pytest.raises(RunArgumentError, match="--workers N"):
        run_jobs(_stdlib_jobs(tmp_path), slurm=SlurmOptions(), log_dir=tmp_path)


def test_a_custom_run_carries_a_banner_with_its_parameters(tmp_path, monkeypatch):
    """Issue 22: a chapter published from `make notebook` with parameters says so under its title."""
    monkeypatch.setenv("CC_RESULTS", str(tmp_path / "store"))
    out = tmp_path / "out"
    assert nb.execute_notebooks(
        {"run_params": DATA / "run_params.ipynb"}, out, {"profile": "ci"}, {"limit": 7}, log_dir=tmp_path / "logs"
    )[0].ok
    cells = nbformat.read(out / "run_params.ipynb", as_version=4).cells
    banner = [cell for cell in cells if nb.CUSTOM_RUN_TAG in cell.metadata.get("tags", [])]
    assert len(banner) == 1 and cells[1] is banner[0]
    assert "Custom run" in banner[0].source and "`limit = 7`" in banner[0].source
    assert banner[0].source.startswith(":::{warning}")
    # the defaults (what `make book` runs) carry none
    assert nb.execute_notebooks(
        {"run_params": DATA / "run_params.ipynb"}, out, {"profile": "ci"}, {}, log_dir=tmp_path / "logs"
    )[0].ok
    cells = nbformat.read(out / "run_params.ipynb", as_version=4).cells
    assert not [cell for cell in cells if nb.CUSTOM_RUN_TAG in cell.metadata.get("tags", [])]


def test_replaced_custom_runs_are_named_and_kept(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CC_RESULTS", str(tmp_path / "store"))
    out = tmp_path / "out"
    assert nb.execute_notebooks(
        {"run_params": DATA / "run_params.ipynb"}, out, {"profile": "ci"}, {"limit": 7}, log_dir=tmp_path / "logs"
    )[0].ok
    capsys.readouterr()
    outputs = {"run_params": out / "run_params.ipynb", "absent": out / "absent.ipynb"}
    assert nb.replaced_custom_runs(outputs, {"run_params": {"profile": "ci"}}, tmp_path / "kept") == ["run_params"]
    printed = capsys.readouterr().out
    assert "will replace" in printed and "'limit': 7" in printed and str(tmp_path / "kept") in printed
    (copy,) = (tmp_path / "kept").glob("run_params.*.ipynb")
    assert copy.read_bytes() == (out / "run_params.ipynb").read_bytes()
    assert nb.replaced_custom_runs(outputs, {"run_params": {"profile": "ci", "limit": 7}}, tmp_path / "k2") == []


def test_the_kernel_runs_quietly_over_ipc(tmp_path, monkeypatch, capfd):
    """Issue 22: no "Kernel is running over TCP without encryption" warning per notebook."""
    monkeypatch.setenv("CC_RESULTS", str(tmp_path / "store"))
    assert nb.execute_notebooks(
        {"run_params": DATA / "run_params.ipynb"}, tmp_path / "out", {"profile": "ci"}, log_dir=tmp_path / "logs"
    )[0].ok
    captured = capfd.readouterr()
    assert "without encryption" not in captured.err + captured.out
    assert not list(tmp_path.glob("kernel-*")) and not list(Path.cwd().glob("kernel-*-ipc*"))
