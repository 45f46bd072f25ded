"""The usage figures against a plain-Python computation of the same rules."""

from __future__ import annotations

import bisect
import random
from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np
import pytest

from cdnexport.domain.task import ExportType
from cdnexport.domain.window import slot_range
from cdnexport.export.summary import SummaryAccumulator
from cdnexport.export.timecells import slot_serials
from cdnexport.figures.calendar import bucket_edges, cycle_edges
from cdnexport.figures.usage import (
    ALL_REGIONS,
    BPS,
    MAINLAND,
    OVERSEAS,
    TRAFFIC,
    Quantity,
    cycle_percentiles,
    largest,
    read_slots,
    requests,
    usage_figures,
)
from cdnexport.usage.memory import MemoryUsageSource
from cdnexport.usage.query import UsageQuery

NAMES = {1: "a.example.com", 2: "b.example.com", 3: "c.example.com"}


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> int:
    return int(datetime(year, month, day, hour, minute, tzinfo=UTC).timestamp())


def random_rows(start: int, end: int, seed: int) -> list[tuple[int, int, int, int, int, int, int]]:
    """Sparse samples of three domains in three regions, with repeated values for ties."""
    rng = random.Random(seed)
    rows = []
    for ts in range(start, end, 300):
        for domain_id in NAMES:
            for region in (0, 2, 5):
                if rng.random() < 0.6:
                    rows.append(
                        (
                            domain_id,
                            region,
                            ts,
                            rng.choice([0, 1000, 5000, rng.randrange(10**9)]),
                            rng.randrange(50),
                            rng.randrange(50),
                            rng.randrange(50),
                        )
                    )
    return rows


