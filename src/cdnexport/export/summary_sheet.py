"""The summary sheet's layout: task facts, a line chart, per-label figures and daily figures,
and the chart-data columns the chart draws from."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Final
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from cdnexport.domain.task import SLOT_SECONDS, ExportType, ScopeKind
from cdnexport.domain.window import slot_range
from cdnexport.export import layout
from cdnexport.export.plan import ReportFacts, WorkbookPlan
from cdnexport.export.summary import DayFigures, Figures, Summary
from cdnexport.export.summary_words import WORDS, SummaryWords
from cdnexport.export.writer import (
    CellKind,
    CellRange,
    CellStyle,
    ChartSeries,
    ColumnData,
    ColumnSpec,
    FreeSheet,
    LineChart,
    SheetCell,
    SheetRow,
)
from cdnexport.figures.maths import average_bps, bandwidth_bps, dropped_slots

#: Rows left empty for the chart to cover; a default row is 20 pixels high.
CHART_ROWS: Final = 22
CHART_WIDTH: Final = 1000
CHART_HEIGHT: Final = CHART_ROWS * 20 - 20
#: Column widths in characters: at least, at most, and room left beside the widest cell.
_MIN_WIDTH: Final = 12.0
_MAX_WIDTH: Final = 60.0
_PADDING: Final = 2.0
#: Characters shown by the number formats of dates and times.
_SHOWN: Final = {CellStyle.DATETIME: 16, CellStyle.DATE: 10}
#: Domain names are listed on as many rows as needed, about this many characters each.
_NAMES_PER_LINE: Final = 90
#: Category labels are spaced a whole number of these slot counts apart (1 h ... 14 days).
_LABEL_STEPS: Final = (12, 36, 72, 144, 288, 576, 864, 2016, 4032)
_MAX_LABELS: Final = 12
#: Value-axis units for bandwidth: threshold, name, and the format's scaling commas.
_UNITS: Final = (
    (1e12, "Tbps", ",,,,"),
    (1e9, "Gbps", ",,,"),
    (1e6, "Mbps", ",,"),
    (1e3, "Kbps", ","),
)


def summary_sheet(
    plan: WorkbookPlan,
    facts: ReportFacts,
    summary: Summary,
    serials: npt.NDArray[np.float64],
    detail_rows: int,
    detail_sheets: int,
) -> FreeSheet:
    """The sheet; its chart reads the sheet ``chart_data`` describes."""
    words = WORDS[plan.language]
    rows: list[SheetRow] = [(SheetCell(words.title, CellStyle.TITLE),), ()]
    rows += _facts(plan, facts, words, summary.slots, detail_rows, detail_sheets)
    rows.append(())
    if summary.total is None or summary.slots == 0:
        rows.append((SheetCell(words.no_usage, CellStyle.BOLD),))
        return FreeSheet(words.sheet, tuple(rows), _widths(rows))
    chart = _chart(plan, words, summary, row=len(rows))
    rows += [()] * CHART_ROWS
    rows += _label_table(plan, words, summary, serials)
    rows.append(())
    rows += _day_table(plan, words, summary, serials)
    return FreeSheet(words.sheet, tuple(rows), _widths(rows), chart)


def chart_data(
    plan: WorkbookPlan, summary: Summary, serials: npt.NDArray[np.float64]
) -> tuple[str, list[ColumnSpec], list[ColumnData]] | None:
    """The chart-data sheet's name, columns and cells: time, then one column per line."""
    if summary.total is None or summary.slots == 0:
        return None
    words = WORDS[plan.language]
    flow = plan.export_type is ExportType.FLOW
    kind = CellKind.FLOAT if flow else CellKind.INT
    time = layout.time_header(plan.language, plan.time_zone)
    specs = [ColumnSpec(time, CellKind.DATETIME, max(18.0, len(time) + 2.0))]
    data: list[ColumnData] = [serials]
    for label, load in summary.lines:
        name = words.total if label is None else label
        specs.append(ColumnSpec(name, kind, max(16.0, len(name) + 2.0)))
        data.append(load.astype(np.float64) * 8.0 / SLOT_SECONDS if flow else load)
    return words.chart_sheet, specs, data


def _facts(
    plan: WorkbookPlan,
    facts: ReportFacts,
    words: SummaryWords,
    slots: int,
    detail_rows: int,
    detail_sheets: int,
) -> list[SheetRow]:
    zone = layout.zone_label(plan.time_zone)
    window = [(words.window.format(zone="UTC"), _window(plan.start, plan.end, "UTC", words))]
    if zone != "UTC":
        window.append((words.window.format(zone=zone), _window(plan.start, plan.end, zone, words)))
    flow = plan.export_type is ExportType.FLOW
    pairs: list[tuple[str, str | int]] = [
        (words.account, facts.account),
        (words.scope, _scope(facts, words)),
    ]
    rows = [_pair(key, value) for key, value in pairs]
    if facts.scope is ScopeKind.DOMAINS:
        rows += [(None, SheetCell(line)) for line in _lines(facts.scope_names)]
    pairs = [
        (words.type, words.type_flow if flow else words.type_vas),
        *window,
        (words.slots, slots),
        (words.generated, _moment(facts.generated_at, zone)),
        (words.watermark, _watermark(facts.watermark, zone, words)),
    ]
    rows += [_pair(key, value) for key, value in pairs]
    window_slots = slot_range(plan.start, plan.end)
    if facts.watermark is not None and window_slots and facts.watermark < window_slots[-1]:
        rows.append((None, SheetCell(words.incomplete, CellStyle.BOLD)))
    rows += [_pair(words.detail_rows, detail_rows), _pair(words.detail_sheets, detail_sheets)]
    return rows


