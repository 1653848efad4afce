"""Tables behind the scaling notebook: per-model summaries, power-law fits, small-vs-large changes
and the published reference results, each as a tidy DataFrame ready to show or chart.

Inputs. Our own measurements come as the per-item table of :func:`helpers.analysis.items.item_table`
(one row per model, task and item) plus ``families``: family name -> model ids *as they appear
in that table*, smallest model first (:func:`family_model_ids` resolves a profile's model
sources to those ids). A model may belong to several families; its rows then appear once per
family. Rows are grouped by task *kind* (``knowledge`` pools the five MMLU-math subjects).

Metrics. ``loss`` is the mean over items of ``gold_nll_per_token`` (the gold answer's negative
log-likelihood per token, "the loss on the answers"); ``accuracy`` is the mean of ``correct``
(argmax over choices, or exact match for arithmetic). Accuracy intervals are Wilson score
intervals, loss intervals percentile bootstraps over items (:mod:`helpers.analysis.intervals`); the fits
and changes come from :mod:`helpers.analysis.scaling` with item bootstraps, paired when the models of a
family scored the same items.

The published tables read :mod:`helpers.analysis.published` (lm-evaluation-harness ``hendrycksTest``
v0, full answer text scored) and give ``±n_stderr`` standard-error bars as ``low``/``high``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from helpers.analysis import published as reference
from helpers.analysis.intervals import bootstrap_mean_ci, wilson_interval
from helpers.analysis.summaries import chance_level
from helpers.analysis.scaling import (
    FitFailure,
    PowerLawFit,
    ScalingInputError,
    accuracy_change,
    confidence_competence_gap,
    fit_power_law_items,
    relative_reduction,
)

SIZE_BASES = {"total": "n_params_total", "non-embedding": "n_params_nonembedding"}
"""Size basis label -> parameter-count column of the item table."""
LOSS_COLUMN = "gold_nll_per_token"
KIND_ORDER = ("knowledge", "knowledge_fulltext", "procedure", "procedure_hard", "pattern")
ITEM_KEY = ["task", "item_id"]  # identifies an item within one task kind
REQUIRED_COLUMNS = ["model_id", "kind", *ITEM_KEY, "n_choices", "correct", LOSS_COLUMN, *SIZE_BASES.values()]
MIN_FIT_MODELS = 3
MIN_BOOTSTRAP = 100  # helpers.analysis.intervals.bootstrap_mean_ci needs at least this many resamples

MMLU_MATH_PATTERN = "hendrycksTest-(" + "|".join(
    task.removeprefix("hendrycksTest-") for task in reference.MMLU_MATH_SIZES) + ")"
"""Regular expression matching the five MMLU-math subjects of the published table."""
MMLU_CHANCE = 0.25
PUBLISHED_LABEL = "published lm-evaluation-harness results (hendrycksTest v0: full-answer-text scoring)"


class ScalingViewError(ValueError):
    """Input that the scaling tables cannot use (missing columns, models or bad settings)."""


# ----------------------------------------------------------------------------- inputs


def _check_items(items: pd.DataFrame) -> None:
    missing = [column for column in REQUIRED_COLUMNS if column not in items.columns]
    if missing:
        raise ScalingViewError(
            f"the item table lacks columns {missing}; pass helpers.analysis.items.item_table(config.rows(...)).")


def _check_bootstrap(bootstrap: int) -> None:
    if isinstance(bootstrap, bool) or not isinstance(bootstrap, (int, np.integer)) or not (
            bootstrap == 0 or bootstrap >= MIN_BOOTSTRAP):
        raise ScalingViewError(
            f"bootstrap={bootstrap!r}: use 0 (no intervals) or an integer >= {MIN_BOOTSTRAP}.")


def _kind_rank(kind: str) -> tuple[int, str]:
    return (KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER), kind)


def _family_groups(items: pd.DataFrame, families: Mapping[str, Sequence[str]]):
    """Yield ``(family, kind, frame, model_ids)``, models sorted by total parameters."""
    _check_items(items)
    if not families:
        raise ScalingViewError("families is empty: give family -> model ids, e.g. config.families resolved "
                               "with family_model_ids().")
    present = set(items["model_id"])
    for family, model_ids in families.items():
        absent = [model for model in model_ids if model not in present]
        if absent:
            raise ScalingViewError(
                f"family {family!r}: models {absent} have no rows in the item table (it has "
                f"{sorted(present)}); pass model ids from family_model_ids(), not sources.")
        family_items = items[items["model_id"].isin(list(model_ids))]
        for kind in sorted(family_items["kind"].unique(), key=_kind_rank):
            frame = family_items[family_items["kind"] == kind]
            sizes = frame.groupby("model_id")["n_params_total"].first()
            ordered = sorted(sizes.index, key=lambda model: (sizes[model], model))
            yield family, kind, frame, ordered


def _per_model(frame: pd.DataFrame, model_ids: Sequence[str], column: str) -> tuple[list[np.ndarray], bool]:
    """Each model's ``column`` over items, item-aligned (``paired=True``) when all scored the same items."""
    item_sets = [frozenset(map(tuple, frame.loc[frame["model_id"] == m, ITEM_KEY].to_numpy())) for m in model_ids]
    paired = all(item_set == item_sets[0] for item_set in item_sets)
    values = []
    for model in model_ids:
        rows = frame[frame["model_id"] == model].sort_values(ITEM_KEY, kind="stable")
        values.append(rows[column].to_numpy(dtype=float))  # [n_items of this model]
    return values, paired


