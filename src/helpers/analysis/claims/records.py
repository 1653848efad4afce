"""A verdict's parts as records: the numbers a rule decided on, before any of them becomes text.

A claim rule judges one or more *parts* (a family, a difficulty, an operation and shot count, a
donor/recipient pair and task kind). Each part is a :class:`Part`: its verdict code, the estimate
and its interval with their unit, the test, the number of items, the (Holm-adjusted) p-value, the
minimum detectable effect or the reason there is none, and the models it compares. The claims'
sentences, key numbers and detail lines are rendered from these records by
:mod:`helpers.analysis.claims.wording` alone; no claims code reads a number back out of a sentence.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from helpers.analysis.verdicts import VERDICTS, InferenceError

__all__ = ["PART_KINDS", "UNITS", "Part", "chance_models", "by_family", "shortest_answer"]

PART_KINDS = ("mcnemar", "sign_flip", "wilcoxon", "loss_fall", "collapse", "slope", "no_test")
"""How a part was decided, which is also how it is rendered (:func:`helpers.analysis.claims.wording.detail`):
``mcnemar`` (paired 0/1 change, exact McNemar), ``sign_flip`` (cluster-paired change, sign-flip test),
``wilcoxon`` (paired loss change, Wilcoxon signed-rank), ``loss_fall`` (relative fall of a loss, BCa
intervals), ``collapse`` (an attention swap's drop and bound near chance), ``slope`` (a model-level
trend per decade of parameters against a margin), ``no_test`` (no test could be run: ``note`` says why)."""
PART_KINDS += ("rank_trend", "trend_difference", "above_chance")
"""The published trends' kinds (claims 4c and 6, worded by :mod:`helpers.analysis.claims.wording_trends`):
``rank_trend`` (one family and operation: accuracy smallest → largest model as ``before``/``after``, the slope
per decade with its interval as the estimate, ``n`` models, ``p`` the exact Spearman test's after Holm; extra
``rho``, ``family``, ``operation`` and, when the largest model is not the best, ``peak``, ``peak_model`` and the
drop after it: ``drop``, ``drop_low``, ``drop_high`` (95%), ``drop_p``), ``trend_difference`` (first minus
second family, ``models``: the slope per decade as the estimate with its ``level`` interval; extra ``names``
(short names), ``n_first``, ``n_second``, ``slope_code``, ``level`` (difference at ``level_at`` parameters) with
``level_low``, ``level_high``, ``level_code``, each family's fitted level ``level_first``, ``level_second``,
``at_floor``, ``margin`` and the models left out, ``excluded``), ``above_chance`` (how many of ``n`` models of at
most ``max_params`` parameters are significantly above ``threshold``, extra ``n_above``; the highest model
(``models[0]``) with its accuracy and interval as the estimate; ``excluded``)."""

UNITS = ("proportion", "nats per token", "relative")
"""Units of :attr:`Part.estimate`, :attr:`Part.low` and :attr:`Part.high`: ``proportion`` (a change of
accuracy in [-1, 1], printed in points), ``nats per token`` (a change of loss), ``relative`` (a relative
fall, a fraction of the smaller model's loss, printed in percent)."""


# ----------------------------------------------------------------------------- claims 1 and 2 (MMLU-math)

PART_KINDS += ("trend_level", "below_chance", "baseline")
"""Claims 1 and 2 (:mod:`helpers.report.claims.knowledge`, :mod:`helpers.report.claims.below_chance`):

``trend_level``: one family's MMLU-math accuracy, trend and level (claim 1). ``label``: the family;
``models``: (smallest, largest); ``estimate``/``low``/``high``: the slope of accuracy per decade of
parameters and its 95% interval (``unit`` proportion; NaN interval under three sizes); ``test``: the fit's
method; ``n``: model sizes; ``mde``: the minimum detectable slope when the trend is inconclusive. The level
is a range of per-model accuracies with no single estimate, so it lives in ``extra``: ``level_low``,
``level_high`` (lowest, highest model accuracy); ``shape`` (the slope's reading: flat, rising, falling,
inconclusive); ``trend``, ``level`` (the two tests' verdict codes); ``power`` (power to call a truly flat
family flat; None under three sizes: no trend, a change instead); ``change``, ``change_low``,
``change_high`` (under three sizes: largest minus smallest accuracy and its Newcombe 95% interval);
``paired_n``, ``mcnemar_p`` (only for two models scored on the same items: items paired, exact McNemar p);
``profile`` (the stored runs' profile, None for published results).

``below_chance``: one model's accuracy against chance (claim 2). ``label``: the model; ``estimate``,
``low``, ``high``: accuracy and its exact 95% interval; ``test``: exact one-sided binomial test; ``n``:
items; ``p``: Holm-adjusted p over all the models judged; ``code``: reproduced (significantly below),
not reproduced (one-sided 95% lower bound at or above chance minus the margin), else inconclusive.
``extra``: ``family``, ``chance`` (the chance level, a proportion), ``significant`` (Holm at 5%),
``low_one_sided`` (one-sided 95% lower bound), ``norm``, ``norm_p``, ``norm_significant`` (the same
for acc_norm, per-character normalised).

``baseline``: a length-aware baseline on the same items (claim 2), shown beside the models, never judged
(``code`` "not judged"). ``label``: e.g. "shortest answer"; ``estimate``/``low``/``high``: its accuracy
and Wilson 95% interval; ``n``: items."""


@dataclass(frozen=True)
class Part:
    """One judged part of a claim, as numbers.

    ``kind``: one of :data:`PART_KINDS`. ``label``: who is compared, e.g. ``"pythia arithmetic_2da"`` or
    ``"addition, 0-shot"`` (the key number's prefix). ``code``: the part's verdict code (one of
    :data:`~helpers.analysis.verdicts.VERDICTS`). ``models``: (smaller, larger) or (donor, recipient).
    ``before``/``after``: the two values compared (accuracies as proportions, losses in nats per token).
    ``estimate``, ``low``, ``high``: the change (or fall, or slope) and its ``level`` interval (95% unless
    said), in ``unit`` (one of
    :data:`UNITS`). ``test``: the test's name. ``n``: items (or clusters) compared. ``p``: the p-value
    after Holm. ``mde``: the minimum detectable effect at 80% power (same unit), or ``why`` an interval
    or test cannot decide. ``extra``: further numbers a kind renders, as (name, value) pairs (e.g. the
    90% interval and the per-byte fall of ``loss_fall``). ``note``: a free-text reason for ``no_test``.
    """

    kind: str
    label: str
    code: str
    models: tuple[str, str] = ("", "")
    before: float = math.nan
    after: float = math.nan
    estimate: float = math.nan
    low: float = math.nan
    high: float = math.nan
    unit: str = "proportion"
    test: str = ""
    n: int | None = None
    p: float | None = None
    mde: float | None = None
    why: str | None = None
    extra: tuple[tuple[str, object], ...] = ()
    note: str | None = None
    level: float = 0.95

    def __post_init__(self):
        if self.kind not in PART_KINDS:
            raise InferenceError(f"Part.kind {self.kind!r} is not one of {PART_KINDS}; use one of those.")
        if self.code not in VERDICTS:
            raise InferenceError(f"Part.code {self.code!r} is not one of {VERDICTS}; use one of those.")
        if self.unit not in UNITS:
            raise InferenceError(f"Part.unit {self.unit!r} is not one of {UNITS}; use one of those.")

    def get(self, name: str):
        """The ``extra`` number called ``name`` (``KeyError`` naming the ones there are)."""
        for key, value in self.extra:
            if key == name:
                return value
        raise KeyError(f"Part {self.label!r} has no extra {name!r}; it has {[key for key, _ in self.extra]}.")


def chance_models(parts) -> list[Part]:
    """Claim 2's per-model records (kind ``below_chance``), in order."""
    return [part for part in parts if part.kind == "below_chance"]


def by_family(parts) -> dict[str, list[Part]]:
    """Claim 2's per-model records grouped by their ``family`` extra, families in order of first appearance."""
    families: dict[str, list[Part]] = {}
    for part in chance_models(parts):
        families.setdefault(part.get("family"), []).append(part)
    return families


def shortest_answer(parts) -> Part:
    """The "shortest answer" baseline record among claim 2's parts (``StopIteration`` when there is none)."""
    return next(part for part in parts if part.kind == "baseline" and part.label == "shortest answer")
