"""Parameter counts: total and non-embedding, for any causal LM and for the whole registry.

Counting rule (the Pythia README's "non-embedding params", Kaplan et al. 2020's N):

- **total** = every distinct parameter tensor once (a tied LM head shares the input
  embedding's tensor and is counted once, as ``model.parameters()`` does);
- **non-embedding** = total minus the weights of every ``nn.Embedding`` module (the token
  embedding, and learned position tables such as OPT's ``embed_positions``) minus an
  *untied* output embedding (LM head weight and bias, e.g. Pythia's ``embed_out``).

Everything else counts as non-embedding: layer norms including the final one, and OPT-350m's
``project_in`` / ``project_out`` (dense projections between the 512-wide embedding and the
1024-wide model). For Pythia this gives exactly total - 2 * vocab * d_model, the README's
"Non-Embedding Params" column (70m: 18,915,328).

Counts come from instantiating the architecture on the meta device: no weights are
allocated or downloaded, so even opt-30b is counted in a fraction of a second.
"""

from __future__ import annotations

from functools import cache

import torch
from torch import nn
from transformers import AutoModelForCausalLM, PretrainedConfig

from helpers.core.models.registry import MODELS, hf_config


def split_parameter_count(model: nn.Module) -> tuple[int, int]:
    """``(total, non_embedding)`` parameter counts of an instantiated ``model`` (rule above).

    Works on real and meta tensors alike. Tied tensors are counted once.
    """
    parameters = {id(parameter): parameter for parameter in model.parameters()}
    total = sum(parameter.numel() for parameter in parameters.values())

    embedding_ids: set[int] = set()
    for module in model.modules():
        if isinstance(module, nn.Embedding):  # token and learned-position tables
            embedding_ids.update(id(parameter) for parameter in module.parameters())
    output_embeddings = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
    if output_embeddings is not None:  # an untied head adds its own tensors; a tied one adds none
        embedding_ids.update(id(parameter) for parameter in output_embeddings.parameters())

    embedding = sum(parameters[key].numel() for key in embedding_ids if key in parameters)
    return total, total - embedding


def count_parameters(config: PretrainedConfig) -> tuple[int, int]:
    """``(total, non_embedding)`` for the causal LM described by ``config``, built on meta."""
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(config)
    return split_parameter_count(model)


@cache
def _registry_counts(name: str) -> tuple[int, int]:
    return count_parameters(hf_config(MODELS[name]))


def registry_param_counts():
    """A DataFrame of every registered model with its shape and computed parameter counts.

    Columns: name, family, hub_id, n_layers, n_heads, d_model, vocab_size, n_params_total,
    n_params_nonembedding. Rows in registry order (Pythia then OPT, smallest first).
    """
    import pandas as pd

    rows = []
    for spec in MODELS.values():
        total, non_embedding = _registry_counts(spec.name)
        rows.append(
            {
                "name": spec.name,
                "family": spec.family,
                "hub_id": spec.hub_id,
                "n_layers": spec.n_layers,
                "n_heads": spec.n_heads,
                "d_model": spec.d_model,
                "vocab_size": spec.vocab_size,
                "n_params_total": total,
                "n_params_nonembedding": non_embedding,
            }
        )
    return pd.DataFrame(rows)
