"""Workbooks built with ``XlsxWriterWorkbook`` and read back with openpyxl."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pytest

from cdnexport.domain.task import ExportType, Language
from cdnexport.export.builder import BuildStats, WorkbookPlan, build_workbook
from cdnexport.export.writer import CellKind, ColumnSpec
from cdnexport.export.xlsxwriter_writer import XlsxWriterWorkbook
from cdnexport.usage.series import Series
from tests.unit.export.samples import (
    numbered_flow_series,
    plan,
    series,
    small_flow,
    utc,
    values,
)


def build_and_read(
    tmp_path: Path, workbook_plan: WorkbookPlan, items: list[Series], max_rows: int = 1_048_575
) -> tuple[BuildStats, Any]:
    path = tmp_path / "export.xlsx"
    writer = XlsxWriterWorkbook(path)
    stats = build_workbook(workbook_plan, items, len(items), writer, max_rows_per_sheet=max_rows)
    writer.close()
    return stats, openpyxl.load_workbook(path)


@pytest.fixture
def flow_book(tmp_path: Path) -> Iterator[Any]:
    _, book = build_and_read(tmp_path, *small_flow())
    yield book
    book.close()


def test_column_widths_come_from_the_layout(flow_book: Any) -> None:
    sheet = flow_book["明细"]
    # XlsxWriter stores a width padded to whole pixels, a fraction of a character wider.
    assert sheet.column_dimensions["A"].width == pytest.approx(18, abs=1)
    assert sheet.column_dimensions["B"].width == pytest.approx(32, abs=1)


def test_bandwidth_is_bytes_times_eight_over_300(flow_book: Any) -> None:
    rows = values(flow_book["明细"])[1:]
    for row in rows:
        expected = row[3] * 8 / 300
        # XlsxWriter prints 16 significant digits, so the last bit of a float may not survive.
        assert row[4] == float(f"{expected:.16G}")
        assert row[4] == pytest.approx(expected, rel=1e-15)
    assert rows[5][4] == 2.0


@pytest.mark.parametrize(
    ("zone", "first", "expected"),
    [
        (
            "Asia/Shanghai",
            "2024-06-30 23:55",
            [datetime(2024, 7, 1, 7, 55), datetime(2024, 7, 1, 8, 0)],
        ),
        (
            "Europe/Berlin",
            "2024-03-31 00:55",
            [datetime(2024, 3, 31, 1, 55), datetime(2024, 3, 31, 3, 0)],
        ),
        (
            "Europe/Berlin",
            "2024-10-27 00:55",
            [datetime(2024, 10, 27, 2, 55), datetime(2024, 10, 27, 2, 0)],
        ),
    ],
)
def test_times_are_local_to_the_zone(
    tmp_path: Path, zone: str, first: str, expected: list[datetime]
) -> None:
    zoned = plan(2, time_zone=zone, start=utc(first), language=Language.EN_US)
    _, book = build_and_read(tmp_path, zoned, [series("x", 0, [1, 2])])
    rows = values(book["Detail"])
    assert rows[0][0] == f"Time ({zone})"
    assert [row[0] for row in rows[1:]] == expected


def test_vas_workbook_in_english(tmp_path: Path) -> None:
    vas = plan(1, export_type=ExportType.VAS, language=Language.EN_US, label_kind="account")
    items = [
        series("1234567890", region, [region], [10 + region], [20 + region]) for region in (0, 6)
    ]
    _, book = build_and_read(tmp_path, vas, items)
    assert book.sheetnames == ["Detail"]
    assert [row[1:] for row in values(book["Detail"])] == [
        (
            "Account",
            "Billing Region",
            "Static HTTPS Requests",
            "Dynamic HTTP Requests",
            "Dynamic HTTPS Requests",
        ),
        ("1234567890", "Chinese Mainland", 0, 10, 20),
        ("1234567890", "Middle East and Africa", 6, 16, 26),
    ]


def test_full_sheets_continue_with_a_header_each(tmp_path: Path) -> None:
    items = numbered_flow_series(3, 7)
    stats, book = build_and_read(tmp_path, plan(7), items, max_rows=10)
    assert stats == BuildStats(rows=21, sheets=3)
    assert book.sheetnames == ["明细", "明细 (2)", "明细 (3)"]
    sheets = [values(book[name]) for name in book.sheetnames]
    assert [len(rows) for rows in sheets] == [11, 11, 2]
    assert all(rows[0] == sheets[0][0] for rows in sheets)
    assert all(book[name].freeze_panes == "A2" for name in book.sheetnames)
    traffic = [row[3] for rows in sheets for row in rows[1:]]
    assert traffic == [index * 1000 + slot for index in range(3) for slot in range(7)]


def test_an_empty_export_has_one_sheet_with_only_the_header(tmp_path: Path) -> None:
    stats, book = build_and_read(tmp_path, plan(12, language=Language.EN_US), [])
    assert stats == BuildStats(rows=0, sheets=1)
    assert book.sheetnames == ["Detail"]
    assert values(book["Detail"]) == [
        ("Time (UTC)", "Domain", "Billing Region", "Traffic (Byte)", "Bandwidth (bps)")
    ]


COLUMNS = [ColumnSpec("n", CellKind.INT, 10), ColumnSpec("t", CellKind.TEXT, 10)]


def test_writing_before_a_sheet_is_an_error(tmp_path: Path) -> None:
    writer = XlsxWriterWorkbook(tmp_path / "x.xlsx")
    with pytest.raises(RuntimeError, match="before add_sheet"):
        writer.write_batch([np.array([1], dtype=np.int64), ["a"]])
    writer.close()


def test_a_batch_must_match_the_columns(tmp_path: Path) -> None:
    writer = XlsxWriterWorkbook(tmp_path / "x.xlsx")
    writer.add_sheet("s", COLUMNS)
    with pytest.raises(ValueError, match="expected 2 columns"):
        writer.write_batch([np.array([1], dtype=np.int64)])
    with pytest.raises(ValueError, match="differ in length"):
        writer.write_batch([np.array([1, 2], dtype=np.int64), ["a"]])
    writer.close()


def test_batches_append_and_close_is_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "x.xlsx"
    writer = XlsxWriterWorkbook(path)
    writer.add_sheet("s", COLUMNS)
    writer.write_batch([np.array([1, 2], dtype=np.int64), ["a", "b"]])
    writer.write_batch([np.array([], dtype=np.int64), []])
    writer.write_batch([np.array([3], dtype=np.int64), [" c "]])
    writer.close()
    writer.close()
    book = openpyxl.load_workbook(path)
    assert values(book["s"]) == [("n", "t"), (1, "a"), (2, "b"), (3, " c ")]
    book.close()
