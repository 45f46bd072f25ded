"""Monthly partitions of ``usage_sample`` on PostgreSQL: made ahead, filled, and dropped."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import text

from cdnexport.clock import ManualClock
from cdnexport.db import migrate, partitions
from cdnexport.db.engine import Database
from cdnexport.usage.samples import SampleBatch
from cdnexport.usage.store import SqlUsageStore
from cdnexport.worker.runner import purge
from tests.support import make_services

DAY = 86_400
NOW = int(datetime(2026, 3, 15, 12, tzinfo=UTC).timestamp())


def epoch(year: int, month: int, day: int = 1) -> int:
    return int(datetime(year, month, day, tzinfo=UTC).timestamp())


def months(names: list[str]) -> list[str]:
    return [name.removeprefix("usage_sample_p") for name in names if name != "usage_sample_default"]


def write(db: Database, *stamps: int) -> None:
    n = len(stamps)
    ones = np.ones(n, dtype=np.int64)
    batch = SampleBatch(ones, 0 * ones, np.array(stamps, dtype=np.int64), ones, ones, ones, ones)
    with db.write() as conn:
        SqlUsageStore(db).upsert(conn, batch)


def home_of(db: Database, ts: int) -> str:
    with db.read() as conn:
        sql = text("SELECT tableoid::regclass::text FROM usage_sample WHERE ts = :ts")
        return str(conn.execute(sql, {"ts": ts}).scalar_one())


def test_migration_makes_this_month_and_two_ahead(db: Database) -> None:
    now = datetime.now(UTC)
    with db.read() as conn:
        names = partitions.usage_partitions(conn)
    assert names[-1] == "usage_sample_default"
    first = f"{now.year}{now.month:02d}"
    assert months(names)[0] == first and len(months(names)) == 3


def test_maintain_creates_back_to_retention_and_ahead_then_drops(db: Database) -> None:
    with db.write() as conn:
        assert partitions.maintain(conn, NOW, epoch(2025, 11, 20)) == 0
        made = months(partitions.usage_partitions(conn))
    for month in ("202511", "202512", "202601", "202602", "202603", "202604", "202605"):
        assert month in made
    assert "202606" not in made
    with db.write() as conn:
        # 2025-11 ends before Dec 5; 2025-12 ends after it, so it stays.
        assert partitions.maintain(conn, NOW, epoch(2025, 12, 5)) == 1
        kept = months(partitions.usage_partitions(conn))
    assert "202511" not in kept and "202512" in kept


def test_rows_outside_every_month_wait_in_default_and_move_when_it_comes(db: Database) -> None:
    old, older = epoch(2025, 6, 10), epoch(2024, 1, 3)
    write(db, old, older)
    assert home_of(db, old) == "usage_sample_default"
    with db.write() as conn:
        partitions.maintain(conn, NOW, epoch(2025, 6, 1))
    assert home_of(db, old) == "usage_sample_p202506"
    with db.read() as conn:
        stamps = conn.execute(text("SELECT ts FROM usage_sample ORDER BY ts")).scalars().all()
    assert stamps == [old]  # older than retention: gone with the purge of the default partition


def test_concurrent_maintenance_does_not_collide(db: Database) -> None:
    with db.engine.connect() as first, db.engine.connect() as second:
        first.begin()
        partitions.maintain(first, NOW, epoch(2025, 1, 1))
        second.begin()
        second.execute(text("SET lock_timeout = '200ms'"))
        # The second waits on the first's advisory lock instead of racing its CREATE TABLEs.
        with pytest.raises(Exception, match="lock timeout"):
            partitions.maintain(second, NOW, epoch(2025, 1, 1))
        second.rollback()
        first.commit()
        second.begin()
        assert partitions.maintain(second, NOW, epoch(2025, 1, 1)) == 0
        second.commit()


def test_purge_drops_months_past_usage_retention(pg_database: str, tmp_path: Path) -> None:
    db = Database(pg_database)
    migrate.upgrade(db)
    with db.write() as conn:
        partitions.maintain(conn, NOW, epoch(2025, 1, 1))
    db.dispose()
    services = make_services(
        tmp_path, ManualClock(NOW), database_url=pg_database, usage_retention_days=60
    )
    try:
        purge(services, NOW)
        with services.db.read() as conn:
            kept = months(partitions.usage_partitions(conn))
    finally:
        services.db.dispose()
    # 60 days before 2026-03-15 is 2026-01-14: January stays, December goes; May is made.
    assert kept[:5] == ["202601", "202602", "202603", "202604", "202605"]
