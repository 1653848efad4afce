"""Where a number came from: package versions, device, git commit and code versions.

Every stored result carries :func:`environment` beside it (the results store writes it into
``provenance.json``) and the book's reproducibility page prints it.

:func:`code_version` hashes the source files a result depends on. Each experiment declares its
own list (``helpers.experiments.registry``): evaluation rows depend on the request contract,
tasks, models and the scoring engine; swap rows add the attention interventions and the swap
computation. Charts, views, analysis and the report are never in a list, so editing them
invalidates no stored score. The hash is taken over each file's syntax tree without docstrings
(comments are not in it), so editing prose in a scoring module does not invalidate scores either.

Nothing here raises when a piece of information is unavailable (no git, no torch, no
accelerator): the field holds ``None`` or ``"unknown"`` instead, because provenance must
never stop a run.
"""

from __future__ import annotations

import ast
import datetime as _dt
import hashlib
import importlib.metadata
import platform
import socket
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from helpers.infra.paths import REPO_ROOT

PACKAGE_DIR = Path(__file__).resolve().parents[1]
"""The ``helpers`` package directory; :func:`code_version` patterns are relative to it."""

COMPUTE_PACKAGES: tuple[str, ...] = (
    "torch",
    "transformers",
    "datasets",
    "lm_eval",
    "numpy",
    "pandas",
    "scipy",
    "statsmodels",
)
"""The distributions the numbers are computed with (recorded with every result, listed in the book)."""

TRACKED_PACKAGES: tuple[str, ...] = (*COMPUTE_PACKAGES, "pyarrow", "capability-ceilings-helpers")
"""Distributions whose versions are recorded with every result (import name or distribution name)."""


class CodeVersionError(ValueError):
    """A :func:`code_version` pattern is absolute or escapes the package directory."""


