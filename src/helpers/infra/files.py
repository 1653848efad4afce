"""One atomic write for every file the project produces (results, provenance, notebooks, pages).

A reader sees either the old file or the complete new one, never a partial file: the content
is written to a temporary file in the same folder, flushed and fsynced, then moved over the
target with ``os.replace`` (atomic on POSIX within one file system) and the folder entry is
fsynced. The temporary file is removed if writing fails, so an interrupted run loses at most
the file in progress.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, BinaryIO

TEMP_SUFFIX = ".tmp"
"""Suffix of temporary files (``.<name>.<pid>.<random>.tmp``); left only by a killed writer."""


def _fsync_directory(directory: Path) -> None:
    """Flush a directory entry to disk (best effort: not supported on every platform)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: str | os.PathLike[str], write: Callable[[BinaryIO], None]) -> Path:
    """Write ``path`` atomically: ``write(handle)`` fills a temporary file beside it, then replace.

    The folder must exist. Returns ``path`` as a :class:`~pathlib.Path`.
    """
    path = Path(path)
    temp_path = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}{TEMP_SUFFIX}")
    try:
        with open(temp_path, "xb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_path, path)
    except BaseException:
        temp_path.unlink(missing_ok=True)
        raise
    _fsync_directory(path.parent)
    return path


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """:func:`atomic_write` of UTF-8 ``text``."""
    return atomic_write(path, lambda handle: handle.write(text.encode("utf-8")))


def atomic_write_json(path: str | os.PathLike[str], record: Mapping[str, Any]) -> Path:
    """:func:`atomic_write` of ``record`` as indented, key-sorted JSON (non-JSON values via ``str``)."""
    text = json.dumps(record, indent=2, sort_keys=True, ensure_ascii=False, default=str)
    return atomic_write_text(path, text + "\n")


def file_sha256(path: str | os.PathLike[str]) -> str:
    """Hex sha256 of a file's bytes, read in 8 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(8 * 1024 * 1024):
            digest.update(block)
    return digest.hexdigest()
