"""``WorkbookWriter`` on the XlsxWriter library in constant-memory mode.

The reference implementation: slow (one Python call per cell) but built on a well-tested library,
so faster writers can be checked against it. XlsxWriter prints floats with 16 significant digits,
so a float read back may differ from the float64 written in its last bit. Free-form sheets use
XlsxWriter's native line chart.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import xlsxwriter

from cdnexport.export.writer import (
    CellKind,
    CellRange,
    CellStyle,
    ColumnData,
    ColumnSpec,
    FreeSheet,
    LineChart,
    batch_length,
)

#: Rows of an Excel sheet, header included.
EXCEL_MAX_ROWS = 1_048_576
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
#: XlsxWriter format properties per free-cell style; the colours match ``xlsxchart``.
_STYLES: dict[CellStyle, dict[str, Any]] = {
    CellStyle.PLAIN: {},
    CellStyle.BOLD: {"bold": True},
    CellStyle.TITLE: {"bold": True, "font_size": 14},
    CellStyle.WRAP: {"text_wrap": True},
    CellStyle.DATETIME: {"num_format": DATETIME_FORMAT},
    CellStyle.DATE: {"num_format": "yyyy-mm-dd"},
    CellStyle.INTEGER: {"num_format": "#,##0"},
    CellStyle.DECIMAL: {"num_format": "#,##0.00"},
}
_COLOURS = ("#1F4E79", "#ED7D31", "#70AD47", "#7030A0", "#FFC000", "#00B0F0", "#C00000")


class XlsxWriterWorkbook:
    """Writes one .xlsx file at ``path``; rows are flushed as they are written."""

    def __init__(self, path: Path) -> None:
        # Its row files go beside the workbook, so that they go when the attempt's folder goes.
        options = {"constant_memory": True, "tmpdir": str(path.parent)}
        self._book: Any = xlsxwriter.Workbook(str(path), options)
        self._bold: Any = self._book.add_format({"bold": True})
        self._datetime: Any = self._book.add_format({"num_format": DATETIME_FORMAT})
        # Top-aligned, so that a label stays beside the first line of a wrapped text.
        self._styles: dict[CellStyle, Any] = {
            style: self._book.add_format({**props, "valign": "top"})
            for style, props in _STYLES.items()
        }
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
        count = batch_length(columns, len(self._kinds))
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

    def add_free_sheet(self, sheet: FreeSheet, position: int) -> None:
        sheets: list[Any] = self._book.worksheets_objs
        if not 0 <= position <= len(sheets):
            raise ValueError(f"position {position} is outside 0..{len(sheets)}")
        target = self._book.add_worksheet(sheet.name)
        # Printed landscape, one page wide, so the chart and tables are never cut apart.
        target.set_landscape()
        target.fit_to_pages(1, 0)
        for index, width in enumerate(sheet.widths):
            target.set_column(index, index, width)
        for row, cells in enumerate(sheet.rows):
            if row in sheet.heights:
                target.set_row(row, sheet.heights[row])
            for column, cell in enumerate(cells):
                if cell is None:
                    continue
                style = self._styles[cell.style]
                if isinstance(cell.value, str):
                    target.write_string(row, column, cell.value, style)
                elif isinstance(cell.value, bool):
                    raise TypeError("number cells take int or float, not bool")
                else:
                    target.write_number(row, column, cell.value, style)
        if sheet.chart is not None:
            target.insert_chart(sheet.chart.row, sheet.chart.column, self._line_chart(sheet.chart))
        # XlsxWriter cannot move a sheet; it writes them in the order of this list and selects
        # index 0. Reordering the list is safe for a workbook without defined names or formulas
        # (XlsxWriter issue #317); indexes are renumbered so lookups by name stay right.
        sheets.insert(position, sheets.pop())
        for index, worksheet in enumerate(sheets):
            worksheet.index = index
        self._sheet = None
        self._kinds = ()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._book.close()

    def _line_chart(self, spec: LineChart) -> Any:
        chart = self._book.add_chart({"type": "line"})
        for index, series in enumerate(spec.series):
            chart.add_series(
                {
                    "name": series.name,
                    "categories": _cells(spec.categories),
                    "values": _cells(series.values),
                    "line": {
                        "color": _COLOURS[index % len(_COLOURS)],
                        "width": 1.5 if index == 0 else 1.0,
                    },
                    "marker": {"type": "none"},
                }
            )
        chart.set_title({"name": spec.title, "name_font": {"size": 14, "bold": True}})
        chart.set_x_axis(
            {
                "name": spec.x_title,
                "num_format": spec.label_format,
                "interval_unit": spec.label_step,
                "interval_tick": spec.label_step,
                # A date axis counts whole days and would stack a day's 288 points on one spot.
                "text_axis": True,
                "label_position": "low",
                "num_font": {"size": 8},
            }
        )
        chart.set_y_axis(
            {
                "name": spec.y_title,
                "num_format": spec.value_format,
                "min": 0,
                "major_gridlines": {"visible": True},
            }
        )
        chart.set_legend({"position": "bottom"})
        chart.set_size({"width": spec.width, "height": spec.height})
        return chart

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


def _cells(cells: CellRange) -> list[Any]:
    return [cells.sheet, cells.first_row, cells.column, cells.last_row, cells.column]
