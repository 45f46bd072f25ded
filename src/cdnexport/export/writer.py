"""The writer seam: what the builder needs from an xlsx writer.

Batches are columnar so that a writer can render cells in bulk; ``XlsxWriterWorkbook`` is the
reference implementation on the XlsxWriter library (constant-memory mode).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
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


class WorkbookWriter(Protocol):
    """Writes one workbook file, sheet after sheet, batch after batch."""

    def add_sheet(self, name: str, columns: Sequence[ColumnSpec]) -> None:
        """Start a new sheet with a frozen, bold header row; later batches go there."""
        ...

    def write_batch(self, columns: Sequence[ColumnData]) -> None:
        """Append rows to the current sheet: one entry per column, all of equal length."""
        ...

    def close(self) -> None:
        """Finish the file; the path given at construction then holds a complete workbook."""
        ...


class WriterFactory(Protocol):
    def __call__(self, path: Path) -> WorkbookWriter: ...
