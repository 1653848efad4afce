"""Tests of helpers.infra.store (results cache) and helpers.infra.provenance.

The store's behaviour is checked from outside: tables are compared with frames built by
hand from the units, the compute calls are logged to see which shards were (re)computed, and
an interrupted run is a real subprocess that dies with ``os._exit`` midway.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import struct
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from helpers.infra import provenance
from helpers.infra.store import (
    CorruptShardError,
    InvalidKeyError,
    ResultNotFoundError,
    ResultStore,
    StoreArgumentError,
    StoreConflictError,
    StoreWarning,
    canonical_json,
    key_hash,
)
from helpers.infra.store.shards import DIGEST_FIELD, SHARD_METADATA_KEY, content_sha256

# The compute function used in-process and in the subprocess (same source, exec'd in both):
# two rows per unit, so row counts differ from unit counts; each call appends the first unit
# of its shard to a log file, so a test can see exactly which shards were computed.
COMPUTE_SOURCE = """
import pandas as pd

def make_compute(log_path):
    def compute(units):
        with open(log_path, "a") as log:
            log.write(f"{units[0]}\\n")
        rows = [
            {"item": unit, "choice": choice, "logprob": -unit / 8 - choice, "label": f"u{unit}"}
            for unit in units
            for choice in (0, 1)
        ]
        return pd.DataFrame(rows)
    return compute
