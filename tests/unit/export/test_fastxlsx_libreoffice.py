"""LibreOffice opens a 216,000-row, two-sheet workbook of ``FastXlsxWriter`` and reads each row."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from cdnexport.domain.task import Language
from cdnexport.export.builder import build_workbook
from cdnexport.export.fastxlsx import FastXlsxWriter
from cdnexport.export.layout import region_names
from tests.unit.export.libreoffice import CSV_FILTER, convert, soffice
from tests.unit.export.samples import numbered_flow_series, plan

SERIES = 25
SLOTS = 8640  # 30 days of 5-minute slots
SHEET_ROWS = 120_000


@pytest.mark.slow
def test_libreoffice_reads_every_row_of_both_sheets(tmp_path: Path) -> None:
    binary = soffice()
    path = tmp_path / "export.xlsx"
    writer = FastXlsxWriter(path)
    items = numbered_flow_series(SERIES, SLOTS)
    stats = build_workbook(
        plan(SLOTS, language=Language.EN_US),
        items,
        len(items),
        writer,
        max_rows_per_sheet=SHEET_ROWS,
    )
    writer.close()
    assert (stats.rows, stats.sheets) == (SERIES * SLOTS, 2)

    out = tmp_path / "csv"
    result = convert(binary, path, CSV_FILTER, out)
    files = {file.name: file for file in out.glob("*.csv")}
    assert sorted(files) == ["export-Detail (2).csv", "export-Detail.csv"], result.stdout
    sheets = [
        list(csv.reader(io.StringIO(files[name].read_text(encoding="utf-8"), newline="")))
        for name in ("export-Detail.csv", "export-Detail (2).csv")
    ]
    assert [len(rows) for rows in sheets] == [SHEET_ROWS + 1, SERIES * SLOTS - SHEET_ROWS + 1]
    header = ["Time (UTC)", "Domain", "Billing Region", "Traffic (Byte)", "Bandwidth (bps)"]
    assert sheets[0][0] == sheets[1][0] == header
    # Shown with the workbook's date format, so the date style reached LibreOffice.
    assert sheets[0][1] == ["2024-01-01 00:00", "s0.example.com", "Chinese Mainland", "0", "0"]
    last_series, last_slot = SERIES - 1, SLOTS - 1
    assert sheets[1][-1][:4] == [
        "2024-01-30 23:55",
        f"s{last_series}.example.com",
        region_names(Language.EN_US)[last_series % 8],
        str(last_series * 1000 + last_slot),
    ]
    traffic = [int(row[3]) for rows in sheets for row in rows[1:]]
    assert traffic == [i * 1000 + slot for i in range(SERIES) for slot in range(SLOTS)]
