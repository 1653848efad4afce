"""The command line (helpers.cli): argument and parameter errors before any scoring, the fill step."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import struct
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from conftest import tiny_profiles_yaml
from helpers import cli
from helpers.experiments.plan import book_models
from helpers.experiments.registry import EXPERIMENTS
from helpers.infra.store import ResultStore, StoreWarning

TINY_PROFILES = tiny_profiles_yaml()


def _main(argv: list[str]) -> tuple[int, str, str]:
    """Run the CLI in-process; return (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = cli.main(argv)
    return status, out.getvalue(), err.getvalue()


def _profiles(tmp_path: Path, text: str = TINY_PROFILES) -> Path:
    path = tmp_path / "profiles.yml"
    path.write_text(text)
    return path


def test_unknown_profile_lists_the_accepted_ones(tmp_path):
    status, _, err = _main(["run", "--profile", "nope", "--store", str(tmp_path)])
    assert status == 2 and "'nope'" in err and "ci, offline, small, paper" in err


def test_unknown_notebook_lists_the_accepted_ones(tmp_path):
    status, _, err = _main(["notebook", "--profile", "ci", "--notebooks", "scalling", "--store", str(tmp_path)])
    assert status == 2 and "'scalling'" in err and ", ".join(EXPERIMENTS) in err


def test_conflicting_flags_are_rejected(tmp_path):
    status, _, err = _main(
        ["run", "--profile", "ci", "--fill-only", "--slurm", "--workers", "2", "--store", str(tmp_path)]
    )
    assert status == 2 and "--workers" in err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["-p", "bootstrap", "50"], "bootstrap=50"),
        (["-p", "compute_missing", "nope"], "compute_missing='nope'"),
        (["-p", "limit", "0"], "limit=0"),
        (["-y", "models", "[random:pythia-7b]"], "random:pythia-7b"),
        (["-p", "fit_bootstrap", "5", "-p", "pairs", "x"], "pairs"),
        (["-p", "limt", "3"], "limt"),
    ],
)
def test_bad_parameters_fail_before_any_scoring(tmp_path, argv, message):
    store = tmp_path / "store"
    status, _, err = _main(["notebook", "--profile", "ci", "--notebooks", "scaling", "--store", str(store), *argv])
    assert status == 2 and message in err, err
    assert not store.exists() or not any(store.rglob("*.parquet"))  # nothing was scored


@pytest.mark.parametrize("value, typed", [("-1e-3", "limit=-0.001"), ("-inf", "limit=-inf")])
def test_negative_float_parameters_reach_the_checks_as_papermill_types_them(tmp_path, value, typed):
    """Issue 20, class 6: papermill's CLI takes `-p limit -1e-3` (a float); argparse used to read
    the value as an option ("expected 2 arguments")."""
    store = tmp_path / "store"
    status, _, err = _main(
        ["notebook", "--profile", "ci", "--notebooks", "scaling", "--store", str(store), "-p", "limit", value]
    )
    assert status == 2 and typed in err and "expected 2 arguments" not in err, err
    assert not store.exists() or not any(store.rglob("*.parquet"))


def test_a_parameter_flag_without_name_and_value_is_named(tmp_path):
    status, _, err = _main(
        ["notebook", "--profile", "ci", "--notebooks", "scaling", "--store", str(tmp_path), "-p", "limit"]
    )
    assert status == 2 and "-p needs a NAME and a VALUE" in err and "['limit']" in err


def test_a_parameter_another_experiment_does_not_use_is_refused(tmp_path):
    status, _, err = _main(
        [
            "notebook",
            "--profile",
            "ci",
            "--notebooks",
            "swap",
            "--store",
            str(tmp_path),
            "-y",
            "models",
            "[random:pythia-70m]",
        ]
    )
    assert status == 2 and "models" in err and "swap" in err


def test_an_unknown_model_in_the_profile_fails_before_the_store_is_touched(tmp_path):
    profiles = _profiles(
        tmp_path, TINY_PROFILES.replace("[random:pythia-70m]", "[random:pythia-70m, random:pythia-7b]")
    )
    store = tmp_path / "store"
    status, _, err = _main(
        ["run", "--profile", "tiny", "--profiles-file", str(profiles), "--store", str(store), "--fill-only"]
    )
    assert status == 2 and "random:pythia-7b" in err
    assert not store.exists() or not any(store.rglob("provenance.json"))