"""
_namespace: dict = {}
exec(COMPUTE_SOURCE, _namespace)
make_compute = _namespace["make_compute"]

KEY_FIELDS = {
    "model_id": "EleutherAI/pythia-70m",
    "revision": "step143000",
    "dtype": "float32",
    "task": "arithmetic_2da",
    "settings": {"shots": 0, "n_items": 14},
    "code_version": "test",  # fixed so edits to the scoring code do not change test keys
}
UNITS = list(range(100, 114))  # 14 units -> 7 shards of 2
SHARD_SIZE = 2


def expected_table(units) -> pd.DataFrame:
    """The table the compute function must produce, written out independently."""
    items = [unit for unit in units for _ in (0, 1)]
    choices = [0, 1] * len(units)
    return pd.DataFrame(
        {
            "item": items,
            "choice": choices,
            "logprob": [-item / 8 - choice for item, choice in zip(items, choices)],
            "label": [f"u{item}" for item in items],
        }
    )


def computed_starts(log_path: Path) -> list[int]:
    if not log_path.exists():
        return []
    return [int(line) for line in log_path.read_text().split()]


def shard_paths(store: ResultStore, key_fields=KEY_FIELDS) -> list[Path]:
    return sorted(store.path(key_fields).glob("shard-*.parquet"))


@pytest.fixture
def store(tmp_path) -> ResultStore:
    return ResultStore(tmp_path / "results")


def fill(store: ResultStore, log_path: Path, units=UNITS, key_fields=KEY_FIELDS) -> pd.DataFrame:
    return store.get_or_compute(key_fields, units, make_compute(log_path), shard_size=SHARD_SIZE, progress=False)


# --------------------------------------------------------------------------- keys


def test_key_is_sha256_of_sorted_compact_json():
    fields = {"b": [1, 2.5], "a": {"y": None, "x": True}}
    written_by_hand = '{"a":{"x":true,"y":null},"b":[1,2.5]}'
    assert canonical_json(fields) == written_by_hand
    assert key_hash(fields) == hashlib.sha256(written_by_hand.encode()).hexdigest()


def test_key_is_stable_across_field_order_and_changes_with_settings(store):
    reordered = {name: KEY_FIELDS[name] for name in reversed(list(KEY_FIELDS))}
    reordered["settings"] = {"n_items": 14, "shots": 0}
    assert store.key(reordered) == store.key(KEY_FIELDS)
    assert store.key({**KEY_FIELDS, "settings": {"shots": 5, "n_items": 14}}) != store.key(KEY_FIELDS)
    assert store.key({**KEY_FIELDS, "dtype": "float16"}) != store.key(KEY_FIELDS)
    assert store.key({**KEY_FIELDS, "code_version": "other"}) != store.key(KEY_FIELDS)
    # a tuple is the same JSON value as a list
    assert key_hash({"a": (1, 2)}) == key_hash({"a": [1, 2]})


def test_the_store_keys_exactly_the_given_fields(tmp_path):
    fields = {"model_id": "m", "task": "t"}
    assert ResultStore(tmp_path).key(fields) == key_hash(fields)  # nothing added behind the caller's back


@pytest.mark.parametrize(
    "bad_fields, named",
    [
        ({"model_dir": Path("/models/x")}, "key_fields.model_dir"),
        ({"settings": {"temperature": float("nan")}}, "key_fields.settings.temperature"),
        ({"settings": {1: "a"}}, "non-string key 1"),
    ],
)
def test_unhashable_key_fields_raise_naming_the_field(bad_fields, named):
    with pytest.raises(InvalidKeyError, match=named.replace(".", r"\.")):
        key_hash(bad_fields)


# --------------------------------------------------------------------------- round trip


def test_round_trip_and_provenance(store, tmp_path):
    log_path = tmp_path / "log.txt"
    table = fill(store, log_path)
    pd.testing.assert_frame_equal(table, expected_table(UNITS), check_dtype=False)
    assert computed_starts(log_path) == UNITS[::SHARD_SIZE]
    assert [path.name for path in shard_paths(store)] == [f"shard-0000{i}.parquet" for i in range(7)]
    pd.testing.assert_frame_equal(store.load(KEY_FIELDS), table)
    assert store.exists(KEY_FIELDS)

    record = json.loads((store.path(KEY_FIELDS) / "provenance.json").read_text())
    assert record["key_fields"] == KEY_FIELDS
    assert record["key"] == store.key(KEY_FIELDS)
    assert record["complete"] is True
    assert record["n_rows"] == 28
    assert [shard["n_rows"] for shard in record["shards"]] == [4] * 7
    assert record["columns"][0] == ["item", "int64"]
    packages = record["environment"]["packages"]
    assert packages["pandas"] == pd.__version__
    expected_kinds = {"cpu", "cuda", "mps"} if "torch" in sys.modules else {"torch-not-imported"}
    assert record["environment"]["device"]["kind"] in expected_kinds

    # a second call reads everything and computes nothing
    again = fill(store, log_path)
    assert computed_starts(log_path) == UNITS[::SHARD_SIZE]
    pd.testing.assert_frame_equal(again, table)


def test_list_shows_every_key_with_its_fields(store, tmp_path):
    assert store.list().empty
    fill(store, tmp_path / "log.txt")
    other = {**KEY_FIELDS, "model_id": "facebook/opt-125m"}
    fill(store, tmp_path / "log.txt", units=UNITS[:3], key_fields=other)
    listing = store.list().set_index("key")
    assert set(listing.index) == {store.key(KEY_FIELDS), store.key(other)}
    assert listing.loc[store.key(other), "key_fields.model_id"] == "facebook/opt-125m"
    assert listing.loc[store.key(other), "n_rows"] == 6
    assert listing.loc[store.key(KEY_FIELDS), "key_fields.settings.shots"] == 0
    assert listing["complete"].all()


def test_load_of_a_missing_key_raises(store):
    with pytest.raises(ResultNotFoundError, match="run get_or_compute"):
        store.load(KEY_FIELDS)
    assert not store.exists(KEY_FIELDS)


# --------------------------------------------------------------------------- resume


def test_killed_run_resumes_computing_only_missing_shards(tmp_path):
    root = tmp_path / "results"
    log_path = tmp_path / "killed.log"
    script = COMPUTE_SOURCE + textwrap.dedent(
        f"""
        import os
        from helpers.infra.store import ResultStore

        inner = make_compute({str(log_path)!r})
        calls = []

        def compute(units):
            if len(calls) == 3:  # three shards computed and written: die before the 4th
                os._exit(1)
            calls.append(units[0])
            return inner(units)

        ResultStore({str(root)!r}).get_or_compute(
            {KEY_FIELDS!r}, {UNITS!r}, compute, shard_size={SHARD_SIZE}, progress=False
        )
        """
    )
    killed = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    assert killed.returncode == 1, killed.stderr
    first_starts = computed_starts(log_path)
    assert first_starts == UNITS[0:6:SHARD_SIZE]

    store = ResultStore(root)
    assert len(shard_paths(store)) == 3
    assert not store.exists(KEY_FIELDS)
    with pytest.raises(ResultNotFoundError):
        store.load(KEY_FIELDS)

    resumed = fill(store, log_path)
    second_starts = computed_starts(log_path)[len(first_starts) :]
    assert second_starts == UNITS[6::SHARD_SIZE]

    uninterrupted = fill(ResultStore(tmp_path / "fresh"), tmp_path / "fresh.log")
    pd.testing.assert_frame_equal(resumed, uninterrupted)
    assert store.temp_files() == []


def test_two_processes_filling_one_key_do_not_corrupt_it(tmp_path):
    root = tmp_path / "results"
    script = COMPUTE_SOURCE + textwrap.dedent(
        f"""
        import sys, time
        from helpers.infra.store import ResultStore

        inner = make_compute(sys.argv[1])

        def compute(units):
            time.sleep(0.02)  # widen the window in which both write the same shards
            return inner(units)

        ResultStore({str(root)!r}).get_or_compute(
            {KEY_FIELDS!r}, {UNITS!r}, compute, shard_size={SHARD_SIZE}, progress=False
        )
        """
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(tmp_path / f"writer{i}.log")],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(2)
    ]
    for writer in writers:
        _, stderr = writer.communicate(timeout=180)
        assert writer.returncode == 0, stderr
    store = ResultStore(root)
    pd.testing.assert_frame_equal(store.load(KEY_FIELDS), expected_table(UNITS), check_dtype=False)
    assert store.exists(KEY_FIELDS)
    assert store.temp_files() == []


# --------------------------------------------------------------------------- corruption


def test_truncated_shard_is_reported_and_recomputed(store, tmp_path):
    log_path = tmp_path / "log.txt"
    reference = fill(store, log_path)
    damaged = shard_paths(store)[3]
    data = damaged.read_bytes()
    damaged.write_bytes(data[: len(data) // 2])

    with pytest.warns(StoreWarning, match=damaged.name):
        repaired = fill(store, log_path)
    assert computed_starts(log_path)[7:] == [UNITS[3 * SHARD_SIZE]]
    pd.testing.assert_frame_equal(repaired, reference)


def test_load_refuses_a_damaged_shard(store, tmp_path):
    fill(store, tmp_path / "log.txt")
    shard_paths(store)[1].write_bytes(b"not parquet")
    with pytest.raises(CorruptShardError, match="shard-00001"):
        store.load(KEY_FIELDS)


def flip_logprob_bit(path: Path) -> tuple[float, float]:
    """Flip the lowest mantissa bit of the shard's first ``logprob`` value in the file's bytes (and
    of its copies in the column statistics), as a failing disk would; returns (value before, value
    pyarrow now reads). Asserts the flip is silent to pyarrow: the file still reads, with a
    slightly different, valid-looking number."""
    before = pq.read_table(path)
    value = before.column("logprob")[0].as_py()
    data = bytearray(path.read_bytes())
    packed = struct.pack("<d", value)
    assert data.count(packed) >= 1, "the value's bytes are stored verbatim (dictionary page, snappy literal)"
    position = -1
    while (position := data.find(packed, position + 1)) >= 0:  # the value, and its copy in statistics
        data[position] ^= 1  # lowest bit of the little-endian mantissa
    path.write_bytes(bytes(data))
    after = pq.read_table(path).column("logprob").to_pylist()
    assert after.count(value) < before.column("logprob").to_pylist().count(value)
    changed = next(new for old, new in zip(before.column("logprob").to_pylist(), after) if old != new)
    assert changed != value and abs(changed - value) < 1e-12
    return value, changed


def test_a_flipped_bit_in_a_shard_is_caught_by_its_digest_and_recomputed(store, tmp_path):
    """Issue 20, class 1: a bit flipped on disk reads back as another valid number; the shard's
    content sha256 no longer matches, so it is named (file, model, task) and recomputed."""
    calls = []

    def compute(units):  # log-probabilities with full mantissas, like real ones
        calls.append(units[0])
        return pd.DataFrame(
            [
                {"item": unit, "choice": choice, "logprob": -math.log(unit + 0.37 * choice)}
                for unit in units
                for choice in (0, 1)
            ]
        )

    def fill_logged(**kwargs):
        return store.get_or_compute(KEY_FIELDS, UNITS, compute, shard_size=SHARD_SIZE, progress=False, **kwargs)

    reference = fill_logged()
    damaged = shard_paths(store)[4]
    flip_logprob_bit(damaged)
    named = rf"{damaged.name} has content sha256 .* \(model EleutherAI/pythia-70m, task arithmetic_2da\)"
    with pytest.raises(CorruptShardError, match=named):
        store.load(KEY_FIELDS)

    recomputed = []
    with pytest.warns(StoreWarning, match=named):
        repaired = fill_logged(on_recompute=lambda path, why: recomputed.append(path))
    assert calls[7:] == [UNITS[4 * SHARD_SIZE]] and recomputed == [damaged]
    pd.testing.assert_frame_equal(repaired, reference)
    pd.testing.assert_frame_equal(store.load(KEY_FIELDS), reference)


def test_a_shard_missing_from_a_complete_table_is_reported_as_recomputed(store, tmp_path):
    log_path = tmp_path / "log.txt"
    reference = fill(store, log_path)
    gone = shard_paths(store)[6]
    gone.unlink()
    recomputed = []
    with pytest.warns(StoreWarning, match=rf"{gone.name} is missing \(model EleutherAI/pythia-70m"):
        repaired = store.get_or_compute(
            KEY_FIELDS,
            UNITS,
            make_compute(log_path),
            shard_size=SHARD_SIZE,
            progress=False,
            on_recompute=lambda path, why: recomputed.append((path, why)),
        )
    assert recomputed == [(gone, "is missing")] and computed_starts(log_path)[7:] == [UNITS[6 * SHARD_SIZE]]
    pd.testing.assert_frame_equal(repaired, reference)


def test_every_written_shard_records_the_digest_of_what_is_read_back(store, tmp_path):
    fill(store, tmp_path / "log.txt")
    for path in shard_paths(store):
        table = pq.read_table(path)
        metadata = json.loads(table.schema.metadata[SHARD_METADATA_KEY])
        assert metadata[DIGEST_FIELD] == content_sha256(table) and len(metadata[DIGEST_FIELD]) == 64


def test_the_digest_covers_column_names_types_and_values():
    table = pa.table({"a": [1.0, 2.0], "b": ["x", "y"]})
    digests = {
        content_sha256(candidate)
        for candidate in (
            table,
            table.rename_columns(["a", "c"]),
            table.set_column(0, "a", pa.array([1.0, 2.0000000000000004])),
            table.set_column(0, "a", pa.array([1.0, 2.0], pa.float32())),
            table.slice(0, 1),
        )
    }
    assert len(digests) == 5
    chunked = pa.concat_tables([table.slice(0, 1), table.slice(1, 1)])  # same content, two chunks
    assert content_sha256(chunked) == content_sha256(table)


def rewrite_shard(path: Path, transform) -> None:
    """Replace a shard's table by ``transform(table)``, keeping its schema metadata."""
    table = pq.read_table(path)
    changed = transform(table).replace_schema_metadata(table.schema.metadata)
    pq.write_table(changed, path)


