"""Tests of the runner (helpers.infra.runner) and its jobs (helpers.infra.jobs).

Fast and offline: the fill tests use ``random:`` models on two items per task, the worker
and Slurm (submitit ``local``) tests use standard-library functions as jobs, and the
notebook tests run two tiny notebooks from ``tests/data``.
"""

from __future__ import annotations

import contextlib
import importlib.machinery
import io
import json
import os
import shutil
import sys
import types
from pathlib import Path

import nbformat
import pytest

from helpers.infra import runner as run
from helpers.infra.jobs import Job, JobSpecError, run_job, run_job_safely
from helpers.infra.profiles import load_profile
from helpers.infra.store import ResultStore

DATA = Path(__file__).parents[1] / "data"

TINY_PROFILES = """
tiny:
  description: runner test profile
  findings: false
  device: cpu
  families:
    pythia: [random:pythia-70m, random:pythia-7b]   # pythia-7b does not exist (6.9b does)
  tasks:
    procedure: {task: arithmetic_2da, shots: 0, limit: 2}
    pattern: {task: mrpc, shots: 0, limit: 2}
"""


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def _main(argv: list[str]) -> tuple[int, str, str]:
    """Run the CLI in-process; return (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = run.main(argv)
    return status, out.getvalue(), err.getvalue()


# ----------------------------------------------------------------------------- job list


def test_ci_job_list_has_one_evaluation_job_per_model(tmp_path):
    profile = load_profile("ci")
    jobs = run.evaluation_jobs(profile, store=tmp_path)
    # data/profiles.yml, profile ci: pythia 70m/160m/410m then opt 125m/350m
    assert [job.label for job in jobs] == [
        "random:pythia-70m", "random:pythia-160m", "random:pythia-410m", "random:opt-125m", "random:opt-350m"]
    for job in jobs:
        assert job.function == "helpers.infra.runner:fill_model"
        assert job.kwargs["source"] == job.label
        assert job.kwargs["device"] == "cpu"
        assert job.kwargs["store"] == str(tmp_path.resolve())
        assert job.kwargs["seed"] is None
        settings = {setting["kind"]: setting for setting in job.kwargs["settings"]}
        assert sorted(settings) == ["knowledge", "knowledge_fulltext", "pattern", "procedure", "procedure_hard"]
        assert settings["knowledge"] == {"kind": "knowledge", "task": "mmlu_math", "shots": 0, "limit": 4, "path": None}
        assert settings["procedure_hard"]["task"] == "arithmetic_3da" and settings["procedure_hard"]["limit"] == 16
        assert settings["pattern"]["task"] == "mrpc"
        assert Job.from_json(job.to_json()) == job  # sendable to a worker unchanged


def test_auto_device_profile_leaves_the_device_to_the_default_policy():
    jobs = run.evaluation_jobs(load_profile("small"))
    assert {job.kwargs["device"] for job in jobs} == {None}


def test_fill_jobs_appends_jobs_contributed_by_the_swap_module(monkeypatch):
    profile = load_profile("ci")
    swap_job = Job("swap random:pythia-70m", "helpers.experiments.swap.compute:fill_pair", {"pair": 0})
    module = types.ModuleType(run.SWAP_JOBS_MODULE)
    module.__spec__ = importlib.machinery.ModuleSpec(run.SWAP_JOBS_MODULE, None)
    module.fill_jobs = lambda p: [swap_job] if p is profile else []
    monkeypatch.setitem(sys.modules, run.SWAP_JOBS_MODULE, module)
    jobs = run.fill_jobs(profile)
    assert jobs[-1] == swap_job
    assert len(jobs) == len(profile.models) + 1

    module.fill_jobs = lambda p: ["not a job"]
    with pytest.raises(JobSpecError, match="must return"):
        run.fill_jobs(profile)


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


# ----------------------------------------------------------------------------- argument errors


def test_unknown_profile_lists_the_accepted_ones(tmp_path):
    status, _, err = _main(["--profile", "nope", "--store", str(tmp_path)])
    assert status == 2
    assert "'nope'" in err and "ci, offline, small, paper" in err


def test_unknown_notebook_lists_the_accepted_ones(tmp_path):
    with pytest.raises(run.RunArgumentError, match="accepted: scaling, task_contrast, swap"):
        run.check_notebooks("scaling,plots")
    status, _, err = _main(["--profile", "ci", "--notebooks", "scalling", "--notebooks-only",
                            "--store", str(tmp_path)])
    assert status == 2 and "'scalling'" in err and "scaling, task_contrast, swap" in err
    assert run.check_notebooks(None) == ["scaling", "task_contrast", "swap"]
    assert run.check_notebooks("swap, scaling.ipynb") == ["swap", "scaling"]


def test_parameters_parse_like_papermill():
    parsed = run.parse_parameters([("limit", "30"), ("models", "[random:pythia-70m, random:opt-125m]"),
                                   ("seed", "None"), ("lr", "1e-3"), ("compute_missing", "False"),
                                   ("device", "cpu"), ("alpha", "0.5")])
    assert parsed == {"limit": 30, "models": ["random:pythia-70m", "random:opt-125m"], "seed": None,
                      "lr": 0.001, "compute_missing": False, "device": "cpu", "alpha": 0.5}
    assert type(parsed["limit"]) is int
    with pytest.raises(run.RunArgumentError, match="--profile"):
        run.parse_parameters([("profile", "ci")])
    with pytest.raises(run.RunArgumentError, match="identifier"):
        run.parse_parameters([("bad-name", "1")])


def test_parameter_declared_by_no_notebook_is_rejected(tmp_path):
    shutil.copy(DATA / "run_params.ipynb", tmp_path)
    with pytest.raises(run.RunArgumentError, match=r"\['limt'\].*greeting, limit, profile"):
        run.execute_notebooks(["run_params"], "ci", {"limt": 3}, notebooks_dir=tmp_path,
                              output_dir=tmp_path / "out")


def test_conflicting_flags_are_rejected(tmp_path):
    status, _, err = _main(["--profile", "ci", "--fill-only", "--slurm", "--workers", "2", "--store", str(tmp_path)])
    assert status == 2 and "--workers" in err
    with pytest.raises(run.RunArgumentError, match="integer >= 1"):
        run.run_jobs([], workers=0)


# ----------------------------------------------------------------------------- fill


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    """One fill of the tiny profile (one good, one unknown model) into a fresh store."""
    root = tmp_path_factory.mktemp("fill")
    (root / "profiles.yml").write_text(TINY_PROFILES)
    argv = ["--profile", "tiny", "--profiles-file", str(root / "profiles.yml"), "--store", str(root / "store"),
            "--fill-only", "--log-dir", str(root / "logs")]
    env_before = os.environ.get("CC_RESULTS")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_HUB_OFFLINE", "1")
        status, out, err = _main(argv)
    return {"status": status, "out": out, "err": err, "argv": argv, "store": root / "store",
            "env_before": env_before, "env_after": os.environ.get("CC_RESULTS")}


def _shard_mtimes(store: Path) -> dict[str, int]:
    return {str(path): path.stat().st_mtime_ns for path in store.rglob("shard-*.parquet")}


def test_fill_stores_every_task_of_the_good_model(filled):
    table = ResultStore(filled["store"]).list()
    assert set(table["key_fields.model_id"]) == {"random:pythia-70m"}
    assert table["complete"].all()
    rows = dict(zip(table["key_fields.task"], table["n_rows"]))
    # 2 arithmetic items, one request each; 2 MRPC items with choices "no"/"yes"
    assert rows == {"arithmetic_2da": 2, "mrpc": 4}
    assert filled["env_after"] == filled["env_before"]  # --store is set for the run only


def test_fill_failure_is_collected_and_reported(filled):
    assert filled["status"] == 1
    out = filled["out"]
    assert "[1/2] job random:pythia-70m: ok" in out  # the bad model did not stop the good one
    failure_rows = [line.split() for line in out.split("1 failure(s)")[1].splitlines() if line.startswith("job ")]
    assert [row[:3] for row in failure_rows] == [["job", "random:pythia-7b", "UnknownModelError"]]


def test_second_fill_computes_nothing(filled):
    before = _shard_mtimes(filled["store"])
    assert len(before) == 2
    status, out, _ = _main(filled["argv"])
    assert status == 1  # the unknown model still fails
    assert "computed nothing; cached procedure, pattern" in out
    assert _shard_mtimes(filled["store"]) == before


# ----------------------------------------------------------------------------- workers and Slurm


def _stdlib_jobs(tmp_path: Path) -> list[Job]:
    return [
        Job("make a", "os:makedirs", {"name": str(tmp_path / "made" / "a"), "exist_ok": True}),
        Job("bad json", "json:loads", {"s": "{not json"}),
        Job("make b", "os:makedirs", {"name": str(tmp_path / "made" / "b"), "exist_ok": True}),
    ]


def test_two_workers_run_every_job_and_collect_failures(tmp_path, capsys):
    outcomes = run.run_jobs(_stdlib_jobs(tmp_path), workers=2, log_dir=tmp_path / "logs")
    assert [o.label for o in outcomes] == ["make a", "bad json", "make b"]  # job order, not finish order
    assert [o.ok for o in outcomes] == [True, False, True]
    assert (tmp_path / "made" / "a").is_dir() and (tmp_path / "made" / "b").is_dir()
    assert outcomes[1].error_type == "JSONDecodeError"
    assert "JSONDecodeError" in Path(outcomes[1].log_path).read_text()
    assert capsys.readouterr().out.count("job ") >= 6  # a start and an end line per job


def test_each_worker_sees_its_own_gpu(tmp_path, monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0,1")
    jobs = [Job(f"env {i}", "os:getenv", {"key": "CUDA_VISIBLE_DEVICES"}) for i in range(2)]
    outcomes = run.run_jobs(jobs, workers=2, log_dir=tmp_path)
    assert sorted(o.result for o in outcomes) == ["0", "1"]


def test_a_worker_that_dies_is_reported(tmp_path):
    outcomes = run.run_jobs([Job("exits", "builtins:exit", {"code": 3}), Job("fine", "json:loads", {"s": "1"})],
                            workers=2, log_dir=tmp_path)
    assert outcomes[0].error_type == "WorkerDied" and "status 3" in outcomes[0].message
    assert outcomes[1].ok and outcomes[1].result == 1


def test_submitit_local_cluster_runs_the_slurm_path(tmp_path):
    options = run.SlurmOptions(gpus_per_job=0, timeout_min=5, cluster="local", poll_seconds=0.5)
    assert run.SlurmOptions(partition="gpu").parameters()["slurm_partition"] == "gpu"
    outcomes = run.run_jobs(_stdlib_jobs(tmp_path), slurm=options, log_dir=tmp_path / "slurm_logs")
    assert [o.ok for o in outcomes] == [True, False, True]
    assert (tmp_path / "made" / "b").is_dir()
    assert outcomes[1].error_type == "JSONDecodeError"
    assert all(Path(o.log_path).parent == tmp_path / "slurm_logs" for o in outcomes)


@pytest.mark.slow
def test_cli_fill_with_two_workers(tmp_path):
    (tmp_path / "profiles.yml").write_text(TINY_PROFILES.replace("random:pythia-7b", "random:opt-125m")
                                           .replace("    pattern: {task: mrpc, shots: 0, limit: 2}\n", ""))
    status, out, err = _main(["--profile", "tiny", "--profiles-file", str(tmp_path / "profiles.yml"),
                              "--store", str(tmp_path / "store"), "--fill-only", "--workers", "2",
                              "--log-dir", str(tmp_path / "logs")])
    assert status == 0, out + err
    table = ResultStore(tmp_path / "store").list()
    assert sorted(table["key_fields.model_id"]) == ["random:opt-125m", "random:pythia-70m"]
    assert set(table["n_rows"]) == {2}


# ----------------------------------------------------------------------------- notebooks


def _outputs_text(path: Path) -> str:
    notebook = nbformat.read(path, as_version=4)
    return "".join(output.get("text", "") for cell in notebook.cells if cell.cell_type == "code"
                   for output in cell.get("outputs", []))


def test_notebook_runs_with_injected_parameters(tmp_path):
    notebooks, output = tmp_path / "nb", tmp_path / "out"
    notebooks.mkdir()
    shutil.copy(DATA / "run_params.ipynb", notebooks)
    status, out, err = _main(["--profile", "ci", "--notebooks-only", "--notebooks", "run_params",
                              "--notebooks-dir", str(notebooks), "--output-dir", str(output),
                              "--store", str(tmp_path / "store"), "-p", "limit", "7", "-p", "greeting", "hi there"])
    assert status == 0, out + err
    text = _outputs_text(output / "run_params.ipynb")
    assert "profile=ci limit=7 greeting=hi there limit_type=int" in text
    assert f"store={(tmp_path / 'store').resolve()}" in text  # the kernel uses the run's store
    assert sorted(p.name for p in output.iterdir()) == ["run_params.ipynb"]  # no temp file left


def test_failing_notebook_is_reported_and_publishes_nothing(tmp_path):
    notebooks, output, logs = tmp_path / "nb", tmp_path / "out", tmp_path / "logs"
    notebooks.mkdir()
    output.mkdir()
    shutil.copy(DATA / "run_failing.ipynb", notebooks)
    shutil.copy(DATA / "run_params.ipynb", notebooks)
    outcomes = run.execute_notebooks(["run_failing", "run_params"], "ci", {}, notebooks_dir=notebooks,
                                     output_dir=output, log_dir=logs)
    failing, passing = outcomes
    assert not failing.ok and passing.ok  # the failure did not stop the next notebook
    assert failing.error_type == "ZeroDivisionError"
    # cells: markdown, parameters, injected parameters, x = 1, raise -> index 4, 3rd code cell run
    assert "cell 4 (In [4])" in failing.message and "deliberate failure" in failing.message
    assert sorted(p.name for p in output.iterdir()) == ["run_params.ipynb"]
    assert Path(failing.log_path) == logs / "run_failing.failed.ipynb"
    assert "ZeroDivisionError" in json.dumps(nbformat.read(failing.log_path, as_version=4))
    report = run.format_report([], outcomes)
    assert "1 failure(s)" in report and "run_failing" in report.split("1 failure(s)")[1]


def test_failed_rerun_keeps_the_previous_output(tmp_path):
    output = tmp_path / "out"
    output.mkdir()
    (output / "run_failing.ipynb").write_text("previous good run")
    outcome = run.execute_notebook("run_failing", "ci", notebooks_dir=DATA, output_dir=output, log_dir=tmp_path)
    assert not outcome.ok
    assert (output / "run_failing.ipynb").read_text() == "previous good run"
    assert [p.name for p in output.iterdir()] == ["run_failing.ipynb"]


def test_missing_notebook_is_a_collected_failure(tmp_path):
    outcome = run.execute_notebook("scaling", "ci", notebooks_dir=tmp_path, output_dir=tmp_path / "out")
    assert not outcome.ok and outcome.error_type == "NotebookMissing" and "scaling.ipynb" in outcome.message


@pytest.mark.skipif(shutil.which("srun") is not None, reason="a real Slurm cluster is present")
def test_slurm_without_a_cluster_fails_with_a_remedy(tmp_path):
    with pytest.raises(run.RunArgumentError, match="--workers N"):
        run.run_jobs(_stdlib_jobs(tmp_path), slurm=run.SlurmOptions(), log_dir=tmp_path)
