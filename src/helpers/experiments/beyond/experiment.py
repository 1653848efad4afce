"""The "beyond Pythia and OPT" experiment as the registry knows it: it reads published data and scores nothing."""

from __future__ import annotations

from helpers.analysis.obsscaling import X_AXES
from helpers.experiments.parameters import Parameter, common, integer_at_least, one_of, optional_strings, schema
from helpers.experiments.spec import Experiment

BENCHMARKS = ("mmlu", "arc_c", "hellaswag", "winogrande", "truthfulqa", "gsm8k", "xwinograd", "humaneval")
"""The benchmark columns the chapter can draw (:data:`.views.BENCHMARKS`, checked equal by a test)."""


def check_plan(config) -> None:
    """The chosen families exist in the benchmark file (read, nothing scored)."""
    from helpers.analysis.obsscaling import ObsScalingDataError
    from helpers.experiments.beyond import judged, views
    from helpers.experiments.parameters import ParameterError

    extra = config.extra
    try:
        views.check_parameters(
            judged.benchmark(),
            extra.get("model_families"),
            extra.get("x_axis", "flops"),
            extra.get("benchmark", "mmlu"),
        )
    except ObsScalingDataError as error:
        raise ParameterError(str(error)) from None


EXPERIMENT = Experiment(
    name="beyond",
    title="Beyond Pythia and OPT: is the ceiling architectural?",
    parameters=schema(
        Parameter(
            "model_families",
            "families drawn in section 2 (None: all)",
            optional_strings("model_families", "[Pythia, OPT, Qwen1.5]"),
        ),
        Parameter("x_axis", "x axis of section 2's first chart", one_of("x_axis", tuple(X_AXES))),
        Parameter("benchmark", "y axis of section 2", one_of("benchmark", BENCHMARKS)),
        Parameter(
            "fit_bootstrap",
            "bootstrap resamples (over families) of sections 5 and 6",
            integer_at_least("fit_bootstrap", 0, meaning="bootstrap resamples (0: no interval)"),
        ),
        *common("bootstrap_seed"),
    ),
    check_plan=check_plan,
)
