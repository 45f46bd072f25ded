"""``WorkbookWriter`` that renders rows in bulk and streams them into the file, deflated by ISA-L.

Written instead of using a library because the libraries spend their time in per-cell Python and
level-6 deflate (``XlsxWriter`` does about 35k rows/s): here Arrow renders whole columns, ISA-L
deflates at level 1 and ``zipstream`` writes the container. Memory stays flat as rows grow; only
the shared-string table grows, with the number of distinct strings. Free-form sheets (a summary)
are kept whole until ``close``, when their place in the tab order is final.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, cast

import numpy as np
import numpy.typing as npt

from cdnexport.export import xlsxchart, xlsxfree, xlsxparts
from cdnexport.export.writer import CellKind, ColumnData, ColumnSpec, FreeSheet, batch_length
from cdnexport.export.xlsxrows import (
    Piece,
    RepeatedFloatTexts,
    float_texts,
    int_texts,
    join_rows,
)
from cdnexport.export.zipstream import StreamedEntry, ZipStreamWriter

#: Rows of an Excel sheet below its header row.
MAX_DATA_ROWS: Final = 1_048_575
#: Small batches are gathered to about this many rows before rendering: each render costs a few
#: dozen Arrow calls, which would dominate batches of a few hundred rows.
CHUNK_ROWS: Final = 16_384
#: Larger batches are rendered this many rows at a time, so memory does not grow with batch size.
RENDER_ROWS: Final = 4 * CHUNK_ROWS
#: Shared strings are deflated in groups of this many.
_STRINGS_PER_WRITE: Final = 4096

#: A column ready to render: numbers, or shared-string codes (one code when all cells agree).
_Cells = npt.NDArray[np.int64] | npt.NDArray[np.float64] | int


class _SharedStrings:
    """The workbook's shared-string table: each distinct string once, cells refer to it by code."""

    def __init__(self) -> None:
        self._codes: dict[str, int] = {}
        self.references = 0

    def code(self, value: str) -> int:
        self.references += 1
        return self._code(value)

    def codes(self, values: Sequence[str]) -> npt.NDArray[np.int64] | int:
        """The codes of a column of strings: one int when all are the same string."""
        if isinstance(values, np.ndarray):
            values = values.tolist()
        count = len(values)
        if count == 0:
            return np.empty(0, dtype=np.int64)
        self.references += count
        first = values[0]
        # list.count compares by identity first, so a repeated label is checked at memory speed.
        if values.count(first) == count:
            return self._code(first)
        return np.fromiter(map(self._code, values), dtype=np.int64, count=count)

    def xml_chunks(self) -> list[bytes]:
        """The ``sharedStrings.xml`` part, in pieces of bounded size."""
        strings = list(self._codes)
        chunks = [xlsxparts.shared_strings_start(self.references, len(strings))]
        for start in range(0, len(strings), _STRINGS_PER_WRITE):
            group = strings[start : start + _STRINGS_PER_WRITE]
            chunks.append("".join(map(xlsxparts.shared_string, group)).encode())
        chunks.append(xlsxparts.SHARED_STRINGS_END)
        return chunks

    def _code(self, value: str) -> int:
        code = self._codes.get(value)
        if code is None:
            if not isinstance(value, str):
                raise TypeError(f"text cells take str, got {type(value).__name__}")
            code = self._codes[value] = len(self._codes)
        return code


@dataclass
class _Sheet:
    entry: StreamedEntry
    kinds: tuple[CellKind, ...]
    #: Data rows accepted, pending ones included.
    rows: int = 0
    #: Data rows already deflated into the entry.
    written: int = 0
    pending: list[list[_Cells]] = field(default_factory=list)
    pending_counts: list[int] = field(default_factory=list)


