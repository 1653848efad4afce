"""Every experiment's parameter schema: a value out of range is refused in one line, before any scoring.

Through the command line (``helpers.cli.main``), as ``make notebook NB=... PARAMS=...`` calls it:
exit code 2, one line on stderr naming the parameter, the value and what is accepted, and nothing
scored (the runner's job and notebook functions are replaced by ones that fail the test, and the
store stays empty).
"""

from __future__ import annotations

import pytest

from helpers import cli
from helpers.experiments import parameters
from helpers.experiments.parameters import ParameterError
from helpers.experiments.registry import EXPERIMENTS

OUT_OF_RANGE = [
    ("scaling", ["-p", "fit_bootstrap", "-1"], "fit_bootstrap: -1 is not an integer >= 0"),
    ("task_contrast", ["-p", "alpha", "1.5"], "alpha: 1.5 is outside (0, 1)"),
    ("task_contrast", ["-p", "alpha", "0"], "alpha: 0 is outside (0, 1)"),
    ("task_contrast", ["-p", "size_column", "n_layers"], "size_column: 'n_layers' is not one of n_params_nonembedding"),
    ("published_pythia", ["-p", "bootstrap_seed", "-2"], "bootstrap_seed=-2"),
    ("swap", ["-y", "alphas", "[2.0]"], "alphas: 2.0 is outside [0, 1]; give mixing weights between 0 and 1"),
    ("swap", ["-y", "alphas", "[0.5, -0.1]"], "alphas: -0.1 is outside [0, 1]"),
    ("swap", ["-p", "max_layers", "0"], "max_layers: 0 is not an integer >= 1"),
    ("swap", ["-p", "swap_limit", "0"], "swap_limit: 0 is not an integer >= 1"),
    ("swap", ["-y", "layers", "[-1]"], "layers: -1 is not a layer index"),
    ("swap", ["-y", "pairs", "[[random:pythia-70m]]"], "pairs: ['random:pythia-70m'] is not a [donor, recipient] pair"),
    ("swap", ["-y", "task_kinds", "[knowledge_5shot]"], "no task kind left"),  # checked against the profile's swap
    ("beyond", ["-p", "x_axis", "steps"], "x_axis: 'steps' is not one of flops, params, tokens"),
    ("beyond", ["-p", "benchmark", "mmlu_pro"], "benchmark: 'mmlu_pro' is not one of mmlu"),
    ("beyond", ["-p", "fit_bootstrap", "-5"], "fit_bootstrap: -5 is not an integer >= 0"),
    ("beyond", ["-y", "model_families", "[NoSuchFamily]"], "['NoSuchFamily'] are not in the file"),  # against the data
]


@pytest.fixture
def no_scoring(monkeypatch):
    """Fail the test if the runner tries to compute or execute anything."""

    def refuse(*args, **kwargs):
        raise AssertionError("a refused parameter must stop the run before any scoring")

    monkeypatch.setattr("helpers.infra.run.workers.run_jobs", refuse)
    monkeypatch.setattr("helpers.infra.run.notebooks.execute_notebooks", refuse)
    monkeypatch.setattr("helpers.experiments.run_command.fill_before_notebooks", refuse)


@pytest.mark.parametrize("notebook, argv, message", OUT_OF_RANGE, ids=[f"{n}-{a[1]}" for n, a, _ in OUT_OF_RANGE])
def test_an_out_of_range_parameter_is_refused_in_one_line_before_scoring(
    tmp_path, capsys, no_scoring, notebook, argv, message
):
    store = tmp_path / "store"
    status = cli.main(["notebook", "--profile", "ci", "--notebooks", notebook, "--store", str(store), *argv])
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert status == cli.EXIT_USAGE
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], captured.err
    assert "Traceback" not in captured.err + captured.out
    assert not store.exists() or not any(store.rglob("*.parquet"))  # nothing was scored


def test_every_range_checked_parameter_of_every_experiment_has_an_out_of_range_case():
    """The table above covers each experiment's own range-checked parameters (the common ones are
    covered in tests/test_cli.py)."""
    own = {name: set(experiment.parameters) - set(parameters.COMMON) for name, experiment in EXPERIMENTS.items()}
    covered: dict[str, set] = {}
    for notebook, argv, _ in OUT_OF_RANGE:
        covered.setdefault(notebook, set()).add(argv[1])
    assert {
        name: names - covered.get(name, set()) for name, names in own.items() if names - covered.get(name, set())
    } == {}


def test_the_defaults_of_every_notebook_pass_their_checks():
    """Every experiment's notebook defaults (its ``parameters`` cell) pass its schema, and the schema
    names exactly the parameters the notebook declares."""
    from helpers.infra.run.notebooks import RESERVED_PARAMETERS, declared_parameters

    for name, experiment in EXPERIMENTS.items():
        declared = {
            key: value
            for key, value in declared_parameters(experiment.notebook).items()
            if key not in RESERVED_PARAMETERS
        }
        assert set(declared) == set(experiment.parameters), name
        for key, value in declared.items():
            assert experiment.parameters[key].check(value) == value, (name, key)


@pytest.mark.parametrize("value", [[0], [1], [0.0, 0.25, 1.0], None])
def test_mixing_weights_at_the_bounds_are_accepted(value):
    assert EXPERIMENTS["swap"].parameters["alphas"].check(value) == value


@pytest.mark.parametrize("value", [[], "0.5", [True], [float("nan")], [1.0000001]])
def test_mixing_weights_that_are_not_in_0_1_are_refused(value):
    with pytest.raises(ParameterError, match="^alphas: "):
        EXPERIMENTS["swap"].parameters["alphas"].check(value)


def test_a_significance_level_must_lie_strictly_between_0_and_1():
    check = EXPERIMENTS["task_contrast"].parameters["alpha"].check
    assert check(0.05) == 0.05 and check(0.999) == 0.999
    for bad in (0.0, 1.0, -0.05, "0.05", True):
        with pytest.raises(ParameterError, match=r"^alpha: .* is outside \(0, 1\)"):
            check(bad)


def test_the_choices_of_the_schemas_match_the_views_that_use_them():
    from helpers.experiments.beyond import views as beyond_views
    from helpers.experiments.beyond.experiment import BENCHMARKS
    from helpers.experiments.task_contrast import views as contrast_views
    from helpers.experiments.task_contrast.experiment import SIZE_COLUMNS

    assert set(BENCHMARKS) == set(beyond_views.BENCHMARKS)
    assert set(SIZE_COLUMNS) == set(contrast_views.SIZE_COLUMNS)
