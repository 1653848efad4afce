"""Scaling fits and scale statistics for one model family at a time.

Every name is importable from here (``from helpers.analysis.scaling import fit_power_law``):

* :mod:`~helpers.analysis.scaling.powerlaw`: :func:`fit_power_law` fits
  ``L(N) = a * N**(-alpha) + c`` to one loss per model, and :func:`fit_power_law_items` to
  per-item losses, with percentile bootstrap intervals, residual degrees of freedom, the
  parameters at a bound, and no interval (NaN, with a note) where resampling cannot give one;
  :mod:`~helpers.analysis.scaling.leastsq` holds the single least-squares fit;
* :mod:`~helpers.analysis.scaling.gap`: :func:`relative_reduction`, :func:`accuracy_change` and
  :func:`confidence_competence_gap` compare a small and a large model: how much more
  *confident* the large model is on the right answer (relative fall of the loss) against how
  much more often it is *right* (relative rise of the accuracy);
* :mod:`~helpers.analysis.scaling.correlation`: :func:`scale_correlation` asks whether a metric
  moves with scale (Spearman, exact for up to 10 models, and Pearson against ``log10 N``).

Bad input raises :class:`ScalingInputError`; a fit that cannot be done, :class:`FitFailure`.
"""

from __future__ import annotations

from helpers.analysis.scaling.correlation import ScaleCorrelation, scale_correlation
from helpers.analysis.scaling.gap import (
    AccuracyChange,
    GapResult,
    accuracy_change,
    confidence_competence_gap,
    relative_reduction,
)
from helpers.analysis.scaling.leastsq import ALPHA_GRID, ALPHA_MAX, MIN_DISTINCT_SIZES, FitFailure
from helpers.analysis.scaling.powerlaw import PowerLawFit, fit_power_law, fit_power_law_items
from helpers.analysis.scaling.validation import ScalingInputError

__all__ = [
    "ScalingInputError",
    "FitFailure",
    "PowerLawFit",
    "fit_power_law",
    "fit_power_law_items",
    "relative_reduction",
    "AccuracyChange",
    "accuracy_change",
    "GapResult",
    "confidence_competence_gap",
    "ScaleCorrelation",
    "scale_correlation",
    "ALPHA_GRID",
    "ALPHA_MAX",
    "MIN_DISTINCT_SIZES",
]