def _pair(key: str, value: str | int) -> SheetRow:
    style = CellStyle.INTEGER if isinstance(value, int) else CellStyle.PLAIN
    return SheetCell(key, CellStyle.BOLD), SheetCell(value, style)


def _scope(facts: ReportFacts, words: SummaryWords) -> str:
    if facts.scope is ScopeKind.ACCOUNT:
        return words.scope_account
    if facts.scope is ScopeKind.GROUP:
        return words.scope_group.format(name=facts.scope_names[0] if facts.scope_names else "")
    return words.scope_domains.format(count=len(facts.scope_names))


def _lines(names: Sequence[str]) -> list[str]:
    """``names`` joined by commas into lines of about ``_NAMES_PER_LINE`` characters."""
    lines: list[str] = []
    for name in names:
        if lines and len(lines[-1]) + len(name) + 2 <= _NAMES_PER_LINE:
            lines[-1] += f", {name}"
        else:
            lines.append(name)
    return lines


def _moment(epoch: int, zone: str) -> str:
    utc = datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S")
    if zone == "UTC":
        return f"{utc} UTC"
    local = datetime.fromtimestamp(epoch, ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M:%S")
    return f"{utc} UTC · {local} {zone}"


def _window(start: int, end: int, zone: str, words: SummaryWords) -> str:
    tz = UTC if zone == "UTC" else ZoneInfo(zone)

    def text(epoch: int) -> str:
        return datetime.fromtimestamp(epoch, tz).strftime("%Y-%m-%d %H:%M:%S")

    return words.window_text.format(start=text(start), end=text(end))


def _watermark(watermark: int | None, zone: str, words: SummaryWords) -> str:
    return words.watermark_none if watermark is None else _moment(watermark, zone)


def _label_table(
    plan: WorkbookPlan, words: SummaryWords, summary: Summary, serials: npt.NDArray[np.float64]
) -> list[SheetRow]:
    detail = layout.columns(plan.export_type, plan.language, plan.label_kind, plan.time_zone)
    flow = plan.export_type is ExportType.FLOW
    zone = layout.zone_label(plan.time_zone)
    head = [detail[1].header, detail[2].header, detail[3].header]
    if flow:
        head += [words.peak, words.peak_time.format(zone=zone), words.p95, words.average]
    else:
        head += [column.header for column in detail[4:]] + [words.requests]
    rows: list[SheetRow] = [
        (SheetCell(words.by_label.format(label=detail[1].header), CellStyle.BOLD),),
        tuple(SheetCell(text, CellStyle.BOLD) for text in head),
    ]
    # Per-region totals only when they differ from both the rows above and the grand total.
    regions = summary.regions if summary.label_count > 1 and len(summary.regions) > 1 else ()
    assert summary.total is not None
    rows += [_figures_row(plan, words, f, False, summary.slots, serials) for f in summary.series]
    for figures in (*regions, summary.total):
        rows.append(_figures_row(plan, words, figures, True, summary.slots, serials))
    if flow:
        dropped = dropped_slots(summary.slots)
        fields = {"slots": summary.slots, "dropped": dropped, "rank": dropped + 1}
        rows += [(SheetCell(line.format(**fields)),) for line in words.rule]
    rows.append((SheetCell(words.total_note),))
    return rows


def _figures_row(
    plan: WorkbookPlan,
    words: SummaryWords,
    figures: Figures,
    is_total: bool,
    slots: int,
    serials: npt.NDArray[np.float64],
) -> SheetRow:
    regions = layout.region_names(plan.language)
    label = SheetCell(words.total, CellStyle.BOLD) if is_total else SheetCell(figures.label)
    region = words.all_regions if figures.region is None else regions[figures.region]
    cells: list[SheetCell | None] = [label, SheetCell(region)]
    cells += [SheetCell(total, CellStyle.INTEGER) for total in figures.totals]
    if plan.export_type is ExportType.FLOW:
        cells += [
            SheetCell(bandwidth_bps(figures.peak), CellStyle.DECIMAL),
            SheetCell(float(serials[figures.peak_slot]), CellStyle.DATETIME),
            SheetCell(bandwidth_bps(figures.p95), CellStyle.DECIMAL),
            SheetCell(average_bps(figures.totals[0], slots), CellStyle.DECIMAL),
        ]
    else:
        cells.append(SheetCell(sum(figures.totals), CellStyle.INTEGER))
    return tuple(cells)


def _day_table(
    plan: WorkbookPlan, words: SummaryWords, summary: Summary, serials: npt.NDArray[np.float64]
) -> list[SheetRow]:
    detail = layout.columns(plan.export_type, plan.language, plan.label_kind, plan.time_zone)
    zone = layout.zone_label(plan.time_zone)
    flow = plan.export_type is ExportType.FLOW
    regions = layout.region_names(plan.language)
    by_region = len(summary.regions) > 1 and bool(summary.days)
    head = [words.day, words.slots, *(column.header for column in detail[3:])]
    if flow:
        head[3:] = [words.peak, words.peak_time.format(zone=zone)]
        if by_region:
            head += [
                words.region_peak.format(region=regions[region])
                for region, _, _ in summary.days[0].region_peaks
            ]
    else:
        head.append(words.requests)
    title = (words.daily_flow if flow else words.daily_vas).format(zone=zone)
    rows: list[SheetRow] = [
        (SheetCell(title, CellStyle.BOLD),),
        tuple(SheetCell(text, CellStyle.BOLD) for text in head),
    ]
    rows += [_day_row(day, flow, by_region, serials) for day in summary.days]
    return rows


def _day_row(
    day: DayFigures, flow: bool, by_region: bool, serials: npt.NDArray[np.float64]
) -> SheetRow:
    cells: list[SheetCell | None] = [
        SheetCell(float(day.day), CellStyle.DATE),
        SheetCell(day.slots, CellStyle.INTEGER),
        *(SheetCell(total, CellStyle.INTEGER) for total in day.totals),
    ]
    if flow:
        cells += [
            SheetCell(bandwidth_bps(day.peak), CellStyle.DECIMAL),
            SheetCell(float(serials[day.peak_slot]), CellStyle.DATETIME),
        ]
        if by_region:
            cells += [
                SheetCell(bandwidth_bps(peak), CellStyle.DECIMAL) for _, peak, _ in day.region_peaks
            ]
    else:
        cells.append(SheetCell(sum(day.totals), CellStyle.INTEGER))
    return tuple(cells)


def _chart(plan: WorkbookPlan, words: SummaryWords, summary: Summary, row: int) -> LineChart:
    flow = plan.export_type is ExportType.FLOW
    assert summary.total is not None
    last = summary.slots
    sheet = words.chart_sheet
    series = tuple(
        ChartSeries(words.total if label is None else label, CellRange(sheet, column, 1, last))
        for column, (label, _) in enumerate(summary.lines, start=1)
    )
    step = next((s for s in _LABEL_STEPS if math.ceil(last / s) <= _MAX_LABELS), _LABEL_STEPS[-1])
    if flow:
        unit, value_format = _bandwidth_unit(bandwidth_bps(summary.total.peak))
        title, y_title = words.chart_flow, words.axis_flow.format(unit=unit)
    else:
        value_format, title, y_title = "#,##0", words.chart_vas, words.axis_vas
    return LineChart(
        title=title,
        x_title=layout.time_header(plan.language, plan.time_zone),
        y_title=y_title,
        categories=CellRange(sheet, 0, 1, last),
        series=series,
        label_format="mm-dd hh:mm" if step < 288 else "mm-dd",
        label_step=step,
        value_format=value_format,
        row=row,
        column=0,
        width=CHART_WIDTH,
        height=CHART_HEIGHT,
    )


def _widths(rows: Sequence[SheetRow]) -> tuple[float, ...]:
    """Widths that fit the tables' cells and the facts' keys; facts' values and lone text
    lines run on into the empty cells to their right instead."""
    widths: list[float] = []
    for row in rows:
        cells = row if len(row) > 2 else row[:1] if len(row) == 2 else ()
        for index, cell in enumerate(cells):
            if index == len(widths):
                widths.append(_MIN_WIDTH)
            if cell is not None:
                wanted = min(_MAX_WIDTH, _shown_width(cell) + _PADDING)
                widths[index] = max(widths[index], wanted)
    return tuple(widths)


def _shown_width(cell: SheetCell) -> float:
    """About how many characters wide a cell is shown."""
    value = cell.value
    if isinstance(value, str):
        bold = cell.style in (CellStyle.BOLD, CellStyle.TITLE)
        return layout.text_width(value) * (1.1 if bold else 1.0)
    if cell.style in _SHOWN:
        return _SHOWN[cell.style]
    if cell.style is CellStyle.DECIMAL:
        return len(f"{value:,.2f}")
    return len(f"{value:,}") if cell.style is CellStyle.INTEGER else len(str(value))


def _bandwidth_unit(peak_bps: float) -> tuple[str, str]:
    """A decimal unit that keeps the axis labels short, and the format that scales to it."""
    for threshold, unit, commas in _UNITS:
        if peak_bps >= threshold:
            return unit, f"#,##0.0{commas}"
    return "bps", "#,##0"