# ----------------------------------------------------------------------------- per model


def model_summary(items: pd.DataFrame, families: Mapping[str, Sequence[str]], *, bootstrap: int = 1000,
                  seed: int = 0, confidence: float = 0.95) -> pd.DataFrame:
    """One row per (family, model, task kind): sizes, items, accuracy and loss with intervals, chance.

    Columns: ``family, model_id, kind, n_params_total, n_params_nonembedding, n_items, n_correct,
    accuracy, accuracy_low, accuracy_high`` (Wilson), ``loss, loss_low, loss_high`` (bootstrap
    over items; NaN when ``bootstrap=0`` or one item), ``chance`` (:func:`helpers.analysis.summaries.chance_level`).
    """
    _check_bootstrap(bootstrap)
    records = []
    for family, kind, frame, model_ids in _family_groups(items, families):
        for model in model_ids:
            rows = frame[frame["model_id"] == model]
            n_items, n_correct = len(rows), int(rows["correct"].astype(bool).sum())
            accuracy_interval = wilson_interval(n_correct, n_items, confidence)
            losses = rows[LOSS_COLUMN].to_numpy(dtype=float)  # [n_items]
            if bootstrap and n_items >= 2:
                loss_interval = bootstrap_mean_ci(losses, n_resamples=bootstrap, confidence=confidence, seed=seed)
                loss_low, loss_high = loss_interval.low, loss_interval.high
            else:
                loss_low = loss_high = math.nan
            records.append({
                "family": family, "model_id": model, "kind": kind,
                "n_params_total": int(rows["n_params_total"].iloc[0]),
                "n_params_nonembedding": int(rows["n_params_nonembedding"].iloc[0]),
                "n_items": n_items, "n_correct": n_correct, "accuracy": n_correct / n_items,
                "accuracy_low": accuracy_interval.low, "accuracy_high": accuracy_interval.high,
                "loss": float(losses.mean()), "loss_low": loss_low, "loss_high": loss_high,
                "chance": chance_level(rows["n_choices"]),
            })
    return pd.DataFrame.from_records(records)


def item_counts(summary: pd.DataFrame) -> pd.DataFrame:
    """Items scored per model (rows) and task kind (columns), from :func:`model_summary`."""
    counts = summary.drop_duplicates(["model_id", "kind"]).pivot(index="model_id", columns="kind", values="n_items")
    ordered_models = summary.drop_duplicates("model_id")["model_id"].tolist()
    ordered_kinds = sorted(counts.columns, key=_kind_rank)
    counts = counts.loc[ordered_models, ordered_kinds]
    counts.columns.name = None
    return counts.astype("Int64")


def size_long(summary: pd.DataFrame) -> pd.DataFrame:
    """:func:`model_summary` with one row per size basis: columns ``size_basis`` and ``n_params``."""
    frames = [summary.assign(size_basis=basis, n_params=summary[column])
              for basis, column in SIZE_BASES.items()]
    return pd.concat(frames, ignore_index=True)


