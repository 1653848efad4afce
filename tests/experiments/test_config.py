"""configure(): models given as a parameter keep their families (no size comparison across families)."""

from __future__ import annotations

import pytest

from helpers.experiments.config import ParameterError, configure, families_of, load_profile


def test_offline_models_of_different_families_stay_apart():
    config = configure(
        "offline", overrides={"models": ["offline:smollm2-135m", "offline:gemma3-270m"]}, experiment="scaling"
    )
    assert config.families == {"smollm2": ("offline:smollm2-135m",), "gemma3": ("offline:gemma3-270m",)}


def test_the_qwen_pair_given_as_models_is_one_family():
    config = configure(
        "offline",
        overrides={"models": ["offline:qwen2.5-coder-1.5b", "offline:qwen2.5-coder-0.5b"]},
        experiment="task_contrast",
    )
    assert config.families == {"qwen2.5-coder": ("offline:qwen2.5-coder-1.5b", "offline:qwen2.5-coder-0.5b")}


def test_registry_models_take_their_registry_family_on_any_profile():
    families = families_of(
        ["random:pythia-70m", "EleutherAI/pythia-160m", "opt-125m", "random:opt-350m"], load_profile("offline")
    )
    assert families == {
        "pythia": ("random:pythia-70m", "EleutherAI/pythia-160m"),
        "opt": ("opt-125m", "random:opt-350m"),
    }


def test_unknown_models_are_each_a_family_of_their_own():
    families = families_of(["Qwen/Qwen2.5-0.5B", "Qwen/Qwen2.5-1.5B"], load_profile("ci"))
    assert families == {"Qwen/Qwen2.5-0.5B": ("Qwen/Qwen2.5-0.5B",), "Qwen/Qwen2.5-1.5B": ("Qwen/Qwen2.5-1.5B",)}


def test_families_then_selects_among_the_given_models():
    config = configure(
        "offline",
        overrides={"models": ["offline:smollm2-135m", "offline:gemma3-270m"], "families": ["gemma3"]},
        experiment="scaling",
    )
    assert config.families == {"gemma3": ("offline:gemma3-270m",)}


def test_a_bad_model_is_still_refused_with_its_message():
    with pytest.raises(ParameterError, match="random:pythia-7b"):
        configure("ci", overrides={"models": ["random:pythia-7b"]}, experiment="scaling")
