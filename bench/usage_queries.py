"""DescribeDomainUsageData: the call against reading the same samples from the store alone, and
on a usage table 50x larger (other accounts and months) against the small one.

100 domains x 31 days of 5-minute samples (region CN for all, EU for every tenth), merged, at
300 s (8,928 points) and 3600 s. Each ratio is the median of the ratios of neighbouring runs,
interleaved in one process. The call runs through the whole request path in process
(``RpcEdge.handle``: signature, nonce, rate limit, parameters, handler, JSON body); the baseline
is ``SqlUsageStore.iter_series`` of the same domains and window. SQLite always; PostgreSQL when
``CDNEXPORT_BENCH_PG_URL`` (or ``CDNEXPORT_TEST_PG_URL``) names a server, each run in a fresh
schema dropped afterwards.

Run alone: ``python -m bench.usage_queries [--scale 50] [--repeats 5]``; in the bench:
``python -m bench --only usage``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from tempfile import TemporaryDirectory

from sqlalchemy import create_engine, text

from bench.dataset import Key
from bench.report import Figure, judged, table
from bench.rpc_client import signed_path
from cdnexport.clock import ManualClock
from cdnexport.config import Settings
from cdnexport.db import accounts, migrate
from cdnexport.db.engine import Database
from cdnexport.domain.task import ExportType
from cdnexport.protocol.request import RpcRequest
from cdnexport.services import Services, build_services
from cdnexport.usage.query import UsageQuery
from cdnexport.web.rpc import RpcEdge

DOMAINS = 100
SLOTS = 31 * 288
START = 1_767_225_600  # 2026-01-01T00:00:00Z
END = START + SLOTS * 300
NOW = END + 3600
#: Earlier 31-day blocks the big table also holds.
OTHER_MONTHS = 4
CALL_TARGET = 2.0
GROWTH_TARGET = 1.3
ACCOUNT = "bench-usage"
OTHER = "bench-usage-others"
LINK_KEY = "bench-url-secret"


def log(message: str) -> None:
    print(f"[bench usage {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _series_sql(dialect: str) -> tuple[str, str]:
    """A FROM item of the slot numbers 0..:slots-1 named s(y), and of :first..:last named d(x)."""
    if dialect == "postgresql":
        return (
            "generate_series(0, CAST(:slots AS bigint) - 1) AS s(y)",
            "generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS d(x)",
        )
    return ("s", "d")


def _insert(
    db: Database,
    first: int,
    last: int,
    start: int,
    regions: Sequence[tuple[int, int]],
    slots: int = SLOTS,
) -> int:
    """Samples for domain ids first..last over ``slots`` slots from ``start``, written in key
    order as one ingestion of a domain's history would leave them; ``regions`` holds (region id,
    every n-th domain). A slot's values depend on its time only. Returns rows written."""
    written = 0
    with db.write() as conn:
        slots_from, domains_from = _series_sql(conn.dialect.name)
        prefix = ""
        if conn.dialect.name != "postgresql":
            prefix = (
                "WITH RECURSIVE "
                "s(y) AS (SELECT 0 UNION ALL SELECT y + 1 FROM s WHERE y < :slots - 1), "
                "d(x) AS (SELECT :first UNION ALL SELECT x + 1 FROM d WHERE x < :last) "
            )
        for region, every in regions:
            sql = (
                f"INSERT INTO usage_sample {prefix}"
                f"SELECT x, {region}, :start + 300 * y, "
                f"((x * 7919 + (:start / 300 + y) * 104729) % 1000003) * 997, "
                f"y % 7, y % 11, y % 13 FROM {domains_from}, {slots_from} WHERE x % {every} = 0 "
                "ORDER BY x, y"
            )
            params = {"slots": slots, "first": first, "last": last, "start": start}
            written += conn.execute(text(sql), params).rowcount
    return written


def _add_domains(services: Services, account: str, count: int) -> tuple[int, int, Key]:
    with services.db.write() as conn:
        found = accounts.create_account(conn, account, NOW)
        names = [f"d{i:05d}.{account}.example.com" for i in range(count)]
        accounts.add_domains(conn, found.id, names)
        ids = sorted((accounts.domain_ids(conn, found.id, names) or {}).values())
    assert ids == list(range(ids[0], ids[0] + count)), "domain ids are contiguous"
    return ids[0], ids[-1], Key(found.access_key_id, found.access_key_secret)


