"""The writer seam: what the builder needs from an xlsx writer.

Detail batches are columnar so that a writer can render cells in bulk; the small summary and notes
sheets are free-form rows of typed cells, handed over whole. ``XlsxWriterWorkbook`` is the
reference implementation on the XlsxWriter library (constant-memory mode).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt


class CellKind(enum.Enum):
    DATETIME = "datetime"  # Excel serial day number (float64), shown as yyyy-mm-dd hh:mm
    TEXT = "text"  # str
    INT = "int"  # int64
    FLOAT = "float"  # float64


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    header: str
    kind: CellKind
    width: float


#: One column of a batch: a numpy array for numeric kinds, a sequence of str for TEXT.
ColumnData = npt.NDArray[np.int64] | npt.NDArray[np.float64] | Sequence[str]


class CellStyle(enum.Enum):
    """How a free-form cell looks, top-aligned; numbers keep their full value whatever the style
    shows."""

    PLAIN = "plain"
    BOLD = "bold"
    TITLE = "title"  # bold, larger
    WRAP = "wrap"  # text wrapped within the column
    DATETIME = "datetime"  # an Excel serial shown as yyyy-mm-dd hh:mm
    DATE = "date"  # an Excel serial shown as yyyy-mm-dd
    INTEGER = "integer"  # #,##0
    DECIMAL = "decimal"  # #,##0.00


@dataclass(frozen=True, slots=True)
class SheetCell:
    """A str is a text cell, an int or float a number cell."""

    value: str | int | float
    style: CellStyle = CellStyle.PLAIN


#: A free-form row; None leaves a cell empty.
SheetRow = tuple[SheetCell | None, ...]


@dataclass(frozen=True, slots=True)
class CellRange:
    """Rows ``first_row..last_row`` (0-based, inclusive) of one column of sheet ``sheet``."""

    sheet: str
    column: int
    first_row: int
    last_row: int


@dataclass(frozen=True, slots=True)
class ChartSeries:
    name: str
    values: CellRange


@dataclass(frozen=True, slots=True)
class LineChart:
    """A line chart over a category axis, placed with its top-left corner at (row, column).

    ``label_format`` is the number format of the category labels and ``label_step`` how many
    points lie between two of them; ``value_format`` is the number format of the value axis.
    """

    title: str
    x_title: str
    y_title: str
    categories: CellRange
    series: tuple[ChartSeries, ...]
    label_format: str
    label_step: int
    value_format: str
    row: int
    column: int
    width: int  # pixels
    height: int  # pixels


@dataclass(frozen=True, slots=True)
class FreeSheet:
    """A small sheet given whole: rows of typed cells, column widths in characters, heights in
    points of some rows (by index; readers do not all fit wrapped text), an optional chart."""

    name: str
    rows: tuple[SheetRow, ...]
    widths: tuple[float, ...] = ()
    chart: LineChart | None = None
    heights: Mapping[int, float] = field(default_factory=dict)


class WorkbookWriter(Protocol):
    """Writes one workbook file, sheet after sheet, batch after batch."""

    def add_sheet(self, name: str, columns: Sequence[ColumnSpec]) -> None:
        """Start a new sheet with a frozen, bold header row; later batches go there."""
        ...

    def write_batch(self, columns: Sequence[ColumnData]) -> None:
        """Append rows to the current sheet: one entry per column, all of equal length."""
        ...

    def add_free_sheet(self, sheet: FreeSheet, position: int) -> None:
        """Add a whole free-form sheet at index ``position`` of the tabs added so far.

        The first tab is the one shown when the file opens. The current detail sheet ends here:
        ``write_batch`` needs a new ``add_sheet`` afterwards.
        """
        ...

    def close(self) -> None:
        """Finish the file; the path given at construction then holds a complete workbook."""
        ...


class WriterFactory(Protocol):
    def __call__(self, path: Path) -> WorkbookWriter: ...


def batch_length(columns: Sequence[ColumnData], expected_columns: int) -> int:
    """The row count of a batch; ValueError unless it has the expected columns, all equally long."""
    if len(columns) != expected_columns:
        raise ValueError(f"expected {expected_columns} columns, got {len(columns)}")
    lengths = {len(column) for column in columns}
    if len(lengths) > 1:
        raise ValueError(f"columns of one batch differ in length: {sorted(lengths)}")
    return lengths.pop() if lengths else 0
