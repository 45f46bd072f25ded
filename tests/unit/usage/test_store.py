from __future__ import annotations

import numpy as np
import pytest

from cdnexport.db.engine import Database
from cdnexport.domain.regions import REGION_ID
from cdnexport.domain.task import ExportType
from cdnexport.usage.query import UsageQuery
from cdnexport.usage.samples import SampleBatch
from cdnexport.usage.series import Series
from cdnexport.usage.store import SqlUsageStore
from tests.unit.usage.helpers import T0, add_account, sample_count, sample_rows

CN, AP1, EU, SA = REGION_ID["CN"], REGION_ID["AP1"], REGION_ID["EU"], REGION_ID["SA"]


def write(db: Database, rows: list[tuple[int, int, int, int, int, int, int]]) -> int:
    with db.write() as conn:
        return SqlUsageStore(db).upsert(conn, SampleBatch.from_rows(rows))


def listed(series: list[Series]) -> list[tuple[str, int, list[list[int]]]]:
    return [(s.label, s.region, [v.tolist() for v in s.values]) for s in series]


@pytest.fixture
def ids(db: Database) -> dict[str, int]:
    # Inserted so that id order differs from name order.
    return add_account(db, 1, "acme", ("b.example", "a.example", "c.example"))


def test_upsert_replaces_a_stored_key_and_keeps_the_last_of_a_batch(
    db: Database, ids: dict[str, int]
) -> None:
    a = ids["a.example"]
    write(db, [(a, CN, T0, 1, 2, 3, 4), (a, CN, T0 + 300, 5, 6, 7, 8)])
    written = write(db, [(a, CN, T0, 10, 20, 30, 40), (a, CN, T0, 11, 21, 31, 41)])

    assert written == 1
    assert sample_rows(db) == [(a, CN, T0, 11, 21, 31, 41), (a, CN, T0 + 300, 5, 6, 7, 8)]


def test_upsert_writes_batches_and_a_tail_that_is_not_a_multiple_of_a_statement(
    db: Database, ids: dict[str, int]
) -> None:
    n = 12_345
    ts = T0 + 300 * np.arange(n, dtype=np.int64)
    batch = SampleBatch(
        np.full(n, ids["a.example"], dtype=np.int64),
        np.zeros(n, dtype=np.int64),
        ts,
        np.arange(n, dtype=np.int64),
        np.arange(n, dtype=np.int64) * 2,
        np.ones(n, dtype=np.int64),
        np.zeros(n, dtype=np.int64),
    )
    with db.write() as conn:
        assert SqlUsageStore(db).upsert(conn, batch) == n

    rows = sample_rows(db)
    assert len(rows) == n
    assert rows[0] == (ids["a.example"], 0, T0, 0, 0, 1, 0)
    assert rows[-1] == (ids["a.example"], 0, int(ts[-1]), n - 1, 2 * (n - 1), 1, 0)


@pytest.mark.parametrize(
    "row",
    [(1, 0, T0 + 7, 1, 1, 1, 1), (1, 0, T0, -1, 0, 0, 0), (1, 8, T0, 1, 1, 1, 1)],
    ids=["misaligned", "negative", "unknown-region"],
)
def test_upsert_rejects_bad_samples_before_writing(
    db: Database, ids: dict[str, int], row: tuple[int, int, int, int, int, int, int]
) -> None:
    with pytest.raises(ValueError, match=r"aligned|negative|region"):
        write(db, [(1, 0, T0, 1, 1, 1, 1), row])
    assert sample_count(db) == 0


def test_series_are_zero_filled_and_ordered_by_domain_name_then_region(
    db: Database, ids: dict[str, int]
) -> None:
    a, b = ids["a.example"], ids["b.example"]
    write(
        db,
        [
            (b, CN, T0 + 600, 7, 0, 0, 0),
            (a, EU, T0, 3, 0, 0, 0),
            (a, CN, T0 + 300, 5, 0, 0, 0),
            (a, CN, T0 + 900, 6, 0, 0, 0),
        ],
    )
    query = UsageQuery(ExportType.FLOW, T0, T0 + 1200, (b, a, ids["c.example"]))
    store = SqlUsageStore(db)

    series = list(store.iter_series(query))

    assert listed(series) == [
        ("a.example", CN, [[0, 5, 0, 6]]),
        ("a.example", EU, [[3, 0, 0, 0]]),
        ("b.example", CN, [[0, 0, 7, 0]]),
    ]
    assert store.count_series(query) == 3
    assert all(v.dtype == np.int64 for s in series for v in s.values)


