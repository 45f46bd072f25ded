"""Workbooks built with ``FastXlsxWriter`` and read back with openpyxl and ``zipfile``."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pytest

from cdnexport.domain.task import ExportType, Language
from cdnexport.export.builder import BuildStats, WorkbookPlan, build_workbook
from cdnexport.export.fastxlsx import CHUNK_ROWS, MAX_DATA_ROWS, RENDER_ROWS, FastXlsxWriter
from cdnexport.export.writer import CellKind, ColumnSpec
from cdnexport.usage.series import Series
from tests.unit.export.samples import (
    numbered_flow_series,
    plan,
    series,
    small_flow,
    values,
)


def build(
    path: Path, workbook_plan: WorkbookPlan, items: list[Series], max_rows: int = MAX_DATA_ROWS
) -> BuildStats:
    writer = FastXlsxWriter(path)
    stats = build_workbook(workbook_plan, items, len(items), writer, max_rows_per_sheet=max_rows)
    writer.close()
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
    return stats


@pytest.fixture
def flow_book(tmp_path: Path) -> Iterator[Any]:
    build(tmp_path / "export.xlsx", *small_flow())
    book = openpyxl.load_workbook(tmp_path / "export.xlsx")
    yield book
    book.close()


def test_column_widths_are_those_xlsxwriter_stores(flow_book: Any) -> None:
    sheet = flow_book["明细"]
    assert sheet.column_dimensions["A"].width == 18.7109375
    assert sheet.column_dimensions["B"].width == 32.7109375
    assert sheet.column_dimensions["E"].width == 24.7109375


def test_bandwidth_is_bit_exact(flow_book: Any, tmp_path: Path) -> None:
    rows = values(flow_book["明细"])[1:]
    for row in rows:
        assert row[4] == row[3] * 8 / 300
    build(tmp_path / "b.xlsx", plan(1), [series("x", 0, [67_612_270])])
    book = openpyxl.load_workbook(tmp_path / "b.xlsx")
    bandwidth = values(book["明细"])[1][4]
    book.close()
    # It takes 17 significant digits, one more than XlsxWriter writes, to get this float back.
    assert bandwidth == 1802993.8666666667
    assert float(f"{bandwidth:.16G}") != bandwidth


def test_full_sheets_continue_with_a_header_each(tmp_path: Path) -> None:
    path = tmp_path / "x.xlsx"
    stats = build(path, plan(7), numbered_flow_series(3, 7), max_rows=10)
    assert stats == BuildStats(rows=21, sheets=3)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["明细", "明细 (2)", "明细 (3)"]
    sheets = [values(book[name]) for name in book.sheetnames]
    assert [len(rows) for rows in sheets] == [11, 11, 2]
    assert all(rows[0] == sheets[0][0] for rows in sheets)
    assert all(book[name].freeze_panes == "A2" for name in book.sheetnames)
    assert [book[name].dimensions for name in book.sheetnames] == ["A1:E11", "A1:E11", "A1:E2"]
    traffic = [row[3] for rows in sheets for row in rows[1:]]
    assert traffic == [index * 1000 + slot for index in range(3) for slot in range(7)]
    # No streamed tab is selected (a summary may still go in front of them, and two selected
    # tabs open grouped); Excel then shows the first tab.
    assert [book[name].sheet_view.tabSelected for name in book.sheetnames] == [None, None, None]
    book.close()


def test_vas_workbook_in_english(tmp_path: Path) -> None:
    path = tmp_path / "x.xlsx"
    vas = plan(1, export_type=ExportType.VAS, language=Language.EN_US, label_kind="account")
    items = [series("1234567890", r, [r], [10 + r], [20 + r]) for r in (0, 6)]
    build(path, vas, items)
    book = openpyxl.load_workbook(path)
    assert [row[1:] for row in values(book["Detail"])][1:] == [
        ("1234567890", "Chinese Mainland", 0, 10, 20),
        ("1234567890", "Middle East and Africa", 6, 16, 26),
    ]
    book.close()


def test_an_empty_export_has_one_sheet_with_only_the_header(tmp_path: Path) -> None:
    path = tmp_path / "x.xlsx"
    assert build(path, plan(12, language=Language.EN_US), []) == BuildStats(rows=0, sheets=1)
    book = openpyxl.load_workbook(path)
    assert values(book["Detail"]) == [
        ("Time (UTC)", "Domain", "Billing Region", "Traffic (Byte)", "Bandwidth (bps)")
    ]
    assert book["Detail"].dimensions == "A1:E1"
    book.close()


def test_a_workbook_closed_without_sheets_gets_an_empty_one(tmp_path: Path) -> None:
    FastXlsxWriter(tmp_path / "x.xlsx").close()
    book = openpyxl.load_workbook(tmp_path / "x.xlsx")
    assert book.sheetnames == ["Sheet1"]
    book.close()


COLUMNS = [ColumnSpec("n", CellKind.INT, 10), ColumnSpec("t", CellKind.TEXT, 10)]


def ints(*numbers: int) -> np.ndarray[Any, np.dtype[np.int64]]:
    return np.array(numbers, dtype=np.int64)


def test_writing_before_a_sheet_or_after_close_is_an_error(tmp_path: Path) -> None:
    writer = FastXlsxWriter(tmp_path / "x.xlsx")
    with pytest.raises(RuntimeError, match="before add_sheet"):
        writer.write_batch([ints(1), ["a"]])
    writer.close()
    writer.close()
    with pytest.raises(RuntimeError, match="closed"):
        writer.add_sheet("s", COLUMNS)


@pytest.mark.parametrize(
    ("batch", "error", "message"),
    [
        ([ints(1)], ValueError, "expected 2 columns"),
        ([ints(1, 2), ["a"]], ValueError, "differ in length"),
        ([np.array([1.5]), ["a"]], TypeError, "integer array"),
        ([np.array([2**64 - 1], dtype=np.uint64), ["a"]], ValueError, "at most 2\\*\\*63"),
        ([np.array([[1]]), ["a"]], ValueError, "one-dimensional"),
        ([ints(1), [7]], TypeError, "take str"),
        ([ints(1), np.array([7])], TypeError, "take str"),
    ],
)
def test_a_batch_must_match_the_columns(
    tmp_path: Path, batch: list[Any], error: type[Exception], message: str
) -> None:
    writer = FastXlsxWriter(tmp_path / "x.xlsx")
    writer.add_sheet("s", COLUMNS)
    with pytest.raises(error, match=message):
        writer.write_batch(batch)
    writer.close()


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
def test_floats_must_be_finite(tmp_path: Path, bad: float) -> None:
    writer = FastXlsxWriter(tmp_path / "x.xlsx")
    writer.add_sheet("s", [ColumnSpec("f", CellKind.FLOAT, 10)])
    with pytest.raises(ValueError, match="NaN or infinity"):
        writer.write_batch([np.array([1.0, bad])])
    writer.close()


def test_a_sheet_holds_at_most_excel_rows(tmp_path: Path) -> None:
    writer = FastXlsxWriter(tmp_path / "x.xlsx")
    writer.add_sheet("s", [ColumnSpec("t", CellKind.TEXT, 10)])
    writer.write_batch([["x"] * (MAX_DATA_ROWS - 1)])
    with pytest.raises(ValueError, match="overflows the sheet at row 1048575"):
        writer.write_batch([["x", "y"]])
    writer.write_batch([["last"]])
    writer.close()
    book = openpyxl.load_workbook(tmp_path / "x.xlsx", read_only=True)
    assert book["s"].max_row == MAX_DATA_ROWS + 1
    book.close()


def test_sheet_names_are_checked(tmp_path: Path) -> None:
    writer = FastXlsxWriter(tmp_path / "x.xlsx")
    writer.add_sheet("明细", COLUMNS)
    with pytest.raises(ValueError, match="already used"):
        writer.add_sheet("明细", COLUMNS)
    with pytest.raises(ValueError, match="holds one of"):
        writer.add_sheet("a:b", COLUMNS)
    writer.close()


def raw_rows(path: Path, width: int) -> list[list[str]]:
    """Each row's cell values as text, shared strings resolved: much faster than openpyxl.

    Also checks that rows are numbered 1, 2, 3... and have ``width`` cells each.
    """
    with zipfile.ZipFile(path) as archive:
        table = ET.fromstring(archive.read("xl/sharedStrings.xml"))
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    strings = ["".join(si.itertext()) for si in table]
    numbers = [int(number) for number in re.findall(r'<row r="(\d+)">', sheet)]
    assert numbers == list(range(1, len(numbers) + 1))
    cells = [
        strings[int(value)] if shared else value
        for shared, value in re.findall(r'<c( t="s")?(?: s="\d+")?><v>([^<]*)</v></c>', sheet)
    ]
    assert len(cells) == width * len(numbers)
    return [cells[start : start + width] for start in range(0, len(cells), width)]


def test_sheet_names_with_markup_characters_read_back(tmp_path: Path) -> None:
    names = ['a & <b> "c"', "_x0041_", "明细 (2)", "😀 it's"]
    writer = FastXlsxWriter(tmp_path / "x.xlsx")
    for name in names:
        writer.add_sheet(name, COLUMNS)
    writer.close()
    book = openpyxl.load_workbook(tmp_path / "x.xlsx")
    assert book.sheetnames == names
    book.close()


def test_batches_of_any_size_append_in_order(tmp_path: Path) -> None:
    # Small batches are gathered into chunks and large ones are rendered in slices; text columns
    # mix batches of one repeated string with batches of different strings.
    path = tmp_path / "x.xlsx"
    writer = FastXlsxWriter(path)
    writer.add_sheet("s", [*COLUMNS, ColumnSpec("f", CellKind.DATETIME, 18)])
    expected: list[list[str]] = []
    sizes = [1, 0, 3, CHUNK_ROWS - 5, 7, RENDER_ROWS + 1, 300, 300]
    start = 0
    for number, size in enumerate(sizes):
        numbers = np.arange(start, start + size, dtype=np.int64)
        labels = [f"b{number}"] * size if number % 2 else [f"r{i % 5}" for i in range(size)]
        times = 45000 + numbers / 288
        writer.write_batch([numbers, labels, times])
        expected.extend(
            [str(n), label, repr(t)]
            for n, label, t in zip(numbers.tolist(), labels, times.tolist(), strict=True)
        )
        start += size
    writer.close()
    rows = raw_rows(path, 3)
    assert rows[0] == ["n", "t", "f"]
    assert [[row[0], row[1], repr(float(row[2]))] for row in rows[1:]] == expected


def test_held_batches_do_not_share_the_callers_arrays(tmp_path: Path) -> None:
    path = tmp_path / "x.xlsx"
    writer = FastXlsxWriter(path)
    writer.add_sheet("s", COLUMNS)
    numbers = ints(1, 2)
    writer.write_batch([numbers, ["a", "b"]])
    numbers[:] = 9
    writer.close()
    book = openpyxl.load_workbook(path)
    assert values(book["s"])[1:] == [(1, "a"), (2, "b")]
    book.close()


def test_rows_reach_the_file_before_close(tmp_path: Path) -> None:
    path = tmp_path / "x.xlsx"
    writer = FastXlsxWriter(path)
    writer.add_sheet("s", [ColumnSpec("f", CellKind.FLOAT, 10)])
    rng = np.random.default_rng(1)
    for _ in range(4):
        writer.write_batch([rng.random(CHUNK_ROWS)])
    # Random floats barely compress: four chunks must already be on disk, not held in memory.
    assert path.stat().st_size > 4 * CHUNK_ROWS * 8
    writer.close()


def test_identical_input_gives_identical_files(tmp_path: Path) -> None:
    for name in ("a.xlsx", "b.xlsx"):
        build(tmp_path / name, plan(5), numbered_flow_series(2, 5))
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()


def test_the_package_starts_with_its_relationships(tmp_path: Path) -> None:
    path = tmp_path / "x.xlsx"
    build(path, plan(2), numbered_flow_series(1, 2))
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        assert names[0] == "_rels/.rels"
        assert set(names) == {
            "_rels/.rels",
            "docProps/core.xml",
            "docProps/app.xml",
            "xl/styles.xml",
            "xl/worksheets/sheet1.xml",
            "xl/sharedStrings.xml",
            "xl/workbook.xml",
            "xl/_rels/workbook.xml.rels",
            "[Content_Types].xml",
        }
        sheet = archive.read("xl/worksheets/sheet1.xml")
    assert b'<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>' in sheet
    assert sheet.endswith(b"</row></sheetData></worksheet>")