@pytest.mark.parametrize(
    ("shard", "damage", "warning"),
    [
        (2, lambda table: table.set_column(0, "item", pa.array(["x"] * 4)), "{name} has columns"),
        (5, lambda table: table.slice(0, 3), "{name} has n_rows=4, expected 3"),
    ],
    ids=["other_columns", "wrong_row_count"],
)
def test_a_damaged_shard_alone_is_recomputed(store, tmp_path, shard, damage, warning):
    log_path = tmp_path / "log.txt"
    reference = fill(store, log_path)
    damaged = shard_paths(store)[shard]
    rewrite_shard(damaged, damage)

    with pytest.warns(StoreWarning, match=warning.format(name=damaged.name)):
        repaired = fill(store, log_path)
    assert computed_starts(log_path)[7:] == [UNITS[shard * SHARD_SIZE]]
    pd.testing.assert_frame_equal(repaired, reference)


def test_provenance_with_another_schema_version_recomputes_everything(store, tmp_path):
    log_path = tmp_path / "log.txt"
    reference = fill(store, log_path)
    provenance_path = store.path(KEY_FIELDS) / "provenance.json"
    record = json.loads(provenance_path.read_text())
    record["schema_version"] = 0
    provenance_path.write_text(json.dumps(record))

    with pytest.warns(StoreWarning, match="schema version 0"):
        repaired = fill(store, log_path)
    assert computed_starts(log_path)[7:] == UNITS[::SHARD_SIZE]
    pd.testing.assert_frame_equal(repaired, reference)
    assert json.loads(provenance_path.read_text())["schema_version"] == 1


