"""The same random batches through ``XlsxWriterWorkbook`` and ``FastXlsxWriter``, read back alike.

Where the two may differ by design, the difference is pinned down here: the fast writer keeps all
17 significant digits of a float and every digit of an int64, XlsxWriter keeps 16, so values are
compared exactly against the input for the fast writer and within 16 digits for XlsxWriter.
"""

from __future__ import annotations

import math
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl.utils.datetime import from_excel

from cdnexport.export.fastxlsx import FastXlsxWriter
from cdnexport.export.writer import CellKind, ColumnData, ColumnSpec, WriterFactory
from cdnexport.export.xlsxwriter_writer import XlsxWriterWorkbook

COLUMNS = [
    ColumnSpec("时间", CellKind.DATETIME, 18),
    ColumnSpec("label", CellKind.TEXT, 30),
    ColumnSpec("n", CellKind.INT, 12),
    ColumnSpec("x", CellKind.FLOAT, 20.5),
    ColumnSpec("region", CellKind.TEXT, 0.5),
]

NOT_IN_XML = re.compile("[\x00-\x08\x0b-\x1f\ufffe\uffff]")
#: 1900-03-01 to 9999-12-31: the serials openpyxl reads as dates without the 1900 leap-day quirk.
serials = st.floats(min_value=61, max_value=2_958_465.99)
#: Excel keeps 15 significant digits; XlsxWriter's 16-digit form is exact only up to here.
excel_ints = st.integers(min_value=-(10**15), max_value=10**15)
#: XlsxWriter's 16-digit form of floats near the largest double reads back as infinity.
moderate_floats = st.floats(min_value=-1e300, max_value=1e300, allow_nan=False)
#: XML can hold any character but lone surrogates; control characters go through Excel's escapes.
strings = st.text(st.characters(codec="utf-8") | st.sampled_from("\r\x00\x1f\ufffe&<>\"'"))


@dataclass(frozen=True)
class Batch:
    times: list[float]
    labels: list[str]
    ints: list[int]
    floats: list[float]
    regions: list[str]

    def columns(self) -> list[ColumnData]:
        return [
            np.array(self.times, dtype=np.float64),
            self.labels,
            np.array(self.ints, dtype=np.int64),
            np.array(self.floats, dtype=np.float64),
            self.regions,
        ]


@st.composite
def batches(
    draw: st.DrawFn, ints: st.SearchStrategy[int], floats: st.SearchStrategy[float]
) -> Batch:
    size = draw(st.integers(min_value=0, max_value=12))
    label = draw(strings)
    # Half the batches repeat one label, as the builder sends them; the rest vary row by row.
    labels = draw(
        st.one_of(st.just([label] * size), st.lists(strings, min_size=size, max_size=size))
    )
    return Batch(
        times=draw(st.lists(serials, min_size=size, max_size=size)),
        labels=labels,
        ints=draw(st.lists(ints, min_size=size, max_size=size)),
        floats=draw(st.lists(floats, min_size=size, max_size=size)),
        regions=[draw(st.sampled_from(["中国内地", "Europe", "亚太1区 😀"]))] * size,
    )


def sheets_of(ints: st.SearchStrategy[int], floats: st.SearchStrategy[float]) -> Any:
    return st.lists(st.lists(batches(ints, floats), max_size=4), min_size=1, max_size=3)


def write(factory: WriterFactory, path: Path, sheets: Sequence[Sequence[Batch]]) -> None:
    writer = factory(path)
    for number, sheet in enumerate(sheets, start=1):
        writer.add_sheet("明细" if number == 1 else f"明细 ({number})", COLUMNS)
        for batch in sheet:
            writer.write_batch(batch.columns())
    writer.close()


@dataclass(frozen=True)
class ReadBack:
    names: list[str]
    rows: list[list[tuple[Any, ...]]]
    panes: list[str | None]
    formats: list[list[str]]
    widths: list[list[float | None]]


def read(path: Path) -> ReadBack:
    book = openpyxl.load_workbook(path)
    sheets = [book[name] for name in book.sheetnames]
    data = ReadBack(
        names=list(book.sheetnames),
        rows=[list(sheet.iter_rows(values_only=True)) for sheet in sheets],
        panes=[sheet.freeze_panes for sheet in sheets],
        formats=[
            [cell.number_format for row in sheet.iter_rows() for cell in row] for sheet in sheets
        ],
        widths=[[sheet.column_dimensions[c].width for c in "ABCDE"] for sheet in sheets],
    )
    book.close()
    return data


