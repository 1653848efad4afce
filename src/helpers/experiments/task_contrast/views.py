"""Tables behind the task-contrast notebook: one model set, three kinds of task.

Every function takes the per-item table of :func:`helpers.analysis.items.item_table` (one row per
model, task and item with every metric) and returns a tidy :class:`pandas.DataFrame` ready
for a chart of :mod:`helpers.experiments.task_contrast.charts` or for display:

* :func:`side_by_side`: accuracy (Wilson interval) and gold-answer loss per token (bootstrap
  interval) per model and task kind, with the chance rate;
* :func:`chain_correlations`: the Schaeffer et al. (2024) chain: how strongly each metric,
  from ``log p_vocab(correct)`` down to accuracy, moves with model size, per item (Spearman
  over the models, summarised by its median and the share of items with a positive
  correlation) and at the model level (:func:`helpers.analysis.scaling.scale_correlation` on the
  per-model means), with bootstrap-over-items intervals;
* :func:`letter_diagnosis` / :func:`letter_shares` / :func:`letter_verdict_markdown`: is an
  accuracy below 25% on MMLU-math explained by a bias towards one answer letter?
* :func:`format_comparison`: letter scoring vs full-answer-text scoring (``acc`` and
  ``acc_norm``) per model; :func:`published_formats`: the same contrast in published results;
* :func:`arithmetic_metric_view`: exact match vs per-token loss vs teacher-forced digits
  correct on arithmetic (Schaeffer et al. 2023: emergence can be an artefact of the metric).

Models are grouped by family with ``families``: family name -> model sources, as in
``ExperimentConfig.families`` (sources are matched to the table's ``model_id`` directly or
through :func:`helpers.core.models.loading.resolve_source`). Bad input raises
:class:`ContrastInputError` naming the bad value and the remedy.
"""

from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from helpers.analysis import intervals
from helpers.analysis.summaries import chance_level

from helpers.analysis import metrics

from helpers.analysis import scaling

SIZE_COLUMNS = ("n_params_nonembedding", "n_params_total")
"""Columns of the item table that can serve as model size."""

KIND_LABELS = {
    "knowledge": "knowledge: MMLU-math (letter)",
    "knowledge_fulltext": "knowledge: MMLU-math (full text)",
    "procedure": "procedure: arithmetic 2-digit",
    "procedure_hard": "procedure: arithmetic 3-digit",
    "pattern": "pattern: paraphrase (MRPC/QQP)",
}
"""Display label of each task kind, in the order the notebook shows them."""

SIDE_BY_SIDE_KINDS = ("knowledge", "procedure", "pattern")
"""The three kinds of task the report contrasts."""

CHAIN_METRICS = (
    ("log_p_vocab_correct", "log p_vocab(correct)", 1.0),
    ("p_vocab_correct", "p_vocab(correct)", 1.0),
    ("p_vocab_all_choices", "p_vocab(all choices)", 1.0),
    ("p_choices_correct", "p_choices(correct)", 1.0),
    ("brier", "Brier score (negated)", -1.0),
    ("correct", "accuracy", 1.0),
)
"""(item-table column, label, sign) of the Schaeffer et al. (2024) chain, from the loss end to
accuracy. The sign orients every metric so that a positive correlation means "better with
scale" (a lower Brier score is better, so it is negated)."""

CHAIN_LEVELS = ("per item", "model means")

FORMAT_LABELS = {
    "letter_acc": "letter (acc)",
    "fulltext_acc": "full text (acc)",
    "fulltext_acc_norm": "full text (acc_norm)",
}

ARITHMETIC_METRICS = (
    ("correct", "exact match"),
    ("greedy_token_fraction", "digits correct (teacher-forced)"),
    ("gold_nll_per_token", "loss per token (nats)"),
)
"""(item-table column, label) of the continuous-versus-discrete view of arithmetic."""

VERDICTS = (
    "above chance",
    "not below chance",
    "below chance, explained by letter bias",
    "below chance, not explained by letter bias",
)


class ContrastInputError(ValueError):
    """The item table or a parameter cannot give the requested contrast."""


