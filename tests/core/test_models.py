"""helpers.core.models: loading from every source, the dtype policy, errors, parameter counts.

Runs offline on CPU in seconds: ``random:`` models are scaled down, the local and offline
sources are exercised with tiny models saved into a temporary directory, and the hub source
is checked only for its offline failure. Expected parameter counts come from outside the
code: the published Pythia eval files (``data/reference``), the Pythia README's
non-embedding column, OPT's nominal sizes, and closed-form counts written out by hand from
the architectures.
"""

from __future__ import annotations

import csv
import gzip
import math

import huggingface_hub.constants
import pytest
import torch
from transformers import GPT2Config, GPTNeoXConfig, LlamaConfig, LlamaForCausalLM, PretrainedConfig

from helpers.core.models import (
    MODELS,
    HubUnreachableError,
    ModelDtypeError,
    ModelSourceError,
    UnknownModelError,
    count_parameters,
    family_tokenizer,
    get_spec,
    hf_config,
    load_model,
    offline,
    registry_param_counts,
    resolve_max_length,
    resolve_source,
)
from helpers.core.models.params import split_parameter_count
from helpers.core.models.random_init import DEPTH_DIVISOR, WIDTH_DIVISOR, build_random_model
from helpers.infra.paths import DATA_DIR

PROBE = "Q: What is 98 plus 45?\n\nA: 143"


@pytest.fixture(autouse=True)
def _no_hub(monkeypatch):
    """Whatever the caller's environment, these tests never reach for the hub."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)


def _logits(loaded, text: str = PROBE) -> torch.Tensor:
    input_ids = loaded.tokenizer(text, return_tensors="pt")["input_ids"].to(loaded.device)  # [1, seq]
    with torch.no_grad():
        return loaded.model(input_ids=input_ids).logits  # [1, seq, vocab]


def _pythia_total(vocab: int, d: int, layers: int) -> int:
    """GPT-NeoX with untied embeddings: embed_in + embed_out + layers + final LN (by hand).

    Per layer: qkv 3d^2+3d, dense d^2+d, MLP 4d^2+4d and 4d^2+d, two LNs 4d = 12d^2+13d.
    """
    return 2 * vocab * d + layers * (12 * d * d + 13 * d) + 2 * d


def _opt_total(vocab: int, d: int, layers: int, *, proj: int | None = None) -> int:
    """OPT with tied embeddings and 2048+2 learned positions (by hand).

    Pre-LN models add a final LN (2d). opt-350m: 512-wide token table, bias-free
    project_in/out (2 * 512 * d), post-LN so no final LN.
    """
    blocks = layers * (12 * d * d + 13 * d)
    if proj is None:
        return vocab * d + 2050 * d + blocks + 2 * d
    return vocab * proj + 2050 * d + 2 * proj * d + blocks


# --- random: ------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["pythia-410m", "opt-350m"])
def test_random_model_has_the_scaled_down_real_shape(name):
    spec = get_spec(name)
    loaded = load_model(f"random:{name}")
    config = loaded.model.config
    assert config.num_attention_heads == spec.n_heads
    assert config.hidden_size == spec.d_model // WIDTH_DIVISOR
    assert config.num_hidden_layers == math.ceil(spec.n_layers / DEPTH_DIVISOR)
    assert config.vocab_size == spec.vocab_size
    assert (loaded.model_id, loaded.family, loaded.revision) == (f"random:{name}", spec.family, None)
    assert (loaded.dtype, loaded.device, loaded.max_length) == ("float32", "cpu", 2048)
    assert not loaded.model.training
    input_ids = loaded.tokenizer(PROBE, return_tensors="pt")["input_ids"]
    assert _logits(loaded).shape == (1, input_ids.shape[1], spec.vocab_size)


def test_random_model_is_deterministic_in_the_seed():
    first, again, other = (load_model("random:pythia-70m", seed=s) for s in (0, 0, 1))
    assert torch.equal(_logits(first), _logits(again))
    assert not torch.equal(_logits(first), _logits(other))


def test_random_models_use_the_real_tokenizers():
    assert load_model("random:pythia-160m").tokenizer("Hello world")["input_ids"] == [12092, 1533]
    assert load_model("random:opt-125m").tokenizer("Hello world")["input_ids"] == [2, 31414, 232]


def test_random_model_parameter_counts_follow_the_closed_forms():
    pythia = load_model("random:pythia-410m")  # width 128, 6 layers
    d, layers, vocab = 1024 // WIDTH_DIVISOR, math.ceil(24 / DEPTH_DIVISOR), 50304
    assert pythia.n_params_total == _pythia_total(vocab, d, layers)
    assert pythia.n_params_nonembedding == pythia.n_params_total - 2 * vocab * d
    opt = load_model("random:opt-350m")  # width 128, projection 64, 6 layers
    d, proj = 1024 // WIDTH_DIVISOR, 512 // WIDTH_DIVISOR
    assert opt.n_params_total == _opt_total(50272, d, 6, proj=proj)
    assert opt.n_params_nonembedding == opt.n_params_total - 50272 * proj - 2050 * d


def test_full_size_random_model_has_the_real_shape():
    """The benchmarks' ``random-full:`` models: real width and depth, so the real cost."""
    model, _ = build_random_model("pythia-70m", full_size=True, attn_implementation="sdpa")
    spec = get_spec("pythia-70m")
    total, nonembedding = split_parameter_count(model)
    assert total == _pythia_total(spec.vocab_size, spec.d_model, spec.n_layers)
    assert nonembedding == total - 2 * spec.vocab_size * spec.d_model
    assert model.config._attn_implementation == "sdpa" and not model.training


