"""Per-model tables behind the scaling notebook, and the inputs every scaling view shares.

Inputs. Our own measurements come as the per-item table of :func:`helpers.analysis.items.item_table`
(one row per model, task and item) plus ``families``: family name -> model ids *as they appear
in that table* (``config.family_model_ids()``). A family differs in size only (same
architecture, tokenizer and training recipe), so every fit, correlation and change is computed
within one family (:mod:`~helpers.experiments.scaling.fits`,
:mod:`~helpers.experiments.scaling.changes`); a model may belong to several families, and the
tables for readers list it once. Rows are grouped by task *kind* (``knowledge`` pools the five
MMLU-math subjects, ``procedure`` the five arithmetic difficulties).

Metrics. ``loss`` is the mean over items of ``gold_nll_per_token`` (the gold answer's negative
log-likelihood per token, "the loss on the answers"); ``accuracy`` is the mean of ``correct``
(argmax over choices, or exact match for arithmetic). Accuracy intervals are Wilson score
intervals, loss intervals percentile bootstraps over items (:mod:`helpers.analysis.intervals`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.analysis.resampling import check_resamples
from helpers.analysis.summaries import group_summary
from helpers.render.numbers import number_interval, param_label, pct_interval
from helpers.render.tables import reader_table, require_columns, require_listed

SIZE_BASES = {"total": "n_params_total", "non-embedding": "n_params_nonembedding"}
"""Size basis label -> parameter-count column of the item table."""
LOSS_COLUMN = "gold_nll_per_token"
KIND_ORDER = ("knowledge_fulltext", "knowledge", "knowledge_5shot", "procedure", "pattern")
ITEM_KEY = ["task", "item_id"]  # identifies an item within one task kind
REQUIRED_COLUMNS = ["model_id", "kind", *ITEM_KEY, "n_choices", "correct", LOSS_COLUMN, *SIZE_BASES.values()]

DEFAULT_KINDS = ("knowledge_fulltext", "knowledge", "procedure", "pattern")
"""Task kinds the scaling notebook uses unless its ``task_kinds`` parameter says otherwise: the
study's format (MMLU-math, full answer text, 0-shot) first, the letter format beside it."""

KIND_NAMES = {
    "knowledge_fulltext": "MMLU-math full text",
    "knowledge": "MMLU-math letter",
    "knowledge_5shot": "MMLU-math letter",
    "procedure": "arithmetic",
    "pattern": "paraphrase",
}


class ScalingViewError(ValueError):
    """Input that the scaling tables cannot use (missing columns, models or bad settings)."""


# ----------------------------------------------------------------------------- inputs


def check_items(items: pd.DataFrame) -> None:
    """Raise :class:`ScalingViewError` unless ``items`` has the item table's columns."""
    fix = "pass helpers.analysis.items.item_table(config.rows(...))"
    require_columns(items, REQUIRED_COLUMNS, "the scaling views", fix, ScalingViewError)


def kind_rank(kind: str) -> tuple[int, str]:
    """Sort key of a task kind: :data:`KIND_ORDER` first, others after, alphabetically."""
    return (KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER), kind)


def family_groups(items: pd.DataFrame, families: Mapping[str, Sequence[str]]):
    """Yield ``(family, kind, frame, model_ids)``, models sorted by total parameters (ties: list order)."""
    check_items(items)
    if not isinstance(families, Mapping) or not families:
        raise ScalingViewError("families is empty: give family -> model ids (config.family_model_ids()).")
    present = set(items["model_id"])
    for family, model_ids in families.items():
        fix = "pass model ids from config.family_model_ids(), not sources"
        require_listed(model_ids, present, f"families[{family!r}]", fix, ScalingViewError)
        family_items = items[items["model_id"].isin(list(model_ids))]
        listed = {model: rank for rank, model in enumerate(dict.fromkeys(model_ids))}
        for kind in sorted(family_items["kind"].unique(), key=kind_rank):
            frame = family_items[family_items["kind"] == kind]
            sizes = frame.groupby("model_id")["n_params_total"].first()
            ordered = sorted(sizes.index, key=lambda model: (sizes[model], listed[model]))
            yield family, kind, frame, ordered


def paired_values(frame: pd.DataFrame, small: str, large: str, column: str) -> tuple[np.ndarray, np.ndarray]:
    """``column`` of the items both models scored, aligned by (task, item): ``([n], [n])``."""
    left = frame.loc[frame["model_id"] == small, [*ITEM_KEY, column]]
    right = frame.loc[frame["model_id"] == large, [*ITEM_KEY, column]]
    merged = left.merge(right, on=ITEM_KEY, suffixes=("_small", "_large")).sort_values(ITEM_KEY, kind="stable")
    return merged[f"{column}_small"].to_numpy(dtype=float), merged[f"{column}_large"].to_numpy(dtype=float)


