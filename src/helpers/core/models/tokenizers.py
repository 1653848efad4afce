"""The real Pythia and OPT tokenizers, built from the files bundled in ``data/tokenizers``.

Used for models with random weights of the real architectures (the ``ci`` profile) and for
tests: they give the same token ids as the hub tokenizers without any download.

- Pythia (GPT-NeoX-20B BPE): adds no BOS; ``<|endoftext|>`` = 0 is EOS, ``<|padding|>`` = 1.
- OPT (GPT-2 byte-level BPE with fairseq/RoBERTa ids): prepends BOS ``</s>`` = 2; pad
  ``<pad>`` = 1, unk ``<unk>`` = 3 (see ``data/tokenizers/opt/SOURCES.md``).
"""

from __future__ import annotations

from functools import cache

from transformers import GPT2Tokenizer, PreTrainedTokenizerBase, PreTrainedTokenizerFast

from helpers.infra.paths import DATA_DIR

TOKENIZER_DIR = DATA_DIR / "tokenizers"


@cache
def _pythia() -> PreTrainedTokenizerFast:
    path = TOKENIZER_DIR / "pythia" / "20B_tokenizer.json"
    if not path.is_file():
        raise FileNotFoundError(f"Pythia tokenizer file {path} is missing: restore data/tokenizers from git.")
    return PreTrainedTokenizerFast(
        tokenizer_file=str(path),
        bos_token="<|endoftext|>",
        eos_token="<|endoftext|>",
        unk_token="<|endoftext|>",
        pad_token="<|padding|>",
    )


@cache
def _opt() -> GPT2Tokenizer:
    folder = TOKENIZER_DIR / "opt"
    for name in ("vocab.json", "merges.txt"):
        if not (folder / name).is_file():
            raise FileNotFoundError(f"OPT tokenizer file {folder / name} is missing: restore data/tokenizers from git.")
    return GPT2Tokenizer(
        vocab=str(folder / "vocab.json"),
        merges=str(folder / "merges.txt"),
        bos_token="</s>",
        eos_token="</s>",
        pad_token="<pad>",
        unk_token="<unk>",
        add_bos_token=True,
    )


def family_tokenizer(family: str) -> PreTrainedTokenizerBase:
    """A fresh copy of the real tokenizer of ``family`` ("pythia" or "opt")."""
    import copy

    builders = {"pythia": _pythia, "opt": _opt}
    if family not in builders:
        raise ValueError(f"No bundled tokenizer for family {family!r}; known: {sorted(builders)}.")
    return copy.deepcopy(builders[family]())