# ----------------------------------------------------------------------------- fits


@dataclass(frozen=True)
class FamilyFit:
    """The power law of one family on one task kind and size basis, or why there is none."""

    family: str
    kind: str
    size_basis: str  # a key of SIZE_BASES
    model_ids: tuple[str, ...]
    n_params: tuple[int, ...]
    n_items: int  # items per model (the largest count if they differ)
    paired: bool
    status: str  # "fitted" or "not fitted: <reason>"
    fit: PowerLawFit | None = field(default=None, repr=False)


def fit_families(items: pd.DataFrame, families: Mapping[str, Sequence[str]], *,
                 size_bases: Sequence[str] = tuple(SIZE_BASES), bootstrap: int = 1000, seed: int = 0,
                 level: float = 0.95) -> list[FamilyFit]:
    """Fit ``loss = a N^-alpha + c`` per family, task kind and size basis (``fit_power_law_items``).

    The bootstrap resamples items, paired when every model scored the same items. A family with
    fewer than :data:`MIN_FIT_MODELS` distinct sizes, or whose point fit fails, gets a
    :class:`FamilyFit` with ``fit=None`` and the reason in ``status``.
    """
    unknown = [basis for basis in size_bases if basis not in SIZE_BASES]
    if unknown or not size_bases:
        raise ScalingViewError(f"size_bases={list(size_bases)!r}: choose from {list(SIZE_BASES)}.")
    if isinstance(bootstrap, bool) or not isinstance(bootstrap, (int, np.integer)) or bootstrap < 0:
        raise ScalingViewError(f"bootstrap={bootstrap!r}: use a non-negative integer (0: no intervals).")
    fits = []
    for family, kind, frame, model_ids in _family_groups(items, families):
        losses, paired = _per_model(frame, model_ids, LOSS_COLUMN)
        n_items = max(values.size for values in losses)
        for basis in size_bases:
            sizes = frame.groupby("model_id")[SIZE_BASES[basis]].first()[model_ids].to_numpy(dtype=np.int64)
            common = dict(family=family, kind=kind, size_basis=basis, model_ids=tuple(model_ids),
                          n_params=tuple(int(s) for s in sizes), n_items=n_items, paired=paired)
            n_sizes = np.unique(sizes).size
            if n_sizes < MIN_FIT_MODELS:
                reason = f"not fitted: {n_sizes} model size{'s' if n_sizes != 1 else ''} (need {MIN_FIT_MODELS})"
                fits.append(FamilyFit(**common, status=reason))
                continue
            try:
                fit = fit_power_law_items(sizes, losses, paired=paired, bootstrap=bootstrap, seed=seed, level=level)
            except (FitFailure, ScalingInputError) as error:
                fits.append(FamilyFit(**common, status=f"not fitted: {error}"))
                continue
            fits.append(FamilyFit(**common, status="fitted", fit=fit))
    return fits


def fits_table(fits: Sequence[FamilyFit]) -> pd.DataFrame:
    """One row per :class:`FamilyFit`: ``a, alpha, c`` with ``_low``/``_high`` interval ends (NaN if unfitted)."""
    records = []
    for family_fit in fits:
        record = {"family": family_fit.family, "kind": family_fit.kind, "size_basis": family_fit.size_basis,
                  "n_models": len(family_fit.model_ids), "n_items": family_fit.n_items,
                  "paired": family_fit.paired, "status": family_fit.status}
        if family_fit.fit is not None:
            record.update(family_fit.fit.to_dict())
        else:
            record.update({f"{name}{end}": math.nan for name in ("a", "alpha", "c") for end in ("", "_low", "_high")})
            record.update(n_bootstrap=0, n_failed=0)
        records.append(record)
    return pd.DataFrame.from_records(records)


