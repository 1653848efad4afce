"""Convert an assembled GGUF into an fp16 Hugging Face directory, with the upstream tokenizer rules.

transformers' GGUF loader dequantizes to fp32; the GGUF quantization config is dropped; the
model is stored in **fp16** (compute later in fp32: the per-token log-prob drift of fp16 storage
is below 0.01) and reloaded to check that drift on a probe sentence. The tokenizer gets the
upstream normalizer and pre-tokenizer (:data:`~helpers.core.models.offline.catalog.UPSTREAM_RULES`)
and must then encode every probe string to the golden ids of
``data/offline_models/golden_token_ids.json`` (computed by ``scripts/reference_tokenizers.py``
from the upstream rules, not by this code).
"""

from __future__ import annotations

import gc
import json
import sys
from pathlib import Path

from helpers.core.models.offline.catalog import GOLDEN_IDS_FILE, OfflineModelError, TokenizerMismatch
from helpers.core.models.offline.wheels import say

PROBE_TEXT = "The capital of France is Paris. Two plus three equals five."
MAX_PROBE_LOGPROB_DRIFT = 0.05
"""Largest per-token log-prob difference allowed between the GGUF model (fp32) and its
stored fp16 copy reloaded in fp32; measured drift is below 0.01 (shared/OFFLINE_MODELS.md)."""


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


def convert_gguf(
    gguf_dir: Path,
    gguf_file: str,
    out_dir: Path,
    *,
    progress: bool = True,
    rules: dict | None = None,
    golden: dict[str, list[int]] | None = None,
    name: str = "?",
) -> dict:
    """Dequantize ``gguf_dir/gguf_file`` and save it as an fp16 HF directory in ``out_dir``.

    Returns facts for the provenance record: model_type, parameter count, and the largest
    per-token log-prob drift on a probe sentence between the GGUF model in fp32 and the
    stored fp16 copy reloaded in fp32 (raises :class:`OfflineModelError` above
    :data:`MAX_PROBE_LOGPROB_DRIFT`). Holds one model in memory at a time.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    say(progress, "  dequantizing GGUF to fp32")
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

    say(progress, f"  saving fp16 ({n_parameters / 1e6:.1f}M parameters)")
    model = model.to(torch.float16)
    model.config.dtype = torch.float16
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    apply_tokenizer_rules(out_dir, rules)
    del model
    gc.collect()

    say(progress, "  checking the stored copy")
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