def test_attention_implementation_is_selectable():
    assert load_model("random:opt-125m").model.config._attn_implementation == "eager"
    loaded = load_model("random:opt-125m", attn_implementation="sdpa")
    assert loaded.model.config._attn_implementation == "sdpa"


# --- local directory ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def saved_pythia(tmp_path_factory):
    """A random pythia-70m-shaped model saved with save_pretrained, and its logits."""
    original = load_model("random:pythia-70m", seed=3)
    folder = tmp_path_factory.mktemp("saved") / "tiny-neox"
    original.model.save_pretrained(folder)
    original.tokenizer.save_pretrained(folder)
    return folder, _logits(original)


def test_local_directory_reloads_identical_logits(saved_pythia):
    folder, logits = saved_pythia
    loaded = load_model(str(folder), attn_implementation="eager")  # as the random model was built
    assert loaded.model.config._attn_implementation == "eager"
    assert torch.equal(_logits(loaded), logits)
    assert loaded.model_id == f"local:{folder.name}" and loaded.revision.startswith("files-")
    assert loaded.family == "gpt_neox"  # the path does not name Pythia: the config's type
    assert loaded.tokenizer(PROBE)["input_ids"] == family_tokenizer("pythia")(PROBE)["input_ids"]
    assert loaded.max_length == 2048 and loaded.dtype == "float32" and not loaded.model.training


def test_a_moved_local_model_keeps_its_identity(saved_pythia, tmp_path):
    """Nothing machine-specific in the key: a copy elsewhere has the same id and revision."""
    import shutil

    folder, logits = saved_pythia
    copy = tmp_path / "elsewhere" / folder.name
    shutil.copytree(folder, copy)
    first, again = resolve_source(str(folder)), resolve_source(f"local:{copy}")
    assert (again.model_id, again.revision) == (first.model_id, first.revision)
    assert str(tmp_path) not in again.model_id + again.revision
    torch.testing.assert_close(_logits(load_model(str(copy))), logits, rtol=0, atol=1e-5)  # sdpa vs eager


def test_local_opt_keeps_its_bos(tmp_path):
    original = load_model("random:opt-125m")
    original.model.save_pretrained(tmp_path)
    original.tokenizer.save_pretrained(tmp_path)
    loaded = load_model(f"local:{tmp_path}", attn_implementation="eager")
    assert loaded.family == "opt"
    assert loaded.tokenizer("Hello, my dog is cute")["input_ids"] == [2, 31414, 6, 127, 2335, 16, 11962]
    assert torch.equal(_logits(loaded), _logits(original))


