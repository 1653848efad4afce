"""Published lm-evaluation-harness results for Pythia, OPT and BLOOM (EleutherAI/pythia ``evals/``).

The tidy table ``data/reference/lm_eval_published.csv.gz`` (one row per model, checkpoint,
shots, task and metric; provenance and caveats in ``data/reference/SOURCES.md``) is the
report's external reference: our own scores of the same models can be set beside it, and
its MMLU-math and LAMBADA numbers show the knowledge-vs-loss contrast without any compute.

Caveats carried into the code:

* MMLU here is harness ``hendrycksTest-*`` version 0 (full answer text scored, not the
  letter), so it is not one-to-one comparable with letter-scored MMLU.
* pythia-2.8b and pythia-2.8b-deduped rows with ``step <= 43000`` are suspect
  (:data:`SUSPECT_MODELS`, :data:`SUSPECT_MAX_STEP`); :func:`over_training` flags them.
* LAMBADA ``ppl`` is exp(mean NLL of the target *word*), not a per-token perplexity.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.analysis.inference import binomial_vs_chance
from helpers.core.tasks.mmlu import CHANCE as MMLU_CHANCE
from helpers.infra.paths import DATA_DIR

PUBLISHED_CSV = DATA_DIR / "reference" / "lm_eval_published.csv.gz"

COLUMN_DTYPES = {
    "family": "string",
    "model": "string",
    "hf_id": "string",
    "params": "int64",
    "step": "Int64",  # nullable: empty for OPT / BLOOM (final models only)
    "num_fewshot": "int64",
    "task": "string",
    "task_version": "int64",
    "metric": "string",
    "value": "float64",
    "stderr": "float64",
    "source_path": "string",
}
FAMILIES = ("pythia", "pythia-deduped", "opt", "bloom")
PYTHIA_FAMILIES = ("pythia", "pythia-deduped")
METRICS = ("acc", "acc_norm", "ppl", "likelihood_difference", "pct_stereotype")
KEY_COLUMNS = ["family", "model", "step", "num_fewshot", "task", "metric"]

MMLU_MATH_SIZES = {
    "hendrycksTest-abstract_algebra": 100,
    "hendrycksTest-college_mathematics": 100,
    "hendrycksTest-elementary_mathematics": 378,
    "hendrycksTest-high_school_mathematics": 270,
    "hendrycksTest-high_school_statistics": 216,
}
"""The five MMLU math subjects and their test-set sizes (N = 1064), from SOURCES.md."""

EVAL_SET_SIZES = {
    **MMLU_MATH_SIZES,
    "lambada_openai": 5153,
    "piqa": 1838,
    "arc_easy": 2376,
    "arc_challenge": 1172,
    "sciq": 1000,
    "winogrande": 1267,
    "wsc": 104,
    "logiqa": 651,
}
"""Eval-set sizes recovered in SOURCES.md (n = p(1-p)/se² + 1); used to size-weight tasks."""

SUSPECT_MODELS = ("pythia-2.8b", "pythia-2.8b-deduped")
SUSPECT_MAX_STEP = 43000
"""Caveat 1 of SOURCES.md: these two runs are not independent at steps <= 43000."""

TOKENS_PER_STEP = 1024 * 2048
"""Pythia batch: 1024 sequences of 2048 tokens per optimiser step."""


class ReferenceDataError(ValueError):
    """The published-results table is missing, malformed, or lacks the rows asked for."""


# ------------------------------------------------------------------------------ load


@functools.lru_cache(maxsize=4)
def _read_published(path: str) -> pd.DataFrame:
    file = Path(path)
    if not file.is_file():
        raise ReferenceDataError(
            f"published results not found at {file}; restore data/reference/lm_eval_published.csv.gz "
            "from git (see data/reference/SOURCES.md) or set CC_DATA_DIR to the data folder."
        )
    try:
        frame = pd.read_csv(file, dtype={"step": "Int64"}, keep_default_na=False, na_values={"step": [""]})
    except (OSError, ValueError, pd.errors.ParserError) as error:
        raise ReferenceDataError(f"cannot parse {file} as a gzip CSV: {error}") from error
    missing = [column for column in COLUMN_DTYPES if column not in frame.columns]
    extra = [column for column in frame.columns if column not in COLUMN_DTYPES]
    if missing or extra:
        raise ReferenceDataError(
            f"{file} has unexpected columns (missing {missing}, extra {extra}); expected "
            f"{list(COLUMN_DTYPES)} as documented in data/reference/SOURCES.md."
        )
    try:
        frame = frame[list(COLUMN_DTYPES)].astype(COLUMN_DTYPES)
    except (ValueError, TypeError) as error:
        raise ReferenceDataError(f"{file}: a column does not have its documented type: {error}") from error
    _validate(frame, file)
    return frame


def _validate(frame: pd.DataFrame, file: Path) -> None:
    unknown_families = sorted(set(frame["family"]) - set(FAMILIES))
    if unknown_families:
        raise ReferenceDataError(f"{file}: unknown family values {unknown_families}; expected {FAMILIES}.")
    unknown_metrics = sorted(set(frame["metric"]) - set(METRICS))
    if unknown_metrics:
        raise ReferenceDataError(f"{file}: unknown metric values {unknown_metrics}; expected {METRICS}.")
    bad_shots = sorted(set(frame["num_fewshot"]) - {0, 5})
    if bad_shots:
        raise ReferenceDataError(f"{file}: num_fewshot values {bad_shots}; expected 0 or 5.")
    numbers = frame[["value", "stderr"]].to_numpy(dtype=np.float64)
    if not np.isfinite(numbers).all():
        raise ReferenceDataError(f"{file}: value/stderr contain NaN or inf.")
    is_pythia = frame["family"].isin(PYTHIA_FAMILIES)
    if frame.loc[is_pythia, "step"].isna().any() or frame.loc[~is_pythia, "step"].notna().any():
        raise ReferenceDataError(f"{file}: step must be set for Pythia rows and empty for OPT/BLOOM rows.")
    duplicated = frame.duplicated(KEY_COLUMNS)
    if duplicated.any():
        first = frame.loc[duplicated, KEY_COLUMNS].iloc[0].to_dict()
        raise ReferenceDataError(f"{file}: duplicate rows for key {first}.")


def load_published(path: str | Path | None = None) -> pd.DataFrame:
    """The published results as a typed, validated DataFrame (a fresh copy on every call).

    Columns and dtypes: :data:`COLUMN_DTYPES`; ``step`` is a nullable integer (``<NA>`` for
    OPT and BLOOM). Raises :class:`ReferenceDataError` if the file is missing or malformed.
    """
    return _read_published(str(Path(path) if path is not None else PUBLISHED_CSV)).copy()


# ------------------------------------------------------------------------- selection


def final_checkpoint(df: pd.DataFrame) -> pd.DataFrame:
    """Rows at each model's final checkpoint: its largest step (Pythia) or step ``<NA>`` (OPT/BLOOM)."""
    _require_columns(df, ["model", "step"])
    last_step = df.groupby("model")["step"].transform("max")
    return df[df["step"].isna() | (df["step"] == last_step)]


