"""Shared test fixtures: offline-by-default environment and the cached offline models."""

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
