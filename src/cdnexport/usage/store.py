"""The usage store on SQLite or PostgreSQL: batched upserts and streamed, zero-filled series.

The hot paths (upsert, per-domain reads) talk to the DB-API cursor with one SQL text whose
placeholders follow the driver, because SQLAlchemy's per-row parameter handling would cost more
than the database work itself; everything else is SQLAlchemy Core.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
from sqlalchemy import Connection, Subquery, and_, exists, func, literal, select, union_all

from cdnexport.db.engine import Database
from cdnexport.db.schema import domain, usage_sample
from cdnexport.domain.regions import REGIONS
from cdnexport.domain.task import SLOT_SECONDS
from cdnexport.domain.window import slot_range
from cdnexport.usage import pg_columns
from cdnexport.usage.query import UsageQuery
from cdnexport.usage.samples import SAMPLE_COLUMNS, SampleBatch
from cdnexport.usage.series import METRICS, Int64Array, Series

UPSERT_BATCH = 5_000
# Multi-row VALUES halve the statement overhead on both engines (measured: 400k rows).
ROWS_PER_STATEMENT = 100
FETCH_BATCH = 50_000
# Keeps IN lists well under SQLite's bound-parameter limit.
ID_CHUNK = 500


class SqlUsageStore:
    """Usage samples in the ``usage_sample`` table, read as ``Series`` (a ``UsageSource``)."""

    def __init__(self, db: Database, *, fetch_batch: int = FETCH_BATCH) -> None:
        self._db = db
        self._fetch_batch = fetch_batch

    def upsert(self, conn: Connection, samples: SampleBatch) -> int:
        """Write ``samples`` inside the caller's transaction; a stored (domain, region, ts) is
        replaced, and within ``samples`` the last row of a key wins. Returns rows written."""
        samples.check()
        # PostgreSQL refuses to update one row twice in a statement, so keys are made unique.
        unique = samples.last_per_key()
        _write(conn, unique, additive=False)
        return len(unique)

    def add(self, conn: Connection, samples: SampleBatch) -> int:
        """Add ``samples`` to the stored values inside the caller's transaction (a missing key
        counts as zeros), as partial counts from several sources do; rows of one key within
        ``samples`` are summed first. Returns rows written."""
        samples.check()
        summed = _sum_per_key(samples)
        _write(conn, summed, additive=True)
        return len(summed)

    def newest_sample(self, domain_ids: Sequence[int]) -> int | None:
        """The latest sample time of any of ``domain_ids``, or None when they have none."""
        regions = _region_ids()
        newest: int | None = None
        with self._db.read() as conn:
            for chunk in _chunks(sorted(set(domain_ids))):
                latest = (
                    select(func.max(usage_sample.c.ts))
                    .where(usage_sample.c.domain_id == domain.c.id)
                    .where(usage_sample.c.region == regions.c.region)
                    .scalar_subquery()
                )
                stmt = select(func.max(latest)).where(domain.c.id.in_(chunk))
                found = conn.execute(stmt.select_from(domain.join(regions, literal(True)))).scalar()
                if found is not None and (newest is None or found > newest):
                    newest = int(found)
        return newest

    def count_series(self, query: UsageQuery) -> int:
        with self._db.read() as conn:
            names = _domain_names(conn, query.domain_ids)
            pairs = _present_pairs(conn, list(names), query)
        if query.aggregate_label is not None:
            return len({region for _, region in pairs})
        return len(pairs)

    def iter_series(self, query: UsageQuery) -> Iterator[Series]:
        slots = slot_range(query.start, query.end)
        metrics = METRICS[query.export_type]
        with self._db.read() as conn:
            names = _domain_names(conn, query.domain_ids)
            pairs = _present_pairs(conn, list(names), query)
            if query.aggregate_label is not None:
                yield from _aggregate(
                    conn, query.aggregate_label, pairs, slots, metrics, self._fetch_batch
                )
                return
            with_data = {domain_id for domain_id, _ in pairs}
            for domain_id in sorted(with_data, key=names.__getitem__):
                rows = _domain_rows(conn, domain_id, slots, metrics, self._fetch_batch)
                yield from _assemble(names[domain_id], rows, slots, len(metrics))


def _write(conn: Connection, samples: SampleBatch, *, additive: bool) -> None:
    """Upsert rows whose keys are unique, in multi-row statements on the raw DB-API cursor."""
    table = np.stack(samples.columns(), axis=1)
    full = len(table) - len(table) % ROWS_PER_STATEMENT
    cursor = conn.connection.cursor()
    try:
        statement = _upsert_sql(conn, ROWS_PER_STATEMENT, additive)
        for start in range(0, full, UPSERT_BATCH):
            part = table[start : min(start + UPSERT_BATCH, full)]
            cursor.executemany(
                statement, part.reshape(-1, len(SAMPLE_COLUMNS) * ROWS_PER_STATEMENT).tolist()
            )
        if full < len(table):
            tail = _upsert_sql(conn, len(table) - full, additive)
            cursor.execute(tail, table[full:].ravel().tolist())
    finally:
        cursor.close()


def _sum_per_key(samples: SampleBatch) -> SampleBatch:
    """One row per (domain, region, ts) holding the sum of that key's rows, ordered by key."""
    if len(samples) == 0:
        return samples
    order = np.lexsort((samples.ts, samples.region, samples.domain_id))
    ordered = samples.take(order)
    keys = np.stack((ordered.domain_id, ordered.region, ordered.ts))
    starts = np.flatnonzero(np.concatenate(([True], np.any(keys[:, 1:] != keys[:, :-1], axis=0))))
    first = ordered.take(starts)
    metrics = (np.add.reduceat(c, starts) for c in ordered.columns()[3:])
    return SampleBatch(first.domain_id, first.region, first.ts, *metrics)