def _require_columns(df: pd.DataFrame, columns) -> None:
    missing = [column for column in columns if column not in df.columns]
    if missing:
        raise ReferenceDataError(f"DataFrame lacks columns {missing}; pass the output of load_published().")


def _select_shots(df: pd.DataFrame, shots: int) -> pd.DataFrame:
    available = sorted(int(value) for value in df["num_fewshot"].unique())
    if shots not in available:
        raise ReferenceDataError(f"shots={shots!r} not in the table; available: {available}.")
    return df[df["num_fewshot"] == shots]


def _combine_tasks(rows: pd.DataFrame, sizes: dict[str, int], group_columns: list[str]) -> pd.DataFrame:
    """Size-weighted mean of ``value`` over tasks, with stderr sqrt(sum((n_i se_i)^2)) / N.

    ``rows`` holds one metric; every group must have every task of ``sizes``.
    """
    rows = rows.assign(weight=rows["task"].map(sizes).astype("float64"))
    rows = rows.assign(
        weighted_value=rows["weight"] * rows["value"],
        weighted_se_sq=(rows["weight"] * rows["stderr"]) ** 2,
    )
    grouped = rows.groupby(group_columns, sort=False, dropna=False)
    combined = grouped.agg(
        n_tasks=("task", "nunique"),
        n_items=("weight", "sum"),
        weighted_value=("weighted_value", "sum"),
        weighted_se_sq=("weighted_se_sq", "sum"),
    ).reset_index()
    incomplete = combined[combined["n_tasks"] != len(sizes)]
    if not incomplete.empty:
        first = incomplete.iloc[0][group_columns].to_dict()
        raise ReferenceDataError(
            f"{first} has {int(incomplete.iloc[0]['n_tasks'])} of the {len(sizes)} tasks {sorted(sizes)}; "
            "cannot form a size-weighted mean."
        )
    combined["value"] = combined["weighted_value"] / combined["n_items"]
    combined["stderr"] = np.sqrt(combined["weighted_se_sq"]) / combined["n_items"]
    combined["n_items"] = combined["n_items"].astype("int64")
    return combined.drop(columns=["n_tasks", "weighted_value", "weighted_se_sq"])