def per_model(frame: pd.DataFrame, model_ids: Sequence[str], column: str) -> tuple[list[np.ndarray], bool]:
    """Each model's ``column`` over items, item-aligned (``paired=True``) when all scored the same items."""
    item_sets = [frozenset(map(tuple, frame.loc[frame["model_id"] == m, ITEM_KEY].to_numpy())) for m in model_ids]
    paired = all(item_set == item_sets[0] for item_set in item_sets)
    values = []
    for model in model_ids:
        rows = frame[frame["model_id"] == model].sort_values(ITEM_KEY, kind="stable")
        values.append(rows[column].to_numpy(dtype=float))  # [n_items of this model]
    return values, paired


def short_name(model_id: str) -> str:
    """``"random:pythia-70m" -> "pythia-70m"``, ``"EleutherAI/pythia-70m" -> "pythia-70m"``."""
    return str(model_id).split(":", 1)[-1].rstrip("/").rsplit("/", 1)[-1]


# ----------------------------------------------------------------------------- per model


def model_summary(
    items: pd.DataFrame,
    families: Mapping[str, Sequence[str]],
    *,
    bootstrap: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """One row per (family, model, task kind): sizes, items, accuracy and loss with intervals, chance.

    Columns: ``family, model_id, kind, n_params_total, n_params_nonembedding, n_items, n_correct,
    accuracy, accuracy_low, accuracy_high`` (Wilson), ``loss, loss_low, loss_high`` (bootstrap
    over items; NaN when ``bootstrap=0`` or one item), ``chance`` (:func:`helpers.analysis.summaries.chance_level`),
    ``majority`` (always the gold answer most common on the model's items; NaN for exact-match tasks):
    :func:`helpers.analysis.summaries.group_summary` of each model's items.
    """
    check_resamples(bootstrap, error=ScalingViewError)
    records = []
    for family, kind, frame, model_ids in family_groups(items, families):
        for model in model_ids:
            rows = frame[frame["model_id"] == model]
            records.append(
                {
                    "family": family,
                    "model_id": model,
                    "kind": kind,
                    "n_params_total": int(rows["n_params_total"].iloc[0]),
                    "n_params_nonembedding": int(rows["n_params_nonembedding"].iloc[0]),
                    **group_summary(
                        rows, bootstrap=bootstrap, confidence=confidence, seed=seed, loss_column=LOSS_COLUMN
                    ),
                }
            )
    return pd.DataFrame.from_records(records)


def item_counts(summary: pd.DataFrame) -> pd.DataFrame:
    """Items scored per model (rows, each model once) and task kind (columns), from :func:`model_summary`."""
    counts = summary.drop_duplicates(["model_id", "kind"]).pivot(index="model_id", columns="kind", values="n_items")
    ordered_models = summary.drop_duplicates("model_id")["model_id"].tolist()
    ordered_kinds = sorted(counts.columns, key=kind_rank)
    counts = counts.loc[ordered_models, ordered_kinds]
    counts.columns.name = None
    return counts.astype("Int64")


def size_long(summary: pd.DataFrame) -> pd.DataFrame:
    """:func:`model_summary` with one row per size basis: columns ``size_basis`` and ``n_params``."""
    frames = [summary.assign(size_basis=basis, n_params=summary[column]) for basis, column in SIZE_BASES.items()]
    return pd.concat(frames, ignore_index=True)


def _families_of(summary: pd.DataFrame) -> dict[str, str]:
    """model id -> its families joined with ", " (a model is listed once)."""
    return (
        summary.groupby("model_id", sort=False)["family"].agg(lambda values: ", ".join(dict.fromkeys(values))).to_dict()
    )


def counts_markdown(summary: pd.DataFrame, labels: Mapping[str, str] | None = None) -> str:
    """:func:`item_counts` for readers: one row per model (each once), a column per task kind."""
    counts = item_counts(summary)
    families = _families_of(summary)
    sizes = summary.drop_duplicates("model_id").set_index("model_id")["n_params_total"]
    frame = pd.DataFrame(
        {
            "model": [f"`{short_name(m)}`" for m in counts.index],
            "family": [families[m] for m in counts.index],
            "parameters": [param_label(sizes[m]) for m in counts.index],
        }
    )
    column_labels = {"model": "model", "family": "family", "parameters": "parameters"}
    for kind in counts.columns:
        frame[kind] = ["—" if pd.isna(value) else f"{int(value):,}" for value in counts[kind]]
        column_labels[kind] = (labels or {}).get(kind, kind)
    return reader_table(frame, column_labels, filename="scaling-counts.csv")


def summary_markdown(summary: pd.DataFrame, labels: Mapping[str, str] | None = None) -> str:
    """:func:`model_summary` for readers: one row per (model, kind), each model once.

    Accuracy with its Wilson interval beside chance, loss with its bootstrap interval, both
    rounded to what the interval supports; long tables are collapsed.
    """
    if summary.empty:
        return "(no models scored)"
    table = summary.drop_duplicates(["model_id", "kind"]).copy()
    families = _families_of(summary)
    table = table.assign(_rank=table["kind"].map(lambda kind: kind_rank(kind)[0])).sort_values(
        ["_rank", "kind", "n_params_total"], kind="stable"
    )
    frame = pd.DataFrame(
        {
            "kind": [(labels or {}).get(kind, kind) for kind in table["kind"]],
            "model": [f"`{short_name(m)}`" for m in table["model_id"]],
            "family": [families[m] for m in table["model_id"]],
            "parameters": [param_label(n) for n in table["n_params_total"]],
            "items": [f"{n:,}" for n in table["n_items"]],
            "accuracy": [
                pct_interval(a, lo, hi)
                for a, lo, hi in zip(table["accuracy"], table["accuracy_low"], table["accuracy_high"])
            ],
            "chance": [f"{100 * c:.0f}%" if c > 0 else "0 (exact match)" for c in table["chance"]],
            "loss": [
                number_interval(v, lo, hi) for v, lo, hi in zip(table["loss"], table["loss_low"], table["loss_high"])
            ],
        }
    )
    return reader_table(
        frame,
        {
            "kind": "task kind",
            "model": "model",
            "family": "family",
            "parameters": "parameters",
            "items": "items",
            "accuracy": "accuracy [95% Wilson]",
            "chance": "chance",
            "loss": "gold-answer loss, nats/token [95% bootstrap]",
        },
        summary=f"Show every model and task kind ({len(frame)} rows)",
        filename="scaling-summary.csv",
    )


# ----------------------------------------------------------------------------- settings


def kind_labels(settings: Mapping) -> dict[str, str]:
    """Task kind -> a label naming its format and shots, from a config's ``settings``."""
    labels = {}
    for kind, setting in settings.items():
        name = KIND_NAMES.get(kind, setting.task)
        labels[kind] = f"{name}, {setting.shots}-shot" + (
            " (study)" if kind == "knowledge_fulltext" and setting.shots == 0 else ""
        )
    return labels


def default_task_kinds(profile: str, profiles_file: str | Path | None = None) -> list[str]:
    """The kinds of :data:`DEFAULT_KINDS` that ``profile`` defines (for the notebook's ``task_kinds=None``)."""
    from helpers.experiments.config import load_profile

    chosen = load_profile(profile, profiles_file)
    return [kind for kind in DEFAULT_KINDS if kind in chosen.tasks]


def settings_table(families: Mapping[str, Sequence[str]], settings: Mapping) -> pd.DataFrame:
    """What a run measures, one row per task kind: task, shots, limit, and the models per family.

    ``families`` and ``settings`` are an :class:`helpers.experiments.config.ExperimentConfig`'s fields.
    """
    models = "; ".join(f"{family}: {', '.join(sources)}" for family, sources in families.items())
    return pd.DataFrame(
        [
            {
                "kind": kind,
                "task": setting.task,
                "shots": setting.shots,
                "limit": "all" if setting.limit is None else setting.limit,
                "models": models,
            }
            for kind, setting in settings.items()
        ]
    ).set_index("kind")


def settings_markdown(families: Mapping[str, Sequence[str]], settings: Mapping) -> str:
    """:func:`settings_table` for readers (limits are per subject / per file, as the profile says)."""
    rows = pd.DataFrame(
        [
            {
                "kind": kind,
                "task": f"`{setting.task}`",
                "shots": str(setting.shots),
                "limit": "all items" if setting.limit is None else f"first {setting.limit} per subject or file",
            }
            for kind, setting in settings.items()
        ]
    )
    table = reader_table(
        rows, {"kind": "task kind", "task": "task", "shots": "shots", "limit": "items"}, filename="scaling-settings.csv"
    )
    members = "; ".join(
        f"**{family}**: {', '.join(f'`{source}`' for source in sources)}" for family, sources in families.items()
    )
    return f"{table}\n\nFamilies (smallest first): {members}."
