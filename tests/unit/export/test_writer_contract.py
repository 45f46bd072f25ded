"""What every workbook writer must do alike, checked on both through openpyxl."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from cdnexport.export.builder import build_workbook
from cdnexport.export.fastxlsx import FastXlsxWriter
from cdnexport.export.writer import WriterFactory
from cdnexport.export.xlsxwriter_writer import XlsxWriterWorkbook
from tests.unit.export.samples import small_flow, values

WRITERS: dict[str, WriterFactory] = {"fast": FastXlsxWriter, "xlsxwriter": XlsxWriterWorkbook}


@pytest.fixture(params=sorted(WRITERS))
def flow_book(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    path = tmp_path / "export.xlsx"
    writer = WRITERS[request.param](path)
    workbook_plan, items = small_flow()
    build_workbook(workbook_plan, items, len(items), writer)
    writer.close()
    book = openpyxl.load_workbook(path)
    yield book
    book.close()


def test_header_is_localized_bold_and_frozen(flow_book: Any) -> None:
    assert flow_book.sheetnames == ["明细"]
    sheet = flow_book["明细"]
    assert values(sheet)[0] == ("时间 (UTC)", "域名", "计费区域", "流量(Byte)", "带宽(bps)")
    assert all(cell.font.bold for cell in sheet[1])
    assert not sheet["A2"].font.bold
    assert sheet.freeze_panes == "A2"
    assert sheet.dimensions == "A1:E7"


def test_rows_hold_real_dates_exact_integers_and_localized_regions(flow_book: Any) -> None:
    sheet = flow_book["明细"]
    rows = values(sheet)[1:]
    assert [row[:4] for row in rows] == [
        (datetime(2024, 7, 1, 0, 0), "b.example.com", "欧洲", 1),
        (datetime(2024, 7, 1, 0, 5), "b.example.com", "欧洲", 2),
        (datetime(2024, 7, 1, 0, 10), "b.example.com", "欧洲", 3),
        (datetime(2024, 7, 1, 0, 0), "a.example.com", "中国内地", 123_456_789_012),
        (datetime(2024, 7, 1, 0, 5), "a.example.com", "中国内地", 0),
        (datetime(2024, 7, 1, 0, 10), "a.example.com", "中国内地", 75),
    ]
    assert all(type(row[3]) is int for row in rows)
    assert sheet["A2"].is_date
    assert sheet["A2"].number_format == "yyyy-mm-dd hh:mm"
    assert sheet["D2"].number_format == "General"
