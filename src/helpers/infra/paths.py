"""Where the project's data, caches and results live.

Everything is resolved relative to the repository root or to environment variables, never
to the current working directory, so notebooks executed by papermill from any folder find
the same files.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
"""The repository root (``src/helpers/infra/paths.py`` -> three levels up from ``src``)."""

DATA_DIR = Path(os.environ.get("CC_DATA_DIR", REPO_ROOT / "data"))
"""Bundled task data, tokenizers and published reference results (each folder has SOURCES.md)."""


def cache_dir() -> Path:
    """Cache for converted offline models and other large artefacts kept out of git.

    ``$CC_CACHE`` if set, else ``$XDG_CACHE_HOME/capability-ceilings``, else
    ``~/.cache/capability-ceilings``.
    """
    if os.environ.get("CC_CACHE"):
        return Path(os.environ["CC_CACHE"]).expanduser()
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return base / "capability-ceilings"


def results_dir() -> Path:
    """The results store (parquet + provenance): ``$CC_RESULTS`` or ``<repo>/results``."""
    return Path(os.environ.get("CC_RESULTS", REPO_ROOT / "results")).expanduser()


@contextlib.contextmanager
def results_env(store: str | None) -> Iterator[None]:
    """Point ``$CC_RESULTS`` at ``store`` for this run (workers, Slurm jobs and notebook kernels
    inherit it), restoring the previous value afterwards."""
    if store is None:
        yield
        return
    previous = os.environ.get("CC_RESULTS")
    os.environ["CC_RESULTS"] = str(Path(store).expanduser().resolve())
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("CC_RESULTS", None)
        else:
            os.environ["CC_RESULTS"] = previous
