"""Measure what parquet's page checksums catch: flip one bit in every STEP-th byte of a shard.

The shard is rewritten with pyarrow's CRC-32 page checksums (``write_page_checksum=True``) and
each damaged copy read back with ``page_checksum_verification=True`` and converted to pandas, as
the store reads it. Each flip is counted by where it lies (data pages, or the footer: schema,
column names, statistics, key-value metadata) and what the reader did: raised, returned the same
table, returned the same data with other schema metadata, or returned *other data with no error*
(a silent change). This is the measurement behind the store's choice of a content sha256
(:mod:`helpers.infra.store.shards`)::

    python scripts/parquet_bitflips.py data/results/b1/b1f0.../shard-00001.parquet --step 3

On that 980-row shipped shard (pyarrow 26.0.1, step 3: 9,569 flips): pages 4,837 raised and 304
were identical, none silent; footer 2,174 raised, 1,887 identical, 283 changed only the schema
metadata and 84 changed the table read back (a column name or type) with no error.
"""

from __future__ import annotations

import argparse
import collections
import io
import struct

import pyarrow.parquet as pq


def classify(data: bytes, reference) -> str:
    try:
        table = pq.read_table(io.BytesIO(data), page_checksum_verification=True)
        table.to_pandas()
        same_data = table.replace_schema_metadata(None).equals(reference.replace_schema_metadata(None))
    except Exception:  # noqa: BLE001 - any error is "caught"
        return "raised"
    if not same_data:
        return "SILENT: other data"
    return "identical" if table.schema.metadata == reference.schema.metadata else "schema metadata changed"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("shard", help="a parquet file")
    parser.add_argument("--step", type=int, default=3, help="flip a bit in every STEP-th byte (default 3)")
    args = parser.parse_args()
    buffer = io.BytesIO()
    pq.write_table(pq.read_table(args.shard), buffer, write_page_checksum=True)
    data = buffer.getvalue()
    footer_start = len(data) - 8 - struct.unpack("<I", data[-8:-4])[0]
    reference = pq.read_table(io.BytesIO(data), page_checksum_verification=True)
    counts: collections.Counter = collections.Counter()
    for position in range(0, len(data), args.step):
        damaged = bytearray(data)
        damaged[position] ^= 1 << (position % 8)
        counts[("pages" if position < footer_start else "footer", classify(bytes(damaged), reference))] += 1
    print(f"{args.shard}: {len(data)} bytes with page checksums, footer from byte {footer_start}")
    for (region, outcome), count in sorted(counts.items()):
        print(f"  {region:6}  {outcome:25}  {count}")


if __name__ == "__main__":
    main()