# --------------------------------------------------------------------------- misuse


def test_same_key_with_other_units_raises_a_conflict(store, tmp_path):
    fill(store, tmp_path / "log.txt")
    with pytest.raises(StoreConflictError, match="n_units=14.*missing from the key"):
        fill(store, tmp_path / "log.txt", units=UNITS[:5])
    with pytest.raises(StoreConflictError, match="shard_size=2"):
        store.get_or_compute(KEY_FIELDS, UNITS, make_compute(tmp_path / "log.txt"), shard_size=3)


def test_compute_must_return_a_dataframe(store):
    with pytest.raises(StoreArgumentError, match="must return a pandas DataFrame"):
        store.get_or_compute(KEY_FIELDS, UNITS, lambda units: list(units), shard_size=2)


@pytest.mark.parametrize("shard_size", [0, -1, 2.0, True])
def test_bad_shard_size_raises(store, tmp_path, shard_size):
    with pytest.raises(StoreArgumentError, match="shard_size must be a positive integer"):
        store.get_or_compute(KEY_FIELDS, UNITS, make_compute(tmp_path / "l"), shard_size=shard_size)


def test_failed_writes_leave_no_temp_files(store, tmp_path, monkeypatch):
    def disk_full(table, handle, **kwargs):  # writes part of a file, then fails
        handle.write(b"PAR1 partial")
        raise OSError("No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr("helpers.infra.store.shards.pq.write_table", disk_full)
        with pytest.raises(OSError, match="No space left"):
            fill(store, tmp_path / "log.txt")
    assert shard_paths(store) == []

    def failing(units):
        raise RuntimeError("model crashed")

    with pytest.raises(RuntimeError, match="model crashed"):
        store.get_or_compute(KEY_FIELDS, UNITS, failing, shard_size=2, progress=False)

    fill(store, tmp_path / "log.txt")
    leftovers = [path for path in store.root.rglob("*") if path.is_file() and "tmp" in path.name]
    assert leftovers == []
    assert store.temp_files() == []


# --------------------------------------------------------------------------- provenance


def write_package(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_code_version_follows_only_the_listed_files(tmp_path):
    files = {"core/requests.py": "R = 1\n", "core/scoring/engine.py": "S = 1\n", "render/plots.py": "P = 1\n"}
    patterns = ["core/requests.py", "core/scoring/*.py"]
    package = write_package(tmp_path / "a" / "helpers", files)
    base = provenance.code_version(patterns, package_dir=package)
    assert len(base) == 16 and int(base, 16) >= 0
    # the same files elsewhere hash the same (paths are relative to the package)
    assert provenance.code_version(patterns, package_dir=write_package(tmp_path / "b" / "helpers", files)) == base
    (package / "render" / "plots.py").write_text("P = 2\n")  # not listed: not part of the version
    assert provenance.code_version(patterns, package_dir=package) == base
    (package / "core" / "scoring" / "engine.py").write_text('"""A docstring."""\nS = 1  # a comment\n')
    assert provenance.code_version(patterns, package_dir=package) == base  # prose only: same code
    (package / "core" / "scoring" / "engine.py").write_text("S = 2\n")
    edited = provenance.code_version(patterns, package_dir=package)
    assert edited != base
    (package / "core" / "scoring" / "planning.py").write_text("Q = 1\n")  # a new file in a listed folder
    assert provenance.code_version(patterns, package_dir=package) not in {base, edited}
    names = [path.relative_to(package).as_posix() for path in provenance.code_files(patterns, package_dir=package)]
    assert names == ["core/requests.py", "core/scoring/engine.py", "core/scoring/planning.py"]


def test_a_pattern_that_matches_nothing_is_an_error(tmp_path):
    with pytest.raises(provenance.CodeVersionError, match="matches no file"):
        provenance.code_version(["scoring.py"], package_dir=tmp_path)  # the stale name of the old list


def test_code_version_rejects_patterns_outside_the_package(tmp_path):
    with pytest.raises(provenance.CodeVersionError, match="relative to the package"):
        provenance.code_version(["../secrets.py"], package_dir=tmp_path)


def test_environment_records_versions_and_commit():
    env = provenance.environment(include_device=False)
    assert env["packages"]["pandas"] == pd.__version__
    assert env["packages"]["pyarrow"] == pa.__version__
    assert env["python"] == ".".join(map(str, sys.version_info[:3]))
    assert "device" not in env
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=provenance.REPO_ROOT, capture_output=True, text=True)
    expected_commit = commit.stdout.strip() if commit.returncode == 0 else None
    assert env["git_commit"] == expected_commit


def test_git_state_falls_back_outside_a_repository(tmp_path):
    assert provenance.git_state(tmp_path) == {"commit": None, "dirty": None}