def _save_random_llama(path, dtype=torch.float32, **settings) -> None:
    """Save a random Llama (seed 0) of ``dtype`` at ``path``: Pythia's vocabulary size, 4 query and
    2 key-value heads, the sizes in ``settings``."""
    config = LlamaConfig(vocab_size=50304, num_attention_heads=4, num_key_value_heads=2, **settings)
    torch.manual_seed(0)
    LlamaForCausalLM(config).to(dtype).save_pretrained(path)


def test_missing_pad_token_is_set_to_eos_without_changing_encodings(tmp_path):
    _save_random_llama(tmp_path, hidden_size=32, num_hidden_layers=1, intermediate_size=64, max_position_embeddings=256)
    tokenizer = family_tokenizer("pythia")
    tokenizer.pad_token = None
    tokenizer.save_pretrained(tmp_path)
    loaded = load_model(str(tmp_path))
    assert loaded.tokenizer.pad_token == loaded.tokenizer.eos_token == "<|endoftext|>"
    assert loaded.tokenizer(PROBE)["input_ids"] == family_tokenizer("pythia")(PROBE)["input_ids"]
    assert loaded.max_length == 256


# --- offline: -----------------------------------------------------------------------------
@pytest.fixture
def fake_offline_llama(tmp_path, monkeypatch):
    """A tiny Llama (tied embeddings, like SmolLM2) saved in fp16, served by offline.model_dir."""
    _save_random_llama(
        tmp_path,
        torch.float16,
        hidden_size=64,
        num_hidden_layers=2,
        intermediate_size=128,
        max_position_embeddings=8192,
        tie_word_embeddings=True,
    )
    family_tokenizer("pythia").save_pretrained(tmp_path)
    asked = []
    monkeypatch.setattr(offline, "model_dir", lambda name: asked.append(name) or tmp_path)
    return asked


def test_offline_source_loads_the_cached_directory_in_fp32(fake_offline_llama):
    loaded = load_model("offline:smollm2-135m")
    assert fake_offline_llama == ["smollm2-135m"]
    assert (loaded.model_id, loaded.family) == ("offline:smollm2-135m", "llama")
    assert loaded.revision == offline.build_id("smollm2-135m")  # the GGUF sha256 and tokenizer rules
    assert loaded.dtype == "float32"
    assert {p.dtype for p in loaded.model.parameters()} == {torch.float32}
    assert loaded.max_length == 8192
    # Llama by hand: tied table V*h; per layer q,o h^2, k,v h*h/2 (2 of 4 kv heads),
    # MLP 3*h*2h, two RMSNorm weights 2h; final norm h.
    h, vocab = 64, 50304
    per_layer = 2 * h * h + 2 * h * (h // 2) + 3 * h * 128 + 2 * h
    assert loaded.n_params_total == vocab * h + 2 * per_layer + h
    assert loaded.n_params_nonembedding == 2 * per_layer + h


def test_offline_model_not_built_tells_how_to_build_it(tmp_path, monkeypatch):
    monkeypatch.setenv("CC_CACHE", str(tmp_path))
    with pytest.raises(offline.OfflineModelMissing, match=r"make models MODELS=gemma3-270m"):
        load_model("offline:gemma3-270m")


# --- hub ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "source, revision",
    [
        ("capability-ceilings-tests/no-such-model", None),
        ("pythia-70m", "step143000"),
    ],
)
def test_hub_offline_raises_hub_unreachable_naming_the_alternatives(source, revision):
    with pytest.raises(HubUnreachableError) as raised:
        load_model(source, revision=revision)
    message = str(raised.value)
    assert "PROFILE=offline" in message and "random:" in message and "offline:" in message
    assert ("EleutherAI/pythia-70m" if source == "pythia-70m" else source) in message


# --- dtype policy -------------------------------------------------------------------------
@pytest.mark.skipif(torch.cuda.is_available(), reason="the CPU default is checked on CPU")
def test_default_dtype_on_cpu_is_float32():
    loaded = load_model("random:pythia-70m")
    assert loaded.dtype == "float32" and loaded.device == "cpu"
    assert {p.dtype for p in loaded.model.parameters()} == {torch.float32}


