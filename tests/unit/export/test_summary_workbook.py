"""Summary, notes and chart sheets built by both writers, read back and checked against the
detail sheets they sit beside."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from cdnexport.domain.task import ExportType, Language, ScopeKind
from cdnexport.export.plan import WorkbookPlan
from cdnexport.usage.series import Series
from tests.unit.export.reports import (
    WRITERS,
    Row,
    build,
    detail_rows,
    facts,
    facts_of,
    read,
    table,
    texts,
)
from tests.unit.export.samples import plan, series, utc

START = utc("2024-01-01 00:00")
ZONE = "Asia/Shanghai"
SLOTS = 2 * 288


def flow_items() -> list[Series]:
    """Three domains, one in two regions; values with ties and zeros, easy to tell apart."""
    return [
        series("a.example.com", 0, [(slot * 7919) % 100_003 * 1_000 for slot in range(SLOTS)]),
        series("a.example.com", 4, [(slot % 288) * 10**6 for slot in range(SLOTS)]),
        series("b.example.com", 0, [0] * (SLOTS - 5) + [2**40] * 5),
        series("c.example.com", 5, [123_456_789] * SLOTS),
    ]


def flow_plan(**changes: Any) -> WorkbookPlan:
    base = plan(SLOTS, start=START, time_zone=ZONE, language=Language.EN_US)
    return dataclasses.replace(base, **{"facts": facts(), **changes})


def rule_95th(values: list[float]) -> float:
    dropped = int(Decimal(len(values)) * Decimal("0.05"))
    return sorted(values, reverse=True)[dropped]


@pytest.fixture(params=sorted(WRITERS))
def writer(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_summary_and_notes_come_first_and_chart_data_last(tmp_path: Path, writer: str) -> None:
    path = tmp_path / "x.xlsx"
    build(path, writer, flow_plan(), flow_items(), max_rows=2000)
    book = openpyxl.load_workbook(path)
    try:
        assert book.sheetnames == ["Summary", "Notes", "Detail", "Detail (2)", "Chart Data"]
        assert book.active is not None and book.active.title == "Summary"
        # Exactly one selected tab, or Excel opens the sheets grouped.
        selected = [name for name in book.sheetnames if book[name].sheet_view.tabSelected]
        assert selected in (["Summary"], [])
        assert book["Summary"]["A1"].font.b
        assert book["Summary"]["A1"].font.sz == 14
    finally:
        book.close()


def test_chinese_sheet_names(tmp_path: Path, writer: str) -> None:
    path = tmp_path / "x.xlsx"
    build(path, writer, dataclasses.replace(flow_plan(), language=Language.ZH_CN), flow_items())
    assert list(read(path)) == ["汇总", "说明", "明细", "图表数据"]


def test_facts_state_the_task(tmp_path: Path, writer: str) -> None:
    path = tmp_path / "x.xlsx"
    stats = build(path, writer, flow_plan(), flow_items(), max_rows=2000)
    summary = read(path)["Summary"]
    found = facts_of(summary)
    assert found["Account"] == "acme"
    assert found["Scope"] == "Domains (2):"
    assert found["Type"] == "flow (traffic and bandwidth)"
    assert found["Window (UTC)"] == (
        "2024-01-01 00:00:00 to 2024-01-03 00:00:00 (start included, end excluded)"
    )
    assert found["Window (Asia/Shanghai)"] == (
        "2024-01-01 08:00:00 to 2024-01-03 08:00:00 (start included, end excluded)"
    )
    assert found["5-minute slots"] == SLOTS
    assert found["Generated at"] == "2024-02-01 00:30:00 UTC · 2024-02-01 08:30:00 Asia/Shanghai"
    assert found["Data watermark"] == "2024-02-01 00:00:00 UTC · 2024-02-01 08:00:00 Asia/Shanghai"
    assert (
        (found["Detail rows"], found["Detail sheets"])
        == (stats.rows, stats.sheets)
        == (
            4 * SLOTS,
            2,
        )
    )
    assert "a.example.com, b.example.com" in texts(summary)
    assert "may change" not in texts(summary)


@pytest.mark.parametrize(
    ("watermark", "warned"),
    [(START + (SLOTS - 1) * 300, False), (START + (SLOTS - 2) * 300, True)],
    ids=["complete", "behind"],
)
def test_a_watermark_before_the_last_slot_is_flagged(
    tmp_path: Path, watermark: int, warned: bool
) -> None:
    path = tmp_path / "x.xlsx"
    build(path, "fast", flow_plan(facts=facts(watermark=watermark)), flow_items())
    assert ("these figures may change" in texts(read(path)["Summary"])) is warned


def test_scope_of_an_account_and_a_group(tmp_path: Path) -> None:
    cases = {
        ScopeKind.ACCOUNT: ((), "Whole account (all domains)"),
        ScopeKind.GROUP: (("edge",), "Group: edge"),
    }
    for kind, (names, shown) in cases.items():
        path = tmp_path / f"{kind}.xlsx"
        build(path, "fast", flow_plan(facts=facts(scope=kind, names=names)), flow_items())
        assert facts_of(read(path)["Summary"])["Scope"] == shown


def test_every_flow_figure_agrees_with_the_detail(tmp_path: Path, writer: str) -> None:
    path = tmp_path / "x.xlsx"
    build(path, writer, flow_plan(), flow_items(), max_rows=2000)
    sheets = read(path)
    detail = detail_rows(sheets, "Detail")
    header, body = table(sheets["Summary"], "Domain")
    assert header == (
        "Domain",
        "Billing Region",
        "Traffic (Byte)",
        "Peak bandwidth (bps)",
        "Peak time (Asia/Shanghai)",
        "95th percentile bandwidth (bps)",
        "Average bandwidth (bps)",
    )
    per_series: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for row in detail:
        per_series[(row[1], row[2])].append(row)
    series_rows = [row for row in body if row[0] != "Total"]
    assert [(row[0], row[1]) for row in series_rows] == list(per_series)
    for row in series_rows:
        check_flow_row(writer, row, per_series[(row[0], row[1])])

    # Totals: the series added slot by slot, per region and over all regions.
    totals = [row for row in body if row[0] == "Total"]
    regions = ["Chinese Mainland", "North America", "Europe", "All regions"]
    assert [row[1] for row in totals] == regions
    for row in totals:
        rows = [r for r in detail if row[1] in ("All regions", r[2])]
        check_flow_row(writer, row, slot_sums(rows))


def slot_sums(rows: list[Row]) -> list[Row]:
    """Detail rows added per time slot: (time, traffic, bandwidth of the sum)."""
    by_time: dict[datetime, int] = defaultdict(int)
    for row in rows:
        by_time[row[0]] += row[3]
    return [(time, "", "", traffic, traffic * 8 / 300) for time, traffic in by_time.items()]


def written(writer: str, value: float) -> float:
    """``value`` as it reads back: XlsxWriter keeps 16 significant digits, the fast writer 17."""
    return value if writer == "fast" else float(f"{value:.16G}")


def check_flow_row(writer: str, row: Row, rows: list[Row]) -> None:
    traffic = [r[3] for r in rows]
    bandwidth = [written(writer, r[4]) for r in rows]
    total = sum(traffic)
    peak = max(bandwidth)
    assert row[2] == total
    assert row[3] == peak
    assert row[4] == next(r[0] for r, b in zip(rows, bandwidth, strict=True) if b == peak)
    assert row[5] == rule_95th(bandwidth)
    assert row[6] == pytest.approx(float(Fraction(total * 8, 300 * len(rows))), rel=1e-15)


def test_daily_peaks_agree_with_the_detail(tmp_path: Path, writer: str) -> None:
    path = tmp_path / "x.xlsx"
    build(path, writer, flow_plan(), flow_items())
    sheets = read(path)
    header, body = table(sheets["Summary"], "Day")
    assert header == (
        "Day",
        "5-minute slots",
        "Traffic (Byte)",
        "Peak bandwidth (bps)",
        "Peak time (Asia/Shanghai)",
        "Peak Chinese Mainland (bps)",
        "Peak North America (bps)",
        "Peak Europe (bps)",
    )
    detail = detail_rows(sheets, "Detail")
    days: dict[Any, list[Row]] = defaultdict(list)
    for row in slot_sums(detail):
        days[row[0].date()].append(row)
    assert [row[0].date() for row in body] == list(days)
    assert [row[1] for row in body] == [192, 288, 96]
    for row, (_, rows) in zip(body, days.items(), strict=True):
        peak = max(r[4] for r in rows)
        assert row[1:5] == (
            len(rows),
            sum(r[3] for r in rows),
            written(writer, peak),
            next(r[0] for r in rows if r[4] == peak),
        )
        for region, cell in zip(
            ["Chinese Mainland", "North America", "Europe"], row[5:], strict=True
        ):
            in_region = [r for r in detail if r[2] == region and r[0].date() == row[0].date()]
            assert cell == written(writer, max(r[4] for r in slot_sums(in_region)))


def test_the_95th_rule_is_stated_with_this_windows_numbers(tmp_path: Path) -> None:
    path = tmp_path / "x.xlsx"
    build(path, "fast", flow_plan(), flow_items())
    summary = texts(read(path)["Summary"])
    assert "take all 576 5-minute slots of the window (zeros included)" in summary
    assert "drop the top 28 (slots × 5%, rounded down)" in summary
    assert "number 29 from the top" in summary


def test_vas_totals_agree_with_the_detail(tmp_path: Path, writer: str) -> None:
    path = tmp_path / "x.xlsx"
    items = [
        series("a.example.com", 0, [1, 2, 3, 4], [10, 0, 0, 5], [7, 7, 7, 7]),
        series("a.example.com", 6, [0, 0, 9, 0], [1, 1, 1, 1], [0, 0, 0, 2**40]),
        series("b.example.com", 0, [5, 5, 5, 5], [0, 0, 0, 0], [0, 0, 0, 0]),
    ]
    vas = dataclasses.replace(
        plan(4, export_type=ExportType.VAS, language=Language.EN_US, start=utc("2024-01-01 23:50")),
        facts=facts(),
    )
    build(path, writer, vas, items)
    sheets = read(path)
    assert list(sheets) == ["Summary", "Notes", "Detail", "Chart Data"]
    header, body = table(sheets["Summary"], "Domain")
    assert header[2:] == (
        "Static HTTPS Requests",
        "Dynamic HTTP Requests",
        "Dynamic HTTPS Requests",
        "Total requests",
    )
    detail = detail_rows(sheets, "Detail")

    def sums(rows: list[Row]) -> tuple[int, ...]:
        columns = [sum(r[i] for r in rows) for i in (3, 4, 5)]
        return (*columns, sum(columns))

    expected = [
        ("a.example.com", "Chinese Mainland", *sums(detail[:4])),
        ("a.example.com", "Middle East and Africa", *sums(detail[4:8])),
        ("b.example.com", "Chinese Mainland", *sums(detail[8:])),
        ("Total", "Chinese Mainland", *sums(detail[:4] + detail[8:])),
        ("Total", "Middle East and Africa", *sums(detail[4:8])),
        ("Total", "All regions", *sums(detail)),
    ]
    assert body == expected
    header, days = table(sheets["Summary"], "Day")
    assert header[:2] == ("Day", "5-minute slots")
    assert header[2:] == (
        "Static HTTPS Requests",
        "Dynamic HTTP Requests",
        "Dynamic HTTPS Requests",
        "Total requests",
    )
    assert [(row[0], row[1]) for row in days] == [
        (datetime(2024, 1, 1), 2),
        (datetime(2024, 1, 2), 2),
    ]
    for day in days:
        assert day[2:] == sums([r for r in detail if r[0].date() == day[0].date()])


def test_no_usage_still_states_the_facts(tmp_path: Path, writer: str) -> None:
    path = tmp_path / "x.xlsx"
    stats = build(path, writer, flow_plan(facts=facts(watermark=None)), [])
    sheets = read(path)
    assert list(sheets) == ["Summary", "Notes", "Detail"]
    found = facts_of(sheets["Summary"])
    assert (found["Account"], found["Detail rows"], stats.rows) == ("acme", 0, 0)
    assert "There is no usage for this scope in this window." in texts(sheets["Summary"])
    assert "Domain" not in texts(sheets["Summary"]).splitlines()


def test_no_samples_at_all_is_said_in_the_watermark(tmp_path: Path) -> None:
    path = tmp_path / "x.xlsx"
    none = dataclasses.replace(facts(), watermark=None)
    build(path, "fast", flow_plan(facts=none), [])
    assert (
        facts_of(read(path)["Summary"])["Data watermark"] == "No usage data exists for this scope"
    )


def test_notes_explain_every_column_and_rule(tmp_path: Path) -> None:
    path = tmp_path / "x.xlsx"
    build(path, "fast", flow_plan(), flow_items())
    notes = read(path)["Notes"]
    items = [row[0] for row in notes if row and row[0]]
    for header in ("Time (Asia/Shanghai)", "Domain", "Billing Region", "Traffic (Byte)"):
        assert header in items
    words = texts(notes)
    for phrase in (
        "Bandwidth = Traffic (Byte) × 8 / 300",
        "Here n = 576: 28 dropped, value number 29 from the top",
        "1 KB = 1,000 Byte",
        "bps means bits per second, not bytes per second (Bps)",
        "Billed traffic may exceed logged traffic",
        "local times in Asia/Shanghai",
        "Average bandwidth = total traffic (Byte) × 8 / (300 × number of slots)",
    ):
        assert phrase in words, phrase


def test_chinese_notes(tmp_path: Path) -> None:
    path = tmp_path / "x.xlsx"
    build(path, "fast", dataclasses.replace(flow_plan(), language=Language.ZH_CN), flow_items())
    words = texts(read(path)["说明"])
    for phrase in ("带宽 = 流量(Byte) × 8 / 300", "账单流量可能高于日志流量", "1 KB = 1,000 Byte"):
        assert phrase in words, phrase