class FastXlsxWriter:
    """Writes one .xlsx file at ``path``; rows reach the file in chunks of about ``CHUNK_ROWS``."""

    def __init__(self, path: Path) -> None:
        self._zip = ZipStreamWriter(path)
        self._strings = _SharedStrings()
        self._sheet_names: list[str] = []
        #: Indexes into ``_sheet_names`` (sheet N + 1 is ``sheetN+1.xml``) in tab order.
        self._tabs: list[int] = []
        self._free: list[tuple[int, FreeSheet]] = []
        self._sheet: _Sheet | None = None
        self._time_texts: dict[int, RepeatedFloatTexts] = {}
        self._closed = False
        try:
            # Static parts first, so that the file starts like any other xlsx package.
            self._zip.write_entry("_rels/.rels", xlsxparts.ROOT_RELS)
            self._zip.write_entry("docProps/core.xml", xlsxparts.CORE_PROPS)
            self._zip.write_entry("docProps/app.xml", xlsxparts.APP_PROPS)
            self._zip.write_entry("xl/styles.xml", xlsxparts.STYLES)
        except BaseException:
            self._zip.abort()
            raise

    def add_sheet(self, name: str, columns: Sequence[ColumnSpec]) -> None:
        self._check_open()
        xlsxparts.check_sheet_name(name, self._sheet_names)
        if len(columns) > xlsxparts.MAX_COLUMNS:
            raise ValueError(f"a sheet holds at most {xlsxparts.MAX_COLUMNS} columns")
        self._finish_sheet()
        self._sheet_names.append(name)
        number = len(self._sheet_names)
        self._tabs.append(number - 1)
        entry = self._zip.open_entry(
            f"xl/worksheets/sheet{number}.xml", xlsxparts.SHEET_PREFIX_SIZE
        )
        header = [self._strings.code(column.header) for column in columns]
        widths = [column.width for column in columns]
        # Never selected: a free sheet may still be put in front of it, and two selected tabs
        # open grouped in Excel. With no tab selected, Excel shows the first (``activeTab``).
        entry.write(xlsxparts.sheet_head(widths, header, selected=False))
        self._sheet = _Sheet(entry, tuple(column.kind for column in columns))

    def write_batch(self, columns: Sequence[ColumnData]) -> None:
        self._check_open()
        sheet = self._sheet
        if sheet is None:
            raise RuntimeError("write_batch called before add_sheet")
        count = batch_length(columns, len(sheet.kinds))
        if count == 0:
            return
        if sheet.rows + count > MAX_DATA_ROWS:
            raise ValueError(f"batch of {count} rows overflows the sheet at row {sheet.rows + 1}")
        pairs = list(zip(sheet.kinds, columns, strict=True))
        # Numbers are checked before any string enters the table, so a refused batch leaves none.
        numbers = [None if kind is CellKind.TEXT else _numbers(kind, data) for kind, data in pairs]
        cells: list[_Cells] = [
            self._strings.codes(_texts(data)) if array is None else array
            for array, (_, data) in zip(numbers, pairs, strict=True)
        ]
        sheet.pending.append(cells)
        sheet.pending_counts.append(count)
        sheet.rows += count
        if sheet.rows - sheet.written >= CHUNK_ROWS:
            self._flush(sheet)
        else:
            # Held past this call, so the caller's arrays must not be shared.
            sheet.pending[-1] = [c.copy() if isinstance(c, np.ndarray) else c for c in cells]

    def add_free_sheet(self, sheet: FreeSheet, position: int) -> None:
        self._check_open()
        xlsxparts.check_sheet_name(sheet.name, self._sheet_names)
        if not 0 <= position <= len(self._tabs):
            raise ValueError(f"position {position} is outside 0..{len(self._tabs)}")
        if len(sheet.rows) > MAX_DATA_ROWS + 1:
            raise ValueError(f"a sheet holds at most {MAX_DATA_ROWS + 1} rows")
        if any(len(row) > xlsxparts.MAX_COLUMNS for row in sheet.rows):
            raise ValueError(f"a sheet holds at most {xlsxparts.MAX_COLUMNS} columns")
        # Rendered at close; a bad number is refused now, where the caller can tell.
        for row in sheet.rows:
            for cell in row:
                if cell is not None and not isinstance(cell.value, str):
                    xlsxfree.number_text(cell.value)
        self._finish_sheet()
        self._sheet_names.append(sheet.name)
        index = len(self._sheet_names) - 1
        self._tabs.insert(position, index)
        self._free.append((index, sheet))

    def close(self) -> None:
        if self._closed:
            return
        try:
            if not self._sheet_names:
                # Excel refuses a workbook without sheets.
                self.add_sheet("Sheet1", [])
            self._finish_sheet()
            charts = self._write_free_sheets()
            strings = self._zip.open_entry("xl/sharedStrings.xml")
            for chunk in self._strings.xml_chunks():
                strings.write(chunk)
            strings.finish()
            workbook = xlsxparts.workbook(self._sheet_names, self._tabs)
            self._zip.write_entry("xl/workbook.xml", workbook)
            sheet_count = len(self._sheet_names)
            self._zip.write_entry(
                "xl/_rels/workbook.xml.rels", xlsxparts.workbook_rels(sheet_count)
            )
            types = xlsxparts.content_types(sheet_count, charts)
            self._zip.write_entry("[Content_Types].xml", types)
            self._zip.close()
        except BaseException:
            self._zip.abort()
            raise
        finally:
            self._closed = True

    def _write_free_sheets(self) -> int:
        """Write the free sheets with their charts; returns how many charts there are."""
        charts = 0
        for index, sheet in self._free:
            number = index + 1
            chart = sheet.chart
            xml = xlsxfree.free_sheet(
                sheet, self._strings.code, selected=self._tabs[0] == index, drawing=bool(chart)
            )
            self._zip.write_entry(f"xl/worksheets/sheet{number}.xml", xml)
            if chart is None:
                continue
            charts += 1
            self._zip.write_entry(
                f"xl/worksheets/_rels/sheet{number}.xml.rels", xlsxfree.sheet_rels(charts)
            )
            drawing = xlsxchart.drawing_xml(chart, sheet.widths)
            self._zip.write_entry(f"xl/drawings/drawing{charts}.xml", drawing)
            self._zip.write_entry(
                f"xl/drawings/_rels/drawing{charts}.xml.rels", xlsxchart.drawing_rels(charts)
            )
            self._zip.write_entry(f"xl/charts/chart{charts}.xml", xlsxchart.chart_xml(chart))
        return charts

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("the workbook is closed")

    def _finish_sheet(self) -> None:
        sheet = self._sheet
        if sheet is None:
            return
        self._flush(sheet)
        sheet.entry.write(xlsxparts.SHEET_TAIL)
        sheet.entry.finish(xlsxparts.sheet_prefix(len(sheet.kinds), sheet.rows + 1))
        self._sheet = None

    def _flush(self, sheet: _Sheet) -> None:
        """Render the pending batches and deflate them into the sheet."""
        if not sheet.pending:
            return
        counts = sheet.pending_counts
        columns = [
            _concat([batch[index] for batch in sheet.pending], counts)
            for index in range(len(sheet.kinds))
        ]
        total = sum(counts)
        for start in range(0, total, RENDER_ROWS):
            stop = min(total, start + RENDER_ROWS)
            first_row = sheet.written + start + 2
            row_numbers = int_texts(np.arange(first_row, first_row + stop - start))
            pieces: list[Piece] = ['<row r="', row_numbers, '">']
            for index, (kind, column) in enumerate(zip(sheet.kinds, columns, strict=True)):
                cells = column if isinstance(column, int) else column[start:stop]
                pieces.extend(self._cell_pieces(index, kind, cells))
            pieces.append("</row>")
            sheet.entry.write(join_rows(pieces, stop - start))
        sheet.written += total
        sheet.pending.clear()
        sheet.pending_counts.clear()

    def _cell_pieces(self, index: int, kind: CellKind, cells: _Cells) -> list[Piece]:
        if isinstance(cells, int):
            return [f'<c t="s"><v>{cells}</v></c>']
        values: Any = cells  # the kind tells which array type it is
        if kind is CellKind.TEXT:
            return ['<c t="s"><v>', int_texts(values), "</v></c>"]
        if kind is CellKind.INT:
            return ["<c><v>", int_texts(values), "</v></c>"]
        if kind is CellKind.FLOAT:
            return ["<c><v>", float_texts(values), "</v></c>"]
        texts = self._time_texts.setdefault(index, RepeatedFloatTexts()).texts(values)
        return [f'<c s="{xlsxparts.DATE_STYLE}"><v>', texts, "</v></c>"]


