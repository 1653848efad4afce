"""The task-contrast tables for readers: labelled columns, numbers rounded to their intervals.

Each function takes the DataFrame of the view of the same name and returns a MyST pipe table
(collapsed in ``<details>`` when long), built with
:func:`helpers.render.tables.reader_table`; nothing is a raw DataFrame dump.
"""

from __future__ import annotations

import pandas as pd

from helpers.experiments.task_contrast.views import KIND_LABELS, short_model_name
from helpers.render.markdown import whole_words
from helpers.render.numbers import number_interval, p_text, param_label, pct, pct_interval, points_interval, signed
from helpers.render.tables import reader_table


def counts_markdown(items: pd.DataFrame, families: dict) -> str:
    """Items scored per model (each model once, with its families and size) and task kind."""
    member_of: dict[str, list[str]] = {}
    for family, model_ids in families.items():
        for model_id in model_ids:
            member_of.setdefault(model_id, []).append(family)
    sizes = items.groupby("model_id")["n_params_total"].first().sort_values(kind="stable")
    counts = items.groupby(["model_id", "kind"]).size().unstack("kind", fill_value=0)
    kinds = [kind for kind in KIND_LABELS if kind in counts.columns] + [
        kind for kind in counts.columns if kind not in KIND_LABELS
    ]
    frame = pd.DataFrame(
        {
            "model": [f"`{short_model_name(m)}`" for m in sizes.index],
            "family": [", ".join(member_of.get(m, ["—"])) for m in sizes.index],
            "parameters": [param_label(n) for n in sizes],
        }
    )
    labels = {"model": "model", "family": "family", "parameters": "parameters (total)"}
    for kind in kinds:
        frame[kind] = [f"{int(counts.loc[m, kind]):,}" for m in sizes.index]
        labels[kind] = KIND_LABELS.get(kind, kind)
    return reader_table(frame, labels, filename="task-contrast-counts.csv")


def side_markdown(positions: pd.DataFrame, side: pd.DataFrame) -> str:
    """Section 1 per (kind, model), each model once: accuracy vs chance (exact, Holm) and loss."""
    losses = side.drop_duplicates(["kind", "model_id"]).set_index(["kind", "model_id"])
    rows = []
    for row in positions.itertuples(index=False):
        loss = losses.loc[(row.kind, row.model_id)]
        test = "no test (exact match)" if row.n_tests == 0 else f"{row.position}, Holm {p_text(row.p_holm)}"
        rows.append(
            {
                "kind": row.kind_label,
                "model": f"`{row.model}`",
                "n": f"{row.n_items:,}",
                "accuracy": pct_interval(row.accuracy, loss["accuracy_low"], loss["accuracy_high"]),
                "chance": pct(row.chance, 0),
                "test": test,
                "loss": number_interval(loss["loss"], loss["loss_low"], loss["loss_high"]),
            }
        )
    return reader_table(
        pd.DataFrame(rows),
        {
            "kind": "task kind",
            "model": "model",
            "n": "items",
            "accuracy": "accuracy [95% Wilson]",
            "chance": "chance",
            "test": "vs chance (exact binomial)",
            "loss": "loss, nats/token [95% bootstrap]",
        },
        summary=f"Show every model and task kind ({len(rows)} rows)",
        filename="task-contrast-side.csv",
    )


def majority_markdown(majority: pd.DataFrame) -> str:
    """Paraphrase items: each model's accuracy beside 50% and the majority label's share of its items."""
    if majority.empty:
        return "(the paraphrase task was not scored)"
    frame = pd.DataFrame(
        {
            "model": [f"`{m}`" for m in majority["model"]],
            "n": [f"{n:,}" for n in majority["n_items"]],
            "accuracy": [pct(a, 1) for a in majority["accuracy"]],
            "chance": [pct(c, 0) for c in majority["chance"]],
            "majority": [
                f'{pct(s, 1)} ("{label}")' for s, label in zip(majority["majority_share"], majority["majority_label"])
            ],
        }
    )
    return reader_table(
        frame,
        {
            "model": "model",
            "n": "items scored",
            "accuracy": "accuracy",
            "chance": "chance",
            "majority": "majority label's share of these items",
        },
        filename="task-contrast-majority.csv",
    )


