"""Free-form sheets through both writers: tab order, cell types and styles, sizes; and how the
builder places the summary, notes and chart data."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pytest

from cdnexport.domain.task import Language
from cdnexport.export.builder import ExportCancelled, build_workbook
from cdnexport.export.fastxlsx import FastXlsxWriter
from cdnexport.export.writer import CellKind, CellStyle, ColumnSpec, FreeSheet, SheetCell
from cdnexport.export.xlsxfree import number_text
from tests.unit.export.fakes import RecordingWriter
from tests.unit.export.reports import WRITERS, facts
from tests.unit.export.samples import numbered_flow_series, plan

COLUMNS = [ColumnSpec("n", CellKind.INT, 10)]
STYLED = FreeSheet(
    "Styled",
    (
        (SheetCell("Title", CellStyle.TITLE),),
        (),
        (
            SheetCell("bold", CellStyle.BOLD),
            SheetCell(1_234_567, CellStyle.INTEGER),
            SheetCell(2.5, CellStyle.DECIMAL),
            SheetCell(45_000.5, CellStyle.DATETIME),
            SheetCell(45_000.0, CellStyle.DATE),
            SheetCell(2**53 + 1),
            SheetCell(0.1),
        ),
        (None, SheetCell("long text " * 20, CellStyle.WRAP)),
    ),
    widths=(12.0, 30.0),
    heights={3: 45.0},
)


@pytest.fixture(params=sorted(WRITERS))
def writer(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def styled_book(tmp_path: Path, writer: str) -> Iterator[Any]:
    path = tmp_path / "x.xlsx"
    book = WRITERS[writer](path)
    book.add_sheet("A", COLUMNS)
    book.write_batch([np.array([1, 2], dtype=np.int64)])
    book.add_free_sheet(STYLED, 0)
    book.add_sheet("B", COLUMNS)
    book.add_free_sheet(dataclasses.replace(STYLED, name="Third"), 2)
    book.close()
    loaded = openpyxl.load_workbook(path)
    yield loaded
    loaded.close()


def test_free_sheets_take_their_place_in_the_tabs(styled_book: Any) -> None:
    assert styled_book.sheetnames == ["Styled", "A", "Third", "B"]
    assert [row for row in styled_book["A"].iter_rows(values_only=True)] == [("n",), (1,), (2,)]
    assert styled_book.active.title == "Styled"


def test_free_cells_keep_their_types_and_styles(styled_book: Any, writer: str) -> None:
    sheet = styled_book["Styled"]
    assert sheet["A1"].value == "Title" and sheet["A1"].font.b and sheet["A1"].font.sz == 14
    assert sheet["A3"].font.b
    assert (sheet["B3"].value, sheet["B3"].number_format) == (1_234_567, "#,##0")
    assert (sheet["C3"].value, sheet["C3"].number_format) == (2.5, "#,##0.00")
    assert sheet["D3"].number_format == "yyyy-mm-dd hh:mm" and sheet["D3"].is_date
    assert sheet["E3"].number_format == "yyyy-mm-dd" and sheet["E3"].is_date
    # Every digit of an int with the fast writer; XlsxWriter keeps 16 significant digits.
    assert sheet["F3"].value == (2**53 + 1 if writer == "fast" else 2**53)
    assert sheet["G3"].value == 0.1
    assert sheet["B4"].alignment.wrap_text
    assert all(
        cell.alignment.vertical == "top"
        for row in sheet.iter_rows()
        for cell in row
        if cell.value is not None
    )
    assert sheet.row_dimensions[4].height == 45
    assert sheet.column_dimensions["B"].width == pytest.approx(30, abs=1)
    assert sheet.cell(2, 1).value is None


@pytest.mark.parametrize("position", [-1, 2])
def test_a_position_past_the_tabs_is_refused(tmp_path: Path, writer: str, position: int) -> None:
    book = WRITERS[writer](tmp_path / "x.xlsx")
    book.add_sheet("A", COLUMNS)
    with pytest.raises(ValueError, match="position"):
        book.add_free_sheet(STYLED, position)
    book.close()


def test_the_detail_sheet_ends_at_a_free_sheet(tmp_path: Path, writer: str) -> None:
    book = WRITERS[writer](tmp_path / "x.xlsx")
    book.add_sheet("A", COLUMNS)
    book.add_free_sheet(STYLED, 1)
    with pytest.raises(RuntimeError, match="before add_sheet"):
        book.write_batch([np.array([1], dtype=np.int64)])
    book.close()


def test_the_fast_writer_refuses_bad_free_sheets(tmp_path: Path) -> None:
    book = FastXlsxWriter(tmp_path / "x.xlsx")
    book.add_sheet("A", COLUMNS)
    with pytest.raises(ValueError, match="already used"):
        book.add_free_sheet(dataclasses.replace(STYLED, name="a"), 0)
    with pytest.raises(TypeError, match="bool"):
        book.add_free_sheet(dataclasses.replace(STYLED, rows=((SheetCell(True),),)), 0)
    with pytest.raises(ValueError, match="NaN"):
        book.add_free_sheet(dataclasses.replace(STYLED, rows=((SheetCell(math.nan),),)), 0)
    book.close()


def test_number_texts_are_exact() -> None:
    assert [number_text(v) for v in (0, -7, 2**63 - 1, 0.1, 1e20, 1e-7)] == [
        "0",
        "-7",
        "9223372036854775807",
        "0.1",
        "1E+20",
        "1E-07",
    ]


def test_the_builder_puts_summary_and_notes_first_and_chart_data_last() -> None:
    writer = RecordingWriter()
    items = numbered_flow_series(2, 5)
    report = dataclasses.replace(plan(5, language=Language.EN_US), facts=facts())
    build_workbook(report, items, 2, writer, max_rows_per_sheet=6)
    assert writer.tabs == ["Summary", "Notes", "Detail", "Detail (2)", "Chart Data"]
    assert [sheet.name for sheet in writer.free] == ["Summary", "Notes"]
    summary = writer.free[0]
    assert summary.chart is not None and summary.chart.categories.sheet == "Chart Data"
    # The rows the chart covers are left empty.
    covered = summary.rows[summary.chart.row : summary.chart.row + 20]
    assert all(row == () for row in covered)


def test_without_facts_only_the_detail_is_written() -> None:
    writer = RecordingWriter()
    build_workbook(plan(3), numbered_flow_series(2, 3), 2, writer)
    assert writer.tabs == ["明细"]
    assert writer.free == []


def test_a_cancelled_export_writes_no_summary() -> None:
    writer = RecordingWriter()
    report = dataclasses.replace(plan(5), facts=facts())
    asked = iter([False, True])
    with pytest.raises(ExportCancelled):
        build_workbook(
            report, numbered_flow_series(2, 5), 2, writer, should_stop=lambda: next(asked)
        )
    assert writer.free == []
    assert writer.tabs == ["明细"]