def _numbers(kind: CellKind, data: ColumnData) -> npt.NDArray[np.int64] | npt.NDArray[np.float64]:
    """A numeric column as a 1-D array, refusing what a cell cannot hold."""
    array = np.asarray(data)
    if array.ndim != 1:
        raise ValueError(f"a {kind.value} column must be one-dimensional")
    if kind is CellKind.INT:
        if array.dtype.kind not in "iu":
            raise TypeError(f"int cells take an integer array, got dtype {array.dtype}")
        if array.dtype == np.uint64 and len(array) and array.max() > np.iinfo(np.int64).max:
            raise ValueError("int cells hold at most 2**63 - 1")
        ints: npt.NDArray[np.int64] = array.astype(np.int64, copy=False)
        return ints
    if array.dtype.kind not in "iuf":
        raise TypeError(f"{kind.value} cells take a numeric array, got dtype {array.dtype}")
    floats: npt.NDArray[np.float64] = array.astype(np.float64, copy=False)
    if not np.isfinite(floats).all():
        raise ValueError(f"{kind.value} cells cannot hold NaN or infinity")
    return floats


def _texts(data: ColumnData) -> Sequence[str]:
    if isinstance(data, np.ndarray) and data.dtype.kind not in "UO":
        raise TypeError(f"text cells take str, got an array of dtype {data.dtype}")
    return data  # type: ignore[return-value]


def _concat(parts: list[_Cells], counts: list[int]) -> _Cells:
    """The batches of one column as one: a single code when every batch had the same one."""
    first = parts[0]
    if len(parts) == 1 or (
        isinstance(first, int) and all(isinstance(part, int) and part == first for part in parts)
    ):
        return first
    arrays = [
        np.full(count, part, dtype=np.int64) if isinstance(part, int) else part
        for part, count in zip(parts, counts, strict=True)
    ]
    return cast(_Cells, np.concatenate(arrays))