def chain_markdown(chain: pd.DataFrame) -> str:
    """Section 2 per family, kind and metric: per-item median rho and the model-means rho (exact p, Holm)."""
    usable = chain.dropna(subset=["correlation"]) if len(chain) else chain
    if usable.empty:
        return "(no family has three or more models: no correlation within a family can be computed)"
    per_item = usable[usable["level"] == "per item"].set_index(["family", "kind", "metric"])
    means = usable[usable["level"] == "model means"]
    rows = []
    for row in means.itertuples(index=False):
        item = (
            per_item.loc[(row.family, row.kind, row.metric)]
            if (row.family, row.kind, row.metric) in per_item.index
            else None
        )
        rows.append(
            {
                "family": row.family,
                "kind": row.kind_label,
                "metric": row.metric_label,
                "models": str(row.n_models),
                "per_item": "—"
                if item is None
                else (
                    f"{number_interval(item['correlation'], item['correlation_low'], item['correlation_high'], most=2)}"
                    f"; {pct(item['share_positive'], 0)} of items positive"
                ),
                "means": f"{signed(row.correlation, 2)}",
                "p": p_text(row.p_holm),
            }
        )
    return reader_table(
        pd.DataFrame(rows),
        {
            "family": "family",
            "kind": "task kind",
            "metric": "metric",
            "models": "models",
            "per_item": "per item: median rho [95% bootstrap]",
            "means": "model means: rho",
            "p": "exact p (Holm)",
        },
        summary=f"Show every correlation ({len(rows)} rows)",
        filename="task-contrast-chain.csv",
    )


def diagnosis_markdown(diagnosis: pd.DataFrame) -> str:
    """Section 3 per model: accuracy vs chance, letter shares, the bias-expected accuracy, the verdict."""
    frame = pd.DataFrame(
        {
            "model": [f"`{m}`" for m in diagnosis["model"]],
            "n": [f"{n:,}" for n in diagnosis["n_items"]],
            "accuracy": [
                pct_interval(a, lo, hi)
                for a, lo, hi in zip(diagnosis["accuracy"], diagnosis["accuracy_low"], diagnosis["accuracy_high"])
            ],
            "below": [p_text(p) for p in diagnosis["p_below_holm"]],
            "top": [
                f"{letter}: {pct(p, 0)} predicted, {pct(g, 0)} gold"
                for letter, p, g in zip(
                    diagnosis["top_letter"], diagnosis["top_predicted_share"], diagnosis["top_gold_share"]
                )
            ],
            "uniform": [p_text(p) for p in diagnosis["letters_p_holm"]],
            "biased": [pct(b, 1) for b in diagnosis["bias_expected_accuracy"]],
            "verdict": [whole_words(verdict) for verdict in diagnosis["verdict"]],
        }
    )
    return reader_table(
        frame,
        {
            "model": "model",
            "n": "items",
            "accuracy": "accuracy [95% exact]",
            "below": "below chance: Holm p",
            "top": "most predicted letter",
            "uniform": "letters uniform: Holm p",
            "biased": "letter-biased guesser",
            "verdict": "verdict",
        },
        filename="task-contrast-diagnosis.csv",
    )


