"""helpers.experiments.model_description: what a reader is told about each kind of model, from its facts."""

from __future__ import annotations

from helpers.core.models import model_facts
from helpers.experiments.model_description import describe_model, weight_types_text


def test_weight_types_text_puts_quantized_types_first():
    assert weight_types_text({"Q4_K": 169, "F32": 141, "Q6_K": 29}) == "Q4_K (169 tensors), Q6_K (29), F32 (141)"
    assert weight_types_text({"F32": 3}) == "F32 (3 tensors)"
    assert weight_types_text({}) == "unknown"


def test_random_models_are_described_as_random_weights_of_the_real_architecture():
    described = describe_model(model_facts("random:opt-125m", device="cpu"))
    assert described.training == "random weights" and described.weight_types == {}
    assert described.source == "architecture and tokenizer of facebook/opt-125m; numbers are not findings"


def test_registry_models_are_base_models_scored_in_the_resolved_dtype():
    facts = model_facts("pythia-70m", device="cpu")
    described = describe_model(facts)
    assert (described.training, described.source) == ("base", "EleutherAI/pythia-70m")
    assert described.weights == f"unquantized, as published; scored in {facts.dtype}"


def test_an_unregistered_hub_model_is_unknown():
    facts = model_facts("someone/some-model", device="cpu")
    described = describe_model(facts)
    assert described.training == "unknown" and described.source == "someone/some-model"
