"""Execute experiment notebooks with papermill, atomically, with parameters parsed as papermill does.

Each notebook runs with ``profile``, ``profiles_file`` and the user's ``-p NAME VALUE``
overrides injected after its ``parameters`` cell, into ``<output_dir>/<name>.ipynb``. The output
is written to a temporary file and moved in place only on success, so the book never publishes
a half-executed notebook; a failed run keeps the previous output and leaves the executed copy
(with its error) in the run's log folder.

``-p`` values are read exactly as papermill's own ``-p`` reads them (``True``, ``False``,
``None``, then ``int(text)``, then ``float(text)``, else the text): ``0042`` is 42, ``yes`` and
``1:30`` stay text. Lists and dicts need ``-y NAME YAML`` (YAML, as papermill's ``-y``). The
pairs are taken off the command line as papermill's (click's ``nargs=2``) takes them, two
arguments whatever they look like, so ``-p x -1e-3`` and ``-p x -inf`` are values, not options
(:func:`take_parameter_pairs`).
"""

from __future__ import annotations

import ast
import os
import shutil
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from helpers.infra.run.workers import RunArgumentError, default_log_dir

__all__ = [
    "NotebookOutcome",
    "resolve_value",
    "take_parameter_pairs",
    "parse_parameters",
    "declared_parameters",
    "split_overrides",
    "execute_notebook",
    "execute_notebooks",
    "RESERVED_PARAMETERS",
]

KERNEL_NAME = "python3"
RESERVED_PARAMETERS = ("profile", "profiles_file")
"""Set by the runner from ``--profile`` and ``--profiles-file``; never through ``-p``."""


@dataclass
class NotebookOutcome:
    """What became of one notebook run."""

    name: str
    ok: bool
    seconds: float
    output_path: str | None = None  # the executed notebook (on success)
    error_type: str | None = None
    message: str | None = None
    log_path: str | None = None  # the executed copy with the error (on failure)


def resolve_value(text: str) -> Any:
    """A ``-p`` value as papermill's CLI reads it (``papermill.cli._resolve_type``)."""
    if text == "True":
        return True
    if text == "False":
        return False
    if text == "None":
        return None
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    return text


PAIR_FLAGS = {
    "-p": "parameter",
    "--parameter": "parameter",
    "-y": "yaml_parameter",
    "--yaml-parameter": "yaml_parameter",
}
"""The command line's ``NAME VALUE`` flags -> the argument they fill (see :func:`take_parameter_pairs`)."""


def take_parameter_pairs(argv: Sequence[str]) -> tuple[list[str], dict[str, list[list[str]]]]:
    """Take every ``-p NAME VALUE`` / ``-y NAME YAML`` out of ``argv``, the two arguments after the
    flag taken as they are, as papermill's CLI takes them (click, ``nargs=2``): argparse would
    refuse ``-p x -1e-3`` or ``-p x -inf`` ("expected 2 arguments"), reading the value as an option.

    Returns (the other arguments, ``{"parameter": [[name, value], ...], "yaml_parameter": [...]}``);
    arguments after ``--`` are left alone. A flag without two arguments after it is a
    :class:`RunArgumentError`.
    """
    rest: list[str] = []
    pairs: dict[str, list[list[str]]] = {"parameter": [], "yaml_parameter": []}
    index = 0
    while index < len(argv):
        token = argv[index]
        if token == "--":
            rest.extend(argv[index:])
            break
        if token not in PAIR_FLAGS:
            rest.append(token)
            index += 1
            continue
        if len(argv) - index < 3:
            raise RunArgumentError(
                f"{token} needs a NAME and a VALUE after it, got {list(argv[index + 1 :])!r} "
                "(e.g. -p limit 30, or -y models '[offline:smollm2-135m]')."
            )
        pairs[PAIR_FLAGS[token]].append([argv[index + 1], argv[index + 2]])
        index += 3
    return rest, pairs


def _check_name(name: str) -> None:
    if not name.isidentifier():
        raise RunArgumentError(f"Parameter name {name!r} is not a Python identifier (-p NAME VALUE).")
    if name in RESERVED_PARAMETERS:
        flag = name.replace("_", "-")
        raise RunArgumentError(f"Set {name} with --{flag} (make: PROFILE=...), not with -p {name}.")


