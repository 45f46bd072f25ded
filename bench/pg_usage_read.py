"""PostgreSQL usage reads: the columnar binary path of ``SqlUsageStore`` against row fetches.

Loads ``DOMAINS`` domains x 8 regions x 31 days of 5-minute samples into a fresh schema, then
reads every domain's month the way an export does, three ways, interleaved and repeated:

- ``text rows``: the DB-API cursor with the text protocol, ``fetchmany`` into numpy (the old path)
- ``binary rows``: the same with ``cursor(binary=True)``
- ``columnar``: ``pg_columns.domain_rows`` (one ``bigint[]`` per column, binary, into numpy)

Prints rows/s (wall) and rows per CPU-second of client plus server backend, and the ratios to
``text rows``. Run: ``CDNEXPORT_TEST_PG_URL=postgresql://... python -m bench.pg_usage_read``.
"""

from __future__ import annotations

import os
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
from sqlalchemy import Connection, create_engine, text

from cdnexport.db import partitions
from cdnexport.db.engine import Database
from cdnexport.db.schema import usage_sample
from cdnexport.usage import pg_columns
from cdnexport.usage.series import Int64Array

DOMAINS = int(os.environ.get("BENCH_DOMAINS", "20"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
SLOTS = 31 * 288
START = 1_767_225_600  # 2026-01-01T00:00:00Z
METRICS = ("traffic_bytes",)
Reader = Callable[[Connection, int, range], Iterator[Int64Array]]


def rows_read(binary: bool) -> Reader:
    def read(conn: Connection, domain_id: int, slots: range) -> Iterator[Int64Array]:
        sql = (
            f"SELECT region, ts, {', '.join(METRICS)} FROM usage_sample "
            "WHERE domain_id = %s AND ts >= %s AND ts < %s ORDER BY region, ts"
        )
        raw = conn.connection.dbapi_connection
        assert raw is not None
        cursor = raw.cursor(binary=True) if binary else raw.cursor()
        try:
            cursor.execute(sql, (domain_id, slots.start, slots.stop))
            while block := cursor.fetchmany(50_000):
                yield np.array(block, dtype=np.int64)
        finally:
            cursor.close()

    return read


def columnar(conn: Connection, domain_id: int, slots: range) -> Iterator[Int64Array]:
    return pg_columns.domain_rows(conn, usage_sample.name, domain_id, slots, METRICS, 50_000)


def backend_cpu(conn: Connection) -> float:
    """CPU seconds the server process of ``conn`` has used (needs the server on this machine)."""
    pid = conn.connection.dbapi_connection.info.backend_pid  # type: ignore[union-attr]
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load(db: Database) -> int:
    with db.write() as conn:
        partitions.maintain(conn, START, START, months_ahead=1)
        conn.execute(
            text(
                "INSERT INTO usage_sample SELECT d, r, :start + 300 * s, (s * 7919) % 1000003, "
                "s % 7, s % 11, s % 13 FROM generate_series(1, :domains) AS d, "
                "generate_series(0, 7) AS r, generate_series(0, :slots - 1) AS s"
            ),
            {"start": START, "domains": DOMAINS, "slots": SLOTS},
        )
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE usage_sample"))
    return DOMAINS * 8 * SLOTS


def measure(db: Database, reader: Reader) -> tuple[float, float, float, Int64Array]:
    """Wall seconds, client CPU seconds, server CPU seconds, and the rows read."""
    slots = range(START, START + 300 * SLOTS, 300)
    with db.read() as conn:
        cpu0, server0, wall0 = time.process_time(), backend_cpu(conn), time.perf_counter()
        blocks = [b for d in range(1, DOMAINS + 1) for b in reader(conn, d, slots)]
        wall = time.perf_counter() - wall0
        client, server = time.process_time() - cpu0, backend_cpu(conn) - server0
    return wall, client, server, np.concatenate(blocks)


def main() -> None:
    base = os.environ.get("CDNEXPORT_TEST_PG_URL")
    if not base:
        sys.exit("set CDNEXPORT_TEST_PG_URL to a PostgreSQL URL")
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    db = Database(f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}")
    try:
        db.create_schema()
        rows = load(db)
        readers: dict[str, Reader] = {
            "text rows": rows_read(binary=False),
            "binary rows": rows_read(binary=True),
            "columnar": columnar,
        }
        best: dict[str, tuple[float, float, float]] = {}
        reference: Int64Array | None = None
        for _ in range(ROUNDS):
            for name, reader in readers.items():
                wall, client, server, table = measure(db, reader)
                if reference is None:
                    reference = table
                assert np.array_equal(table, reference), name
                old = best.get(name, (wall, client, client + server))
                best[name] = (min(old[0], wall), min(old[1], client), min(old[2], client + server))
        base_wall, _, base_cpu = best["text rows"]
        print(f"{rows:,} rows ({DOMAINS} domains x 8 regions x 31 days), best of {ROUNDS}")
        for name, (wall, client, cpu) in best.items():
            print(
                f"{name:12s} {rows / wall / 1e6:5.2f} M rows/s wall ({base_wall / wall:4.1f}x)  "
                f"{rows / cpu / 1e6:5.2f} M rows/CPU-s ({base_cpu / cpu:4.1f}x)  "
                f"client CPU {client:5.2f} s"
            )
    finally:
        db.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


if __name__ == "__main__":
    main()