@contextmanager
def _database(kind: str, root: Path) -> Iterator[str]:
    """A fresh migrated database URL: an SQLite file, or a PostgreSQL schema dropped afterwards."""
    if kind == "sqlite":
        path = root / f"usage-{uuid.uuid4().hex[:8]}.db"
        yield f"sqlite:///{path}"
        return
    base = _pg_url()
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(
        base.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    url = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    try:
        db = Database(url)
        try:
            migrate.migrate_database(db, NOW, START - (OTHER_MONTHS + 2) * 31 * 86400)
        finally:
            db.dispose()
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()


def _pg_url() -> str:
    return os.environ.get("CDNEXPORT_BENCH_PG_URL") or os.environ.get("CDNEXPORT_TEST_PG_URL", "")


def _settle(url: str) -> None:
    """Statistics, and on PostgreSQL a VACUUM too: the first reads after a bulk load would
    otherwise write hint bits and visibility-map pages, which is load, not the query."""
    if url.startswith("sqlite"):
        engine = create_engine(url)
        statement = "ANALYZE"
    else:
        engine = create_engine(
            url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
        )
        statement = "VACUUM (ANALYZE) usage_sample"
    try:
        with engine.connect() as conn:
            conn.execute(text(statement))
            conn.commit()
    finally:
        engine.dispose()


class Deployment:
    """One database with the bench account's 100 domains, and ``scale`` times as many other rows."""

    def __init__(self, url: str, root: Path, scale: int) -> None:
        self.clock = ManualClock(NOW)
        settings = Settings(
            data_dir=root / uuid.uuid4().hex[:8], database_url=url, url_secret=LINK_KEY
        )
        self.services = build_services(settings, clock=self.clock)
        first, last, self.key = _add_domains(self.services, ACCOUNT, DOMAINS)
        self.domain_ids = tuple(range(first, last + 1))
        db = self.services.db
        regions = [(0, 1), (5, 10)]
        self.rows = SLOTS * sum(1 + (i % 10 == 0) for i in self.domain_ids)
        self.extra = 0
        if not scale:
            _insert(db, first, last, START, regions)
        else:
            # The same domains over four more months before the window, then another account's
            # domains over all five months: 50x the window's rows in all.
            earlier = START - OTHER_MONTHS * SLOTS * 300
            months = OTHER_MONTHS + 1
            written = _insert(db, first, last, earlier, regions, months * SLOTS)
            self.extra = written - self.rows
            count = max(1, -(-(scale * self.rows - self.extra) // (months * SLOTS)))
            other_first, other_last, _ = _add_domains(self.services, OTHER, count)
            self.extra += _insert(db, other_first, other_last, earlier, [(0, 1)], months * SLOTS)
        _settle(url)
        self.edge = RpcEdge(self.services)

    def call(self, interval: int) -> float:
        """Server time of one DescribeDomainUsageData of every bench domain, merged."""
        self.clock.advance(1.0)  # stays under the action's 10 calls a second
        params = {
            "StartTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(START)),
            "EndTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(END)),
            "Field": "bps",
            "Area": "all",
            "Interval": str(interval),
        }
        path = signed_path(self.key, "DescribeDomainUsageData", params, self.clock.now(), "POST")
        request = RpcRequest("POST", "/", path.split("?", 1)[1], {"host": "127.0.0.1"}, b"")
        started = time.perf_counter()
        response = self.edge.handle(request)
        elapsed = time.perf_counter() - started
        if response.status != 200:
            raise RuntimeError(
                f"DescribeDomainUsageData: {response.status} {response.body[:300]!r}"
            )
        return elapsed

    def read_alone(self) -> float:
        """The same samples through the store alone: every domain, the window, merged per region."""
        query = UsageQuery(ExportType.FLOW, START, END, self.domain_ids, aggregate_label="bench")
        started = time.perf_counter()
        for _ in self.services.usage.iter_series(query):
            pass
        return time.perf_counter() - started

    def close(self) -> None:
        self.services.db.dispose()


def _median(runs: int, measure: Callable[[], float]) -> float:
    return statistics.median(measure() for _ in range(runs))


def run(kind: str, root: Path, *, scale: int, repeats: int) -> list[Figure]:
    """The figures of one database kind (``sqlite`` or ``postgresql``)."""
    with _database(kind, root) as small_url, _database(kind, root) as big_url:
        log(f"{kind}: {DOMAINS} domains x 31 days")
        small = Deployment(small_url, root, 0)
        log(f"{kind}: {small.rows:,} rows; the big table: {scale}x more")
        big = Deployment(big_url, root, scale)
        log(f"{kind}: big table holds {big.rows + big.extra:,} rows")
        try:
            for _ in range(2):  # warm the caches and the first-call paths
                for d in (small, big):
                    d.read_alone()
                    d.call(300)
            times: dict[str, list[float]] = {}
            for _ in range(repeats):
                # Neighbours in time are compared, so that load from other work on the machine
                # falls on both sides of a ratio alike.
                for name, measure in (
                    ("read", small.read_alone),
                    ("300", lambda: small.call(300)),
                    ("big300", lambda: big.call(300)),
                    ("3600", lambda: small.call(3600)),
                    ("big3600", lambda: big.call(3600)),
                    ("bigread", big.read_alone),
                ):
                    times.setdefault(name, []).append(measure())
            log(f"{kind} seconds: " + ", ".join(f"{k} {v}" for k, v in _rounded(times).items()))
        finally:
            small.close()
            big.close()
    med = {name: statistics.median(values) for name, values in times.items()}

    def paired(top: str, bottom: str) -> float:
        return statistics.median(a / b for a, b in zip(times[top], times[bottom], strict=True))

    label = "SQLite" if kind == "sqlite" else "PostgreSQL"
    figures = [
        Figure(
            f"Usage read alone, {DOMAINS} domains x 31 days, {label}",
            f"{med['read'] * 1000:.0f} ms",
            note=f"{small.rows:,} rows; on the {scale}x table {med['bigread'] * 1000:.0f} ms",
        )
    ]
    for interval in ("300", "3600"):
        ratio = paired(interval, "read")
        figures.append(
            judged(
                f"DescribeDomainUsageData {interval} s vs read alone, {label}",
                ratio,
                f"{ratio:.2f}× ({med[interval] * 1000:.0f} ms)",
                f"≤ {CALL_TARGET:g}×",
                lambda r: r <= CALL_TARGET,
            )
        )
        growth = paired(f"big{interval}", interval)
        figures.append(
            judged(
                f"DescribeDomainUsageData {interval} s, {scale}x larger table vs small, {label}",
                growth,
                f"{growth:.2f}×",
                f"≤ {GROWTH_TARGET:g}×",
                lambda g: g <= GROWTH_TARGET,
                note=f"{big.rows + big.extra:,} rows",
            )
        )
    return figures


def _rounded(times: dict[str, list[float]]) -> dict[str, list[float]]:
    return {name: [round(t, 3) for t in values] for name, values in times.items()}


def kinds() -> list[str]:
    return ["sqlite", "postgresql"] if _pg_url() else ["sqlite"]


def figures(root: Path, *, scale: int = 50, repeats: int = 5) -> list[Figure]:
    root.mkdir(parents=True, exist_ok=True)
    found: list[Figure] = []
    for kind in kinds():
        found += run(kind, root, scale=scale, repeats=repeats)
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.usage_queries", description=__doc__)
    parser.add_argument("--scale", type=int, default=50, help="rows of others per bench row")
    parser.add_argument("--repeats", type=int, default=5, help="interleaved runs (median)")
    parser.add_argument("--only", choices=("sqlite", "postgresql"), help="one database kind")
    args = parser.parse_args(argv)
    with TemporaryDirectory(prefix="cdnexport-bench-usage-") as tmp:
        found: list[Figure] = []
        for kind in [args.only] if args.only else kinds():
            found += run(kind, Path(tmp), scale=args.scale, repeats=args.repeats)
    print(table(found))
    return 0


if __name__ == "__main__":
    sys.exit(main())