@pytest.mark.parametrize("source", ["random:pythia-70m", "pythia-70m", "EleutherAI/pythia-1b"])
def test_fp16_is_refused_for_pythia_before_anything_loads(source):
    with pytest.raises(ModelDtypeError, match=r"bfloat16.*float32"):
        load_model(source, dtype="float16")
    with pytest.raises(ModelDtypeError):
        load_model(source, dtype=torch.float16)


def test_fp16_is_refused_for_a_saved_gpt_neox_directory(saved_pythia):
    with pytest.raises(ModelDtypeError, match="bfloat16"):
        load_model(str(saved_pythia[0]), dtype="float16")


@pytest.mark.parametrize(
    "requested, expected",
    [
        ("float16", torch.float16),
        ("bfloat16", torch.bfloat16),
        (torch.bfloat16, torch.bfloat16),
        ("float32", torch.float32),
    ],
)
def test_explicit_dtypes_are_applied(requested, expected):
    loaded = load_model("random:opt-125m", dtype=requested)
    assert {p.dtype for p in loaded.model.parameters()} == {expected}
    assert loaded.dtype == str(expected).removeprefix("torch.")


def test_unknown_dtype_lists_the_accepted_ones():
    with pytest.raises(ModelDtypeError, match=r"'float64'.*float32, bfloat16, float16"):
        load_model("random:opt-125m", dtype="float64")


# --- bad sources --------------------------------------------------------------------------
@pytest.mark.parametrize("source", ["pythia-7b", "opt-99m", "smollm2-135m"])
def test_unknown_name_lists_the_known_ones(source):
    with pytest.raises(UnknownModelError) as raised:
        load_model(source)
    message = str(raised.value)
    assert repr(source) in message
    assert all(name in message for name in MODELS)


def test_unknown_random_name_lists_the_random_names():
    with pytest.raises(UnknownModelError, match=r"random:pythia-70m.*random:opt-30b"):
        load_model("random:pythia-7b")


@pytest.mark.parametrize("source", ["/no/such/model/dir", "./no-such-dir/model", "local:/no/such/dir"])
def test_missing_local_directory_is_a_clear_error(source):
    with pytest.raises(ModelSourceError, match="does not exist|hub id"):
        load_model(source)


def test_revision_is_refused_for_non_hub_sources():
    with pytest.raises(ModelSourceError, match="step143000"):
        load_model("random:pythia-70m", revision="step143000")


# --- max_length: parity with lm-evaluation-harness ----------------------------------------
def test_max_length_follows_lm_eval_rule():
    from lm_eval.models.utils import resolve_max_length as lm_eval_rule

    tokenizer = family_tokenizer("pythia")
    capped = family_tokenizer("pythia")
    capped.model_max_length = 777
    bare = PretrainedConfig()
    cases = [
        (GPTNeoXConfig(max_position_embeddings=4096), tokenizer),
        (GPT2Config(n_positions=1024), tokenizer),  # n_positions is checked first
        (bare, capped),  # no length in the config: the tokenizer's
        (bare, tokenizer),  # tokenizer unset (huge sentinel): the 2048 default
    ]
    for config, tok in cases:
        assert resolve_max_length(config, tok) == lm_eval_rule(config, tok)
    assert [resolve_max_length(c, t) for c, t in cases] == [4096, 1024, 777, 2048]


# --- parameter counts ---------------------------------------------------------------------
def _published_params() -> dict[str, int]:
    """Total parameter counts recorded in the published Pythia/OPT eval files."""
    params: dict[str, int] = {}
    with gzip.open(DATA_DIR / "reference" / "lm_eval_published.csv.gz", "rt", newline="") as handle:
        for row in csv.DictReader(handle):
            params.setdefault(row["model"], int(row["params"]))
    return params


PYTHIA_PUBLISHED_TOTAL = {  # data/reference/SOURCES.md
    "pythia-70m": 70_426_624,
    "pythia-160m": 162_322_944,
    "pythia-410m": 405_334_016,
    "pythia-1b": 1_011_781_632,
    "pythia-1.4b": 1_414_647_808,
    "pythia-2.8b": 2_775_208_960,
    "pythia-6.9b": 6_857_302_016,
    "pythia-12b": 11_846_072_320,
}
PYTHIA_README_NONEMBEDDING = {  # EleutherAI/pythia README, "Non-Embedding Params"
    "pythia-70m": 18_915_328,
    "pythia-160m": 85_056_000,
    "pythia-410m": 302_311_424,
    "pythia-1b": 805_736_448,
    "pythia-1.4b": 1_208_602_624,
    "pythia-2.8b": 2_517_652_480,
    "pythia-6.9b": 6_444_163_072,
    "pythia-12b": 11_327_027_200,
}


