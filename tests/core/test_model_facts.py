"""Model facts (helpers.core.models.facts): one resolution per source per process, and facts
checked by hand (parameter counts worked out from the architecture, the Pythia README)."""

from __future__ import annotations

import json
import os

import pytest

from helpers.core.models import (
    UnknownModelError,
    family_tokenizer,
    forget_model_facts,
    load_model,
    model_facts,
    sources,
)
from helpers.experiments.evaluation import ModelHandle, model_provenance


@pytest.fixture()
def resolutions(monkeypatch):
    """The sources passed to ``resolve_source``, one entry per real resolution."""
    forget_model_facts()
    calls: list[str] = []
    real = sources.resolve_source

    def counting(source, **kwargs):
        calls.append(source)
        return real(source, **kwargs)

    monkeypatch.setattr(sources, "resolve_source", counting)
    yield calls
    forget_model_facts()


def test_the_same_source_is_resolved_once(resolutions):
    first = model_facts("random:pythia-70m", device="cpu")
    assert model_facts("random:pythia-70m", device="cpu") is first
    assert resolutions == ["random:pythia-70m"]


def test_handles_and_the_loader_share_one_resolution(resolutions):
    handles = [ModelHandle("random:pythia-70m", device="cpu") for _ in range(3)]
    handles[0].loaded  # load_model resolves the same source with the same arguments  # noqa: B018 (the access loads the model)
    assert resolutions == ["random:pythia-70m"]
    assert handles[0].is_loaded and not handles[1].is_loaded
    assert all(handle.facts is handles[0].facts for handle in handles)


def test_a_bad_source_is_not_memoised(resolutions):
    for _ in range(2):
        with pytest.raises(UnknownModelError, match="pythia-71m"):
            model_facts("random:pythia-71m", device="cpu")
    assert resolutions == ["random:pythia-71m"] * 2


def test_a_local_folder_is_resolved_again_when_its_files_change(resolutions, tmp_path):
    config = tmp_path / "model" / "config.json"
    config.parent.mkdir()
    config.write_text(json.dumps({"model_type": "gpt_neox"}))
    before = model_facts(f"local:{config.parent}", device="cpu")
    assert model_facts(f"local:{config.parent}", device="cpu") is before
    config.write_text(json.dumps({"model_type": "gpt_neox", "hidden_size": 64}))
    os.utime(config, ns=(1, 1))  # a different mtime even on a coarse clock
    after = model_facts(f"local:{config.parent}", device="cpu")
    assert after.revision != before.revision and after.model_id == before.model_id == "local:model"
    assert len(resolutions) == 2


def test_random_pythia_70m_facts_by_hand():
    facts = model_facts("random:pythia-70m", device="cpu")
    assert (facts.kind, facts.family, facts.model_id, facts.revision, facts.dtype) == (
        "random",
        "pythia",
        "random:pythia-70m",
        None,
        "float32",
    )
    assert facts.registry_name == "pythia-70m" and facts.directory() is None and facts.build_record() == {}
    # scaled down to d_model 64, 2 layers, vocab 50304: embed_in and the untied embed_out 50304 * 64 each;
    # per layer 2 layer norms (4 * 64) + qkv (3 * 64 * 64 + 3 * 64) + dense (64 * 64 + 64)
    # + MLP (64 * 256 + 256 + 256 * 64 + 64); the final layer norm 2 * 64
    per_layer = 4 * 64 + (3 * 64 * 64 + 3 * 64) + (64 * 64 + 64) + (64 * 256 + 256 + 256 * 64 + 64)
    assert facts.n_params_total() == 2 * 50304 * 64 + 2 * per_layer + 2 * 64 == 6_539_008
    probe = "Hello, my dog is cute"
    assert facts.tokenizer()(probe)["input_ids"] == family_tokenizer("pythia")(probe)["input_ids"]


def test_full_size_registry_counts_match_the_pythia_readme():
    assert model_facts("pythia-70m", device="cpu").n_params_total() == 70_426_624  # Pythia README, "Total Params"
    assert model_facts("EleutherAI/pythia-160m", device="cpu").n_params_total() == 162_322_944


def test_the_loaded_models_count_agrees_with_the_fact():
    loaded = load_model("random:pythia-70m", device="cpu")
    assert loaded.n_params_total == model_facts("random:pythia-70m", device="cpu").n_params_total()


def test_model_provenance_of_a_random_model_names_it_only():
    handle = ModelHandle("random:opt-125m", device="cpu")
    assert model_provenance(handle) == {"source": "random:opt-125m", "model_id": "random:opt-125m", "revision": None}


def test_a_local_model_loads_through_a_handle(tmp_path):
    """The handle's revision of a local folder is its fingerprint; loading must not pass it back
    (resolve_source refuses a revision for a folder), memoised or not."""
    built = load_model("random:pythia-70m", device="cpu")
    built.model.save_pretrained(tmp_path)
    built.tokenizer.save_pretrained(tmp_path)
    handle = ModelHandle(f"local:{tmp_path}", device="cpu")
    forget_model_facts()
    assert handle.revision.startswith("files-") and handle.loaded.model_id == f"local:{tmp_path.name}"