def parse_parameters(
    pairs: Sequence[Sequence[str]] | None = None, yaml_pairs: Sequence[Sequence[str]] | None = None
) -> dict[str, Any]:
    """``-p`` pairs (papermill's reading, :func:`resolve_value`) and ``-y`` pairs (YAML) -> dict."""
    parameters: dict[str, Any] = {}
    for flag, given, read in (("-p", pairs, resolve_value), ("-y", yaml_pairs, None)):
        for pair in given or ():
            if len(pair) != 2:
                raise RunArgumentError(f"Parameter {list(pair)!r}: expected {flag} NAME VALUE.")
            name, text = pair
            _check_name(name)
            if read is not None:
                parameters[name] = read(text)
                continue
            try:
                parameters[name] = yaml.safe_load(text)
            except yaml.YAMLError as error:
                raise RunArgumentError(
                    f"-y {name} {text!r} is not valid YAML ({error}); e.g. -y models "
                    "'[offline:smollm2-135m, offline:gemma3-270m]'."
                ) from error
    return parameters


def declared_parameters(path: Path) -> dict[str, Any] | None:
    """``{name: default}`` assigned in the notebook's ``parameters`` cell (None: it has none).

    Parsed with :mod:`ast` (papermill's inspector skips annotated names whose annotation it
    cannot parse); a default that is not a literal is given as None.
    """
    import nbformat

    notebook = nbformat.read(str(path), as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            found: dict[str, Any] = {}
            for node in ast.parse(cell.source).body:
                targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
                value = getattr(node, "value", None)
                try:
                    default = ast.literal_eval(value) if value is not None else None
                except ValueError:
                    default = None
                found.update({target.id: default for target in targets if isinstance(target, ast.Name)})
            return found or None
    return None


def split_overrides(paths: Mapping[str, Path], overrides: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The overrides each notebook declares (``paths``: name -> notebook file).

    An override that none of the notebooks declares is a :class:`RunArgumentError` naming the
    parameters they do declare.
    """
    per_notebook: dict[str, dict[str, Any]] = {}
    declared_anywhere: set[str] = set()
    for name, path in paths.items():
        declared = declared_parameters(path) if Path(path).is_file() else None
        declared = set(declared or ()) - set(RESERVED_PARAMETERS)
        declared_anywhere |= declared
        per_notebook[name] = {key: value for key, value in overrides.items() if key in declared}
    unused = [key for key in overrides if not any(key in chosen for chosen in per_notebook.values())]
    if unused:
        raise RunArgumentError(
            f"Parameter(s) {unused} are declared by none of the notebooks {list(paths)}; "
            f"their parameters: {', '.join(sorted(declared_anywhere)) or 'none'}."
        )
    return per_notebook


KERNEL_MANAGER = "helpers.infra.run.notebooks.IPCKernelManager"
"""papermill's kernel manager: local IPC sockets instead of TCP (ipykernel warns on every start that
unencrypted TCP can be eavesdropped; IPC is neither reachable from the network nor noisy)."""


def __getattr__(name: str):
    if name == "IPCKernelManager":  # built on first use: jupyter_client is imported only when a notebook runs
        from jupyter_client.manager import AsyncKernelManager

        class IPCKernelManager(AsyncKernelManager):
            """An :class:`AsyncKernelManager` whose kernels talk over IPC sockets."""

            def __init__(self, **kwargs):
                kwargs.setdefault("transport", "ipc")
                super().__init__(**kwargs)

        globals()["IPCKernelManager"] = IPCKernelManager
        return IPCKernelManager
    raise AttributeError(name)


CUSTOM_RUN_TAG = "cc-custom-run"


def custom_run_banner(parameters: Mapping[str, Any]) -> str:
    """The warning a chapter executed with non-default ``parameters`` shows under its title (MyST)."""
    listed = ", ".join(f"`{name} = {value!r}`" for name, value in parameters.items())
    return (
        ":::{warning}\n**Custom run.** This chapter was executed by `make notebook` with "
        + listed
        + " instead of the defaults `make book` uses: its numbers are not the report's default run "
        "(`make book` replaces it, keeping a copy).\n:::"
    )


def mark_custom_run(path: Path, parameters: Mapping[str, Any]) -> None:
    """Insert :func:`custom_run_banner` after the first cell (the title) of the executed notebook ``path``."""
    import nbformat

    notebook = nbformat.read(str(path), as_version=4)
    notebook.cells = [cell for cell in notebook.cells if CUSTOM_RUN_TAG not in cell.metadata.get("tags", [])]
    cell = nbformat.v4.new_markdown_cell(custom_run_banner(parameters), metadata={"tags": [CUSTOM_RUN_TAG]})
    notebook.cells.insert(1, cell)
    nbformat.write(notebook, str(path))


def replaced_custom_runs(
    outputs: Mapping[str, Path], wanted: Mapping[str, Mapping[str, Any]], keep_dir: Path | None = None
) -> list[str]:
    """Say which executed notebooks (``outputs``: name -> path), run with parameters other than
    ``wanted[name]``, a run will replace; copy each into ``keep_dir`` (when given). Returns their names."""
    import nbformat

    replaced = []
    for name, output in outputs.items():
        if not Path(output).is_file():
            continue
        previous = nbformat.read(str(output), as_version=4).metadata.get("papermill", {}).get("parameters", {})
        custom = {key: value for key, value in previous.items() if wanted.get(name, {}).get(key, "<default>") != value}
        if not custom:
            continue
        replaced.append(name)
        kept = ""
        if keep_dir is not None:
            copy = Path(keep_dir) / f"{name}.{time.strftime('%Y%m%dT%H%M%S')}.ipynb"
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(output, copy)
            kept = f" A copy is kept in {copy}."
        print(
            f"note: this run will replace {output} (a custom run, executed with {custom}).{kept} To publish a "
            "custom run, build with `make html PROFILE=...` instead of `make book`.",
            flush=True,
        )
    return replaced


def execute_notebook(
    name: str,
    source: Path,
    output_dir: Path,
    parameters: Mapping[str, Any],
    *,
    log_dir: Path | None = None,
    custom: Mapping[str, Any] | None = None,
) -> NotebookOutcome:
    """Execute ``source`` with papermill into ``<output_dir>/<name>.ipynb`` (see the module docstring)."""
    import papermill

    source, target = Path(source), Path(output_dir) / f"{name}.ipynb"
    start = time.perf_counter()
    if not source.is_file():
        return NotebookOutcome(
            name, False, 0.0, error_type="NotebookMissing", message=f"{source} does not exist; restore it from git."
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp.ipynb")
    try:
        papermill.execute_notebook(
            str(source),
            str(temp),
            parameters=dict(parameters),
            kernel_name=KERNEL_NAME,
            cwd=str(source.parent),
            progress_bar=False,
            kernel_manager_class=KERNEL_MANAGER,
        )
    except Exception as error:  # noqa: BLE001 - collected and reported at the end
        return _failed_notebook(name, error, time.perf_counter() - start, temp, log_dir)
    except BaseException:  # Ctrl-C: leave nothing half-written behind
        temp.unlink(missing_ok=True)
        raise
    if custom:
        mark_custom_run(temp, custom)
    os.replace(temp, target)
    return NotebookOutcome(name, True, time.perf_counter() - start, output_path=str(target))


def _failed_notebook(name: str, error: Exception, seconds: float, temp: Path, log_dir: Path | None) -> NotebookOutcome:
    """The outcome of a failed run; its executed copy (if any) moves from ``temp`` to ``log_dir``."""
    from papermill.exceptions import PapermillExecutionError

    kept = None
    if temp.is_file():
        failed_dir = Path(log_dir) if log_dir is not None else default_log_dir()
        failed_dir.mkdir(parents=True, exist_ok=True)
        kept = failed_dir / f"{name}.failed.ipynb"
        shutil.move(str(temp), kept)
    if isinstance(error, PapermillExecutionError):
        message = (
            f"cell {error.cell_index} (In [{error.exec_count}]) of the executed notebook raised "
            f"{error.ename}: {error.evalue}"
        )
        error_type = error.ename
    else:
        message, error_type = str(error).strip()[:2000], type(error).__name__
    return NotebookOutcome(
        name, False, seconds, error_type=error_type, message=message, log_path=str(kept) if kept else None
    )


def execute_notebooks(
    paths: Mapping[str, Path],
    output_dir: Path,
    fixed: Mapping[str, Any],
    overrides: Mapping[str, Any] | None = None,
    *,
    log_dir: Path | None = None,
    banner: bool = True,
) -> list[NotebookOutcome]:
    """Execute each notebook in turn with ``fixed`` (profile, profiles_file) and its share of
    ``overrides`` (:func:`split_overrides`); failures are collected, not raised. With ``banner``, a
    notebook run with overrides carries :func:`custom_run_banner` under its title."""
    per_notebook = split_overrides(paths, overrides or {})
    log_root = Path(log_dir) if log_dir is not None else default_log_dir()
    outcomes = []
    for index, (name, path) in enumerate(paths.items(), start=1):
        print(f"notebook {name}: started (parameters {per_notebook[name] or 'defaults'})", flush=True)
        outcome = execute_notebook(
            name,
            path,
            output_dir,
            {**fixed, **per_notebook[name]},
            log_dir=log_root,
            custom=per_notebook[name] if banner else None,
        )
        status = "ok" if outcome.ok else "FAILED"
        detail = outcome.output_path if outcome.ok else f"{outcome.error_type}: {outcome.message}"
        print(f"[{index}/{len(paths)}] notebook {name}: {status} in {outcome.seconds:.1f} s ({detail})", flush=True)
        outcomes.append(outcome)
    return outcomes
