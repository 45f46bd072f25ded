"""Turns usage series into detail rows and streams them to a ``WorkbookWriter``; with report
facts, also the summary, notes and chart-data sheets, from figures gathered in the same pass.

Sheets hold at most ``max_rows_per_sheet`` data rows; the rest continues on numbered sheets with
the same header, so an export is never truncated.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cdnexport.domain.task import SLOT_SECONDS, ExportType
from cdnexport.export import layout, notes, summary_sheet
from cdnexport.export.plan import ReportFacts, WorkbookPlan
from cdnexport.export.summary import SummaryAccumulator
from cdnexport.export.timecells import slot_serials
from cdnexport.export.writer import ColumnData, WorkbookWriter
from cdnexport.usage.series import METRICS, Series

__all__ = [
    "EXCEL_DATA_ROWS",
    "BuildStats",
    "ExportCancelled",
    "ExportFailed",
    "ReportFacts",
    "WorkbookPlan",
    "build_workbook",
    "metric_columns",
]

#: Data rows of one Excel sheet below its header row.
EXCEL_DATA_ROWS = 1_048_575


class ExportCancelled(Exception):
    """``should_stop`` asked the build to stop; the workbook is incomplete."""


class ExportFailed(Exception):
    """A permanent failure whose message is meant for the customer (the task's ErrorMessage)."""


@dataclass(frozen=True)
class BuildStats:
    rows: int
    sheets: int


def build_workbook(
    plan: WorkbookPlan,
    series: Iterable[Series],
    series_count: int,
    writer: WorkbookWriter,
    *,
    max_rows_per_sheet: int = EXCEL_DATA_ROWS,
    on_progress: Callable[[int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> BuildStats:
    """Write one row per (series, slot), series in the order given, then slots in time order.

    With ``plan.facts``, the summary sheet goes first, the notes second and the chart data
    last. ``on_progress`` gets a percentage after each series; ``should_stop`` is asked before
    each batch and ``ExportCancelled`` is raised when it says yes. The writer is not closed here.
    """
    if not 1 <= max_rows_per_sheet <= EXCEL_DATA_ROWS:
        raise ValueError(f"max_rows_per_sheet must be in 1..{EXCEL_DATA_ROWS}")
    columns = layout.columns(plan.export_type, plan.language, plan.label_kind, plan.time_zone)
    regions = layout.region_names(plan.language)
    times = slot_serials(plan.start, plan.end, plan.time_zone)
    slots = len(times)
    figures = None if plan.facts is None else SummaryAccumulator(plan.export_type, slots)

    sheets = 1
    writer.add_sheet(layout.sheet_name(plan.language, sheets), columns)
    room = max_rows_per_sheet
    rows = 0
    for done, item in enumerate(series, start=1):
        if not 0 <= item.region < len(regions):
            raise ValueError(f"unknown region id {item.region} in series {item.label!r}")
        metrics = metric_columns(plan.export_type, item, slots)
        if figures is not None:
            figures.add(item)
        region = regions[item.region]
        offset = 0
        while offset < slots:
            if should_stop is not None and should_stop():
                raise ExportCancelled()
            if room == 0:
                sheets += 1
                writer.add_sheet(layout.sheet_name(plan.language, sheets), columns)
                room = max_rows_per_sheet
            count = min(room, slots - offset)
            stop = offset + count
            batch: list[ColumnData] = [
                times[offset:stop],
                [item.label] * count,
                [region] * count,
                *(metric[offset:stop] for metric in metrics),
            ]
            writer.write_batch(batch)
            offset = stop
            room -= count
            rows += count
        if on_progress is not None:
            on_progress(min(100, done * 100 // max(series_count, done)))
    stats = BuildStats(rows=rows, sheets=sheets)
    if plan.facts is not None and figures is not None:
        _write_report(plan, plan.facts, figures, times, stats, writer)
    return stats


def _write_report(
    plan: WorkbookPlan,
    facts: ReportFacts,
    figures: SummaryAccumulator,
    times: npt.NDArray[np.float64],
    stats: BuildStats,
    writer: WorkbookWriter,
) -> None:
    summary = figures.result(times)
    chart = summary_sheet.chart_data(plan, summary, times)
    if chart is not None:
        name, columns, data = chart
        writer.add_sheet(name, columns)
        writer.write_batch(data)
    sheet = summary_sheet.summary_sheet(plan, facts, summary, times, stats.rows, stats.sheets)
    writer.add_free_sheet(sheet, 0)
    writer.add_free_sheet(notes.notes_sheet(plan, summary.slots), 1)


def metric_columns(
    export_type: ExportType, item: Series, slots: int
) -> list[npt.NDArray[np.int64] | npt.NDArray[np.float64]]:
    """The metric cells of a series: its stored values, plus bandwidth for flow."""
    expected = len(METRICS[export_type])
    if len(item.values) != expected:
        raise ValueError(
            f"series {item.label!r} has {len(item.values)} metrics, {export_type} needs {expected}"
        )
    for values in item.values:
        if len(values) != slots:
            raise ValueError(f"series {item.label!r} has {len(values)} slots, window has {slots}")
    if export_type is ExportType.FLOW:
        traffic = item.values[0]
        bandwidth: npt.NDArray[np.float64] = traffic.astype(np.float64) * 8.0 / SLOT_SECONDS
        return [traffic, bandwidth]
    return list(item.values)
