"""The summary's figures against a plain-Python computation written from the rule's text."""

from __future__ import annotations

import random
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from cdnexport.domain.task import ExportType
from cdnexport.domain.window import slot_range
from cdnexport.export.summary import (
    CHART_LABELS,
    Figures,
    Summary,
    SummaryAccumulator,
)
from cdnexport.export.timecells import slot_serials
from cdnexport.figures.maths import average_bps, bandwidth_bps, dropped_slots, percentile95
from cdnexport.usage.series import Series
from tests.unit.export.samples import JAN_1, series, utc


def rule_95th(values: list[int]) -> int:
    """Sort descending, drop the top floor(n × 0.05), take the next one."""
    dropped = int(Decimal(len(values)) * Decimal("0.05"))
    return sorted(values, reverse=True)[dropped]


def bandwidth(traffic: int) -> float:
    return traffic * 8 / 300


def summarize(items: list[Series], slots: int, *, start: int = JAN_1, zone: str = "UTC") -> Summary:
    accumulator = SummaryAccumulator(ExportType.FLOW, slots)
    for item in items:
        accumulator.add(item)
    return accumulator.result(slot_serials(start, start + slots * 300, zone))


@pytest.mark.parametrize(
    ("days", "dropped"), [(28, 403), (30, 432), (31, 446)], ids=["28d", "30d", "31d"]
)
def test_a_month_drops_the_top_five_percent_rounded_down(days: int, dropped: int) -> None:
    slots = days * 288
    assert dropped_slots(slots) == dropped
    # The highest `dropped` slots are big, the next one is the 95th, the rest are lower.
    values = [10**9 + slot for slot in range(dropped)] + [777] + [5] * (slots - dropped - 1)
    random.Random(days).shuffle(values)
    assert percentile95(np.array(values, dtype=np.int64)) == 777 == rule_95th(values)


@pytest.mark.parametrize("slots", [1, 2, 19, 20, 21, 39, 40, 287, 288, 8064, 8640, 8928])
def test_95th_matches_the_rule_on_random_data(slots: int) -> None:
    rng = random.Random(slots)
    values = [rng.randrange(0, 10**12) for _ in range(slots)]
    assert percentile95(np.array(values, dtype=np.int64)) == rule_95th(values)


def test_zero_slots_count_towards_the_95th() -> None:
    slots = 8928
    busy = [0] * slots
    for slot in range(446):
        busy[slot * 20] = 10**6 + slot
    assert percentile95(np.array(busy, dtype=np.int64)) == 0
    busy[7] = 42
    assert percentile95(np.array(busy, dtype=np.int64)) == 42 == rule_95th(busy)


def test_ties_across_the_cut_and_at_the_peak() -> None:
    values = [3] * 100 + [9] * 600 + [1] * 8228  # 8,928 slots; 446 dropped among the 9s
    summary = summarize([series("a", 0, values)], len(values))
    figures = summary.series[0]
    assert figures.p95 == 9 == rule_95th(values)
    # The earliest of the tied peaks.
    assert (figures.peak, figures.peak_slot) == (9, 100)


def test_95th_of_no_slots_is_refused() -> None:
    with pytest.raises(ValueError, match="undefined"):
        percentile95(np.array([], dtype=np.int64))


def test_every_figure_matches_an_independent_computation() -> None:
    rng = random.Random(5)
    slots = 8640
    raw = {
        ("a.example.com", 0): [rng.randrange(0, 2**40) for _ in range(slots)],
        ("a.example.com", 5): [rng.randrange(0, 2**30) for _ in range(slots)],
        ("b.example.com", 0): [rng.choice((0, 0, 7, 2**45)) for _ in range(slots)],
    }
    summary = summarize([series(label, region, v) for (label, region), v in raw.items()], slots)

    for figures, ((label, region), values) in zip(summary.series, raw.items(), strict=True):
        assert (figures.label, figures.region) == (label, region)
        check_figures(figures, values)
    by_region = {
        region: [
            sum(slot) for slot in zip(*(v for (_, r), v in raw.items() if r == region), strict=True)
        ]
        for region in (0, 5)
    }
    assert [f.region for f in summary.regions] == [0, 5]
    for figures, region in zip(summary.regions, (0, 5), strict=True):
        check_figures(figures, by_region[region])
    everything = [sum(slot) for slot in zip(*raw.values(), strict=True)]
    assert summary.total is not None and summary.total.region is None
    check_figures(summary.total, everything)
    assert summary.label_count == 2


def check_figures(figures: Figures, values: list[int]) -> None:
    total = sum(values)
    peak = max(values)
    assert figures.totals == (total,)
    assert (figures.peak, figures.peak_slot) == (peak, values.index(peak))
    assert figures.p95 == rule_95th(values)
    assert bandwidth_bps(figures.peak) == bandwidth(peak)
    assert bandwidth_bps(figures.p95) == bandwidth(rule_95th(values))
    assert average_bps(total, len(values)) == float(Fraction(total * 8, 300 * len(values)))


