"""Workbooks with summary sheets built by either writer, and readers of what they hold."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl

from cdnexport.domain.task import ScopeKind
from cdnexport.export.builder import EXCEL_DATA_ROWS, BuildStats, WorkbookPlan, build_workbook
from cdnexport.export.fastxlsx import FastXlsxWriter
from cdnexport.export.plan import ReportFacts
from cdnexport.export.writer import WriterFactory
from cdnexport.export.xlsxwriter_writer import XlsxWriterWorkbook
from cdnexport.usage.series import Series
from tests.unit.export.samples import utc

WRITERS: dict[str, WriterFactory] = {"fast": FastXlsxWriter, "xlsxwriter": XlsxWriterWorkbook}
Row = tuple[Any, ...]


def facts(
    *,
    scope: ScopeKind = ScopeKind.DOMAINS,
    names: tuple[str, ...] = ("a.example.com", "b.example.com"),
    watermark: int | None = None,
) -> ReportFacts:
    return ReportFacts(
        account="acme",
        scope=scope,
        scope_names=names,
        generated_at=utc("2024-02-01 00:30"),
        watermark=utc("2024-02-01 00:00") if watermark is None else watermark,
    )


def build(
    path: Path,
    writer: str,
    plan: WorkbookPlan,
    items: list[Series],
    *,
    max_rows: int = EXCEL_DATA_ROWS,
) -> BuildStats:
    book = WRITERS[writer](path)
    stats = build_workbook(plan, items, len(items), book, max_rows_per_sheet=max_rows)
    book.close()
    return stats


def read(path: Path) -> dict[str, list[Row]]:
    """Every sheet's rows, by sheet name, in tab order."""
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets}
    finally:
        book.close()


def detail_rows(sheets: dict[str, list[Row]], base: str) -> list[Row]:
    """The data rows of every detail sheet (``base``, ``base (2)``, ...) in order."""
    return [
        row
        for name, rows in sheets.items()
        if name == base or name.startswith(f"{base} (")
        for row in rows[1:]
    ]


def table(rows: list[Row], first_header: str) -> tuple[Row, list[Row]]:
    """The header and data rows of the table whose header starts with ``first_header``: rows up
    to the first one with fewer than two cells filled."""
    start = next(i for i, row in enumerate(rows) if row and row[0] == first_header)
    body = []
    for row in rows[start + 1 :]:
        if sum(cell is not None for cell in row) < 2:
            break
        body.append(trim(row))
    return trim(rows[start]), body


def trim(row: Row) -> Row:
    """``row`` without its trailing empty cells."""
    cells = list(row)
    while cells and cells[-1] is None:
        cells.pop()
    return tuple(cells)


def facts_of(rows: list[Row]) -> dict[str, Any]:
    """The summary's key/value rows (bold key in A, value in B)."""
    found: dict[str, Any] = {}
    for row in rows:
        if len(row) >= 2 and isinstance(row[0], str) and row[1] is not None:
            found.setdefault(row[0], row[1])
    return found


def texts(rows: list[Row]) -> str:
    """Every text cell, one per line: for searching a sheet's wording."""
    return "\n".join(str(cell) for row in rows for cell in row if isinstance(cell, str))