def utc_now() -> str:
    """The current time as an ISO-8601 UTC string with seconds, e.g. ``2025-01-31T12:00:00Z``."""
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def package_versions(names: Sequence[str] = TRACKED_PACKAGES) -> dict[str, str | None]:
    """Installed version of each distribution in ``names`` (``None`` when not installed).

    Read from package metadata, so nothing is imported (importing torch takes seconds).
    """
    versions: dict[str, str | None] = {}
    for name in names:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def git_state(repo_root: Path = REPO_ROOT) -> dict[str, Any]:
    """``{"commit": sha or None, "dirty": bool or None}`` of the repository at ``repo_root``.

    Falls back to ``None`` when git is missing, the folder is not a repository (an installed
    copy of the package) or git fails for any other reason.
    """

    def run_git(*args: str) -> str | None:
        try:
            completed = subprocess.run(
                ["git", *args],
                cwd=repo_root,
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return completed.stdout.strip() if completed.returncode == 0 else None

    commit = run_git("rev-parse", "HEAD")
    status = run_git("status", "--porcelain", "--untracked-files=no") if commit else None
    return {"commit": commit, "dirty": None if status is None else bool(status)}


def device_description() -> dict[str, Any]:
    """The accelerator torch would use: ``{"kind": "cuda"|"mps"|"cpu"|"torch-not-imported", ...}``.

    Reads the torch module a process already imported (one that scored a model has); infra
    never imports torch itself, so a process that used no model describes no device.
    """
    torch = sys.modules.get("torch")
    if torch is None:
        return {"kind": "torch-not-imported", "name": None, "count": 0}
    if torch.cuda.is_available():
        return {
            "kind": "cuda",
            "name": torch.cuda.get_device_name(0),
            "count": torch.cuda.device_count(),
            "cuda": torch.version.cuda,
        }
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return {"kind": "mps", "name": "Apple MPS", "count": 1}
    return {"kind": "cpu", "name": platform.processor() or platform.machine(), "count": 1}


def environment(
    *, include_device: bool = True, import_torch: bool = False, repo_root: Path = REPO_ROOT
) -> dict[str, Any]:
    """Everything needed to say where and with what a result was computed.

    Keys: ``python``, ``python_executable``, ``platform``, ``hostname``, ``packages`` (see :data:`TRACKED_PACKAGES`),
    ``helpers_version``, ``device`` (see :func:`device_description`; omitted when
    ``include_device`` is False), ``git_commit``, ``git_dirty`` and ``recorded_at`` (UTC). The
    device is described from the torch a process already imported (one that scored a model has);
    otherwise it is ``{"kind": "torch-not-imported"}``. ``import_torch`` is accepted for
    compatibility and ignored: infra never imports torch.
    """
    git = git_state(repo_root)
    env: dict[str, Any] = {
        "python": platform.python_version(),
        "python_executable": sys.executable,
        "platform": platform.platform(),
        "hostname": socket.gethostname(),
        "packages": package_versions(),
        "helpers_version": package_versions(("capability-ceilings-helpers",))["capability-ceilings-helpers"],
        "git_commit": git["commit"],
        "git_dirty": git["dirty"],
        "recorded_at": utc_now(),
    }
    if include_device:
        env["device"] = device_description()
    return env


MACHINE_FIELDS = ("hostname", "python_executable")
"""Fields of :func:`environment` that name the machine, not the computation (dropped from shipped results)."""


def portable_environment(env: dict[str, Any] | None) -> dict[str, Any]:
    """``env`` without :data:`MACHINE_FIELDS`: what may travel with results committed to the repository."""
    return {name: value for name, value in (env or {}).items() if name not in MACHINE_FIELDS}


def code_files(modules: Sequence[str], package_dir: Path = PACKAGE_DIR) -> list[Path]:
    """The files matched by ``modules`` (globs relative to ``package_dir``), sorted.

    Raises :class:`CodeVersionError` for an absolute or escaping pattern and for a pattern that
    matches nothing (a renamed module would otherwise silently drop out of the version).
    """
    package_dir = Path(package_dir).resolve()
    matched: set[Path] = set()
    for pattern in modules:
        if Path(pattern).is_absolute() or ".." in Path(pattern).parts:
            raise CodeVersionError(
                f"code_version pattern {pattern!r} must be relative to the package directory "
                f"{package_dir} (e.g. 'core/scoring/*.py')"
            )
        found = [path for path in package_dir.glob(pattern) if path.is_file()]
        if not found:
            raise CodeVersionError(
                f"code_version pattern {pattern!r} matches no file under {package_dir}: a module was moved "
                "or renamed; update the experiment's code list in helpers.experiments.registry"
            )
        matched.update(found)
    return sorted(matched, key=lambda path: path.relative_to(package_dir).as_posix())


def _without_docstrings(tree: ast.AST) -> ast.AST:
    """``tree`` with the docstring of every module, class and function removed."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if (
                body
                and isinstance(body[0], ast.Expr)
                and isinstance(getattr(body[0], "value", None), ast.Constant)
                and isinstance(body[0].value.value, str)
            ):
                node.body = body[1:] or [ast.Pass()]
    return tree


def source_fingerprint(path: Path) -> bytes:
    """The code of a Python file without comments, docstrings or layout (its syntax tree)."""
    text = path.read_text(encoding="utf-8")
    try:
        return ast.dump(_without_docstrings(ast.parse(text))).encode("utf-8")
    except SyntaxError:
        return text.encode("utf-8")


def code_version(modules: Sequence[str], *, package_dir: Path = PACKAGE_DIR) -> str:
    """A 16-hex-digit hash of the code of the files matched by ``modules``.

    Hashes, in sorted order, each file's path relative to ``package_dir`` and its syntax tree
    without docstrings, so the value is the same wherever the repository is checked out and
    changes when the code of a matched file changes, or a file is added, removed or renamed.
    """
    package_dir = Path(package_dir).resolve()
    digest = hashlib.sha256()
    for path in code_files(modules, package_dir):
        relative_name = path.relative_to(package_dir).as_posix().encode()
        content = source_fingerprint(path)
        digest.update(len(relative_name).to_bytes(8, "big") + relative_name)
        digest.update(len(content).to_bytes(8, "big") + content)
    return digest.hexdigest()[:16]