def test_aggregation_sums_domains_per_region(db: Database, ids: dict[str, int]) -> None:
    a, b, c = ids["a.example"], ids["b.example"], ids["c.example"]
    write(
        db,
        [
            (a, CN, T0, 1, 10, 100, 1000),
            (b, CN, T0, 2, 20, 200, 2000),
            (b, CN, T0 + 300, 4, 40, 400, 4000),
            (b, SA, T0 + 300, 9, 0, 0, 1),
            (c, AP1, T0, 50, 0, 0, 0),  # c is not in the query
        ],
    )
    store = SqlUsageStore(db)
    flow = UsageQuery(ExportType.FLOW, T0, T0 + 600, (a, b), aggregate_label="acme")
    vas = UsageQuery(ExportType.VAS, T0, T0 + 600, (a, b), aggregate_label="acme")

    assert listed(list(store.iter_series(flow))) == [
        ("acme", CN, [[3, 4]]),
        ("acme", SA, [[0, 9]]),
    ]
    assert listed(list(store.iter_series(vas))) == [
        ("acme", CN, [[30, 40], [300, 400], [3000, 4000]]),
        ("acme", SA, [[0, 0], [0, 0], [0, 1]]),
    ]
    assert store.count_series(flow) == 2


def test_window_is_half_open_and_starts_at_the_first_whole_slot(
    db: Database, ids: dict[str, int]
) -> None:
    a, b = ids["a.example"], ids["b.example"]
    write(
        db,
        [
            (a, CN, T0, 1, 0, 0, 0),  # before the first slot of the window
            (a, CN, T0 + 300, 2, 0, 0, 0),
            (a, CN, T0 + 1200, 3, 0, 0, 0),  # the last slot starts before `end`
            (a, CN, T0 + 1500, 4, 0, 0, 0),  # at `end`: outside
            (b, CN, T0 + 1500, 9, 0, 0, 0),  # only outside: no series for b
        ],
    )
    query = UsageQuery(ExportType.FLOW, T0 + 10, T0 + 1500, (a, b))
    store = SqlUsageStore(db)

    assert listed(list(store.iter_series(query))) == [("a.example", CN, [[2, 0, 0, 3]])]
    assert store.count_series(query) == 1
    empty = UsageQuery(ExportType.FLOW, T0 + 10, T0 + 300, (a, b))
    assert list(store.iter_series(empty)) == []
    assert store.count_series(empty) == 0


def test_each_export_type_reads_its_own_metrics(db: Database, ids: dict[str, int]) -> None:
    a = ids["a.example"]
    write(db, [(a, CN, T0, 1, 2, 3, 4)])
    store = SqlUsageStore(db)

    flow = list(store.iter_series(UsageQuery(ExportType.FLOW, T0, T0 + 300, (a,))))
    vas = list(store.iter_series(UsageQuery(ExportType.VAS, T0, T0 + 300, (a,))))

    assert listed(flow) == [("a.example", CN, [[1]])]
    assert listed(vas) == [("a.example", CN, [[2], [3], [4]])]


def test_series_spanning_several_fetch_blocks_are_assembled_whole(
    db: Database, ids: dict[str, int]
) -> None:
    a = ids["a.example"]
    rows = [
        (a, region, T0 + 300 * i, 10 * region + i, 0, 0, 0) for region in (0, 4) for i in range(5)
    ]
    write(db, rows)
    store = SqlUsageStore(db, fetch_batch=3)
    query = UsageQuery(ExportType.FLOW, T0, T0 + 1500, (a,))

    assert listed(list(store.iter_series(query))) == [
        ("a.example", 0, [[0, 1, 2, 3, 4]]),
        ("a.example", 4, [[40, 41, 42, 43, 44]]),
    ]


def test_unknown_domain_ids_are_ignored(db: Database, ids: dict[str, int]) -> None:
    write(db, [(999, CN, T0, 1, 0, 0, 0)])
    store = SqlUsageStore(db)
    query = UsageQuery(ExportType.FLOW, T0, T0 + 300, (999,))

    assert list(store.iter_series(query)) == []
    assert store.count_series(query) == 0


def test_newest_sample_is_the_latest_time_of_the_given_domains(
    db: Database, ids: dict[str, int]
) -> None:
    a, b = ids["a.example"], ids["b.example"]
    write(
        db, [(a, CN, T0, 1, 0, 0, 0), (a, SA, T0 + 600, 1, 0, 0, 0), (b, CN, T0 + 900, 1, 0, 0, 0)]
    )
    store = SqlUsageStore(db)

    assert store.newest_sample([a]) == T0 + 600
    assert store.newest_sample([a, b]) == T0 + 900
    assert store.newest_sample([ids["c.example"]]) is None
    assert store.newest_sample([]) is None


def test_upsert_joins_the_callers_transaction(db: Database, ids: dict[str, int]) -> None:
    batch = SampleBatch.from_rows([(ids["a.example"], CN, T0, 1, 1, 1, 1)])

    def write_then_fail() -> None:
        with db.write() as conn:
            SqlUsageStore(db).upsert(conn, batch)
            raise RuntimeError("abort")

    with pytest.raises(RuntimeError, match="abort"):
        write_then_fail()

    assert sample_count(db) == 0
