"""An in-memory ``WorkbookWriter`` that records sheets, rows and free sheets, for testing the
builder."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from cdnexport.export.writer import ColumnData, ColumnSpec, FreeSheet

Cell = float | int | str


@dataclass
class RecordedSheet:
    name: str
    columns: list[ColumnSpec]
    batch_sizes: list[int] = field(default_factory=list)
    rows: list[tuple[Cell, ...]] = field(default_factory=list)


class RecordingWriter:
    """Keeps every sheet, batch and row it is given, checking the protocol's rules as it goes."""

    def __init__(self) -> None:
        self.sheets: list[RecordedSheet] = []
        self.free: list[FreeSheet] = []
        #: Every sheet's name in tab order.
        self.tabs: list[str] = []
        self.closed = False
        self._open = False

    def add_sheet(self, name: str, columns: Sequence[ColumnSpec]) -> None:
        assert not self.closed
        assert name not in self.tabs
        self.sheets.append(RecordedSheet(name, list(columns)))
        self.tabs.append(name)
        self._open = True

    def add_free_sheet(self, sheet: FreeSheet, position: int) -> None:
        assert not self.closed
        assert sheet.name not in self.tabs
        assert 0 <= position <= len(self.tabs)
        self.free.append(sheet)
        self.tabs.insert(position, sheet.name)
        self._open = False

    def write_batch(self, columns: Sequence[ColumnData]) -> None:
        assert not self.closed
        assert self._open, "write_batch after add_free_sheet needs add_sheet first"
        sheet = self.sheets[-1]
        assert len(columns) == len(sheet.columns)
        lengths = {len(column) for column in columns}
        assert len(lengths) == 1, lengths
        as_lists = [
            column.tolist() if isinstance(column, np.ndarray) else list(column)
            for column in columns
        ]
        sheet.batch_sizes.append(lengths.pop())
        sheet.rows.extend(zip(*as_lists, strict=True))

    def close(self) -> None:
        self.closed = True

    def all_rows(self) -> list[tuple[Cell, ...]]:
        return [row for sheet in self.sheets for row in sheet.rows]