@pytest.fixture(scope="module")
def counts():
    return registry_param_counts().set_index("name")


def test_registry_table_covers_every_model_with_its_shape(counts):
    assert list(counts.index) == list(MODELS)
    for name, spec in MODELS.items():
        row = counts.loc[name]
        assert (row.family, row.hub_id, row.n_layers, row.n_heads, row.d_model) == (
            spec.family,
            spec.hub_id,
            spec.n_layers,
            spec.n_heads,
            spec.d_model,
        )
        assert 0 < row.n_params_nonembedding < row.n_params_total


def test_pythia_totals_match_the_published_eval_files(counts):
    published = _published_params()
    for name, expected in PYTHIA_PUBLISHED_TOTAL.items():
        in_file = "pythia-1b-bf16" if name == "pythia-1b" else name  # the file's name for pythia-1b
        assert published[in_file] == expected
        assert counts.loc[name, "n_params_total"] == expected, name
        spec = MODELS[name]
        assert expected == _pythia_total(spec.vocab_size, spec.d_model, spec.n_layers)


def test_pythia_nonembedding_matches_the_readme(counts):
    for name, expected in PYTHIA_README_NONEMBEDDING.items():
        assert counts.loc[name, "n_params_nonembedding"] == expected, name


def test_opt_counts_match_closed_form_and_nominal_size(counts):
    published = _published_params()
    for name, spec in MODELS.items():
        if spec.family != "opt":
            continue
        proj = 512 if name == "opt-350m" else None
        total = counts.loc[name, "n_params_total"]
        assert total == _opt_total(spec.vocab_size, spec.d_model, spec.n_layers, proj=proj), name
        # Nominal sizes are rounded names; opt-350m really has 331M (5.4% under its name).
        assert abs(total / published[name] - 1) < (0.06 if name == "opt-350m" else 0.02), name
        embedding = spec.vocab_size * (proj or spec.d_model) + 2050 * spec.d_model
        assert counts.loc[name, "n_params_nonembedding"] == total - embedding, name


def test_count_parameters_allocates_nothing():
    total, non_embedding = count_parameters(hf_config(get_spec("opt-30b")))
    assert total == _opt_total(50272, 7168, 48)
    assert non_embedding == total - 50272 * 7168 - 2050 * 7168


# --- the real offline model, when it has been built ---------------------------------------
OFFLINE_FACTS = {  # name: (family, total params, adds BOS) from shared/OFFLINE_MODELS.md
    "smollm2-135m": ("llama", 134.5e6, False),
    "gemma3-270m": ("gemma3", 268e6, True),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(OFFLINE_FACTS))
def test_real_offline_model_if_built(name):
    from lm_eval.models.utils import resolve_max_length as lm_eval_rule

    try:
        offline.model_dir(name)
    except offline.OfflineModelMissing:
        pytest.skip(f"{name} not built (make models MODELS={name})")
    family, total, adds_bos = OFFLINE_FACTS[name]
    loaded = load_model(f"offline:{name}", device="cpu")
    assert (loaded.family, loaded.dtype, loaded.model_id) == (family, "float32", f"offline:{name}")
    assert abs(loaded.n_params_total / total - 1) < 0.005
    assert loaded.max_length == lm_eval_rule(loaded.model.config, loaded.tokenizer)
    first_id = loaded.tokenizer("Hello world")["input_ids"][0]
    assert (first_id == loaded.tokenizer.bos_token_id) == adds_bos
    if name == "gemma3-270m":  # Google: ~170M embedding + ~100M transformer-block parameters
        assert abs(loaded.n_params_nonembedding / 100e6 - 1) < 0.02
    assert torch.isfinite(_logits(loaded)).all()