def _order_models(frame: pd.DataFrame) -> pd.DataFrame:
    family_rank = frame["family"].map({family: rank for rank, family in enumerate(FAMILIES)})
    return (
        frame.assign(_family_rank=family_rank)
        .sort_values(["_family_rank", "params", "model"], kind="stable")
        .drop(columns="_family_rank")
        .reset_index(drop=True)
    )


# ------------------------------------------------------------------------- summaries


def mmlu_math_summary(df: pd.DataFrame, shots: int = 0) -> pd.DataFrame:
    """MMLU-math accuracy per model at the final checkpoint (size-weighted over 5 subjects).

    One row per model: ``family, model, params, num_fewshot, n_items`` (1064), ``acc``,
    ``acc_stderr``, ``acc_norm``, ``acc_norm_stderr``. The mean weights each subject by its
    test-set size (:data:`MMLU_MATH_SIZES`); the stderr is ``sqrt(sum((n_i se_i)^2)) / N``
    (subjects assumed independent), as defined in SOURCES.md's derived summary.
    """
    _require_columns(df, COLUMN_DTYPES)
    rows = _select_shots(final_checkpoint(df), shots)
    rows = rows[rows["task"].isin(list(MMLU_MATH_SIZES))]
    group_columns = ["family", "model", "params", "num_fewshot"]
    summaries = []
    for metric in ("acc", "acc_norm"):
        combined = _combine_tasks(rows[rows["metric"] == metric], MMLU_MATH_SIZES, group_columns)
        summaries.append(combined.rename(columns={"value": metric, "stderr": f"{metric}_stderr"}))
    summary = summaries[0].merge(summaries[1], on=group_columns + ["n_items"], how="outer", validate="one_to_one")
    return _order_models(summary)


def mmlu_math_long(summary: pd.DataFrame) -> pd.DataFrame:
    """:func:`mmlu_math_summary` with one row per (model, metric in acc/acc_norm) and exact intervals.

    Columns: ``family, model, params, metric, n`` (items), ``value, k`` (items right: ``value * n``
    rounded), ``stderr`` (as published), ``low, high`` (exact Clopper-Pearson 95% from ``k`` of ``n``).
    """
    needed = ["family", "model", "params", "n_items", "acc", "acc_stderr", "acc_norm", "acc_norm_stderr"]
    missing = [column for column in needed if column not in summary.columns]
    if missing:
        raise ReferenceDataError(f"mmlu_math_long: the summary lacks columns {missing}; pass mmlu_math_summary(...).")
    frames = []
    for metric in ("acc", "acc_norm"):
        frame = summary[["family", "model", "params"]].copy()
        frame["family"] = frame["family"].astype(str)
        frame["model"] = frame["model"].astype(str)
        frame["metric"] = metric
        frame["n"] = summary["n_items"].astype(int).to_numpy()
        frame["value"] = summary[metric].astype(float).to_numpy()
        frame["k"] = np.rint(frame["value"] * frame["n"]).astype(int)
        frame["stderr"] = summary[f"{metric}_stderr"].astype(float).to_numpy()
        frames.append(frame)
    long = pd.concat(frames, ignore_index=True)
    tests = [binomial_vs_chance(k, n, MMLU_CHANCE, "two-sided") for k, n in zip(long["k"], long["n"])]
    long["low"] = [test.low for test in tests]
    long["high"] = [test.high for test in tests]
    return long


def lambada_summary(df: pd.DataFrame, shots: int = 0) -> pd.DataFrame:
    """LAMBADA (OpenAI) perplexity and accuracy per model at the final checkpoint.

    Columns: ``family, model, params, num_fewshot, ppl, ppl_stderr, acc, acc_stderr``.
    ``ppl`` is exp(mean NLL of the target word), not a per-token perplexity.
    """
    _require_columns(df, COLUMN_DTYPES)
    rows = _select_shots(final_checkpoint(df), shots)
    rows = rows[(rows["task"] == "lambada_openai") & rows["metric"].isin(["ppl", "acc"])]
    if rows.empty:
        raise ReferenceDataError(f"no lambada_openai rows at shots={shots}.")
    wide = rows.pivot_table(
        index=["family", "model", "params", "num_fewshot"],
        columns="metric",
        values=["value", "stderr"],
        aggfunc="first",
    )
    summary = pd.DataFrame(
        {
            "ppl": wide[("value", "ppl")],
            "ppl_stderr": wide[("stderr", "ppl")],
            "acc": wide[("value", "acc")],
            "acc_stderr": wide[("stderr", "acc")],
        }
    ).reset_index()
    summary.columns.name = None
    return _order_models(summary)


@dataclass(frozen=True)
class FoldChange:
    """Ratio of a summary column between a family's smallest and largest model."""

    family: str
    column: str
    smallest_model: str
    largest_model: str
    smallest_value: float
    largest_value: float
    ratio: float  # smallest_value / largest_value