def test_a_malformed_profiles_file_is_named_in_full_before_anything_runs(tmp_path):
    """Issue 20, class 3: tasks as a list (a traceback before), a family as a string (split into
    characters before), `shots: yes` and an unknown task (scored up to them before), in one message."""
    bad = (
        TINY_PROFILES.replace("pythia: [random:pythia-70m]", "pythia: random:pythia-70m").replace(
            "{task: mrpc, shots: 0, limit: 2}", "{task: mrpcc, shots: yes, limit: 2}"
        )
        + """
broken:
  families: {pythia: [random:pythia-70m]}
  tasks: [procedure]
"""
    )
    store = tmp_path / "store"
    status, out, err = _main(
        [
            "run",
            "--profile",
            "tiny",
            "--profiles-file",
            str(_profiles(tmp_path, bad)),
            "--store",
            str(store),
            "--fill-only",
        ]
    )
    assert status == 2 and "Traceback" not in err + out, err
    assert err.startswith(f"error: {tmp_path / 'profiles.yml'}: 4 problem(s), nothing was run:"), err
    for problem in (
        "tiny.families.pythia: must be a non-empty list of model sources, got 'random:pythia-70m'",
        "tiny.tasks.pattern.shots: YAML 1.1 reads this as True, got 'yes'",
        "tiny.tasks.pattern.task: is not a known task, got 'mrpcc'; did you mean mrpc?",
        "broken.tasks: must map a task kind to its setting, got ['procedure']",
    ):
        assert problem in err, (problem, err)
    assert not store.exists() or not any(store.rglob("provenance.json"))


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    """One fill of the tiny profile into a fresh store."""
    root = tmp_path_factory.mktemp("fill")
    profiles = _profiles(root)
    argv = [
        "run",
        "--profile",
        "tiny",
        "--profiles-file",
        str(profiles),
        "--store",
        str(root / "store"),
        "--fill-only",
        "--log-dir",
        str(root / "logs"),
    ]
    before = os.environ.get("CC_RESULTS")
    status, out, err = _main(argv)
    return {
        "status": status,
        "out": out,
        "err": err,
        "argv": argv,
        "store": root / "store",
        "env_before": before,
        "env_after": os.environ.get("CC_RESULTS"),
    }


def test_fill_stores_every_task(filled):
    assert filled["status"] == 0, filled["out"] + filled["err"]
    table = ResultStore(filled["store"]).list()
    assert set(table["key_fields.model_id"]) == {"random:pythia-70m"} and table["complete"].all()
    # 2 arithmetic items, one request each; 2 MRPC items with choices "no"/"yes"
    assert dict(zip(table["key_fields.task"], table["n_rows"])) == {"arithmetic_2da": 2, "mrpc": 4}
    assert filled["env_after"] == filled["env_before"]  # --store is set for the run only
    assert "shard 1/1" in filled["out"] and "ETA" in filled["out"]


def test_second_fill_computes_nothing(filled):
    before = {str(p): p.stat().st_mtime_ns for p in filled["store"].rglob("*") if p.is_file()}
    status, out, _ = _main(filled["argv"])
    assert status == 0 and "computed nothing; cached procedure, pattern" in out
    assert {str(p): p.stat().st_mtime_ns for p in filled["store"].rglob("*") if p.is_file()} == before


def test_a_fill_over_a_shard_with_a_flipped_bit_says_recomputed_not_cached(filled, tmp_path):
    """Issue 20, class 1: a bit flipped in a stored log-probability is caught by the shard's digest,
    the shard recomputed, and the run summary says "recomputed", not "cached"."""
    assert filled["status"] == 0
    store = tmp_path / "store"
    shutil.copytree(filled["store"], store)
    listed = ResultStore(store).list()
    folder = Path(listed.loc[listed["key_fields.task"] == "arithmetic_2da", "path"].item())
    shard = next(folder.glob("shard-*.parquet"))
    data = bytearray(shard.read_bytes())
    packed = struct.pack("<d", pq.read_table(shard).column("logprob")[0].as_py())
    position = -1
    while (position := data.find(packed, position + 1)) >= 0:  # the value and its copies in statistics
        data[position] ^= 1
    shard.write_bytes(bytes(data))
    assert pq.read_table(shard).column("logprob")[0].as_py() != struct.unpack("<d", packed)[0]  # read silently

    argv = [*filled["argv"]]
    argv[argv.index("--store") + 1] = str(store)
    with pytest.warns(StoreWarning, match=rf"{shard.name} has content sha256 .* task arithmetic_2da"):
        status, out, _ = _main(argv)
    assert status == 0 and "computed nothing; cached pattern; recomputed procedure" in out, out