def test_vas_totals_per_request_type_and_peaks_of_all_requests() -> None:
    accumulator = SummaryAccumulator(ExportType.VAS, 3)
    accumulator.add(series("a", 0, [1, 2, 3], [10, 0, 0], [100, 200, 0]))
    accumulator.add(series("a", 6, [5, 0, 0], [0, 0, 0], [0, 0, 9]))
    summary = accumulator.result(slot_serials(JAN_1, JAN_1 + 900, "UTC"))
    assert [f.totals for f in summary.series] == [(6, 10, 300), (5, 0, 9)]
    assert summary.total is not None
    assert summary.total.totals == (11, 10, 309)
    # All requests per slot: 116, 202, 12.
    assert (summary.total.peak, summary.total.peak_slot) == (202, 1)
    assert [day.totals for day in summary.days] == [(11, 10, 309)]


def test_no_series_gives_no_figures() -> None:
    summary = summarize([], 288)
    assert summary.total is None
    assert (summary.series, summary.regions, summary.days, summary.lines) == ((), (), (), ())
    assert summary.label_count == 0


def expected_days(start: int, values: list[int], zone: str) -> list[tuple[date, int, int, int]]:
    """(local day, slots, traffic, peak slot index) per calendar day, from zoneinfo alone."""
    days: dict[date, list[int]] = {}
    for index, epoch in enumerate(slot_range(start, start + len(values) * 300)):
        days.setdefault(datetime.fromtimestamp(epoch, ZoneInfo(zone)).date(), []).append(index)
    result = []
    for day, slots in sorted(days.items()):
        peak = max(values[i] for i in slots)
        earliest = next(i for i in slots if values[i] == peak)
        result.append((day, len(slots), sum(values[i] for i in slots), earliest))
    return result


def serial_day(day: date) -> int:
    return (day - date(1899, 12, 30)).days


@pytest.mark.parametrize(
    ("zone", "start", "slots", "counts"),
    [
        # 2024-10-27 has 25 hours in Berlin; the window starts at local midnight.
        ("Europe/Berlin", utc("2024-10-25 22:00"), 864, [288, 300, 276]),
        # 2024-03-31 has 23 hours.
        ("Europe/Berlin", utc("2024-03-29 23:00"), 864, [288, 276, 288, 12]),
        # UTC+8 all year: a UTC-midnight window starts at 08:00 local.
        ("Asia/Shanghai", utc("2024-05-01 00:00"), 576, [192, 288, 96]),
    ],
)
def test_days_follow_the_report_zone(zone: str, start: int, slots: int, counts: list[int]) -> None:
    rng = random.Random(zone)
    values = [rng.randrange(0, 10**9) for _ in range(slots)]
    if counts[1] == 300:
        # 02:30 twice on 2024-10-27 (CEST, then CET): the peak is the earlier one.
        values[288 + 30] = values[288 + 42] = 10**10
    summary = summarize([series("a", 0, values)], slots, start=start, zone=zone)
    expected = expected_days(start, values, zone)
    assert [day.slots for day in summary.days] == counts == [e[1] for e in expected]
    assert [day.day for day in summary.days] == [serial_day(e[0]) for e in expected]
    assert [day.totals for day in summary.days] == [(e[2],) for e in expected]
    assert [day.peak_slot for day in summary.days] == [e[3] for e in expected]
    assert [day.peak for day in summary.days] == [values[e[3]] for e in expected]
    assert [day.region_peaks for day in summary.days] == [
        ((0, values[e[3]], e[3]),) for e in expected
    ]


def test_daily_peaks_per_region_are_of_the_region_totals() -> None:
    items = [
        series("a", 0, [5, 1, 0]),
        series("b", 0, [0, 1, 9]),
        series("a", 4, [0, 7, 0]),
    ]
    summary = summarize(items, 3)
    assert summary.days[0].region_peaks == ((0, 9, 2), (4, 7, 1))
    assert (summary.days[0].peak, summary.days[0].peak_slot) == (9, 1)


def test_chart_lines_are_the_total_and_the_largest_labels() -> None:
    sizes = {"a": 5, "b": 9, "c": 9, "d": 1, "e": 3, "f": 8, "g": 2}
    items = [
        series(label, region, [size, size]) for label, size in sizes.items() for region in (0, 1)
    ]
    summary = summarize(items, 2)
    names = [label for label, _ in summary.lines]
    assert names == [None, "b", "c", "f", "a", "e"]
    assert len(names) == CHART_LABELS + 1
    assert summary.lines[0][1].tolist() == [2 * sum(sizes.values())] * 2
    assert summary.lines[1][1].tolist() == [18, 18]


def test_one_label_draws_only_the_total() -> None:
    summary = summarize([series("acct", 0, [1, 2]), series("acct", 3, [4, 4])], 2)
    assert [(label, line.tolist()) for label, line in summary.lines] == [(None, [5, 6])]
