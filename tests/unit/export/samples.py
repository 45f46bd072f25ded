"""Small plans and series for the export tests, and a reader of Excel serials."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from cdnexport.domain.task import ExportType, Language
from cdnexport.export.builder import WorkbookPlan
from cdnexport.export.layout import LabelKind
from cdnexport.usage.series import Series

#: 2024-01-01T00:00:00Z
JAN_1 = 1_704_067_200
EXCEL_EPOCH = datetime(1899, 12, 30)


def plan(
    slots: int,
    *,
    export_type: ExportType = ExportType.FLOW,
    language: Language = Language.ZH_CN,
    time_zone: str = "UTC",
    start: int = JAN_1,
    label_kind: LabelKind = "domain",
) -> WorkbookPlan:
    return WorkbookPlan(
        export_type=export_type,
        language=language,
        time_zone=time_zone,
        start=start,
        end=start + slots * 300,
        label_kind=label_kind,
    )


def series(label: str, region: int, *metrics: list[int]) -> Series:
    return Series(label, region, tuple(np.array(values, dtype=np.int64) for values in metrics))


def numbered_flow_series(count: int, slots: int) -> list[Series]:
    """``count`` flow series whose traffic values are distinct and easy to locate."""
    return [
        series(f"s{index}.example.com", index % 8, [index * 1000 + slot for slot in range(slots)])
        for index in range(count)
    ]


def small_flow() -> tuple[WorkbookPlan, list[Series]]:
    """Two 3-slot flow series from 2024-07-01 00:00 UTC: the workbook most tests read back."""
    items = [
        series("b.example.com", 5, [1, 2, 3]),
        series("a.example.com", 0, [123_456_789_012, 0, 75]),
    ]
    return plan(3, start=utc("2024-07-01 00:00")), items


def values(sheet: Any) -> list[tuple[Any, ...]]:
    """Every row of an openpyxl sheet, as values."""
    return list(sheet.iter_rows(values_only=True))


def serial_to_datetime(serial: float) -> datetime:
    """The naive wall-clock time of an Excel serial, rounded to the second."""
    return EXCEL_EPOCH + timedelta(seconds=round(serial * 86400))


def utc(text: str) -> int:
    """Epoch seconds of an ``YYYY-MM-DD hh:mm`` UTC time."""
    return int(datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=UTC).timestamp())
