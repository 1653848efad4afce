"""The scaling experiment as the registry knows it: name, chapter, parameters, behaviour, code rule."""

from __future__ import annotations

from helpers.experiments import evaluated
from helpers.experiments.parameters import Parameter, common, integer_at_least, schema
from helpers.experiments.spec import EVALUATION_CODE, Experiment

EXPERIMENT = Experiment(
    name="scaling",
    title="Scaling: loss keeps falling, accuracy may not",
    parameters=schema(
        *common(),
        Parameter(
            "fit_bootstrap",
            "bootstrap refits per power law",
            integer_at_least("fit_bootstrap", 0, meaning="bootstrap refits per power law (0: no interval)"),
        ),
    ),
    code=EVALUATION_CODE,
    fill_jobs=evaluated.fill_jobs,
    missing_work=evaluated.missing_work,
    jobs_for=evaluated.jobs_for,
)