def test_book_leaves_out_a_model_whose_results_are_not_stored(filled, capsys):
    """`make book` reads stored results: a model still being computed is left out (and named), not
    computed for hours; with every result stored, all models are kept."""
    assert filled["status"] == 0
    two = filled["store"].parent / "two.yml"
    two.write_text(
        TINY_PROFILES.replace("tiny:", "two:").replace(
            "pythia: [random:pythia-70m]", "pythia: [random:pythia-70m, random:pythia-160m]"
        )
    )
    with cli.results_env(str(filled["store"])):
        assert book_models("tiny", filled["store"].parent / "profiles.yml") is None  # all stored
        assert book_models("two", two) == ["random:pythia-70m"]
    out = capsys.readouterr().out
    assert "random:pythia-160m has no stored results for procedure, pattern" in out
    assert "make run PROFILE=two" in out and "COMPUTE=1" in out
    assert "random:pythia-70m has" not in out
    from helpers.experiments.config import configure
    from helpers.report.pages import unstored_note

    with cli.results_env(str(filled["store"])):  # the book's models page says it too
        note = unstored_note(configure("two", two, {}, experiment="scaling"))
        assert "`random:pythia-160m` (procedure, pattern)" in note and "pythia-70m" not in note
        assert unstored_note(configure("tiny", filled["store"].parent / "profiles.yml", {}, experiment="scaling")) == ""


def test_book_runs_the_notebooks_on_the_kept_models_unless_asked_to_compute(monkeypatch):
    seen = []
    monkeypatch.setattr(cli, "_verify", lambda args: cli.EXIT_OK)
    monkeypatch.setattr("helpers.experiments.plan.book_models", lambda profile, profiles_file: ["offline:smollm2-135m"])
    monkeypatch.setattr("helpers.experiments.run_command.run", lambda plan, **kw: seen.append(plan) and False)
    assert cli.main(["book", "--profile", "offline"]) == cli.EXIT_FAILED
    assert cli.main(["book", "--profile", "offline", "--compute-missing"]) == cli.EXIT_FAILED
    assert [dict(plan.overrides) for plan in seen] == [{"models": ["offline:smollm2-135m"]}, {}]
    scoring = [name for name, experiment in EXPERIMENTS.items() if "models" in experiment.parameters]
    assert {name: dict(share) for name, share in seen[0].per_experiment.items() if share} == {
        name: {"models": ["offline:smollm2-135m"]} for name in scoring
    }


# ----------------------------------------------------------------------------- after a new user's trial


def test_every_command_refuses_an_unknown_profile_in_one_line():
    status, out, err = _main(["results-summary", "--profile", "bogus"])
    assert status == 2 and err.startswith("error: Unknown profile 'bogus'") and "Traceback" not in err + out


@pytest.mark.parametrize(
    "command, usage",
    [("models", "python -m helpers models"), ("lm-eval-tasks", "lmeval_export"), ("import-lm-eval", "lmeval_import")],
)
def test_pass_through_commands_show_their_own_help(command, usage):
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit) as done:
        cli.main([command, "--help"])
    assert done.value.code == 0 and usage in out.getvalue()


def test_notebooks_are_not_executed_when_computing_their_scores_failed(tmp_path, monkeypatch):
    from helpers.infra.jobs import JobOutcome

    monkeypatch.setattr(
        "helpers.experiments.run_command.fill_before_notebooks",
        lambda *args: [JobOutcome("random:pythia-70m", False, 0.1, error_type="HubUnreachableError", message="no hub")],
    )

    def executed(*args, **kwargs):
        raise AssertionError("the notebooks must not run after a failed fill")

    monkeypatch.setattr("helpers.infra.run.notebooks.execute_notebooks", executed)
    status, out, _ = _main(
        [
            "notebook",
            "--profile",
            "tiny",
            "--profiles-file",
            str(_profiles(tmp_path)),
            "--notebooks",
            "scaling",
            "--store",
            str(tmp_path / "store"),
        ]
    )
    assert status == 1 and "not executing the notebooks" in out and "HubUnreachableError" in out


def test_book_refuses_notebook_parameters_in_one_line(tmp_path):
    """`book` executes every notebook with its defaults: -p/-y are refused, not silently dropped."""
    status, out, err = _main(["book", "--profile", "ci", "--store", str(tmp_path / "store"), "-p", "limit", "3"])
    assert status == 2 and len(err.strip().splitlines()) == 1 and "takes no -p/-y" in err and "make notebook" in err
    assert not (tmp_path / "store").exists()


def test_html_refuses_a_profile_its_profiles_file_lacks_in_one_line(tmp_path):
    status, _, err = _main(["html", "--profile", "mini", "--profiles-file", str(_profiles(tmp_path))])
    assert status == 2 and len(err.strip().splitlines()) == 1
    assert "'mini'" in err and "tiny" in err and "--profiles-file" in err


def test_every_reader_of_a_profile_reads_the_run_profiles_file(tmp_path):
    """A run's profiles file reaches the readers given no file (claims evidence, the book's pages)."""
    from helpers.experiments.config import load_profile
    from helpers.infra.profiles import PROFILES_FILE, default_profiles_file, profiles_file_env

    path = _profiles(tmp_path)
    with profiles_file_env(path):
        assert default_profiles_file() == path.resolve() and load_profile("tiny").description == "runner test profile"
    assert default_profiles_file() == PROFILES_FILE
