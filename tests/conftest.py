"""Shared test fixtures and helpers: offline-by-default environment, the cached offline models, a tiny
profiles file, a book build on a copy, and walks over Vega-Lite specs."""

from __future__ import annotations

import os

import pytest

# Tests never reach a model hub: fail fast instead of retrying for ~45 s.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def offline_model_dir_or_skip(name: str, *, required_in_ci: bool):
    """The cached dir of offline model ``name``; fails under CI when required, else skips."""
    from helpers.core.models.offline import OfflineModelMissing, model_dir

    try:
        return model_dir(name)
    except OfflineModelMissing as error:
        if required_in_ci and os.environ.get("CI"):
            pytest.fail(f"CI needs {name}: {error}")
        pytest.skip(str(error))


def tiny_profiles_yaml(*, description: str = "runner test profile", limit: int = 2, swap: bool = False) -> str:
    """The text of a profiles file with one profile, ``tiny``: random-init Pythia-70m on CPU, no
    findings, arithmetic (procedure) and MRPC (pattern) at 0 shots and ``limit`` items; with ``swap``,
    a swap section (pair 70m -> 160m, alphas 0 and 1, the procedure task, ``limit`` items)."""
    text = f"""
tiny:
  description: {description}
  findings: false
  device: cpu
  families:
    pythia: [random:pythia-70m]
  tasks:
    procedure: {{task: arithmetic_2da, shots: 0, limit: {limit}}}
    pattern: {{task: mrpc, shots: 0, limit: {limit}}}
"""
    if swap:
        text += f"""  swap:
    pairs: [[random:pythia-70m, random:pythia-160m]]
    alphas: [0.0, 1.0]
    tasks: [procedure]
    limit: {limit}
"""
    return text


def copy_book(destination):
    """A copy of the hand-written ``book/`` at ``destination``, without its build, generated pages, executed
    notebooks and chart bundle. Returns the copy's folder."""
    import shutil
    from pathlib import Path

    from helpers.infra.paths import REPO_ROOT
    from helpers.render import plots

    ignore = shutil.ignore_patterns("_build", "_generated", "experiments", plots.BUNDLE_FILENAME)
    return Path(shutil.copytree(REPO_ROOT / "book", destination, ignore=ignore))


def build_book_copy(tmp_path, profile: str, profiles_file, store):
    """``python -m helpers book`` for ``profile`` of ``profiles_file`` with results in ``store``, on a
    :func:`copy_book` at ``tmp_path / "book"``. Returns (exit status, the copy's folder)."""
    from helpers import cli

    book_dir = copy_book(tmp_path / "book")
    argv = ["book", "--profile", profile, "--profiles-file", str(profiles_file), "--store", str(store)]
    return cli.main(argv + ["--book-dir", str(book_dir)]), book_dir


def spec_dicts(spec, skip_keys=()):
    """Every dict of a Vega-Lite spec (``chart.to_dict()``), depth first, nested layers, facets and
    concatenations included; the values under ``skip_keys`` (e.g. the theme's ``config``) are not entered."""
    if isinstance(spec, dict):
        yield spec
        for key, value in spec.items():
            if key not in skip_keys:
                yield from spec_dicts(value, skip_keys)
    elif isinstance(spec, list):
        for value in spec:
            yield from spec_dicts(value, skip_keys)


def mark_types(spec, skip_keys=()) -> list:
    """Every mark type of a Vega-Lite spec (``"line"`` from ``mark: "line"`` or ``mark: {type: "line"}``)."""
    marks = [node["mark"] for node in spec_dicts(spec, skip_keys) if node.get("mark") is not None]
    return [mark if isinstance(mark, str) else mark.get("type") for mark in marks]


def tiny_eager_model(config_class, **settings):
    """A random fp32 eval model of ``config_class(**settings)`` (seed 0) with eager attention:
    transformers' own attention path, the independent reference of the engine and the swap."""
    import torch
    from transformers import AutoModelForCausalLM

    config = config_class(**settings)
    config._attn_implementation = "eager"
    torch.manual_seed(0)
    return AutoModelForCausalLM.from_config(config, dtype=torch.float32).eval()
