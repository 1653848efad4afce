"""The published-Pythia experiment as the registry knows it: it reads published data and scores nothing."""

from __future__ import annotations

from helpers.experiments.parameters import common, schema
from helpers.experiments.spec import Experiment

EXPERIMENT = Experiment(
    name="published_pythia",
    title="Published Pythia: arithmetic and MMLU-math along size, training compute and shots",
    parameters=schema(*common("bootstrap_seed")),
)
