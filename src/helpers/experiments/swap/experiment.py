"""The attention-swap experiment as the registry knows it: name, chapter, parameters, behaviour, code rule.

Its parameters are checked one by one here (a mixing weight outside [0, 1] is refused in one line
before anything is scored); :func:`check_plan` then checks them against the profile (a ``swap:``
section or ``pairs``, task kinds the profile's swap section shares) by building the swap plan. The
``swap:`` section of a profile is the experiment's own (:mod:`helpers.experiments.swap.settings`).
"""

from __future__ import annotations

from typing import Any

from helpers.experiments.parameters import (
    Parameter,
    common,
    integer_at_least,
    layer_list,
    model_pairs,
    numbers_in,
    schema,
)
from helpers.experiments.spec import SWAP_CODE, Experiment
from helpers.experiments.swap.settings import SECTION, swap_settings


def fill_jobs(profile, store: str | None = None, profiles_file: str | None = None) -> list:
    """One job per swap pair of ``profile`` (:func:`helpers.experiments.swap.compute.fill_jobs`)."""
    from helpers.experiments.swap.compute import fill_jobs as pair_jobs

    return pair_jobs(profile, store=store, profiles_file=profiles_file)


def missing_work(config) -> list:
    """Every swap (pair, task kind) of ``config`` the stores lack."""
    from helpers.experiments.plan import missing_swap_work

    return missing_swap_work(config)


def jobs_for(config, overrides: dict[str, Any]) -> list:
    """One job per pair of a configured swap run (with the notebook's ``overrides``), reading the
    shipped results too: only what the stack lacks is computed."""
    from helpers.experiments.swap.plan import swap_plan
    from helpers.infra.jobs import Job

    return [
        Job(
            f"swap {donor} -> {recipient}",
            "helpers.experiments.swap.compute:fill_pair",
            {
                "profile": config.profile.name,
                "donor": donor,
                "recipient": recipient,
                "profiles_file": str(config.profiles_file),
                "overrides": dict(overrides),
                "shipped": True,
            },
        )
        for donor, recipient in swap_plan(config).pairs
    ]


def check_plan(config) -> None:
    """The swap plan of ``config`` can be made (:class:`~helpers.experiments.swap.plan.SwapExperimentError`,
    a :class:`~helpers.experiments.parameters.ParameterError`, when not)."""
    from helpers.experiments.swap.plan import swap_plan

    swap_plan(config)


def needs(profile) -> str:
    """What ``profile`` lacks for a swap run with the notebook's defaults ("" when nothing)."""
    return "" if swap_settings(profile) is not None else "a swap: section (pairs of donor and recipient models)"


EXPERIMENT = Experiment(
    name="swap",
    title="Attention swap: which capabilities live in the attention pattern?",
    parameters=schema(
        *common("task_kinds", "shots", "seed", "device", "bootstrap", "compute_missing", "bootstrap_seed"),
        Parameter("pairs", "[donor, recipient] model pairs (None: the profile's)", model_pairs("pairs")),
        Parameter(
            "alphas",
            "mixing weights of the dose-response",
            numbers_in("alphas", 0.0, 1.0, "mixing weights between 0 and 1"),
        ),
        Parameter("layers", "recipient layers of the per-layer sweep (None: every k-th)", layer_list("layers")),
        Parameter(
            "max_layers",
            "layers in the per-layer sweep",
            integer_at_least("max_layers", 1, nullable=True, meaning="the number of layers to sweep, e.g. 8"),
        ),
        Parameter(
            "swap_limit",
            "items per (sub)task (None: the profile's swap.limit)",
            integer_at_least("swap_limit", 1, nullable=True, meaning="items per (sub)task, e.g. 20"),
        ),
    ),
    code=SWAP_CODE,
    fill_jobs=fill_jobs,
    missing_work=missing_work,
    jobs_for=jobs_for,
    check_plan=check_plan,
    needs=needs,
    profile_section=SECTION,
)