def fit_curves(fits: Sequence[FamilyFit], n_points: int = 50) -> pd.DataFrame:
    """Fitted loss and its pointwise bootstrap band on a log grid spanning each family's sizes.

    Columns ``family, kind, size_basis, n_params, loss, loss_low, loss_high``; unfitted entries
    contribute no rows.
    """
    if isinstance(n_points, bool) or not isinstance(n_points, int) or n_points < 2:
        raise ScalingViewError(f"n_points={n_points!r}: need an integer >= 2.")
    frames = []
    for family_fit in fits:
        if family_fit.fit is None:
            continue
        grid = np.geomspace(min(family_fit.n_params), max(family_fit.n_params), n_points)  # [n_points]
        low, high = family_fit.fit.predict_interval(grid)
        frames.append(pd.DataFrame({
            "family": family_fit.family, "kind": family_fit.kind, "size_basis": family_fit.size_basis,
            "n_params": grid, "loss": family_fit.fit.predict(grid), "loss_low": low, "loss_high": high,
        }))
    columns = ["family", "kind", "size_basis", "n_params", "loss", "loss_low", "loss_high"]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


# ----------------------------------------------------------------------------- small vs large


def _change_status(gap_status: str, absolute_interval: tuple[float, float]) -> str:
    """Words for the accuracy side of a change: flat, rose, fell, or undefined baseline."""
    if gap_status == "accuracy_baseline_zero":
        return "baseline accuracy zero"
    if gap_status == "accuracy_flat":
        return "accuracy flat"
    low, high = absolute_interval
    if math.isnan(low) or low <= 0 <= high:
        return "accuracy flat"  # the change is within its interval of zero (or has no interval)
    return "accuracy rose" if low > 0 else "accuracy fell"


def change_table(items: pd.DataFrame, families: Mapping[str, Sequence[str]], *, bootstrap: int = 1000,
                 seed: int = 0, level: float = 0.95) -> pd.DataFrame:
    """Smallest vs largest model (by total parameters) per family and task kind.

    Columns: ``family, kind, small_model, large_model, n_params_small, n_params_large, n_items,
    paired, loss_small, loss_large, relative_loss_reduction`` (+``_low``/``_high``),
    ``accuracy_small, accuracy_large, accuracy_change`` (absolute, +interval),
    ``relative_accuracy_change`` (+interval), ``ratio`` (+interval: the confidence-competence
    gap), ``ratio_status`` (from :func:`helpers.analysis.scaling.confidence_competence_gap`) and
    ``status``: "accuracy flat" when the accuracy change's interval includes 0, else "accuracy
    rose"/"accuracy fell" ("baseline accuracy zero" when the small model is never right).
    Families with one model are left out.
    """
    if isinstance(bootstrap, bool) or not isinstance(bootstrap, (int, np.integer)) or bootstrap < 0:
        raise ScalingViewError(f"bootstrap={bootstrap!r}: use a non-negative integer (0: no intervals).")
    records = []
    for family, kind, frame, model_ids in _family_groups(items, families):
        if len(model_ids) < 2:
            continue
        small, large = model_ids[0], model_ids[-1]
        (loss_small, loss_large), paired = _per_model(frame, [small, large], LOSS_COLUMN)
        (acc_small, acc_large), _ = _per_model(frame, [small, large], "correct")
        gap = confidence_competence_gap(loss_small, loss_large, acc_small, acc_large, paired=paired,
                                        bootstrap=bootstrap, seed=seed, level=level)
        reduction = relative_reduction(loss_small.mean(), loss_large.mean())
        change = accuracy_change(float(acc_small.mean()), float(acc_large.mean()))
        sizes = frame.groupby("model_id")["n_params_total"].first()
        records.append({
            "family": family, "kind": kind, "small_model": small, "large_model": large,
            "n_params_small": int(sizes[small]), "n_params_large": int(sizes[large]),
            "n_items": int(max(loss_small.size, loss_large.size)), "paired": paired,
            "loss_small": gap.loss_small, "loss_large": gap.loss_large,
            "relative_loss_reduction": reduction,
            "relative_loss_reduction_low": gap.relative_loss_reduction_interval[0],
            "relative_loss_reduction_high": gap.relative_loss_reduction_interval[1],
            "accuracy_small": gap.accuracy_small, "accuracy_large": gap.accuracy_large,
            "accuracy_change": change.absolute,
            "accuracy_change_low": gap.absolute_accuracy_change_interval[0],
            "accuracy_change_high": gap.absolute_accuracy_change_interval[1],
            "relative_accuracy_change": change.relative,
            "relative_accuracy_change_low": gap.relative_accuracy_change_interval[0],
            "relative_accuracy_change_high": gap.relative_accuracy_change_interval[1],
            "ratio": gap.ratio, "ratio_low": gap.ratio_interval[0], "ratio_high": gap.ratio_interval[1],
            "ratio_status": gap.ratio_status, "ratio_bounded": gap.ratio_bounded,
            "status": _change_status(gap.ratio_status, gap.absolute_accuracy_change_interval),
        })
    return pd.DataFrame.from_records(records)


