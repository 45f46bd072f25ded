"""``SqlUsageStore.add``: the additive write that log ingestion uses."""

from __future__ import annotations

import pytest

from cdnexport.db.engine import Database
from cdnexport.usage.samples import SampleBatch, SampleRow
from cdnexport.usage.store import SqlUsageStore
from tests.unit.usage.helpers import T0, add_account, sample_rows


def add(db: Database, rows: list[SampleRow]) -> int:
    with db.write() as conn:
        return SqlUsageStore(db).add(conn, SampleBatch.from_rows(rows))


@pytest.fixture
def a(db: Database) -> int:
    return add_account(db, 1, "acme", ("a.example",))["a.example"]


def test_add_sums_with_stored_values_and_within_a_batch(db: Database, a: int) -> None:
    assert add(db, [(a, 0, T0, 10, 1, 2, 3)]) == 1
    written = add(
        db, [(a, 0, T0, 5, 1, 0, 0), (a, 0, T0, 1, 1, 1, 1), (a, 0, T0 + 300, 7, 0, 0, 0)]
    )
    assert written == 2
    assert sample_rows(db) == [(a, 0, T0, 16, 3, 3, 4), (a, 0, T0 + 300, 7, 0, 0, 0)]


def test_add_on_top_of_an_upsert_and_many_rows(db: Database, a: int) -> None:
    with db.write() as conn:
        SqlUsageStore(db).upsert(conn, SampleBatch.from_rows([(a, 1, T0, 100, 0, 0, 0)]))
    # More rows than one statement holds, twice each key: every sum must land.
    rows: list[SampleRow] = [(a, 1, T0 + 300 * (i % 250), 1, 1, 0, 0) for i in range(500)]
    assert add(db, rows) == 250
    stored = sample_rows(db)
    assert len(stored) == 250
    assert stored[0] == (a, 1, T0, 102, 2, 0, 0)
    assert stored[-1] == (a, 1, T0 + 300 * 249, 2, 2, 0, 0)


def test_add_checks_like_upsert(db: Database, a: int) -> None:
    assert add(db, []) == 0
    with pytest.raises(ValueError, match="aligned"):
        add(db, [(a, 0, T0 + 1, 1, 0, 0, 0)])
    assert sample_rows(db) == []