def formats_markdown(formats: pd.DataFrame, tests: pd.DataFrame | None = None) -> str:
    """Section 3b per model: accuracy under each scoring, with the paired acc vs acc_norm test."""
    wide = formats.drop_duplicates(["model_id", "format"]).pivot(index="model_id", columns="format")
    order = formats.drop_duplicates("model_id").sort_values("n_params", kind="stable")["model_id"]
    by_model = tests.set_index("model_id") if tests is not None and len(tests) else None
    rows = []
    for model_id in order:
        row = {"model": f"`{short_model_name(model_id)}`"}
        for label in dict.fromkeys(formats["format"]):
            row[label] = pct_interval(
                wide.loc[model_id, ("accuracy", label)],
                wide.loc[model_id, ("accuracy_low", label)],
                wide.loc[model_id, ("accuracy_high", label)],
            )
        if by_model is not None and model_id in by_model.index:
            test = by_model.loc[model_id]
            row["change"] = (
                f"{points_interval(test['difference'], test['low'], test['high'])}, "
                f"McNemar Holm {p_text(test['p_holm'])}"
            )
        rows.append(row)
    labels = {"model": "model", **{label: f"{label} [95% Wilson]" for label in dict.fromkeys(formats["format"])}}
    if by_model is not None:
        labels["change"] = "acc_norm − acc (full text) [95%]"
    return reader_table(pd.DataFrame(rows), labels, filename="task-contrast-formats.csv")


def published_formats_markdown(published: pd.DataFrame) -> str:
    """Published acc and acc_norm per model (exact intervals), collapsed."""
    acc = published[published["metric"] == "acc"].reset_index(drop=True)
    norm = published[published["metric"] == "acc_norm"].set_index("model")
    frame = pd.DataFrame(
        {
            "family": acc["family"],
            "model": [f"`{m}`" for m in acc["model"]],
            "parameters": [param_label(p) for p in acc["params"]],
            "acc": [pct_interval(v, lo, hi) for v, lo, hi in zip(acc["value"], acc["low"], acc["high"])],
            "acc_norm": [pct_interval(*norm.loc[m, ["value", "low", "high"]]) for m in acc["model"]],
            "gap": [f"{signed(100 * (norm.loc[m, 'value'] - v))} pts" for m, v in zip(acc["model"], acc["value"])],
        }
    )
    return reader_table(
        frame,
        {
            "family": "family",
            "model": "model",
            "parameters": "parameters",
            "acc": "acc [95% exact]",
            "acc_norm": "acc_norm [95% exact]",
            "gap": "acc_norm − acc",
        },
        summary=f"Show all {len(frame)} published models",
        filename="task-contrast-published-formats.csv",
    )


def arithmetic_markdown(arithmetic: pd.DataFrame) -> str:
    """Section 4 per model and difficulty: exact match, digits correct and loss, each with its interval."""
    key = ["family", "model", "n_params", "task"]
    wide = arithmetic.drop_duplicates([*key, "metric"]).set_index([*key, "metric"])

    def cell(where: tuple, metric: str, percent: bool = True) -> str:  # where = (family, model, n_params, task)
        if (*where, metric) not in wide.index:
            return "— (no per-token data)"  # rows imported from lm-evaluation-harness
        value = wide.loc[(*where, metric)]
        if percent:
            return pct_interval(value["value"], value["low"], value["high"])
        return number_interval(value["value"], value["low"], value["high"])

    rows = []
    for where, _ in arithmetic.groupby(key, sort=False):
        family, model, _n_params, task = where
        rows.append(
            {
                "family": family,
                "model": f"`{model}`",
                "task": task,
                "exact": cell(where, "correct"),
                "digits": cell(where, "greedy_token_fraction"),
                "loss": cell(where, "gold_nll_per_token", percent=False),
            }
        )
    return reader_table(
        pd.DataFrame(rows),
        {
            "family": "family",
            "model": "model",
            "task": "difficulty",
            "exact": "exact match [95% Wilson]",
            "digits": "digits correct [95% bootstrap]",
            "loss": "loss, nats/token [95% bootstrap]",
        },
        summary=f"Show every model and difficulty ({len(rows)} rows)",
        filename="task-contrast-arithmetic.csv",
    )