def _upsert_sql(conn: Connection, rows: int, additive: bool = False) -> str:
    mark = _placeholder(conn)
    row = f"({', '.join([mark] * len(SAMPLE_COLUMNS))})"
    if additive:
        updates = ", ".join(
            f"{c} = {usage_sample.name}.{c} + excluded.{c}" for c in SAMPLE_COLUMNS[3:]
        )
    else:
        updates = ", ".join(f"{c} = excluded.{c}" for c in SAMPLE_COLUMNS[3:])
    return (
        f"INSERT INTO {usage_sample.name} ({', '.join(SAMPLE_COLUMNS)}) "
        f"VALUES {', '.join([row] * rows)} "
        f"ON CONFLICT (domain_id, region, ts) DO UPDATE SET {updates}"
    )


def _placeholder(conn: Connection) -> str:
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


def _chunks(ids: Sequence[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), ID_CHUNK):
        yield list(ids[start : start + ID_CHUNK])


def _region_ids() -> Subquery:
    """Every region id as a one-column derived table ``region``."""
    return union_all(*(select(literal(i).label("region")) for i in range(len(REGIONS)))).subquery(
        "regions"
    )


def _domain_names(conn: Connection, domain_ids: Sequence[int]) -> dict[int, str]:
    """Name of each id that is a known domain; unknown ids drop out here."""
    names: dict[int, str] = {}
    for chunk in _chunks(sorted(set(domain_ids))):
        rows = conn.execute(select(domain.c.id, domain.c.name).where(domain.c.id.in_(chunk)))
        names.update((int(row.id), str(row.name)) for row in rows)
    return names


def _present_pairs(
    conn: Connection, domain_ids: Sequence[int], query: UsageQuery
) -> set[tuple[int, int]]:
    """The (domain id, region id) pairs with a sample in the window: one index probe each."""
    slots = slot_range(query.start, query.end)
    if not slots:
        return set()
    regions = _region_ids()
    pairs: set[tuple[int, int]] = set()
    for chunk in _chunks(sorted(domain_ids)):
        probe = exists().where(
            and_(
                usage_sample.c.domain_id == domain.c.id,
                usage_sample.c.region == regions.c.region,
                usage_sample.c.ts >= slots.start,
                usage_sample.c.ts < slots.stop,
            )
        )
        stmt = (
            select(domain.c.id, regions.c.region)
            .select_from(domain.join(regions, literal(True)))
            .where(domain.c.id.in_(chunk), probe)
        )
        pairs.update((int(d), int(r)) for d, r in conn.execute(stmt))
    return pairs


def _domain_rows(
    conn: Connection, domain_id: int, slots: range, metrics: tuple[str, ...], batch: int
) -> Iterator[Int64Array]:
    """One domain's samples as (region, ts, *metrics) int64 blocks, ordered by region then ts."""
    if conn.dialect.name == "postgresql":
        # Columnar and binary: measured 2-3x faster than fetching rows (bench/pg_usage_read.py).
        yield from pg_columns.domain_rows(conn, usage_sample.name, domain_id, slots, metrics, batch)
        return
    mark = _placeholder(conn)
    # Every region named: SQLite then seeks the key (domain, region, ts) once per region instead
    # of reading the domain's whole history and filtering ts (measured: a month read took 1.5x as
    # long once the table also held four earlier months; bench/usage_queries.py).
    regions = ", ".join(str(i) for i in range(len(REGIONS)))
    sql = (
        f"SELECT region, ts, {', '.join(metrics)} FROM {usage_sample.name} "
        f"WHERE domain_id = {mark} AND region IN ({regions}) AND ts >= {mark} AND ts < {mark} "
        "ORDER BY region, ts"
    )
    cursor = conn.connection.cursor()
    try:
        cursor.execute(sql, (domain_id, slots.start, slots.stop))
        while block := cursor.fetchmany(batch):
            yield np.array(block, dtype=np.int64)
    finally:
        cursor.close()


def _assemble(
    label: str,
    blocks: Iterator[Int64Array],
    slots: range,
    metric_count: int,
) -> Iterator[Series]:
    """Series of one domain from its ordered row blocks; one series is held at a time."""
    region = -1
    values = np.zeros((0, 0), dtype=np.int64)
    for block in blocks:
        cuts = np.flatnonzero(np.diff(block[:, 0])) + 1
        for part in np.split(block, cuts):
            if part[0, 0] != region:
                if region >= 0:
                    yield Series(label, region, tuple(values))
                region = int(part[0, 0])
                values = np.zeros((metric_count, len(slots)), dtype=np.int64)
            index = (part[:, 1] - slots.start) // SLOT_SECONDS
            values[:, index] = part[:, 2:].T
    if region >= 0:
        yield Series(label, region, tuple(values))


def _aggregate(
    conn: Connection,
    label: str,
    pairs: set[tuple[int, int]],
    slots: range,
    metrics: tuple[str, ...],
    batch: int,
) -> Iterator[Series]:
    """One series per region with data, summed over the domains.

    Summing in numpy beats the database's GROUP BY here (measured on SQLite and PostgreSQL),
    and the totals are small: regions x metrics x slots of the window.
    """
    present = sorted({region for _, region in pairs})
    totals = np.zeros((len(REGIONS), len(metrics), len(slots)), dtype=np.int64)
    for domain_id in sorted({domain_id for domain_id, _ in pairs}):
        for block in _domain_rows(conn, domain_id, slots, metrics, batch):
            index = (block[:, 1] - slots.start) // SLOT_SECONDS
            # (region, ts) is unique within one domain, so a plain += loses no sum.
            totals[block[:, 0], :, index] += block[:, 2:]
    for region in present:
        yield Series(label, region, tuple(totals[region]))