def _percent(value: float) -> str:
    """``0.3129`` -> ``"31%"``; below ten percent one decimal (``"1.4%"``); no ``"-0%"``."""
    if math.isnan(value):
        return "n/a"
    digits = 0 if abs(value) >= 0.095 else 1
    return f"{round(100 * value, digits) + 0.0:.{digits}f}%"


def change_sentence(row: Mapping) -> str:
    """One sentence in the study's headline form from a :func:`change_table` row.

    e.g. "pythia, knowledge: accuracy 25% → 25% (accuracy flat) while the gold-answer loss falls
    31% (95% interval 28% to 34%), pythia-70m → pythia-410m."
    """
    reduction = row["relative_loss_reduction"]
    low, high = row["relative_loss_reduction_low"], row["relative_loss_reduction_high"]
    verb = "falls" if reduction >= 0 else "rises"
    if reduction < 0:  # say how much it rose: the interval of the rise is the negated, swapped one
        low, high = -high, -low
    interval = "" if math.isnan(low) else f" (interval {_percent(low)} to {_percent(high)})"
    return (f"{row['family']}, {row['kind']}: accuracy {_percent(row['accuracy_small'])} → "
            f"{_percent(row['accuracy_large'])} ({row['status']}) while the gold-answer loss {verb} "
            f"{_percent(abs(reduction))}{interval}, {row['small_model']} → {row['large_model']}.")


# ----------------------------------------------------------------------------- published


def _published(published: pd.DataFrame | None) -> pd.DataFrame:
    return reference.load_published() if published is None else published


def _check_n_stderr(n_stderr: float) -> None:
    if isinstance(n_stderr, bool) or not isinstance(n_stderr, (int, float)) or not n_stderr > 0:
        raise ScalingViewError(f"n_stderr={n_stderr!r}: need a positive number of standard errors, e.g. 2.")


def published_mmlu_table(published: pd.DataFrame | None = None, *, shots: Sequence[int] = (0, 5),
                         n_stderr: float = 2.0) -> pd.DataFrame:
    """Published MMLU-math accuracy (size-weighted over 5 subjects) per model, long format.

    One row per (model, shots, metric in acc/acc_norm): ``family, model, params, shots, metric,
    setting`` (e.g. "0-shot acc"), ``value, stderr, low, high`` (``value ± n_stderr·stderr``),
    ``chance`` (0.25). 5-shot rows exist for the Pythia families only.
    """
    _check_n_stderr(n_stderr)
    table = _published(published)
    frames = []
    for shot in shots:
        summary = reference.mmlu_math_summary(table, shots=shot)
        for metric in ("acc", "acc_norm"):
            part = summary[["family", "model", "params"]].copy()
            part["shots"] = shot
            part["metric"] = metric
            part["setting"] = f"{shot}-shot {metric}"
            part["value"] = summary[metric].to_numpy()
            part["stderr"] = summary[f"{metric}_stderr"].to_numpy()
            frames.append(part)
    long = pd.concat(frames, ignore_index=True)
    long["low"] = long["value"] - n_stderr * long["stderr"]
    long["high"] = long["value"] + n_stderr * long["stderr"]
    long["chance"] = MMLU_CHANCE
    return long


