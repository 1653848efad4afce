"""The task-contrast experiment as the registry knows it: name, chapter, parameters, behaviour, code rule."""

from __future__ import annotations

from helpers.experiments import evaluated
from helpers.experiments.parameters import Parameter, common, number_in, one_of, schema
from helpers.experiments.spec import EVALUATION_CODE, Experiment

SIZE_COLUMNS = ("n_params_nonembedding", "n_params_total")
"""Columns of the item table that can serve as model size (:data:`.views.SIZE_COLUMNS`, checked equal by a test)."""

EXPERIMENT = Experiment(
    name="task_contrast",
    title="Task contrast: knowledge, procedure and pattern matching on the same models",
    parameters=schema(
        *common(),
        Parameter("size_column", "model size column", one_of("size_column", SIZE_COLUMNS)),
        Parameter(
            "alpha",
            "significance level of every test (after Holm)",
            number_in("alpha", 0.0, 1.0, "a significance level between 0 and 1, e.g. 0.05", open_interval=True),
        ),
    ),
    code=EVALUATION_CODE,
    fill_jobs=evaluated.fill_jobs,
    missing_work=evaluated.missing_work,
    jobs_for=evaluated.jobs_for,
)
