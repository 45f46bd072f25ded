"""``WorkbookWriter`` on the XlsxWriter library in constant-memory mode.

The reference implementation: slow (one Python call per cell) but built on a well-tested library,
so faster writers can be checked against it. XlsxWriter prints floats with 16 significant digits,
so a float read back may differ from the float64 written in its last bit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import xlsxwriter

from cdnexport.export.writer import CellKind, ColumnData, ColumnSpec

#: Rows of an Excel sheet, header included.
EXCEL_MAX_ROWS = 1_048_576
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"


class XlsxWriterWorkbook:
    """Writes one .xlsx file at ``path``; rows are flushed as they are written."""

    def __init__(self, path: Path) -> None:
        self._book: Any = xlsxwriter.Workbook(str(path), {"constant_memory": True})
        self._bold: Any = self._book.add_format({"bold": True})
        self._datetime: Any = self._book.add_format({"num_format": DATETIME_FORMAT})
        self._sheet: Any = None
        self._kinds: tuple[CellKind, ...] = ()
        self._next_row = 0
        self._closed = False

    def add_sheet(self, name: str, columns: Sequence[ColumnSpec]) -> None:
        sheet = self._book.add_worksheet(name)
        for index, column in enumerate(columns):
            sheet.set_column(index, index, column.width)
            sheet.write_string(0, index, column.header, self._bold)
        sheet.freeze_panes(1, 0)
        self._sheet = sheet
        self._kinds = tuple(column.kind for column in columns)
        self._next_row = 1

    def write_batch(self, columns: Sequence[ColumnData]) -> None:
        if self._sheet is None:
            raise RuntimeError("write_batch called before add_sheet")
        if len(columns) != len(self._kinds):
            raise ValueError(f"expected {len(self._kinds)} columns, got {len(columns)}")
        lengths = {len(column) for column in columns}
        if len(lengths) > 1:
            raise ValueError(f"columns of one batch differ in length: {sorted(lengths)}")
        count = lengths.pop() if lengths else 0
        if self._next_row + count > EXCEL_MAX_ROWS:
            # XlsxWriter would silently drop the excess cells; a short export must not pass.
            raise ValueError(f"batch of {count} rows overflows the sheet at row {self._next_row}")
        cells = [
            self._column_cells(kind, data) for kind, data in zip(self._kinds, columns, strict=True)
        ]
        first = self._next_row
        # Constant-memory mode flushes a row once a later row is touched, so go row by row.
        for offset in range(count):
            row = first + offset
            for index, (write, values, cell_format) in enumerate(cells):
                write(row, index, values[offset], cell_format)
        self._next_row = first + count

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._book.close()

    def _column_cells(
        self, kind: CellKind, data: ColumnData
    ) -> tuple[Callable[..., Any], Sequence[Any], Any]:
        """The write method, Python values and format for one column of a batch."""
        # Python floats format about twice as fast as numpy scalars in XlsxWriter's inner loop.
        values: Sequence[Any] = data.tolist() if isinstance(data, np.ndarray) else data
        if kind is CellKind.TEXT:
            return self._sheet.write_string, values, None
        cell_format = self._datetime if kind is CellKind.DATETIME else None
        return self._sheet.write_number, values, cell_format
