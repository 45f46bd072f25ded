"""The columnar PostgreSQL read: binary ``bigint[]`` decoding, and ordered, batched blocks."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from cdnexport.db.engine import Database
from cdnexport.usage.pg_columns import INT8_ARRAY_OID, INT8_OID, Int8ArrayLoader
from cdnexport.usage.pg_columns import domain_rows as read_rows
from cdnexport.usage.samples import SampleBatch
from cdnexport.usage.store import SqlUsageStore


def binary_array(values: list[int], *, nulls: int = 0, oid: int = INT8_OID) -> bytes:
    """A one-dimensional array in PostgreSQL's binary wire format."""
    if not values:
        return struct.pack(">iii", 0, 0, oid)
    head = struct.pack(">iiiii", 1, nulls, oid, len(values), 1)
    return head + b"".join(struct.pack(">iq", 8, v) for v in values)


def test_loader_decodes_bigint_arrays() -> None:
    loader = Int8ArrayLoader(INT8_ARRAY_OID)
    values = [0, 1, -2, 2**62, -(2**63)]
    decoded = loader.load(binary_array(values))
    assert decoded.dtype == np.int64
    assert decoded.tolist() == values
    assert loader.load(binary_array([])).tolist() == []


@pytest.mark.parametrize(
    "data",
    [
        binary_array([1], nulls=1),
        binary_array([1], oid=23),
        binary_array([1, 2])[:-3],
        b"\x00\x00",
    ],
    ids=["nulls", "int4", "truncated", "short"],
)
def test_loader_refuses_what_it_cannot_read_exactly(data: bytes) -> None:
    with pytest.raises(ValueError, match=r"bigint\[\]"):
        Int8ArrayLoader(INT8_ARRAY_OID).load(data)


def test_rows_come_ordered_by_region_then_time_in_batches(db: Database) -> None:
    start = 1_767_225_600
    keys = [(d, r, start + 300 * s) for d in (1, 2) for r in (5, 0, 3) for s in range(4)]
    keys.reverse()  # stored out of order
    domain, region, ts = (np.array(col, dtype=np.int64) for col in zip(*keys, strict=True))
    traffic = ts - start + 10 * region + 1000 * domain
    ones = np.ones(len(keys), dtype=np.int64)
    with db.write() as conn:
        SqlUsageStore(db).upsert(conn, SampleBatch(domain, region, ts, traffic, ones, ones, ones))
    window = range(start + 300, start + 1200, 300)  # slots 1..3 of 0..3
    with db.read() as conn:
        blocks = list(read_rows(conn, "usage_sample", 2, window, ("traffic_bytes",), 4))
        empty = list(read_rows(conn, "usage_sample", 3, window, ("traffic_bytes",), 4))
    assert [len(b) for b in blocks] == [4, 4, 1]
    rows = np.concatenate(blocks).tolist()
    expected = [[r, start + 300 * s, 300 * s + 10 * r + 2000] for r in (0, 3, 5) for s in (1, 2, 3)]
    assert rows == expected
    assert empty == []
