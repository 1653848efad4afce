"""The bundled Pythia and OPT tokenizers give the real models' token ids.

Golden ids come from ``data/tokenizers/*/SOURCES.md`` (checked there with a separate
``tokenizers`` build when the files were copied). The OPT tokenizer is also checked against
an independent BPE built from OpenAI's GPT-2 files (``encoder.json`` + ``vocab.bpe``): same
merges, different id table, so the token *strings* must agree on real task text.
"""

from __future__ import annotations

import csv
import json

import pytest
from tokenizers import Tokenizer, decoders, models, pre_tokenizers

from helpers.core.models.tokenizers import TOKENIZER_DIR, family_tokenizer
from helpers.infra.paths import DATA_DIR

ARITHMETIC_PROMPT = "Q: What is 98 plus 45?\n\nA: 143"


@pytest.fixture(scope="module")
def pythia():
    return family_tokenizer("pythia")


@pytest.fixture(scope="module")
def opt():
    return family_tokenizer("opt")


def _mmlu_questions(limit: int = 200) -> list[str]:
    """Question texts from the first MMLU math test file (real task text with digits and symbols)."""
    path = DATA_DIR / "mmlu" / "test" / "high_school_mathematics_test.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        return [row[0] for _, row in zip(range(limit), csv.reader(handle))]


# --- Pythia -------------------------------------------------------------------------------
def test_pythia_golden_ids(pythia):
    assert pythia("Hello world")["input_ids"] == [12092, 1533]
    ids = pythia(ARITHMETIC_PROMPT)["input_ids"]
    assert ids[:12] == [50, 27, 1737, 310, 10508, 5043, 5329, 32, 187, 187, 34, 27]


def test_pythia_adds_no_bos_and_has_its_special_ids(pythia):
    assert pythia("Hello")["input_ids"][0] != pythia.bos_token_id
    assert pythia.eos_token_id == 0  # <|endoftext|>
    assert pythia.pad_token_id == 1  # <|padding|>


def test_pythia_matches_the_raw_tokenizer_file(pythia):
    """The transformers wrapper adds nothing to what the tokenizer file itself encodes."""
    raw = Tokenizer.from_file(str(TOKENIZER_DIR / "pythia" / "20B_tokenizer.json"))
    for text in _mmlu_questions(100) + [ARITHMETIC_PROMPT, "  two\tspaces  and tabs\t\t"]:
        assert pythia(text)["input_ids"] == raw.encode(text).ids, text


def test_pythia_uses_added_space_tokens(pythia):
    """SOURCES.md: runs of spaces map to the added tokens 50254-50276."""
    ids = pythia("a" + " " * 24 + "b")["input_ids"]
    assert any(50254 <= token <= 50276 for token in ids)


# --- OPT ----------------------------------------------------------------------------------
def test_opt_golden_ids(opt):
    assert opt("Hello world")["input_ids"] == [2, 31414, 232]
    assert opt("Hello, my dog is cute")["input_ids"] == [2, 31414, 6, 127, 2335, 16, 11962]
    ids = opt(ARITHMETIC_PROMPT)["input_ids"]
    assert ids[:13] == [2, 1864, 35, 653, 16, 8757, 2704, 2248, 116, 50118, 50118, 250, 35]


def test_opt_prepends_bos_once_and_has_its_special_ids(opt):
    assert opt.bos_token_id == 2 and opt.eos_token_id == 2
    assert opt.pad_token_id == 1
    assert opt.unk_token_id == 3
    ids = opt("Hello")["input_ids"]
    assert ids[0] == 2 and ids.count(2) == 1
    assert opt("Hello", add_special_tokens=False)["input_ids"] == [31414]


def test_opt_token_strings_match_an_independent_gpt2_bpe(opt):
    """Same merges + OpenAI's GPT-2 id table must split real text into the same pieces."""
    folder = TOKENIZER_DIR / "opt"
    gpt2_vocab = json.loads((folder / "encoder.json").read_text(encoding="utf-8"))
    gpt2_merges = [
        tuple(line.split(" ")) for line in (folder / "vocab.bpe").read_text(encoding="utf-8").splitlines()[1:] if line
    ]
    gpt2 = Tokenizer(models.BPE(vocab=gpt2_vocab, merges=gpt2_merges))
    gpt2.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    gpt2.decoder = decoders.ByteLevel()
    for text in _mmlu_questions(200) + [ARITHMETIC_PROMPT]:
        opt_pieces = opt.convert_ids_to_tokens(opt(text, add_special_tokens=False)["input_ids"])
        assert opt_pieces == gpt2.encode(text).tokens, text


# --- both ---------------------------------------------------------------------------------
@pytest.mark.parametrize("family", ["pythia", "opt"])
def test_decode_round_trip(family):
    tokenizer = family_tokenizer(family)
    texts = [ARITHMETIC_PROMPT, "Hello, my dog is cute", "Café «quoted» 数学 — 12345 + 678 = 13023"]
    for text in texts + _mmlu_questions(50):
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        assert tokenizer.decode(ids) == text


def test_family_tokenizer_returns_independent_copies():
    first = family_tokenizer("pythia")
    first.pad_token = first.eos_token
    assert family_tokenizer("pythia").pad_token == "<|padding|>"


def test_unknown_family_names_the_known_ones():
    with pytest.raises(ValueError, match="opt.*pythia|pythia.*opt"):
        family_tokenizer("llama")