def input_rows(sheet: Sequence[Batch]) -> list[tuple[Any, ...]]:
    return [
        row
        for batch in sheet
        for row in zip(
            batch.times, batch.labels, batch.ints, batch.floats, batch.regions, strict=True
        )
    ]


def as_openpyxl_reads(value: str) -> str:
    """openpyxl leaves Excel's ``_xHHHH_`` escapes of characters XML cannot hold undecoded."""
    return NOT_IN_XML.sub(lambda match: f"_x{ord(match.group()):04X}_", value)


def inline_string_as_openpyxl_reads_it(value: str) -> str:
    # openpyxl undoes Excel's escaped underscore in shared strings but not in the inline strings
    # XlsxWriter writes in constant-memory mode; Excel undoes it in both.
    return value.replace("_x005F_", "_") if isinstance(value, str) else value


def both(sheets: Sequence[Sequence[Batch]]) -> tuple[ReadBack, ReadBack]:
    with tempfile.TemporaryDirectory() as tmp:
        write(FastXlsxWriter, Path(tmp) / "fast.xlsx", sheets)
        write(XlsxWriterWorkbook, Path(tmp) / "reference.xlsx", sheets)
        return read(Path(tmp) / "fast.xlsx"), read(Path(tmp) / "reference.xlsx")


DIFFERENTIAL = settings(max_examples=25, derandomize=True, database=None, deadline=None)


@DIFFERENTIAL
@given(sheets_of(excel_ints, moderate_floats))
def test_both_writers_give_the_same_workbook(sheets: list[list[Batch]]) -> None:
    fast, reference = both(sheets)
    assert fast.names == reference.names
    assert fast.panes == reference.panes == ["A2"] * len(sheets)
    assert fast.formats == reference.formats
    assert fast.widths == reference.widths
    for fast_rows, reference_rows, sheet in zip(fast.rows, reference.rows, sheets, strict=True):
        assert fast_rows[0] == reference_rows[0] == tuple(column.header for column in COLUMNS)
        expected = input_rows(sheet)
        assert len(fast_rows) == len(reference_rows) == len(expected) + 1
        for got, ref, row in zip(fast_rows[1:], reference_rows[1:], expected, strict=True):
            time, label, number, value, region = row
            # Dates: exact for the fast writer; openpyxl rounds to the millisecond, so XlsxWriter's
            # last-digit rounding can move a date by one.
            assert got[0] == from_excel(time)
            assert isinstance(ref[0], datetime)
            assert abs((ref[0] - got[0]).total_seconds()) <= 1e-3
            assert got[1] == as_openpyxl_reads(label) == inline_string_as_openpyxl_reads_it(ref[1])
            assert got[4] == region == ref[4]
            assert got[2] == number == ref[2]
            assert type(got[2]) is type(ref[2]) is int
            # Whole floats read back as int from either writer (1E+10 from one, 10000000000 from
            # the other), as openpyxl reads any number without a point or exponent.
            assert got[3] == value
            assert math.isclose(ref[3], value, rel_tol=1e-15, abs_tol=1e-300)


@DIFFERENTIAL
@given(
    sheets_of(
        st.integers(min_value=-(2**63), max_value=2**63 - 1),
        st.floats(allow_nan=False, allow_infinity=False),
    )
)
def test_the_fast_writer_keeps_every_int64_and_float64_exactly(sheets: list[list[Batch]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        write(FastXlsxWriter, Path(tmp) / "fast.xlsx", sheets)
        fast = read(Path(tmp) / "fast.xlsx")
    for rows, sheet in zip(fast.rows, sheets, strict=True):
        for got, row in zip(rows[1:], input_rows(sheet), strict=True):
            assert got[2] == row[2]
            assert got[3] == row[3]
            assert type(got[2]) is int


def test_lone_surrogates_become_replacement_characters(tmp_path: Path) -> None:
    # XlsxWriter fails on these (UTF-8 cannot encode them); the fast writer replaces them.
    path = tmp_path / "x.xlsx"
    batch = Batch([45000.0], ["a\ud800b"], [1], [1.5], ["\udfff"])
    write(FastXlsxWriter, path, [[batch]])
    rows = read(path).rows[0]
    assert rows[1][1] == "a\ufffdb"
    assert rows[1][4] == "\ufffd"
