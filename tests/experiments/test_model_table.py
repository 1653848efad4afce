"""helpers.experiments.model_table: what each profile's models are, and the sentences about them."""

from __future__ import annotations

import pandas as pd

from helpers.experiments import model_table as mn
from helpers.experiments.config import configure


def test_the_dominant_weight_type_ignores_f32():
    assert mn.dominant_weight_type({"Q5_0": 133, "F32": 121, "Q8_0": 13}) == "Q5_0"
    assert mn.dominant_weight_type({"F32": 3}) is None


def test_ci_profile_says_its_numbers_are_not_findings():
    config = configure("ci", None, {}, experiment="scaling")
    table = mn.model_table(config, sizes={"random:pythia-70m": 6_539_008})
    assert table["model"].tolist() == ["pythia-70m", "pythia-160m", "pythia-410m", "opt-125m", "opt-350m"]
    assert (table["training"] == "random weights").all()
    assert table.set_index("model").loc["pythia-70m", "parameters"] == "6.5M"
    note = mn.profile_note(config.profile, table)
    assert "Profile ci" in note and "not findings" in note
    assert "|" in mn.model_table_markdown(table) and "6.5M" in mn.model_table_markdown(table)


def test_offline_profile_names_instruct_and_base_stand_ins():
    config = configure("offline", None, {}, experiment="scaling")
    table = mn.model_table(config).set_index("model")
    assert table.loc["smollm2-135m", "training"] == "instruct" and table.loc["gemma3-270m", "training"] == "base"
    assert table.loc["qwen2.5-coder-1.5b", "parameters"] == "1.8B" and table.loc["smollm2-135m", "parameters"] == "135M"
    assert table.loc["qwen2.5-coder-0.5b", "families"] == "qwen2.5-coder"
    note = mn.profile_note(config.profile, table.reset_index())
    assert "offline stand-ins" in note and "not findings" not in note
    assert "instruct" in note and "base" in note


def test_pythia_opt_rows_come_from_the_registry():
    config = configure("small", None, {}, experiment="scaling")
    table = mn.model_table(config).set_index("model")
    assert table.loc["pythia-70m", "parameters"] == "70M" and table.loc["pythia-70m", "training"] == "base"
    assert table.loc["opt-125m", "source"] == "facebook/opt-125m"
    assert "not quantized" in mn.profile_note(config.profile, table.reset_index())


def test_quantization_confound_is_named_from_the_weight_types():
    table = pd.DataFrame(
        {
            "model": ["qwen-0.5b", "qwen-1.5b", "solo"],
            "families": ["qwen", "qwen", "other"],
            "weight_types": [{"Q5_0": 133, "F32": 121}, {"Q4_K": 169, "F32": 141}, {"Q4_1": 210}],
        }
    )
    (sentence,) = mn.quantization_confounds(table)
    assert "qwen-0.5b mostly Q5_0" in sentence and "qwen-1.5b mostly Q4_K" in sentence
    assert "confounded with size" in sentence
    same = table.assign(weight_types=[{"Q4_K": 1}, {"Q4_K": 2}, {}])
    assert mn.quantization_confounds(same) == []  # same quantization: nothing to say