def plain_load(
    rows: Sequence[tuple[int, ...]], start: int, end: int, regions: set[int], columns: list[int]
) -> list[int]:
    """Per-slot sums, written without numpy."""
    load = [0] * ((end - start) // 300)
    for row in rows:
        if row[1] in regions and start <= row[2] < end:
            load[(row[2] - start) // 300] += sum(row[c] for c in columns)
    return load


def plain_95th(values: list[int]) -> tuple[int, int]:
    """Billing rule: sort descending, drop floor(5%), take the next; equal values earliest first."""
    ranked = sorted(range(len(values)), key=lambda i: (-values[i], i))
    where = ranked[len(values) * 5 // 100]
    return values[where], where


def plain_buckets(
    load: list[int], start: int, edges: list[int], peaks: bool
) -> list[tuple[int, int, int]]:
    """(bucket start, value, peak time) per bucket with a slot."""
    groups: dict[int, list[int]] = {}
    for i in range(len(load)):
        bucket = bisect.bisect_right(edges, start + 300 * i) - 1
        groups.setdefault(edges[bucket], []).append(i)
    out = []
    for low, idx in groups.items():
        values = [load[i] for i in idx]
        top = max(values)
        peak_time = start + 300 * idx[values.index(top)]
        out.append((low, top if peaks else sum(values), peak_time))
    return out


@pytest.mark.parametrize(
    ("start", "end", "slots"),
    [
        (utc(2026, 2, 1), utc(2026, 3, 1), 8064),
        (utc(2026, 4, 1), utc(2026, 5, 1), 8640),
        (utc(2026, 1, 1), utc(2026, 2, 1), 8928),
    ],
)
@pytest.mark.parametrize("interval", [300, 3600, 86400])
def test_month_windows_match_the_plain_rules(
    start: int, end: int, slots: int, interval: int
) -> None:
    rows = random_rows(start, end, seed=slots + interval)
    source = MemoryUsageSource.from_rows(NAMES, rows)
    read = read_slots(source, list(NAMES), start, end, BPS)
    assert read.slots == slots
    for regions in (ALL_REGIONS, MAINLAND, OVERSEAS):
        figures = usage_figures(
            read, end=end, interval=interval, zone="UTC", regions=regions, watermark=end
        )
        load = plain_load(rows, start, end, set(regions), [3])
        edges = list(range(start, end + 1, interval))
        expected = plain_buckets(load, start, edges, peaks=True)
        got = list(
            zip(
                figures.series.starts.tolist(),
                figures.series.values.tolist(),
                figures.series.peak_times.tolist(),
                strict=True,
            )
        )
        assert got == expected
        assert figures.overall is not None
        assert figures.overall.slots == slots
        assert figures.overall.total == sum(load)
        p95, where = plain_95th(load)
        assert (figures.overall.p95, figures.overall.p95_time) == (p95, start + 300 * where)
        assert figures.overall.peak == max(load)
        assert figures.overall.peak_time == start + 300 * load.index(max(load))
    month = cycle_percentiles(read, cycle="month", zone="UTC", regions=MAINLAND, watermark=end)
    assert len(month) == 1 and month[0].slots == slots
    cn_load = plain_load(rows, start, end, {0}, [3])
    assert month[0].p95 == plain_95th(cn_load)[0]
    # The billed point is the (floor(5%) + 1)-th highest: 404th, 433rd or 447th.
    assert sorted(cn_load, reverse=True)[slots // 20] == month[0].p95


def test_traffic_and_requests_are_sums_with_peak_time_at_the_bucket_peak() -> None:
    start, end = utc(2026, 3, 2), utc(2026, 3, 4)
    rows = random_rows(start, end, seed=7)
    source = MemoryUsageSource.from_rows(NAMES, rows)
    for quantity, columns in (
        (TRAFFIC, [3]),
        (requests(["static_https"]), [4]),
        (requests(["dynamic_http", "dynamic_https"]), [5, 6]),
    ):
        read = read_slots(source, [1, 3], start, end, quantity)
        figures = usage_figures(read, end=end, interval=3600, zone="UTC", watermark=end)
        picked = [row for row in rows if row[0] in (1, 3)]
        load = plain_load(picked, start, end, set(ALL_REGIONS), columns)
        expected = plain_buckets(load, start, list(range(start, end + 1, 3600)), peaks=False)
        series = figures.series
        got = list(zip(series.starts.tolist(), series.values.tolist(), strict=True))
        assert got == [(s, v) for s, v, _ in expected]
        assert figures.overall is not None and figures.overall.total == sum(load)


def test_an_empty_window_is_zero_filled_up_to_the_watermark() -> None:
    start, end = utc(2026, 3, 1), utc(2026, 3, 1, 6)
    source = MemoryUsageSource.from_rows(NAMES, [(1, 0, utc(2026, 3, 2), 10, 0, 0, 0)])
    read = read_slots(source, [1], start, end, BPS)
    figures = usage_figures(read, end=end, interval=3600, zone="UTC", watermark=utc(2026, 3, 2))
    assert figures.series.starts.tolist() == list(range(start, end, 3600))
    assert figures.series.values.tolist() == [0] * 6
    assert figures.series.peak_times.tolist() == list(range(start, end, 3600))
    assert figures.overall is not None
    assert (figures.overall.total, figures.overall.peak, figures.overall.p95) == (0, 0, 0)
    assert figures.regions == ()
    nothing = usage_figures(read, end=end, interval=300, zone="UTC", watermark=None)
    assert len(nothing.series) == 0 and nothing.overall is None


def test_the_watermark_cuts_the_series_and_leaves_a_partial_last_bucket() -> None:
    start, end = utc(2026, 3, 1), utc(2026, 3, 1, 4)
    rows = [(1, 0, start + 300 * i, 100 + i, 0, 0, 0) for i in range(48)]
    read = read_slots(MemoryUsageSource.from_rows(NAMES, rows), [1], start, end, TRAFFIC)
    watermark = utc(2026, 3, 1, 2, 25)
    figures = usage_figures(read, end=end, interval=3600, zone="UTC", watermark=watermark)
    assert figures.series.starts.tolist() == [start, start + 3600, start + 7200]
    assert figures.series.values.tolist()[-1] == sum(100 + i for i in range(24, 29))
    assert figures.end == watermark
    assert figures.overall is not None and figures.overall.slots == 29


def test_days_follow_the_zone_including_dst_changes() -> None:
    assert cycle_edges(utc(2026, 5, 1, 17), utc(2026, 5, 2, 17), "day", "Asia/Shanghai") == [
        utc(2026, 5, 1, 16),
        utc(2026, 5, 2, 16),
        utc(2026, 5, 3, 16),
    ]
    edges = bucket_edges(utc(2026, 3, 7, 5), utc(2026, 3, 10, 4), 86400, "America/New_York")
    assert np.diff(edges).tolist() == [86400, 82800, 86400]
    assert cycle_edges(utc(2026, 2, 10), utc(2026, 3, 5), "month", "UTC") == [
        utc(2026, 2, 1),
        utc(2026, 3, 1),
        utc(2026, 4, 1),
    ]


def test_regions_and_domains_are_broken_down() -> None:
    start, end = utc(2026, 3, 1), utc(2026, 3, 2)
    rows = random_rows(start, end, seed=3)
    source = MemoryUsageSource.from_rows(NAMES, rows)
    read = read_slots(source, list(NAMES), start, end, BPS, per_domain=True)
    figures = usage_figures(read, end=end, interval=300, zone="UTC", watermark=end)
    assert [region for region, _ in figures.regions] == [0, 2, 5]
    for region, found in figures.regions:
        load = plain_load(rows, start, end, {region}, [3])
        assert (found.total, found.peak, found.p95) == (sum(load), max(load), plain_95th(load)[0])
    assert [name for name, _ in figures.domains] == sorted(NAMES.values())
    for name, found in figures.domains:
        domain_id = next(k for k, v in NAMES.items() if v == name)
        load = plain_load([r for r in rows if r[0] == domain_id], start, end, {0, 2, 5}, [3])
        assert (found.total, found.peak) == (sum(load), max(load))
    top = largest(figures.domains, 2, by="peak")
    assert [stat.peak for _, stat in top] == sorted(
        (s.peak for _, s in figures.domains), reverse=True
    )[:2]
    merged = read_slots(source, list(NAMES), start, end, BPS)
    assert np.array_equal(merged.load(), read.load())


@pytest.mark.parametrize("zone", ["UTC", "Asia/Shanghai", "America/New_York"])
def test_figures_agree_with_the_workbook_summary(zone: str) -> None:
    # 2026-03-08 is a 23-hour day in New York.
    start, end = utc(2026, 3, 3), utc(2026, 3, 10)
    rows = random_rows(start, end, seed=11)
    source = MemoryUsageSource.from_rows(NAMES, rows)
    accumulator = SummaryAccumulator(ExportType.FLOW, len(slot_range(start, end)))
    for series in source.iter_series(UsageQuery(ExportType.FLOW, start, end, tuple(NAMES))):
        accumulator.add(series)
    summary = accumulator.result(slot_serials(start, end, zone))
    figures = usage_figures(
        read_slots(source, list(NAMES), start, end, BPS),
        end=end,
        interval=86400,
        zone=zone,
        watermark=end,
    )
    assert summary.total is not None and figures.overall is not None
    assert summary.total.totals[0] == figures.overall.total
    assert summary.total.peak == figures.overall.peak
    assert summary.total.p95 == figures.overall.p95
    assert [day.peak for day in summary.days] == figures.series.values.tolist()
    assert [day.totals[0] for day in summary.days] == figures.series.totals.tolist()
    assert [start + 300 * day.peak_slot for day in summary.days] == (
        figures.series.peak_times.tolist()
    )
    shown = BPS.shown(figures.overall.peak)
    assert shown == summary.total.peak * 8 / 300


def test_an_unknown_request_counter_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown"):
        requests(["static_http"])
    assert Quantity("bps", ("traffic_bytes",)) == BPS
