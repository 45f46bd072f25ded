"""LibreOffice opens a month's workbook with its summary, notes and chart, from both writers:
every sheet converts to CSV with the summary's figures in place, and the summary prints to PDF."""

from __future__ import annotations

import csv
import dataclasses
import io
from pathlib import Path

import pytest

from cdnexport.domain.task import Language
from tests.unit.export.libreoffice import CSV_FILTER, convert, soffice
from tests.unit.export.reports import build, facts
from tests.unit.export.samples import plan, series, utc

SLOTS = 31 * 288
#: The first two printed pages: the summary (one page wide) and the rest of its daily table.
PDF_FILTER = 'pdf:calc_pdf_Export:{"PageRange":{"type":"string","value":"1-2"}}'


@pytest.mark.slow
@pytest.mark.parametrize("writer", ["fast", "xlsxwriter"])
def test_libreoffice_reads_and_prints_the_summary(tmp_path: Path, writer: str) -> None:
    binary = soffice()
    path = tmp_path / "export.xlsx"
    items = [
        series("a.example.com", 0, [(slot % 288) * 10**6 for slot in range(SLOTS)]),
        series("b.example.com", 4, [3 * 10**6] * SLOTS),
    ]
    month = plan(SLOTS, start=utc("2024-01-01 00:00"), language=Language.EN_US)
    build(path, writer, dataclasses.replace(month, facts=facts()), items)

    convert(binary, path, CSV_FILTER, tmp_path)
    files = sorted(file.name for file in tmp_path.glob("*.csv"))
    assert files == [f"export-{name}.csv" for name in ("Chart Data", "Detail", "Notes", "Summary")]
    summary = list(
        csv.reader(io.StringIO((tmp_path / "export-Summary.csv").read_text(encoding="utf-8")))
    )
    rows = {row[0]: row[1:] for row in summary if row and row[0]}
    assert rows["Account"][0] == "acme"
    assert rows["5-minute slots"][0] == "8,928"
    # The last "Total" row is over all regions: 287 MB peak slot plus 3 MB, formatted.
    total = [row for row in summary if row[:2] == ["Total", "All regions"]]
    assert total[0][2:4] == [
        f"{sum(i * 10**6 for i in range(288)) * 31 + 3 * 10**6 * SLOTS:,}",
        f"{(287 + 3) * 10**6 * 8 / 300:,.2f}",
    ]
    assert total[0][4] == "2024-01-01 23:55"
    chart_rows = (tmp_path / "export-Chart Data.csv").read_text(encoding="utf-8").splitlines()
    assert len(chart_rows) == SLOTS + 1

    pdf = tmp_path / "pdf"
    convert(binary, path, PDF_FILTER, pdf)
    assert (pdf / "export.pdf").read_bytes().startswith(b"%PDF")