# ------------------------------------------------------------------------------ helpers


def short_model_name(model_id: str) -> str:
    """Display name: ``"random:pythia-70m"`` -> ``"pythia-70m"``, ``"EleutherAI/opt-125m"`` -> ``"opt-125m"``."""
    name = str(model_id)
    if name.startswith("local:"):
        return name.rstrip("/").rsplit("/", 1)[-1]
    return name.split(":", 1)[-1].rsplit("/", 1)[-1]


def _require(items: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    if not isinstance(items, pd.DataFrame):
        raise ContrastInputError(
            f"{what} needs a DataFrame (helpers.analysis.items.item_table(rows)); got {type(items).__name__}."
        )
    missing = [column for column in columns if column not in items.columns]
    if missing:
        raise ContrastInputError(
            f"{what}: the item table lacks columns {missing}; pass helpers.analysis.items.item_table(rows)."
        )


def check_size_column(size_column: str) -> None:
    """Raise :class:`ContrastInputError` unless ``size_column`` is one of :data:`SIZE_COLUMNS`."""
    if size_column not in SIZE_COLUMNS:
        raise ContrastInputError(f"size_column={size_column!r}: choose one of {list(SIZE_COLUMNS)}.")


def _check_bootstrap(bootstrap: int) -> None:
    if isinstance(bootstrap, bool) or not isinstance(bootstrap, (int, np.integer)) or (
        bootstrap != 0 and bootstrap < 100
    ):
        raise ContrastInputError(
            f"bootstrap={bootstrap!r}: expected 0 (no bootstrap intervals) or an integer >= 100."
        )


def _kinds_present(items: pd.DataFrame, kinds: Sequence[str] | None, default: Sequence[str]) -> list[str]:
    """The requested kinds (all of them must be in the table), or the present ones of ``default``."""
    present = set(items["kind"].unique())
    if kinds is None:
        chosen = [kind for kind in default if kind in present]
        if not chosen:
            raise ContrastInputError(
                f"the item table has none of the task kinds {list(default)} (it has {sorted(present)}); "
                "score them first (config.rows(kinds=[...]))."
            )
        return chosen
    if isinstance(kinds, str):
        raise ContrastInputError(f"kinds={kinds!r}: pass a list of task kinds, e.g. [{kinds!r}].")
    missing = [kind for kind in kinds if kind not in present]
    if missing:
        raise ContrastInputError(
            f"task kinds {missing} are not in the item table (it has {sorted(present)}); "
            "score them first or leave them out."
        )
    return list(kinds)


def model_families(items: pd.DataFrame, families: Mapping[str, Sequence[str]],
                   size_column: str = "n_params_nonembedding") -> pd.DataFrame:
    """One row per (family, model) of ``families`` found in ``items``: model size and display name.

    Columns: ``family, model_id, model, n_params`` (from ``size_column``), sorted by family
    order then size. A model may belong to several families (it then has several rows). A
    source that matches no ``model_id`` of the table, or a model of the table that is in no
    family, raises :class:`ContrastInputError`.
    """
    check_size_column(size_column)
    _require(items, ["model_id", size_column], "model_families")
    if not isinstance(families, Mapping) or not families:
        raise ContrastInputError(
            f"families={families!r}: pass a non-empty mapping family -> model ids (config.family_model_ids())."
        )
    sizes = items.groupby("model_id", sort=False)[size_column].first()
    known = set(sizes.index)
    rows = []
    for family, sources in families.items():
        if isinstance(sources, str):
            raise ContrastInputError(f"families[{family!r}]={sources!r}: expected a list of model sources.")
        for source in sources:
            model_id = _model_id_of(source, known)
            rows.append({"family": family, "model_id": model_id, "model": short_model_name(model_id),
                         "n_params": int(sizes[model_id])})
    table = pd.DataFrame(rows)
    unassigned = sorted(known - set(table["model_id"]))
    if unassigned:
        raise ContrastInputError(
            f"models {unassigned} of the item table are in no family of {sorted(families)}; "
            "pass config.families of the run that produced the table."
        )
    family_rank = {family: rank for rank, family in enumerate(families)}
    table = table.drop_duplicates(["family", "model_id"])
    table = table.assign(_rank=table["family"].map(family_rank))
    return table.sort_values(["_rank", "n_params", "model_id"], kind="stable").drop(columns="_rank").reset_index(drop=True)


def _model_id_of(model_id: str, known: set[str]) -> str:
    """``model_id`` when the item table has rows for it, else :class:`ContrastInputError`."""
    if model_id not in known:
        raise ContrastInputError(
            f"model {model_id!r} has no rows in the item table (models: {sorted(known)}); pass "
            "config.family_model_ids() of the run that produced the table, or score the model first.")
    return model_id


def _accuracy_row(correct_values: np.ndarray, confidence: float) -> dict[str, float]:
    """Accuracy with its Wilson interval from 0/1 values."""
    n_items = int(correct_values.size)
    n_correct = int(np.sum(correct_values))
    wilson = intervals.wilson_interval(n_correct, n_items, confidence)
    return {"n_items": n_items, "n_correct": n_correct, "accuracy": n_correct / n_items,
            "accuracy_low": wilson.low, "accuracy_high": wilson.high}


def _mean_interval(values: np.ndarray, bootstrap: int, confidence: float, seed: int) -> tuple[float, float]:
    """Bootstrap interval of a mean, or NaNs when ``bootstrap == 0`` or fewer than 2 values."""
    if bootstrap == 0 or values.size < 2:
        return math.nan, math.nan
    interval = intervals.bootstrap_mean_ci(values, n_resamples=int(bootstrap), confidence=confidence, seed=seed)
    return interval.low, interval.high


def settings_table(families: Mapping[str, Sequence[str]], settings: Mapping[str, object]) -> pd.DataFrame:
    """The validated run settings: one row per task kind (task, shots, limit) plus the model lists."""
    rows = [{"setting": f"task kind {kind}", "value": f"{setting.task}, {setting.shots}-shot, "
                                                       f"limit {setting.limit if setting.limit is not None else 'all'}"}
            for kind, setting in settings.items()]
    rows += [{"setting": f"family {family}", "value": ", ".join(sources)} for family, sources in families.items()]
    return pd.DataFrame(rows).set_index("setting")


def item_counts(items: pd.DataFrame) -> pd.DataFrame:
    """Items scored per model (rows, by size) and task kind (columns)."""
    _require(items, ["model_id", "kind", "n_params_nonembedding"], "item_counts")
    counts = items.groupby(["model_id", "kind"]).size().unstack("kind", fill_value=0)
    order = items.groupby("model_id")["n_params_nonembedding"].first().sort_values(kind="stable").index
    kinds = [kind for kind in KIND_LABELS if kind in counts.columns] + [
        kind for kind in counts.columns if kind not in KIND_LABELS]
    counts = counts.loc[order, kinds]
    counts.index = [short_model_name(model_id) for model_id in counts.index]
    counts.index.name = "model"
    counts.columns.name = "kind"
    return counts


# --------------------------------------------------------------------------- 1. kinds


def side_by_side(items: pd.DataFrame, families: Mapping[str, Sequence[str]], kinds: Sequence[str] | None = None,
                 *, size_column: str = "n_params_nonembedding", bootstrap: int = 1000,
                 confidence: float = 0.95, seed: int = 0) -> pd.DataFrame:
    """Accuracy and gold-answer loss per token per (family, model, task kind).

    Columns: ``family, model_id, model, n_params, kind, kind_label, n_items, n_correct,
    accuracy, accuracy_low, accuracy_high`` (Wilson), ``chance`` (1 / choices; NaN for
    arithmetic), ``loss, loss_low, loss_high`` (mean ``gold_nll_per_token`` over items,
    seeded bootstrap interval; NaN when ``bootstrap == 0``). ``kinds=None`` takes the present
    kinds of :data:`SIDE_BY_SIDE_KINDS`.
    """
    _require(items, ["model_id", "kind", "item_id", "n_choices", "correct", "gold_nll_per_token", size_column],
             "side_by_side")
    _check_bootstrap(bootstrap)
    chosen = _kinds_present(items, kinds, SIDE_BY_SIDE_KINDS)
    models = model_families(items, families, size_column)
    rows = []
    for kind in chosen:
        of_kind = items[items["kind"] == kind]
        for model in models.itertuples(index=False):
            model_items = of_kind[of_kind["model_id"] == model.model_id]
            if model_items.empty:
                continue
            loss = model_items["gold_nll_per_token"].to_numpy(dtype=float)  # [n_items]
            loss_low, loss_high = _mean_interval(loss, bootstrap, confidence, seed)
            rows.append({
                **model._asdict(), "kind": kind, "kind_label": KIND_LABELS.get(kind, kind),
                **_accuracy_row(model_items["correct"].to_numpy(dtype=bool), confidence),
                "chance": chance_level(model_items["n_choices"]),
                "loss": float(loss.mean()), "loss_low": loss_low, "loss_high": loss_high,
            })
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------- 2. the chain


def _rank_rows(values: np.ndarray) -> np.ndarray:
    """Average ranks along the last axis (ties share their mean rank)."""
    return stats.rankdata(values, axis=-1, method="average")


def _row_spearman(values: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Spearman correlation of each row of ``values`` [rows, models] with ``sizes`` [models].

    Rows where the metric is constant give NaN.
    """
    value_ranks = _rank_rows(values)  # [rows, models]
    size_ranks = _rank_rows(sizes)  # [models]
    value_centred = value_ranks - value_ranks.mean(axis=-1, keepdims=True)
    size_centred = size_ranks - size_ranks.mean()
    numerator = value_centred @ size_centred  # [rows]
    denominator = np.sqrt((value_centred ** 2).sum(axis=-1) * (size_centred ** 2).sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1.0), np.nan)


def _percentiles(samples: np.ndarray, confidence: float) -> tuple[float, float]:
    finite = samples[np.isfinite(samples)]
    if finite.size == 0:
        return math.nan, math.nan
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(finite, [tail, 1.0 - tail])
    return float(low), float(high)


def _metric_matrix(of_kind: pd.DataFrame, column: str, model_ids: list[str]) -> np.ndarray:
    """Items scored by every model: ``[n_items, n_models]`` values of ``column`` (rows with NaN dropped)."""
    wide = of_kind.pivot_table(index=["task", "item_id"], columns="model_id", values=column, aggfunc="first",
                               dropna=False)
    wide = wide.reindex(columns=model_ids).astype(float)
    return wide.dropna(axis=0, how="any").to_numpy()


def chain_correlations(items: pd.DataFrame, kinds: Sequence[str] | None = None, *,
                       size_column: str = "n_params_nonembedding", bootstrap: int = 1000,
                       confidence: float = 0.95, seed: int = 0) -> pd.DataFrame:
    """How each metric of the Schaeffer et al. (2024) chain correlates with model size.

    For every task kind and metric of :data:`CHAIN_METRICS` (sign-oriented: positive = better
    with scale) two rows:

    * ``level="per item"``: Spearman correlation of the metric with model size across the
      models, for each item scored by every model; ``correlation`` is the median over items
      whose metric varies, ``share_positive`` the share of those items with a positive
      correlation, ``n_constant`` the items whose metric is the same for every model;
    * ``level="model means"``: :func:`helpers.analysis.scaling.scale_correlation` (Spearman) of the
      per-model mean metric with size; ``pvalue`` its two-sided p-value; ``n_constant`` is 1
      when the mean is the same for every model (correlation NaN).

    ``correlation_low/high``: percentile interval from resampling items ``bootstrap`` times
    (NaN when ``bootstrap == 0``). Metrics a kind does not have (arithmetic has no choices)
    are left out. Fewer than 3 models or 2 sizes give NaN correlations (``n_models`` says why).
    """
    _require(items, ["model_id", "task", "kind", "item_id", size_column], "chain_correlations")
    check_size_column(size_column)
    _check_bootstrap(bootstrap)
    chosen = _kinds_present(items, kinds, tuple(KIND_LABELS))
    rng = np.random.default_rng(seed)
    rows = []
    for kind in chosen:
        of_kind = items[items["kind"] == kind]
        sizes_by_model = of_kind.groupby("model_id")[size_column].first().sort_values(kind="stable")
        model_ids = list(sizes_by_model.index)
        sizes = sizes_by_model.to_numpy(dtype=float)  # [n_models]
        enough_models = len(model_ids) >= 3 and np.unique(sizes).size >= 2
        for column, label, sign in CHAIN_METRICS:
            if column not in of_kind.columns or of_kind[column].isna().all():
                continue
            matrix = sign * _metric_matrix(of_kind, column, model_ids)  # [n_items, n_models]
            base = {"kind": kind, "kind_label": KIND_LABELS.get(kind, kind), "metric": column,
                    "metric_label": label, "n_models": len(model_ids), "n_items": int(matrix.shape[0])}
            rows.append({**base, "level": "per item", **_per_item_summary(matrix, sizes, enough_models,
                                                                           bootstrap, confidence, rng)})
            rows.append({**base, "level": "model means", **_model_mean_summary(matrix, sizes, enough_models,
                                                                               bootstrap, confidence, rng)})
    return pd.DataFrame(rows)


_EMPTY_SUMMARY = {"correlation": math.nan, "correlation_low": math.nan, "correlation_high": math.nan,
                  "share_positive": math.nan, "n_constant": 0, "pvalue": math.nan}  # too few models or items


def _per_item_summary(matrix: np.ndarray, sizes: np.ndarray, enough_models: bool, bootstrap: int,
                      confidence: float, rng: np.random.Generator) -> dict[str, float]:
    empty = dict(_EMPTY_SUMMARY)
    if not enough_models or matrix.shape[0] == 0:
        return empty
    rhos = _row_spearman(matrix, sizes)  # [n_items]
    varying = rhos[np.isfinite(rhos)]
    summary = {**empty, "n_constant": int(np.sum(~np.isfinite(rhos)))}
    if varying.size == 0:
        return summary
    summary["correlation"] = float(np.median(varying))
    summary["share_positive"] = float(np.mean(varying > 0))
    if bootstrap:
        picks = rng.integers(0, varying.size, size=(bootstrap, varying.size))  # [bootstrap, n_varying]
        summary["correlation_low"], summary["correlation_high"] = _percentiles(
            np.median(varying[picks], axis=1), confidence)
    return summary


def _model_mean_summary(matrix: np.ndarray, sizes: np.ndarray, enough_models: bool, bootstrap: int,
                        confidence: float, rng: np.random.Generator) -> dict[str, float]:
    empty = dict(_EMPTY_SUMMARY)
    if not enough_models or matrix.shape[0] == 0:
        return empty
    means = matrix.mean(axis=0)  # [n_models]
    result = scaling.scale_correlation(sizes, means)
    summary = {**empty, "correlation": result.spearman_rho, "pvalue": result.spearman_p,
               "n_constant": int(result.constant_metric)}
    if bootstrap:
        picks = rng.integers(0, matrix.shape[0], size=(bootstrap, matrix.shape[0]))  # [bootstrap, n_items]
        resampled_means = matrix[picks].mean(axis=1)  # [bootstrap, n_models]
        summary["correlation_low"], summary["correlation_high"] = _percentiles(
            _row_spearman(resampled_means, sizes), confidence)
    return summary


# ------------------------------------------------------------------ 3. letter bias


def _letter_items(items: pd.DataFrame, kind: str, labels: Sequence[str]) -> pd.DataFrame:
    _require(items, ["model_id", "kind", "gold", "predicted", "correct", "n_choices"], "letter_diagnosis")
    of_kind = items[items["kind"] == kind]
    if of_kind.empty:
        raise ContrastInputError(
            f"no items of kind {kind!r} in the table (kinds: {sorted(items['kind'].unique())}); "
            "score the letter-format MMLU task first."
        )
    if (of_kind["n_choices"] != len(labels)).any():
        raise ContrastInputError(
            f"kind {kind!r} has items with {sorted(of_kind['n_choices'].unique())} choices but "
            f"labels={list(labels)}; pass one label per choice."
        )
    return of_kind


def letter_diagnosis(items: pd.DataFrame, kind: str = "knowledge", labels: Sequence[str] = ("A", "B", "C", "D"),
                     *, alpha: float = 0.05, confidence: float = 0.95,
                     size_column: str = "n_params_nonembedding") -> pd.DataFrame:
    """Is a model's below-chance accuracy explained by a bias towards one answer letter?

    One row per model (smallest first) with ``n_items, n_correct, accuracy, accuracy_low,
    accuracy_high`` (Wilson), ``chance`` (1 / letters), ``p_below`` / ``p_above`` (exact
    binomial test vs chance), ``chi2, chi2_pvalue`` (predicted letters uniform?),
    ``top_letter`` (most predicted), ``top_predicted_share`` and ``top_gold_share`` (its
    share among predictions and among gold answers), ``bias_expected_accuracy`` (the accuracy
    a model would get whose letter choice ignores the question but keeps its letter
    frequencies: sum over letters of predicted share x gold share), ``majority_letter`` and
    ``majority_accuracy`` (always answering the gold-most-common letter), and ``verdict``:

    * ``"above chance"`` / ``"not below chance"`` when ``p_below >= alpha``;
    * ``"below chance, explained by letter bias"`` when the accuracy is significantly below
      chance, the predicted letters are significantly non-uniform, the top letter is predicted
      more often than it is gold, the bias-expected accuracy is below chance and lies inside
      the accuracy's interval;
    * ``"below chance, not explained by letter bias"`` otherwise.
    """
    if not 0.0 < alpha < 1.0:
        raise ContrastInputError(f"alpha={alpha!r}: expected a significance level in (0, 1), e.g. 0.05.")
    check_size_column(size_column)
    _require(items, [size_column], "letter_diagnosis")
    labels = list(labels)
    of_kind = _letter_items(items, kind, labels)
    chance = 1.0 / len(labels)
    rows = []
    for model_id, model_items in of_kind.groupby("model_id", sort=False):
        predicted = model_items["predicted"].to_numpy(dtype=np.int64)  # [n_items]
        gold = model_items["gold"].to_numpy(dtype=np.int64)  # [n_items]
        bias = metrics.letter_bias(predicted, gold, labels)
        baseline = metrics.majority_letter_baseline(gold, labels)
        accuracy = _accuracy_row(model_items["correct"].to_numpy(dtype=bool), confidence)
        test = intervals.binomial_test_vs_chance(accuracy["n_correct"], accuracy["n_items"], chance)
        predicted_share = bias.predicted_counts / len(predicted)
        gold_share = bias.gold_counts / len(gold)
        top = str(predicted_share.idxmax())
        row = {
            "model_id": model_id, "model": short_model_name(model_id),
            "n_params": int(model_items[size_column].iloc[0]),
            **accuracy, "chance": chance, "p_below": test.pvalue_less, "p_above": test.pvalue_greater,
            "chi2": bias.chi2, "chi2_pvalue": bias.pvalue, "top_letter": top,
            "top_predicted_share": float(predicted_share[top]), "top_gold_share": float(gold_share[top]),
            "bias_expected_accuracy": float((predicted_share * gold_share).sum()),
            "majority_letter": baseline.label, "majority_accuracy": baseline.accuracy,
        }
        row["verdict"] = _letter_verdict(row, alpha)
        rows.append(row)
    table = pd.DataFrame(rows)
    return table.sort_values(["n_params", "model_id"], kind="stable").reset_index(drop=True)


def _letter_verdict(row: Mapping[str, float], alpha: float) -> str:
    if row["p_below"] >= alpha:
        return "above chance" if row["p_above"] < alpha else "not below chance"
    explained = (
        row["chi2_pvalue"] < alpha
        and row["top_predicted_share"] > row["top_gold_share"]
        and row["bias_expected_accuracy"] < row["chance"]
        and row["accuracy_low"] <= row["bias_expected_accuracy"] <= row["accuracy_high"]
    )
    return VERDICTS[2] if explained else VERDICTS[3]


def letter_shares(items: pd.DataFrame, kind: str = "knowledge",
                  labels: Sequence[str] = ("A", "B", "C", "D")) -> pd.DataFrame:
    """Long table of letter shares per model: ``model_id, model, letter, predicted_share, gold_share``."""
    labels = list(labels)
    of_kind = _letter_items(items, kind, labels)
    rows = []
    for model_id, model_items in of_kind.groupby("model_id", sort=False):
        bias = metrics.letter_bias(model_items["predicted"].to_numpy(dtype=np.int64),
                                   model_items["gold"].to_numpy(dtype=np.int64), labels)
        n_items = len(model_items)
        for letter in labels:
            rows.append({"model_id": model_id, "model": short_model_name(model_id), "letter": letter,
                         "predicted_share": bias.predicted_counts[letter] / n_items,
                         "gold_share": bias.gold_counts[letter] / n_items})
    return pd.DataFrame(rows)


def letter_verdict_markdown(diagnosis: pd.DataFrame, alpha: float = 0.05) -> str:
    """The notebook's verdict on "below-chance accuracy is explained by letter bias", from the numbers."""
    _require(diagnosis, ["model", "accuracy", "p_below", "verdict", "top_letter", "top_predicted_share",
                         "top_gold_share", "bias_expected_accuracy"], "letter_verdict_markdown")
    below = diagnosis[diagnosis["verdict"].str.startswith("below chance")]
    explained = below[below["verdict"] == VERDICTS[2]]
    if below.empty:
        return (f"**Verdict: not supported.** No model's letter-format accuracy is significantly below "
                f"chance (exact binomial test, one-sided, alpha {alpha}), so there is no below-chance "
                f"accuracy for letter bias to explain (lowest accuracy: "
                f"{diagnosis['accuracy'].min():.3f}, {len(diagnosis)} models).")
    lines = []
    for row in below.itertuples(index=False):
        lines.append(f"- `{row.model}`: accuracy {row.accuracy:.3f} (p = {row.p_below:.3g}); predicts "
                     f"{row.top_letter} for {row.top_predicted_share:.0%} of items, gold is {row.top_letter} "
                     f"for {row.top_gold_share:.0%}; a letter-biased guesser would score "
                     f"{row.bias_expected_accuracy:.3f}: {row.verdict}.")
    if len(explained) == len(below):
        head = "**Verdict: supported.** Every model significantly below chance is explained by letter bias:"
    elif explained.empty:
        head = ("**Verdict: refuted.** Models are significantly below chance, but letter bias does not "
                "account for it:")
    else:
        head = (f"**Verdict: partly supported.** Letter bias explains {len(explained)} of the "
                f"{len(below)} models significantly below chance:")
    return "\n".join([head, *lines])


# ------------------------------------------------------------- 3b. scoring formats


def format_comparison(items: pd.DataFrame, families: Mapping[str, Sequence[str]], *,
                      letter_kind: str = "knowledge", fulltext_kind: str = "knowledge_fulltext",
                      size_column: str = "n_params_nonembedding", confidence: float = 0.95) -> pd.DataFrame:
    """Accuracy per model under three scorings of MMLU-math, with Wilson intervals.

    ``format``: ``letter (acc)`` (argmax over " A".." D"), ``full text (acc)`` (argmax of the
    summed log-likelihood of each answer's text) and ``full text (acc_norm)`` (per character,
    as lm-evaluation-harness). Columns: ``family, model_id, model, n_params, format, n_items,
    n_correct, accuracy, accuracy_low, accuracy_high, chance``. Formats whose kind is absent
    are left out; neither kind present raises.
    """
    _require(items, ["model_id", "kind", "correct", "correct_norm", "n_choices", size_column], "format_comparison")
    present = set(items["kind"].unique())
    scorings = [(key, kind, column) for key, kind, column in (
        ("letter_acc", letter_kind, "correct"),
        ("fulltext_acc", fulltext_kind, "correct"),
        ("fulltext_acc_norm", fulltext_kind, "correct_norm"),
    ) if kind in present]
    if not scorings:
        raise ContrastInputError(
            f"neither {letter_kind!r} nor {fulltext_kind!r} is in the item table (kinds: {sorted(present)}); "
            "score the MMLU-math tasks first."
        )
    models = model_families(items, families, size_column)
    rows = []
    for key, kind, column in scorings:
        of_kind = items[items["kind"] == kind]
        for model in models.itertuples(index=False):
            model_items = of_kind[of_kind["model_id"] == model.model_id]
            if model_items.empty:
                continue
            rows.append({**model._asdict(), "format": FORMAT_LABELS[key],
                         **_accuracy_row(model_items[column].to_numpy(dtype=bool), confidence),
                         "chance": chance_level(model_items["n_choices"])})
    return pd.DataFrame(rows)


def published_formats(summary: pd.DataFrame, z: float = 1.96) -> pd.DataFrame:
    """Published MMLU-math ``acc`` and ``acc_norm`` (:func:`helpers.analysis.published.mmlu_math_summary`) in long form.

    Columns: ``family, model, params, metric, value, stderr, low, high`` (``value ± z·stderr``,
    clipped to [0, 1]).
    """
    _require(summary, ["family", "model", "params", "acc", "acc_stderr", "acc_norm", "acc_norm_stderr"],
             "published_formats")
    frames = []
    for metric in ("acc", "acc_norm"):
        frame = summary[["family", "model", "params"]].copy()
        frame["metric"] = metric
        frame["value"] = summary[metric].astype(float)
        frame["stderr"] = summary[f"{metric}_stderr"].astype(float)
        frames.append(frame)
    long = pd.concat(frames, ignore_index=True)
    long["low"] = (long["value"] - z * long["stderr"]).clip(0.0, 1.0)
    long["high"] = (long["value"] + z * long["stderr"]).clip(0.0, 1.0)
    return long


# ---------------------------------------------------------------- 4. arithmetic


def arithmetic_metric_view(items: pd.DataFrame, families: Mapping[str, Sequence[str]],
                           kinds: Sequence[str] | None = None, *, size_column: str = "n_params_nonembedding",
                           bootstrap: int = 1000, confidence: float = 0.95, seed: int = 0) -> pd.DataFrame:
    """Exact match, teacher-forced digits correct and loss per token, per model, for arithmetic.

    Long table: ``family, model_id, model, n_params, kind, kind_label, metric, metric_label,
    value, low, high, n_items``. Exact match has a Wilson interval; the two continuous metrics
    a bootstrap interval of the mean (NaN when ``bootstrap == 0``). ``kinds=None`` takes the
    present kinds of ``("procedure", "procedure_hard")``.
    """
    _require(items, ["model_id", "kind", "correct", "greedy_token_fraction", "gold_nll_per_token", size_column],
             "arithmetic_metric_view")
    _check_bootstrap(bootstrap)
    chosen = _kinds_present(items, kinds, ("procedure", "procedure_hard"))
    models = model_families(items, families, size_column)
    rows = []
    for kind in chosen:
        of_kind = items[items["kind"] == kind]
        if of_kind["greedy_token_fraction"].isna().any():
            raise ContrastInputError(
                f"kind {kind!r} has items without greedy_token_fraction (multiple-choice?); "
                "pass an arithmetic kind such as 'procedure'."
            )
        for model in models.itertuples(index=False):
            model_items = of_kind[of_kind["model_id"] == model.model_id]
            if model_items.empty:
                continue
            for column, label in ARITHMETIC_METRICS:
                values = model_items[column].to_numpy(dtype=float)  # [n_items]
                if column == "correct":
                    accuracy = _accuracy_row(values.astype(bool), confidence)
                    value, low, high = accuracy["accuracy"], accuracy["accuracy_low"], accuracy["accuracy_high"]
                else:
                    value = float(values.mean())
                    low, high = _mean_interval(values, bootstrap, confidence, seed)
                rows.append({**model._asdict(), "kind": kind, "kind_label": KIND_LABELS.get(kind, kind),
                             "metric": column, "metric_label": label, "value": value, "low": low,
                             "high": high, "n_items": int(values.size)})
    return pd.DataFrame(rows)
