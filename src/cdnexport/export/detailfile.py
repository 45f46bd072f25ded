"""What the flat-file writers (CSV, Parquet) share behind the ``WorkbookWriter`` seam: they keep
the detail sheets only, as one table, and know each row's slot in the window.

The builder sends every series over every slot of the window in time order (``metric_columns``
checks the lengths), so the n-th detail row is slot ``n % slots``. The writers take each row's
instant from that position rather than from its Excel serial, which is a wall-clock time that
repeats in the hour a daylight-saving change gives back; every batch's serials are compared with
the expected ones, so a builder that broke the order would fail the export, not mislabel it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from cdnexport.domain.window import slot_range
from cdnexport.export import layout
from cdnexport.export.plan import WorkbookPlan
from cdnexport.export.timecells import slot_serials
from cdnexport.export.writer import ColumnData, ColumnSpec, FreeSheet, batch_length


class SlotAxis:
    """The window's slots: UTC epochs, wall-clock ISO-8601 texts with offset, Excel serials."""

    def __init__(self, start: int, end: int, time_zone: str) -> None:
        zone = ZoneInfo(time_zone)
        slots = slot_range(start, end)
        self.epochs: npt.NDArray[np.int64] = np.fromiter(slots, dtype=np.int64, count=len(slots))
        self.serials = slot_serials(start, end, time_zone)
        self.iso: npt.NDArray[np.object_] = np.array(
            [datetime.fromtimestamp(epoch, zone).isoformat() for epoch in slots], dtype=object
        )

    def __len__(self) -> int:
        return len(self.epochs)


class DetailRows:
    """Sorts the builder's calls into detail rows (kept) and other sheets (not a table's rows),
    and gives each detail batch its slot indices."""

    def __init__(self, plan: WorkbookPlan) -> None:
        self.plan = plan
        self.axis = SlotAxis(plan.start, plan.end, plan.time_zone)
        self.columns: list[ColumnSpec] | None = None
        self.free_sheets: list[FreeSheet] = []
        self.rows = 0
        self._sheets = 0
        self._in_detail = False

    def add_sheet(self, name: str, columns: Sequence[ColumnSpec]) -> list[ColumnSpec] | None:
        """The table's columns when this sheet starts the table, for its header; None for a
        numbered continuation (same columns, no header) and for any other sheet."""
        expected = layout.sheet_name(self.plan.language, self._sheets + 1)
        first = self.columns is None
        detail = name == expected and (first or list(columns) == self.columns)
        self._in_detail = detail
        if not detail:
            return None
        self._sheets += 1
        if not first:
            return None
        self.columns = list(columns)
        return self.columns

    def add_free_sheet(self, sheet: FreeSheet) -> None:
        self.free_sheets.append(sheet)
        self._in_detail = False

    def slots_of(self, columns: Sequence[ColumnData]) -> npt.NDArray[np.int64] | None:
        """The slot index of each row of a detail batch; None for a batch of another sheet."""
        if not self._in_detail or self.columns is None:
            return None
        count = batch_length(columns, len(self.columns))
        slots = len(self.axis)
        if count and not slots:
            raise ValueError("detail rows for a window without slots")
        index = (self.rows + np.arange(count, dtype=np.int64)) % max(slots, 1)
        times = np.asarray(columns[0], dtype=np.float64)
        if not np.array_equal(times, self.axis.serials[index]):
            raise ValueError("detail rows are not in slot order")
        self.rows += count
        return index