def published_chance_table(mmlu: pd.DataFrame, *, n_stderr: float = 2.0) -> pd.DataFrame:
    """Which published models sit significantly below or above chance (``reference.chance_check``).

    Takes :func:`published_mmlu_table`; adds ``z_vs_chance`` and ``position`` ("below chance",
    "at chance" or "above chance", at ``|z| > n_stderr``).
    """
    _check_n_stderr(n_stderr)
    frames = []
    for (_, _), part in mmlu.groupby(["shots", "metric"], sort=False):
        checked = reference.chance_check(part.rename(columns={"value": "acc", "stderr": "acc_stderr"}),
                                         column="acc", chance=MMLU_CHANCE, n_stderr=n_stderr)
        frames.append(checked.rename(columns={"acc": "value", "acc_stderr": "stderr"}))
    checked = pd.concat(frames, ignore_index=True)
    checked["position"] = np.where(checked["within_chance"], "at chance",
                                   np.where(checked["z_vs_chance"] > 0, "above chance", "below chance"))
    return checked[["family", "model", "params", "setting", "value", "stderr", "z_vs_chance", "position"]]


def published_lambada_table(published: pd.DataFrame | None = None, *, n_stderr: float = 2.0) -> pd.DataFrame:
    """Published 0-shot LAMBADA (OpenAI) perplexity per model with ``ppl_low``/``ppl_high`` bars.

    ``ppl_low`` is floored at half the value so a log axis can draw it (only for bars wider
    than the value itself, which the published data do not have).
    """
    _check_n_stderr(n_stderr)
    summary = reference.lambada_summary(_published(published), shots=0)
    summary["ppl_low"] = np.maximum(summary["ppl"] - n_stderr * summary["ppl_stderr"], summary["ppl"] / 2)
    summary["ppl_high"] = summary["ppl"] + n_stderr * summary["ppl_stderr"]
    return summary


def lambada_fold_changes(lambada: pd.DataFrame) -> pd.DataFrame:
    """Per family: smallest and largest model's perplexity and their ratio (``reference.fold_change``)."""
    records = []
    for family in lambada["family"].drop_duplicates():
        fold = reference.fold_change(lambada, family, "ppl")
        records.append({"family": family, "smallest_model": fold.smallest_model, "largest_model": fold.largest_model,
                        "smallest_ppl": fold.smallest_value, "largest_ppl": fold.largest_value,
                        "fold_change": fold.ratio})
    return pd.DataFrame.from_records(records)


def pythia_size_label(model: str) -> str:
    """``"pythia-1b-bf16"`` and ``"pythia-1b-deduped"`` -> ``"1b"``: the size shared by both runs."""
    return model.removeprefix("pythia-").removesuffix("-deduped").removesuffix("-bf16")


def published_training_table(published: pd.DataFrame | None = None, *, metric: str = "acc", shots: int = 0,
                             n_stderr: float = 2.0) -> pd.DataFrame:
    """Published MMLU-math ``metric`` along Pythia's training steps (5 subjects size-weighted).

    ``reference.over_training(..., combine=True)`` plus ``size`` (e.g. "1.4b", shared by the
    standard and deduped runs), ``low``/``high`` bars and ``chance``. Step 0 is dropped (a log
    step axis cannot show it, and its weights equal step 1's). ``suspect`` marks the 2.8b rows
    at steps <= 43000 (SOURCES.md caveat 1).
    """
    _check_n_stderr(n_stderr)
    table = reference.over_training(_published(published), MMLU_MATH_PATTERN, metric, shots=shots, combine=True)
    table = table[table["step"] > 0].reset_index(drop=True)
    table["step"] = table["step"].astype("int64")
    table["size"] = table["model"].map(pythia_size_label)
    table["low"] = table["value"] - n_stderr * table["stderr"]
    table["high"] = table["value"] + n_stderr * table["stderr"]
    table["chance"] = MMLU_CHANCE
    return table


# ----------------------------------------------------------------------------- settings

DEFAULT_KINDS = ("knowledge", "procedure", "pattern")
"""Task kinds the scaling notebook uses unless its ``task_kinds`` parameter says otherwise."""


def settings_table(families: Mapping[str, Sequence[str]], settings: Mapping) -> pd.DataFrame:
    """What a run measures, one row per task kind: task, shots, limit, and the models per family.

    ``families`` and ``settings`` are an :class:`helpers.experiments.config.ExperimentConfig`'s fields.
    """
    models = "; ".join(f"{family}: {', '.join(sources)}" for family, sources in families.items())
    return pd.DataFrame([{"kind": kind, "task": setting.task, "shots": setting.shots,
                          "limit": "all" if setting.limit is None else setting.limit, "models": models}
                         for kind, setting in settings.items()]).set_index("kind")
