"""The behaviour shared by the experiments that score models on a profile's task settings.

The scaling and task-contrast experiments score the same (model, task setting) results; their
:class:`~helpers.experiments.spec.Experiment` objects point here. Each function imports the
scoring code when called, so that reading the registry loads none of it.
"""

from __future__ import annotations

import sys
from typing import Any


def fill_jobs(profile, store: str | None = None, profiles_file: str | None = None) -> list:
    """One job per model of ``profile`` (:func:`helpers.experiments.evaluation.fill_jobs`)."""
    from helpers.experiments.evaluation import fill_jobs as evaluation_jobs

    return evaluation_jobs(profile, store=store, profiles_file=profiles_file)


def missing_work(config) -> list:
    """Every (model, task setting) of ``config`` the stores lack (:func:`helpers.experiments.plan.missing_work`)."""
    from helpers.experiments.plan import missing_work as missing

    return missing(config)


def jobs_for(config, overrides: dict[str, Any]) -> list:
    """One job per model of a configured run (its models and settings after the overrides), reading
    the shipped results too: only what the stack lacks is computed."""
    from dataclasses import asdict

    from helpers.infra.jobs import Job

    settings = [asdict(setting) for setting in config.settings.values()]
    return [
        Job(
            source,
            "helpers.experiments.evaluation:fill_model",
            {
                "source": source,
                "settings": settings,
                "device": config.device,
                "seed": config.seed,
                "progress": sys.stderr.isatty(),
                "shipped": True,
            },
        )
        for source in config.models
    ]