def fold_change(summary: pd.DataFrame, family: str, column: str = "ppl") -> FoldChange:
    """``column`` of the family's smallest model divided by that of its largest (by ``params``).

    For perplexity this is how many times lower the largest model's perplexity is, e.g.
    Pythia 70m -> 12b 0-shot LAMBADA: 142.429 / 3.924 ≈ 36.3.
    """
    _require_columns(summary, ["family", "model", "params", column])
    members = summary[summary["family"] == family]
    if members.empty:
        raise ReferenceDataError(
            f"family {family!r} not in the summary; available: {sorted(summary['family'].unique())}."
        )
    members = members.sort_values("params", kind="stable")
    smallest, largest = members.iloc[0], members.iloc[-1]
    if largest[column] == 0:
        raise ReferenceDataError(f"{largest['model']} has {column} = 0; the ratio is undefined.")
    return FoldChange(
        family=family,
        column=column,
        smallest_model=str(smallest["model"]),
        largest_model=str(largest["model"]),
        smallest_value=float(smallest[column]),
        largest_value=float(largest[column]),
        ratio=float(smallest[column] / largest[column]),
    )


def over_training(
    df: pd.DataFrame, task_pattern: str, metric: str, shots: int = 0, combine: bool = False
) -> pd.DataFrame:
    """A metric along Pythia's training steps, with caveat-1 rows flagged.

    ``task_pattern`` is a regular expression matched in full against task names (e.g.
    ``"lambada_openai"`` or ``r"hendrycksTest-(abstract_algebra|college_mathematics)"``).
    With ``combine=False`` there is one row per (model, step, task); with ``combine=True``
    the matched tasks are size-weighted (:data:`EVAL_SET_SIZES`) into one row per
    (model, step), ``task`` then naming the pattern.

    Columns: ``family, model, params, num_fewshot, step, tokens_seen, task, value, stderr,
    suspect``. ``suspect`` marks pythia-2.8b / pythia-2.8b-deduped at ``step <= 43000``.
    """
    _require_columns(df, COLUMN_DTYPES)
    try:
        pattern = re.compile(task_pattern)
    except re.error as error:
        raise ReferenceDataError(f"task_pattern {task_pattern!r} is not a valid regex: {error}") from error
    rows = _select_shots(df[df["family"].isin(PYTHIA_FAMILIES)], shots)
    tasks = sorted(task for task in rows["task"].unique() if pattern.fullmatch(task))
    if not tasks:
        raise ReferenceDataError(f"task_pattern {task_pattern!r} matches no task at shots={shots}.")
    rows = rows[rows["task"].isin(tasks) & (rows["metric"] == metric)]
    if rows.empty:
        raise ReferenceDataError(f"no {metric!r} rows for tasks {tasks} at shots={shots}.")
    columns = ["family", "model", "params", "num_fewshot", "step"]
    if combine:
        unknown = [task for task in tasks if task not in EVAL_SET_SIZES]
        if unknown:
            raise ReferenceDataError(f"combine=True needs eval-set sizes; unknown for {unknown}. Use combine=False.")
        rows = _combine_tasks(rows, {task: EVAL_SET_SIZES[task] for task in tasks}, columns)
        rows = rows.drop(columns="n_items").assign(task=task_pattern)
    result = rows[columns + ["task", "value", "stderr"]].copy()
    tokens_seen = result["step"].astype("int64") * TOKENS_PER_STEP
    result.insert(result.columns.get_loc("step") + 1, "tokens_seen", tokens_seen)
    result["suspect"] = result["model"].isin(SUSPECT_MODELS) & (result["step"] <= SUSPECT_MAX_STEP)
    result["suspect"] = result["suspect"].astype(bool)
    return _order_models(result.sort_values(["model", "step", "task"], kind="stable"))


def chance_check(
    summary: pd.DataFrame, column: str = "acc", chance: float = MMLU_CHANCE, n_stderr: float = 2.0
) -> pd.DataFrame:
    """Whether each model's accuracy is within ``n_stderr`` standard errors of ``chance``.

    Takes :func:`mmlu_math_summary` output; adds ``z_vs_chance`` = (value - chance) / stderr
    and ``within_chance`` (``|z| <= n_stderr``).
    """
    stderr_column = f"{column}_stderr"
    _require_columns(summary, ["model", column, stderr_column])
    if (summary[stderr_column] <= 0).any():
        bad = summary.loc[summary[stderr_column] <= 0, "model"].iloc[0]
        raise ReferenceDataError(f"{bad} has a non-positive {stderr_column}; cannot compare with chance.")
    z_scores = (summary[column] - chance) / summary[stderr_column]
    return summary.assign(z_vs_chance=z_scores, within_chance=z_scores.abs() <= n_stderr)
