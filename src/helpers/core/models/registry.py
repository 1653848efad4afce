"""Registry of the Pythia and OPT families: hub ids, shapes, and their Hugging Face configs.

Shapes are public facts (Pythia README and training configs in ``data/model_configs``;
the OPT paper). ``hf_config(name)`` rebuilds each model's Hugging Face config from them, so
a model of the real architecture can be built with random weights (``random:<name>``) or
counted on the meta device without a download.
"""

from __future__ import annotations

from dataclasses import dataclass

from transformers import GPTNeoXConfig, OPTConfig, PretrainedConfig


@dataclass(frozen=True)
class ModelSpec:
    """One released model of a registered family."""

    name: str  # short name used in profiles, e.g. "pythia-410m"
    family: str  # "pythia" or "opt"
    hub_id: str  # Hugging Face repository id
    n_layers: int
    n_heads: int
    d_model: int
    vocab_size: int  # rows of the embedding matrix (padded beyond the tokenizer's size)


def _pythia(size: str, layers: int, heads: int, d_model: int, vocab: int = 50304) -> ModelSpec:
    return ModelSpec(f"pythia-{size}", "pythia", f"EleutherAI/pythia-{size}", layers, heads, d_model, vocab)


def _opt(size: str, layers: int, heads: int, d_model: int) -> ModelSpec:
    return ModelSpec(f"opt-{size}", "opt", f"facebook/opt-{size}", layers, heads, d_model, 50272)


MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in [
        _pythia("70m", 6, 8, 512),
        _pythia("160m", 12, 12, 768),
        _pythia("410m", 24, 16, 1024),
        _pythia("1b", 16, 8, 2048),
        _pythia("1.4b", 24, 16, 2048),
        _pythia("2.8b", 32, 32, 2560),
        _pythia("6.9b", 32, 32, 4096, vocab=50432),
        _pythia("12b", 36, 40, 5120, vocab=50688),
        _opt("125m", 12, 12, 768),
        _opt("350m", 24, 16, 1024),
        _opt("1.3b", 24, 32, 2048),
        _opt("2.7b", 32, 32, 2560),
        _opt("6.7b", 32, 32, 4096),
        _opt("13b", 40, 40, 5120),
        _opt("30b", 48, 56, 7168),
    ]
}
"""Every registered model by short name, smallest first within each family."""


class UnknownModelError(ValueError):
    """A model name that is not in the registry."""


def get_spec(name: str) -> ModelSpec:
    """The registry entry for ``name`` ("pythia-410m", "opt-1.3b", ...)."""
    if name not in MODELS:
        raise UnknownModelError(
            f"Unknown model {name!r}. Known models: {', '.join(MODELS)}. "
            "Any Hugging Face causal LM can also be given by hub id (e.g. 'EleutherAI/pythia-70m') "
            "or by a local directory path."
        )
    return MODELS[name]


def family_models(family: str) -> list[ModelSpec]:
    """The registered models of ``family`` ("pythia" or "opt"), smallest first."""
    specs = [spec for spec in MODELS.values() if spec.family == family]
    if not specs:
        raise UnknownModelError(f"Unknown family {family!r}; known: pythia, opt.")
    return specs


def hf_config(
    spec: ModelSpec, *, n_layers: int | None = None, d_model: int | None = None, word_embed_proj_dim: int | None = None
) -> PretrainedConfig:
    """The Hugging Face config of ``spec`` (optionally with a different depth or width).

    Pythia: GPT-NeoX with rotary embeddings on 25% of each head, parallel attention + MLP,
    untied embeddings, MLP width 4 x d_model. OPT: learned positions, ReLU, MLP 4 x d_model,
    tied embeddings; opt-350m is post-LN with a 512-wide embedding projected in and out.
    """
    layers = n_layers or spec.n_layers
    width = d_model or spec.d_model
    if spec.family == "pythia":
        return GPTNeoXConfig(
            vocab_size=spec.vocab_size,
            hidden_size=width,
            num_hidden_layers=layers,
            num_attention_heads=spec.n_heads,
            intermediate_size=4 * width,
            hidden_act="gelu",
            max_position_embeddings=2048,
            rope_parameters={"rope_type": "default", "rope_theta": 10000.0, "partial_rotary_factor": 0.25},
            use_parallel_residual=True,
            tie_word_embeddings=False,
            bos_token_id=0,
            eos_token_id=0,
            layer_norm_eps=1e-5,
        )
    is_350m = spec.name == "opt-350m"
    return OPTConfig(
        vocab_size=spec.vocab_size,
        hidden_size=width,
        num_hidden_layers=layers,
        ffn_dim=4 * width,
        num_attention_heads=spec.n_heads,
        max_position_embeddings=2048,
        do_layer_norm_before=not is_350m,
        word_embed_proj_dim=word_embed_proj_dim or (512 if is_350m else width),
        activation_function="relu",
        pad_token_id=1,
        bos_token_id=2,
        eos_token_id=2,
        tie_word_embeddings=True,
    )
