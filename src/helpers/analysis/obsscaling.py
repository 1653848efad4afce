"""Published results of ~150 base models in 47 families (Observational Scaling Laws data, Ruan et al. 2024).

``data/reference/obsscaling/`` (provenance and licence in its ``SOURCES.md``) holds two files
read here:

* ``base_llm_benchmark_eval.csv``: one row per model: family, size, training tokens, training
  FLOPs (6·N·D, empty where the authors did not know the tokens) and Open LLM Leaderboard v1
  scores, among them MMLU (5-shot, **letter** format, the unweighted mean of 57 subject
  accuracies) and GSM8K (5-shot, 1,319 test problems).
* ``base_llm_emergent_capability_eval.csv``: GPT-3 arithmetic accuracies of lm-evaluation-harness
  (``arithmetic_2da``, ``3da``, ``3ds``, ``2dm``; 2,000 items per task), few-shot: the column
  names end in ``_2`` (the shot count as labelled in the file; unconfirmed in the paper).

Every reader validates its columns: a missing or renamed column raises
:class:`ObsScalingDataError` naming the column and the file. Nothing is dropped silently:
:func:`usable` returns the rows it keeps *and* an :class:`Exclusion` per model it leaves out
(no FLOPs, no value, or the only model of its family), and :func:`exclusion_text` names them.

Standard errors match how the numbers were made (:func:`leaderboard_mmlu_se`): the leaderboard's
MMLU is the unweighted mean of 57 subject accuracies, so its variance is
``sum_s p_s (1 - p_s) / n_s / 57**2`` over the subjects' test sizes ``n_s`` (14,042 items in
all, read from ``data/mmlu/test``); per-subject accuracies are not published, so each ``p_s`` is
taken equal to the model's aggregate (the assumption is stated wherever the number is used).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.core.tasks.mmlu import CHANCE
from helpers.infra.paths import DATA_DIR

OBS_DIR = DATA_DIR / "reference" / "obsscaling"
BENCHMARK_CSV = OBS_DIR / "base_llm_benchmark_eval.csv"
EMERGENT_CSV = OBS_DIR / "base_llm_emergent_capability_eval.csv"
MMLU_TEST_DIR = DATA_DIR / "mmlu" / "test"

BENCHMARK_COLUMNS = {
    "Model": "model",
    "Model Family": "family",
    "Model Size (B)": "params_b",
    "Pretraining Data Size (T)": "tokens_t",
    "FLOPs (1E21)": "flops_1e21",
    "MMLU": "mmlu",
    "ARC-C": "arc_c",
    "HellaSwag": "hellaswag",
    "Winograd": "winogrande",
    "TruthfulQA": "truthfulqa",
    "GSM8K": "gsm8k",
    "XWinograd": "xwinograd",
    "HumanEval": "humaneval",
}
"""Columns of the benchmark file -> the names used here."""
ARITHMETIC_COLUMNS = {
    "arithmetic_2da_2_acc": "arith_2da",
    "arithmetic_3da_2_acc": "arith_3da",
    "arithmetic_3ds_2_acc": "arith_3ds",
    "arithmetic_2dm_2_acc": "arith_2dm",
}
"""Columns of the emergent-capability file used here -> our names (plus ``Model``)."""
ARITHMETIC_LABELS = {
    "arith_2da": "2-digit addition",
    "arith_3da": "3-digit addition",
    "arith_3ds": "3-digit subtraction",
    "arith_2dm": "2-digit multiplication",
}
ARITHMETIC_N = 2000
"""Items per lm-evaluation-harness arithmetic task (each task's test set has 2,000 problems)."""
ARITHMETIC_SHOTS = "few-shot, as labelled in the file (`_2`, i.e. 2-shot), unconfirmed in the paper"
GSM8K_N = 1319
"""GSM8K test problems (the leaderboard scores all of them): the size of the test split of Cobbe et al. 2021,
"Training Verifiers to Solve Math Word Problems" (arXiv 2110.14168); the benchmark file gives accuracies, not counts."""
MMLU_CHANCE = CHANCE
"""Chance for a uniform guess among four letters (:data:`helpers.core.tasks.mmlu.CHANCE`); in the letter format
the answer-length bias of
full-text scoring does not apply, so the length-aware baseline is also about 25%."""
X_AXES = {
    "flops": ("flops", "training FLOPs"),
    "params": ("params", "parameters"),
    "tokens": ("tokens", "training tokens"),
}
"""x-axis choice -> (column, label)."""


class ObsScalingDataError(ValueError):
    """A reference file that does not have the expected columns or values."""


@dataclass(frozen=True)
class Exclusion:
    """One model left out of a view, and why (shown in the chapter, never silent)."""

    model: str
    family: str
    reason: str


def _read(path: Path, expected: list[str]) -> pd.DataFrame:
    path = Path(path)
    if not path.is_file():
        raise ObsScalingDataError(f"{path}: file not found; it ships in data/reference/obsscaling (see SOURCES.md).")
    frame = pd.read_csv(path)
    missing = [column for column in expected if column not in frame.columns]
    if missing:
        raise ObsScalingDataError(
            f"{path.name}: column(s) {missing} missing (renamed or removed?); expected {expected}, "
            f"found {list(frame.columns)}."
        )
    duplicated = frame["Model"][frame["Model"].duplicated()].tolist()
    if duplicated:
        raise ObsScalingDataError(f"{path.name}: models {duplicated} appear more than once; each model once.")
    for column in expected[1:]:
        if column == "Model Family":
            continue
        values = pd.to_numeric(frame[column], errors="coerce")
        bad = frame["Model"][values.isna() & frame[column].notna()].tolist()
        if bad:
            raise ObsScalingDataError(f"{path.name}: column {column!r} is not numeric for models {bad}.")
    return frame


def read_benchmark(path: str | Path | None = None) -> pd.DataFrame:
    """The benchmark file, one row per model: ``model, family, params, tokens, flops`` (plain
    counts; NaN where unknown) and the benchmark columns (proportions in [0, 1])."""
    path = Path(path) if path is not None else BENCHMARK_CSV
    frame = _read(path, list(BENCHMARK_COLUMNS)).rename(columns=BENCHMARK_COLUMNS)
    frame = frame[list(BENCHMARK_COLUMNS.values())].copy()
    blank = frame["model"][frame["family"].isna()].tolist()
    if blank:
        raise ObsScalingDataError(f"{path.name}: 'Model Family' is empty for models {blank}.")
    for column in list(BENCHMARK_COLUMNS.values())[2:]:
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    frame["params"] = frame["params_b"] * 1e9
    frame["tokens"] = frame["tokens_t"] * 1e12
    frame["flops"] = frame["flops_1e21"] * 1e21
    return frame.reset_index(drop=True)


def read_emergent(path: str | Path | None = None, benchmark: pd.DataFrame | None = None) -> pd.DataFrame:
    """The arithmetic accuracies, joined to the benchmark file's family, size and FLOPs.

    Models of the emergent file absent from the benchmark file have no family or size: they are
    kept with ``family`` NaN and left out (named) by :func:`usable`.
    """
    path = Path(path) if path is not None else EMERGENT_CSV
    frame = _read(path, ["Model", *ARITHMETIC_COLUMNS]).rename(columns={"Model": "model", **ARITHMETIC_COLUMNS})
    frame = frame[["model", *ARITHMETIC_COLUMNS.values()]].copy()
    for column in ARITHMETIC_COLUMNS.values():
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    benchmark = read_benchmark() if benchmark is None else benchmark
    meta = benchmark[["model", "family", "params", "tokens", "flops", "mmlu", "gsm8k"]]
    return frame.merge(meta, on="model", how="left", validate="one_to_one")


def usable(
    frame: pd.DataFrame, x: str, y: str, *, families=None, min_per_family: int = 1, exclude_models=()
) -> tuple[pd.DataFrame, list[Exclusion]]:
    """Rows with a value of ``x`` and ``y``, in ``families`` (all when None), and the models left out.

    Reasons, in order: named in ``exclude_models`` (a dict model -> reason), no family (not in the
    benchmark file), no ``x`` (e.g. no FLOPs: training tokens unknown), no ``y``, and, when
    ``min_per_family`` > 1, fewer such models in the family than that (e.g. a one-model family
    for a within-family trend). Unknown ``x``/``y`` columns raise :class:`ObsScalingDataError`.
    """
    for column in (x, y):
        if column not in frame.columns:
            raise ObsScalingDataError(f"column {column!r} is not in the table; available: {list(frame.columns)}.")
    rows = frame if families is None else frame[frame["family"].isin(list(families))]
    if families is not None:
        unknown = sorted(set(families) - set(frame["family"].dropna()))
        if unknown:
            raise ObsScalingDataError(
                f"families {unknown} are not in the file; known: {sorted(frame['family'].dropna().unique())}."
            )
    exclude_models = dict(exclude_models)
    excluded, keep = [], []
    for _, row in rows.iterrows():
        family = "" if pd.isna(row["family"]) else str(row["family"])
        if row["model"] in exclude_models:
            excluded.append(Exclusion(row["model"], family, exclude_models[row["model"]]))
        elif not family:
            excluded.append(Exclusion(row["model"], "", "not in the benchmark file (no family or size)"))
        elif pd.isna(row[x]):
            excluded.append(Exclusion(row["model"], family, f"no {x} in the file"))
        elif pd.isna(row[y]):
            excluded.append(Exclusion(row["model"], family, f"no {y} in the file"))
        else:
            keep.append(row.name)
    kept = rows.loc[keep]
    if min_per_family > 1:
        sizes = kept.groupby("family")["model"].transform("size")
        few = kept[sizes < min_per_family]
        excluded += [
            Exclusion(m, f, f"fewer than {min_per_family} models of its family with {x} and {y}")
            for m, f in zip(few["model"], few["family"])
        ]
        kept = kept[sizes >= min_per_family]
    return kept.reset_index(drop=True), excluded


def exclusion_text(excluded: list[Exclusion]) -> str:
    """One sentence per reason naming every model left out; "No model was left out." when none."""
    if not excluded:
        return "No model was left out."
    by_reason: dict[str, list[str]] = {}
    for item in excluded:
        by_reason.setdefault(item.reason, []).append(item.model)
    return " ".join(f"Left out ({reason}, {len(models)}): {', '.join(models)}." for reason, models in by_reason.items())


# ----------------------------------------------------------------------------- standard errors


@lru_cache(maxsize=4)
def mmlu_subjects(directory: str | None = None) -> dict[str, int]:
    """Test-set size of each of the 57 MMLU subjects, by subject name (14,042 items in all)."""
    folder = Path(directory) if directory is not None else MMLU_TEST_DIR
    files = sorted(folder.glob("*_test.csv"))
    if len(files) != 57:
        raise ObsScalingDataError(f"{folder}: expected 57 MMLU subject files (*_test.csv), found {len(files)}.")
    return {file.name.removesuffix("_test.csv"): len(pd.read_csv(file, header=None)) for file in files}


def mmlu_subject_sizes(directory: str | None = None) -> tuple[int, ...]:
    """Test-set sizes of the 57 MMLU subjects, sorted by subject."""
    return tuple(mmlu_subjects(directory).values())


def leaderboard_mmlu_se(accuracy, sizes=None) -> np.ndarray:
    """Standard error of an unweighted mean of 57 subject accuracies, ``sqrt(sum_s p(1-p)/n_s) / 57``.

    Each subject's accuracy is taken equal to the aggregate ``accuracy`` (per-subject numbers are
    not published). ``sizes``: subject test sizes (default :func:`mmlu_subject_sizes`).
    """
    sizes = np.asarray(mmlu_subject_sizes() if sizes is None else sizes, dtype=float)
    p = np.asarray(accuracy, dtype=float)
    return np.sqrt(p * (1 - p) * np.sum(1.0 / sizes)) / sizes.size


def subject_mean_se(subject_accuracy, sizes) -> float:
    """The same standard error when each subject's own accuracy is known (published full-text runs)."""
    p, n = np.asarray(subject_accuracy, dtype=float), np.asarray(sizes, dtype=float)
    return float(np.sqrt(np.sum(p * (1 - p) / n)) / n.size)


def effective_n(sizes=None) -> float:
    """Items a pooled proportion would need for the unweighted mean's variance: ``57**2 / sum(1/n_s)``."""
    sizes = np.asarray(mmlu_subject_sizes() if sizes is None else sizes, dtype=float)
    return float(sizes.size**2 / np.sum(1.0 / sizes))


def adjusted_se(accuracy, n) -> np.ndarray:
    """Agresti-Coull standard error ``sqrt(p~(1-p~)/(n+4))``, ``p~ = (k+2)/(n+4)``: never 0 at 0% or 100%."""
    p = np.asarray(accuracy, dtype=float)
    adjusted = (p * n + 2) / (n + 4)
    return np.sqrt(adjusted * (1 - adjusted) / (n + 4))
