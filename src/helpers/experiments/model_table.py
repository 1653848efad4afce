"""The models of a profile as a table and the sentences a chapter prints about them.

The facts of each model (instruct or base, weight types, source, size) are core's
(:func:`helpers.experiments.model_description.describe_model` over :func:`helpers.core.models.model_facts`);
this module lays them out for any profile:

* :func:`model_table`: one row per model (each model once, whatever families it is in):
  ``model, families, parameters`` ("135M", "1.8B"), ``n_params``, ``training`` (instruct, base,
  random weights), ``weights``, ``source``; :func:`model_table_markdown` shows it to readers.
* :func:`profile_note`: the sentences a chapter prints about its profile, generated from that
  table: the ``ci`` profile says its numbers are not findings; the offline profile names the
  stand-ins, instruct or base, their weight types and any quantization confound within a family
  (:func:`quantization_confounds`).
* :func:`lacking_note`: what rows imported from lm-evaluation-harness lack.

Nothing here loads weights; core modules (which import torch) are imported inside the functions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

from helpers.render.markdown import markdown_table
from helpers.render.numbers import param_label
from helpers.render.tables import with_download

TABLE_COLUMNS = ["model", "families", "parameters", "n_params", "training", "weights", "source"]
STAND_IN_NOTE = (
    "These models are stand-ins that illustrate the method; claims about Pythia/OPT rest on Pythia/OPT numbers only."
)


# ----------------------------------------------------------------------------- the table


def sizes_from(items: pd.DataFrame) -> dict[str, float]:
    """Model id -> total parameters, from an item table (``n_params_total`` as measured)."""
    return items.groupby("model_id")["n_params_total"].first().astype(float).to_dict()


def model_table(config, sizes: Mapping[str, float] | None = None) -> pd.DataFrame:
    """One row per model of ``config`` (an :class:`~helpers.experiments.config.ExperimentConfig`).

    ``sizes``: model id -> total parameters as measured (e.g. the item table's
    ``n_params_total``); without it, offline counts come from the catalog and Pythia/OPT (or
    their scaled-down random versions) are counted on the meta device. Columns:
    :data:`TABLE_COLUMNS` plus ``model_id``, ``source_name`` and ``weight_types`` (a dict).
    """
    from helpers.core.models import model_facts
    from helpers.experiments.model_description import describe_model

    families: dict[str, list[str]] = {}
    for family, sources in config.families.items():
        for source in sources:
            families.setdefault(source, []).append(family)
    rows = []
    for source, member_of in families.items():
        facts = model_facts(source, device=config.device)
        described = describe_model(facts)
        if sizes is not None and facts.model_id in sizes:
            n_params = float(sizes[facts.model_id])
        else:  # the catalog's count, or counted on the meta device (random: scaled down); NaN if unknown
            counted = facts.n_params_total()
            n_params = math.nan if counted is None else float(counted)
        rows.append(
            {
                "model": facts.model_id.split(":", 1)[-1].rsplit("/", 1)[-1],
                "model_id": facts.model_id,
                "source_name": source,
                "families": ", ".join(member_of),
                "parameters": param_label(n_params),
                "n_params": n_params,
                "training": described.training,
                "weights": described.weights,
                "weight_types": described.weight_types,
                "source": described.source,
            }
        )
    return pd.DataFrame(rows, columns=[*TABLE_COLUMNS, "model_id", "source_name", "weight_types"])


def model_table_markdown(table: pd.DataFrame) -> str:
    """:func:`model_table` as a pipe table for readers (no raw dump), with the CSV download of its rows
    (exact parameter counts and model ids included)."""
    header = ["model", "family", "parameters", "training", "weights", "source"]
    rows = [
        [f"`{row.model}`", row.families, row.parameters, row.training, row.weights, row.source]
        for row in table.itertuples(index=False)
    ]
    shown = table[[column for column in (*TABLE_COLUMNS, "model_id") if column in table.columns]]
    return with_download(markdown_table(header, rows), shown, "models.csv")


# ----------------------------------------------------------------------------- sentences


def dominant_weight_type(types: Mapping[str, int]) -> str | None:
    """The quantized type with the most tensors (F32 ignored), or None."""
    quantized = {name: count for name, count in types.items() if name != "F32"}
    return max(sorted(quantized), key=lambda name: quantized[name]) if quantized else None


def quantization_confounds(table: pd.DataFrame) -> list[str]:
    """One sentence per family whose models were converted from differently quantized weights."""
    sentences = []
    by_family: dict[str, list] = {}
    for row in table.itertuples(index=False):
        for family in str(row.families).split(", "):
            by_family.setdefault(family, []).append(row)
    for family, rows in by_family.items():
        dominant = {row.model: dominant_weight_type(row.weight_types) for row in rows if row.weight_types}
        if len(rows) < 2 or len(dominant) < 2 or len(set(dominant.values())) < 2:
            continue
        parts = ", ".join(f"{model} mostly {kind}" for model, kind in dominant.items())
        sentences.append(
            f"Within {family}, the sizes were converted from differently quantized GGUF files "
            f"({parts}), so quantization is confounded with size in every {family} comparison."
        )
    return sentences


def profile_note(profile, table: pd.DataFrame) -> str:
    """Markdown for a chapter's profile note, generated from ``profile`` and :func:`model_table`.

    ``profile``: an :class:`~helpers.infra.profiles.Profile` (``config.profile``). Random-weight
    models get "not findings"; offline stand-ins are named with instruct/base and weight types.
    """
    lines = []
    if not profile.findings:
        lines.append(
            f"**Profile {profile.name}: random-weight models; these numbers are not findings.** "
            "They exercise every step of the analysis; published results shown in this chapter are real."
        )
    stand_ins = table[table["source_name"].str.startswith("offline:")]
    if len(stand_ins):
        described = "; ".join(
            f"`{row.model}` ({row.parameters}, {row.training}, {row.weights})"
            for row in stand_ins.itertuples(index=False)
        )
        lines.append(f"**Profile {profile.name}: offline stand-ins.** {described}. {STAND_IN_NOTE}")
        lines.extend(quantization_confounds(stand_ins))
    hub = table[~table["source_name"].str.startswith(("offline:", "random:"))]
    if len(hub):
        described = ", ".join(
            f"`{row.model}` ({row.parameters}, {row.training})" for row in hub.itertuples(index=False)
        )
        lines.append(f"**Profile {profile.name}:** {described}; weights as published, not quantized.")
    return "\n\n".join(lines) if lines else f"**Profile {profile.name}.**"


LACKING_METRICS = {
    "greedy_token_fraction": "the teacher-forced digits-correct fraction (it needs per-token greedy flags)",
    "gold_nll_per_token": "the loss per token (it needs the answer's token count: the model's tokenizer was not "
    "available at import)",
}


def lacking_note(items) -> str:
    """A sentence naming what some models' rows lack (rows imported from lm-evaluation-harness), or ''.

    lm-evaluation-harness ``--log_samples`` output gives one summed log-probability and one greedy
    flag per request, no per-token values: what is computed from those is shown, the rest is named here.
    """
    from helpers.analysis.items import lacking

    missing = lacking(items)
    if not missing:
        return ""
    parts = [
        f"{LACKING_METRICS.get(metric, metric)} for {', '.join(f'`{m}`' for m in models)}"
        for metric, models in missing.items()
    ]
    return (
        "*Some arithmetic rows carry no per-token data (results imported from lm-evaluation-harness, "
        "whose samples give one summed log-probability and one greedy flag per answer): this chapter "
        f"lacks {'; and '.join(parts)}. Exact match and everything else is computed as usual.*"
    )
