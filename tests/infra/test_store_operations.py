"""The store's operations on whole tables: find, seal (and what changed since) and ship.

Tables are tiny and built by hand (two rows per unit), digests are recomputed here with hashlib
from the files on disk, and shipping is checked by what lands in the target folder.
"""

from __future__ import annotations

import hashlib
import json

import pandas as pd
import pytest

from helpers.infra.store import SEAL_FIELD, ResultStore, altered_shards, seal, ship_table


def rows(units):
    """Two rows per unit: ``unit`` and ``value = 10 * unit + copy``."""
    return pd.DataFrame(
        {"unit": [u for u in units for _ in range(2)], "value": [10 * u + copy for u in units for copy in range(2)]}
    )


@pytest.fixture()
def store(tmp_path):
    return ResultStore(tmp_path / "store")


def test_find_matches_complete_tables_on_the_given_fields_only(store):
    for task, shots in [("a", 0), ("a", 5), ("b", 0)]:
        store.get_or_compute({"task": task, "shots": shots}, [1, 2, 3], rows, shard_size=2, progress=False)
    found = store.find({"task": "a"})
    assert sorted(record["key_fields"]["shots"] for record in found) == [0, 5]
    assert [record["key_fields"] for record in store.find({"task": "a", "shots": 5})] == [{"task": "a", "shots": 5}]
    assert store.find({"task": "c"}) == []
    # a field absent from every key matches None only
    assert len(store.find({"seed": None})) == 3 and store.find({"seed": 1}) == []


def test_find_skips_an_incomplete_table(store):
    key = {"task": "a"}
    store.get_or_compute(key, [1, 2], rows, shard_size=1, progress=False)
    record_path = store.path(key) / "provenance.json"
    record = json.loads(record_path.read_text())
    record_path.write_text(json.dumps({**record, "complete": False}))
    assert store.find({"task": "a"}) == []


def test_seal_records_each_shard_files_sha256_once(store):
    key = {"task": "a"}
    store.get_or_compute(key, [1, 2, 3], rows, shard_size=2, progress=False)
    assert seal(store, key) is True
    assert seal(store, key) is False  # already sealed: nothing written
    directory = store.path(key)
    expected = {
        name: hashlib.sha256((directory / name).read_bytes()).hexdigest()
        for name in ("shard-00000.parquet", "shard-00001.parquet")
    }
    assert store.provenance(key)[SEAL_FIELD] == expected
    assert altered_shards(store, key) == []


def test_altered_shards_names_a_changed_a_missing_and_a_new_file(store):
    key = {"task": "a"}
    store.get_or_compute(key, [1, 2, 3, 4, 5], rows, shard_size=2, progress=False)
    assert altered_shards(store, key) is None  # no seal yet
    seal(store, key)
    sealed = store.provenance(key)[SEAL_FIELD]
    directory = store.path(key)
    changed = directory / "shard-00000.parquet"
    changed.write_bytes(changed.read_bytes() + b"\0")
    (directory / "shard-00001.parquet").unlink()
    (directory / "shard-00009.parquet").write_bytes(b"not parquet")
    altered = {shard.file: shard for shard in altered_shards(store, key)}
    assert sorted(altered) == ["shard-00000.parquet", "shard-00001.parquet", "shard-00009.parquet"]
    assert altered["shard-00000.parquet"].actual == hashlib.sha256(changed.read_bytes()).hexdigest()
    assert altered["shard-00001.parquet"].sealed == sealed["shard-00001.parquet"]
    assert altered["shard-00001.parquet"].actual is None
    assert altered["shard-00009.parquet"].sealed is None


def test_ship_writes_a_portable_sealed_table_then_leaves_equal_rows_untouched(tmp_path):
    target = ResultStore(tmp_path / "shipped")
    key, units = {"task": "a"}, [1, 2, 3]
    assert ship_table(target, key, units, rows, shard_size=2, extra_provenance={"note": "x"}) == "shipped"
    record = target.provenance(key)
    assert record["complete"] and record["extra"] == {"note": "x"}
    assert "hostname" not in record["environment"] and "python_executable" not in record["environment"]
    assert altered_shards(target, key) == []  # sealed, and the seal holds
    assert target.load(key)["value"].tolist() == [10, 11, 20, 21, 30, 31]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["shipped"]  # no staging folder left
    before = (target.path(key) / "provenance.json").read_bytes()
    assert ship_table(target, key, units, rows, shard_size=2, extra_provenance={"note": "x"}) == "unchanged"
    assert (target.path(key) / "provenance.json").read_bytes() == before


def test_ship_replaces_a_table_whose_rows_differ(tmp_path):
    target = ResultStore(tmp_path / "shipped")
    key, units = {"task": "a"}, [1, 2, 3]
    ship_table(target, key, units, rows, shard_size=2, extra_provenance={})

    def changed(chunk):
        return rows(chunk).assign(value=lambda frame: frame["value"] + 1)

    assert ship_table(target, key, units, changed, shard_size=2, extra_provenance={}) == "shipped"
    assert target.load(key)["value"].tolist() == [11, 12, 21, 22, 31, 32]
    assert altered_shards(target, key) == []
    assert not list(target.path(key).parent.glob("*.old"))  # the replaced folder is gone


def test_ship_seals_a_table_shipped_before_seals_existed(tmp_path):
    target = ResultStore(tmp_path / "shipped")
    key, units = {"task": "a"}, [1, 2]
    ship_table(target, key, units, rows, shard_size=1, extra_provenance={})
    record_path = target.path(key) / "provenance.json"
    record = json.loads(record_path.read_text())
    record.pop(SEAL_FIELD)
    record_path.write_text(json.dumps(record))
    assert altered_shards(target, key) is None
    assert ship_table(target, key, units, rows, shard_size=1, extra_provenance={}) == "unchanged"
    assert altered_shards(target, key) == []
