"""Tables behind the task-contrast notebook: one model set, three kinds of task.

Every function takes the per-item table of :func:`helpers.analysis.items.item_table` (one row per
model, task and item with every metric) and returns a tidy :class:`pandas.DataFrame`. This
module holds what the others share (labels, the family table, input checks) and section 1:

* :func:`side_by_side`: accuracy (Wilson interval) and gold-answer loss per token (bootstrap
  interval) per model and task kind, with the chance rate;
* :func:`chance_positions`: each model once per kind, an exact two-sided binomial test against
  chance, Holm-corrected across the models scored on that kind;
* :func:`majority_baselines`: for the paraphrase task (MRPC/QQP), the majority label's share of
  the items each model actually scored, beside 50%.

The other sections: :mod:`~helpers.experiments.task_contrast.chain` (Schaeffer et al. 2024,
within each family), :mod:`~helpers.experiments.task_contrast.letters` (below chance and letter
bias), :mod:`~helpers.experiments.task_contrast.formats` (scoring formats, arithmetic) and
:mod:`~helpers.experiments.task_contrast.text` (tables and sentences for readers).

Models are grouped by family with ``families``: family name -> model ids, as
``config.family_model_ids()`` gives them. Bad input raises :class:`ContrastInputError` naming
the bad value and the remedy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from helpers.analysis.baselines import majority_label_share
from helpers.analysis.inference import chance_family
from helpers.analysis.resampling import check_resamples
from helpers.analysis.summaries import chance_level, group_summary
from helpers.analysis.verdicts import ALPHA
from helpers.render.tables import require_columns, require_listed

SIZE_COLUMNS = ("n_params_nonembedding", "n_params_total")
"""Columns of the item table that can serve as model size."""

KIND_LABELS = {
    "knowledge": "knowledge: MMLU-math (letter)",
    "knowledge_5shot": "knowledge: MMLU-math (letter, 5-shot)",
    "knowledge_fulltext": "knowledge: MMLU-math (full text)",
    "procedure": "procedure: arithmetic",
    "pattern": "pattern: paraphrase (MRPC/QQP)",
}
"""Display label of each task kind, in the order the notebook shows them."""

SIDE_BY_SIDE_KINDS = ("knowledge", "procedure", "pattern")
"""The three kinds of task the report contrasts."""
SIDE_BY_SIDE_COLUMNS = (
    "n_items",
    "n_correct",
    "accuracy",
    "accuracy_low",
    "accuracy_high",
    "chance",
    "majority",
    "loss",
    "loss_low",
    "loss_high",
)
"""Columns of :func:`side_by_side` from :func:`helpers.analysis.summaries.group_summary`, in its order."""
POSITIONS = ("below chance", "above chance", "not distinguishable from chance", "any item right", "no item right")


class ContrastInputError(ValueError):
    """The item table or a parameter cannot give the requested contrast."""


# ------------------------------------------------------------------------------ helpers


def short_model_name(model_id: str) -> str:
    """Display name: ``"random:pythia-70m"`` -> ``"pythia-70m"``, ``"EleutherAI/opt-125m"`` -> ``"opt-125m"``."""
    name = str(model_id)
    if name.startswith("local:"):
        return name.rstrip("/").rsplit("/", 1)[-1]
    return name.split(":", 1)[-1].rsplit("/", 1)[-1]


def require(items: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    """Raise :class:`ContrastInputError` unless ``items`` is a DataFrame with ``columns``."""
    require_columns(items, columns, what, "pass helpers.analysis.items.item_table(rows)", ContrastInputError)


def check_size_column(size_column: str) -> None:
    """Raise :class:`ContrastInputError` unless ``size_column`` is one of :data:`SIZE_COLUMNS`."""
    if size_column not in SIZE_COLUMNS:
        raise ContrastInputError(f"size_column={size_column!r}: choose one of {list(SIZE_COLUMNS)}.")


def check_alpha(alpha: float) -> None:
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0.0 < alpha < 1.0:
        raise ContrastInputError(f"alpha={alpha!r}: expected a significance level in (0, 1), e.g. 0.05.")


def kinds_present(items: pd.DataFrame, kinds: Sequence[str] | None, default: Sequence[str]) -> list[str]:
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
    return require_listed(kinds, present, "kinds", "score them first or leave them out", ContrastInputError)


def view_inputs(
    items: pd.DataFrame,
    families: Mapping[str, Sequence[str]],
    kinds: Sequence[str] | None,
    default_kinds: Sequence[str],
    size_column: str,
    bootstrap: int,
    columns: Sequence[str],
    what: str,
) -> tuple[list[str], pd.DataFrame]:
    """The checks a per-kind view of the item table makes first, then what it iterates over:
    ``(kinds, models)`` = (:func:`kinds_present` of ``kinds`` or ``default_kinds``, :func:`model_families`).

    Raises :class:`ContrastInputError` (naming ``what``) for missing ``columns`` (``size_column`` is
    added), a size column other than :data:`SIZE_COLUMNS` or a bootstrap count that is neither 0 nor
    at least 100.
    """
    require(items, [*columns, size_column], what)
    check_size_column(size_column)
    check_resamples(bootstrap, error=ContrastInputError)
    return kinds_present(items, kinds, default_kinds), model_families(items, families, size_column)


def model_families(
    items: pd.DataFrame, families: Mapping[str, Sequence[str]], size_column: str = "n_params_nonembedding"
) -> pd.DataFrame:
    """One row per (family, model) of ``families`` found in ``items``: model size and display name.

    Columns: ``family, model_id, model, n_params`` (from ``size_column``), sorted by family
    order then size. A model may belong to several families (it then has several rows). A
    model id that has no rows in the table, or a model of the table that is in no family,
    raises :class:`ContrastInputError`.
    """
    check_size_column(size_column)
    require(items, ["model_id", size_column], "model_families")
    if not isinstance(families, Mapping) or not families:
        raise ContrastInputError(
            f"families={families!r}: pass a non-empty mapping family -> model ids (config.family_model_ids())."
        )
    sizes = items.groupby("model_id", sort=False)[size_column].first()
    known = set(sizes.index)
    rows = []
    for family, model_ids in families.items():
        fix = "pass config.family_model_ids() of the run that produced the table, or score the model first"
        for model_id in require_listed(model_ids, known, f"families[{family!r}]", fix, ContrastInputError):
            rows.append(
                {
                    "family": family,
                    "model_id": model_id,
                    "model": short_model_name(model_id),
                    "n_params": int(sizes[model_id]),
                }
            )
    table = pd.DataFrame(rows)
    unassigned = sorted(known - set(table["model_id"]))
    if unassigned:
        raise ContrastInputError(
            f"models {unassigned} of the item table are in no family of {sorted(families)}; "
            "pass config.family_model_ids() of the run that produced the table."
        )
    family_rank = {family: rank for rank, family in enumerate(families)}
    table = table.drop_duplicates(["family", "model_id"])
    table = table.assign(_rank=table["family"].map(family_rank))
    return (
        table.sort_values(["_rank", "n_params", "model_id"], kind="stable").drop(columns="_rank").reset_index(drop=True)
    )


def settings_table(families: Mapping[str, Sequence[str]], settings: Mapping[str, object]) -> pd.DataFrame:
    """The validated run settings: one row per task kind (task, shots, limit) plus the model lists."""
    rows = [
        {
            "setting": f"task kind {kind}",
            "value": f"{setting.task}, {setting.shots}-shot, "
            f"limit {setting.limit if setting.limit is not None else 'all'}",
        }
        for kind, setting in settings.items()
    ]
    rows += [{"setting": f"family {family}", "value": ", ".join(sources)} for family, sources in families.items()]
    return pd.DataFrame(rows).set_index("setting")


def item_counts(items: pd.DataFrame) -> pd.DataFrame:
    """Items scored per model (rows, by size, each model once) and task kind (columns)."""
    require(items, ["model_id", "kind", "n_params_nonembedding"], "item_counts")
    counts = items.groupby(["model_id", "kind"]).size().unstack("kind", fill_value=0)
    order = items.groupby("model_id")["n_params_nonembedding"].first().sort_values(kind="stable").index
    kinds = [kind for kind in KIND_LABELS if kind in counts.columns] + [
        kind for kind in counts.columns if kind not in KIND_LABELS
    ]
    counts = counts.loc[order, kinds]
    counts.index = [short_model_name(model_id) for model_id in counts.index]
    counts.index.name = "model"
    counts.columns.name = "kind"
    return counts


# --------------------------------------------------------------------------- 1. kinds


def side_by_side(
    items: pd.DataFrame,
    families: Mapping[str, Sequence[str]],
    kinds: Sequence[str] | None = None,
    *,
    size_column: str = "n_params_nonembedding",
    bootstrap: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """Accuracy and gold-answer loss per token per (family, model, task kind).

    Columns: ``family, model_id, model, n_params, kind, kind_label, n_items, n_correct,
    accuracy, accuracy_low, accuracy_high`` (Wilson), ``chance`` (1 / choices; 0 for exact-match
    arithmetic), ``loss, loss_low, loss_high`` (mean ``gold_nll_per_token`` over items,
    seeded bootstrap interval; NaN when ``bootstrap == 0``). ``kinds=None`` takes the present
    kinds of :data:`SIDE_BY_SIDE_KINDS`.
    """
    columns = ["model_id", "kind", "item_id", "n_choices", "correct", "gold_nll_per_token"]
    chosen, models = view_inputs(
        items, families, kinds, SIDE_BY_SIDE_KINDS, size_column, bootstrap, columns, "side_by_side"
    )
    rows = []
    for kind in chosen:
        of_kind = items[items["kind"] == kind]
        for model in models.itertuples(index=False):
            model_items = of_kind[of_kind["model_id"] == model.model_id]
            if model_items.empty:
                continue
            summary = group_summary(model_items, bootstrap=bootstrap, confidence=confidence, seed=seed)
            rows.append(
                {
                    **model._asdict(),
                    "kind": kind,
                    "kind_label": KIND_LABELS.get(kind, kind),
                    **{column: summary[column] for column in SIDE_BY_SIDE_COLUMNS},
                }
            )
    return pd.DataFrame(rows)


def chance_positions(side: pd.DataFrame, alpha: float = ALPHA) -> pd.DataFrame:
    """Each model once per task kind against chance: exact two-sided binomial test, Holm across models.

    Takes :func:`side_by_side`. For a kind with chance > 0 the family of tests is the models
    scored on that kind (``n_tests``); ``position`` is "below chance", "above chance" or "not
    distinguishable from chance". Exact-match arithmetic has chance 0: no test, the position
    says whether any item was right. Columns: ``kind, kind_label, model_id, model, n_items,
    n_correct, accuracy, chance, low, high`` (exact 95%), ``pvalue, p_holm, n_tests, position``.
    """
    require(
        side,
        ["kind", "kind_label", "model_id", "model", "n_items", "n_correct", "accuracy", "chance"],
        "chance_positions",
    )
    check_alpha(alpha)
    frames = []
    for _, part in side.drop_duplicates(["kind", "model_id"]).groupby("kind", sort=False):
        part = part.reset_index(drop=True)
        chance = float(part["chance"].iloc[0])
        base = part[["kind", "kind_label", "model_id", "model", "n_items", "n_correct", "accuracy", "chance"]].copy()
        if chance <= 0:
            base = base.assign(
                low=np.nan,
                high=np.nan,
                pvalue=np.nan,
                p_holm=np.nan,
                n_tests=0,
                position=np.where(base["n_correct"] > 0, POSITIONS[3], POSITIONS[4]),
            )
        else:
            tested = chance_family(
                pd.DataFrame({"model": base["model_id"], "k": base["n_correct"], "n": base["n_items"]}),
                chance,
                "two-sided",
                alpha,
            )
            base = base.assign(
                low=tested["low"],
                high=tested["high"],
                pvalue=tested["pvalue"],
                p_holm=tested["p_holm"],
                n_tests=len(base),
            )
            base["position"] = np.where(
                ~tested["significant"], POSITIONS[2], np.where(base["accuracy"] < chance, POSITIONS[0], POSITIONS[1])
            )
        frames.append(base)
    return pd.concat(frames, ignore_index=True)


def majority_baselines(items: pd.DataFrame, kind: str = "pattern") -> pd.DataFrame:
    """The majority label's share of the items each model scored on ``kind`` (MRPC: "yes"), beside 50%.

    One row per model: ``model_id, model, n_items, accuracy, majority_label, majority_share``
    (:func:`helpers.analysis.baselines.majority_label_share` on the gold labels of the items that
    model actually scored) and ``chance`` (1 / choices). Empty when ``kind`` was not scored.
    """
    require(items, ["model_id", "kind", "gold", "correct", "n_choices"], "majority_baselines")
    of_kind = items[items["kind"] == kind]
    rows = []
    for model_id, model_items in of_kind.groupby("model_id", sort=False):
        label, share = majority_label_share(model_items["gold"].to_numpy(dtype=np.int64))
        names = model_items.loc[model_items["gold"] == label, "gold_label"] if "gold_label" in model_items else None
        rows.append(
            {
                "model_id": model_id,
                "model": short_model_name(model_id),
                "n_items": len(model_items),
                "accuracy": float(model_items["correct"].astype(bool).mean()),
                "majority_label": str(names.iloc[0]).strip() if names is not None and len(names) else str(label),
                "majority_share": share,
                "chance": chance_level(model_items["n_choices"]),
            }
        )
    return pd.DataFrame(
        rows, columns=["model_id", "model", "n_items", "accuracy", "majority_label", "majority_share", "chance"]
    )
