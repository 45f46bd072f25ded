from __future__ import annotations

import numpy as np
import pytest

from cdnexport.db.engine import Database
from cdnexport.domain.task import ExportType
from cdnexport.usage.memory import MemoryUsageSource
from cdnexport.usage.query import UsageQuery
from cdnexport.usage.samples import SampleBatch
from cdnexport.usage.series import Series
from cdnexport.usage.store import SqlUsageStore
from tests.unit.usage.helpers import T0, add_account

NAMES = ("west.example", "east.example", "mid.example", "idle.example")


def random_samples(ids: list[int], seed: int) -> SampleBatch:
    """Sparse samples over two days, with repeated keys whose last value must win."""
    rng = np.random.default_rng(seed)
    n = 3_000
    return SampleBatch(
        rng.choice(np.array(ids[:3], dtype=np.int64), n),
        rng.integers(0, 8, n),
        T0 + 300 * rng.integers(0, 576, n),
        rng.integers(0, 10**12, n),
        rng.integers(0, 10**6, n),
        rng.integers(0, 10**6, n),
        rng.integers(0, 10**6, n),
    )


def as_lists(series: list[Series]) -> list[tuple[str, int, list[list[int]]]]:
    return [(s.label, s.region, [v.tolist() for v in s.values]) for s in series]


def test_memory_source_matches_the_sql_store(db: Database) -> None:
    ids = add_account(db, 1, "acme", NAMES)
    id_list = [ids[n] for n in NAMES]
    samples = random_samples(id_list, seed=7)
    sql = SqlUsageStore(db)
    with db.write() as conn:
        sql.upsert(conn, samples)
    memory = MemoryUsageSource({v: k for k, v in ids.items()}, samples)

    windows = [(T0, T0 + 2 * 86400), (T0 + 3601, T0 + 7 * 3600 + 1), (T0 + 86400, T0 + 86400)]
    for export_type in ExportType:
        for start, end in windows:
            for label in (None, "acme"):
                query = UsageQuery(export_type, start, end, (*id_list, 424242), label)
                expected = as_lists(list(memory.iter_series(query)))
                assert as_lists(list(sql.iter_series(query))) == expected
                assert sql.count_series(query) == memory.count_series(query) == len(expected)
    assert sql.newest_sample(id_list) == memory.newest_sample(id_list)


def test_memory_source_replaces_and_zero_fills() -> None:
    memory = MemoryUsageSource.from_rows(
        {1: "b.example", 2: "a.example"},
        [(1, 0, T0, 1, 0, 0, 0), (2, 3, T0 + 300, 2, 0, 0, 0), (1, 0, T0, 5, 0, 0, 0)],
    )
    query = UsageQuery(ExportType.FLOW, T0, T0 + 900, (1, 2))

    assert as_lists(list(memory.iter_series(query))) == [
        ("a.example", 3, [[0, 2, 0]]),
        ("b.example", 0, [[5, 0, 0]]),
    ]
    assert memory.newest_sample([1]) == T0
    assert memory.newest_sample([3]) is None


def test_memory_source_checks_samples() -> None:
    with pytest.raises(ValueError, match="aligned"):
        MemoryUsageSource.from_rows({1: "a.example"}, [(1, 0, T0 + 1, 1, 0, 0, 0)])
