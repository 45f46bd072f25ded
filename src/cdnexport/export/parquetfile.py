"""``WorkbookWriter`` for ``FileFormat=parquet``: the detail rows as one typed Parquet table.

Columns keep the workbook's headers (in the task's language) and get real types: the slot start
as a timestamp with the task's zone (stored as UTC instants, so a repeated wall-clock hour stays
two distinct times), byte and request counts as int64, bandwidth as float64, labels and regions
as strings (dictionary-encoded on disk). Rows are gathered into row groups of ``GROUP_ROWS`` and
written as each fills, so memory stays flat however many rows there are.

What a workbook says on its other sheets goes into the file's key-value metadata:
``cdnexport.task`` (the task's facts), ``cdnexport.p95_rule`` (flow: the slot counts of the 95th
percentile rule), and ``cdnexport.summary`` / ``cdnexport.notes`` (the summary and notes sheets,
row by row, in the task's language).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import pyarrow as pa
import pyarrow.parquet as pq

from cdnexport.domain.task import ExportType
from cdnexport.export import layout, notes
from cdnexport.export.detailfile import DetailRows
from cdnexport.export.plan import WorkbookPlan
from cdnexport.export.writer import CellKind, CellStyle, ColumnData, ColumnSpec, FreeSheet
from cdnexport.figures.maths import dropped_slots

#: Rows per row group: a few MB in memory, large enough for readers to scan efficiently.
GROUP_ROWS: Final = 131_072
#: Day 0 of Excel serials, which are wall-clock times without a zone.
_EXCEL_EPOCH: Final = datetime(1899, 12, 30)
P95_RULE: Final = (
    "Take all n 5-minute slots of the window (zeros included), sort bandwidth from highest to "
    "lowest, drop the top floor(n * 0.05); the next value is the 95th percentile."
)


class ParquetDetailWriter:
    """Writes the detail rows of ``plan`` to ``path`` as Parquet (zstd)."""

    def __init__(self, path: Path, plan: WorkbookPlan) -> None:
        self._path = path
        self._rows = DetailRows(plan)
        self._schema: pa.Schema | None = None
        self._writer: pq.ParquetWriter | None = None
        self._pending: list[pa.RecordBatch] = []
        self._pending_rows = 0

    def add_sheet(self, name: str, columns: Sequence[ColumnSpec]) -> None:
        header = self._rows.add_sheet(name, columns)
        if header is None:
            return
        zone = layout.zone_label(self._rows.plan.time_zone)
        types = {
            # Parquet has no seconds unit: milliseconds is the coarsest it keeps as written.
            CellKind.DATETIME: pa.timestamp("ms", tz=zone),
            CellKind.TEXT: pa.string(),
            CellKind.INT: pa.int64(),
            CellKind.FLOAT: pa.float64(),
        }
        fields = [pa.field(column.header, types[column.kind], nullable=False) for column in header]
        metadata = {"cdnexport.task": json.dumps(_task_facts(self._rows.plan), ensure_ascii=False)}
        self._schema = pa.schema(fields, metadata=metadata)
        self._writer = pq.ParquetWriter(self._path, self._schema, compression="zstd")

    def write_batch(self, columns: Sequence[ColumnData]) -> None:
        slots = self._rows.slots_of(columns)
        if slots is None or self._schema is None:
            return
        millis = self._rows.axis.epochs[slots] * 1000
        arrays = [pa.array(millis, type=self._schema.field(0).type)]
        for index, column in enumerate(columns[1:], start=1):
            arrays.append(_array(column, self._schema.field(index).type))
        self._pending.append(pa.RecordBatch.from_arrays(arrays, schema=self._schema))
        self._pending_rows += len(slots)
        if self._pending_rows >= GROUP_ROWS:
            self._flush()

    def add_free_sheet(self, sheet: FreeSheet, position: int) -> None:
        self._rows.add_free_sheet(sheet)

    def close(self) -> None:
        if self._writer is None:
            return
        self._flush()
        extra = {"cdnexport.rows": str(self._rows.rows)}
        plan = self._rows.plan
        if plan.export_type is ExportType.FLOW:
            slots = len(self._rows.axis)
            dropped = dropped_slots(slots)
            rule = {"slots": slots, "dropped": dropped, "rank": dropped + 1, "rule": P95_RULE}
            extra["cdnexport.p95_rule"] = json.dumps(rule)
        for sheet in self._rows.free_sheets:
            key = "cdnexport.notes" if sheet.name == _notes_name(plan) else "cdnexport.summary"
            extra[key] = json.dumps(_sheet_rows(sheet), ensure_ascii=False)
        self._writer.add_key_value_metadata(extra)
        self._writer.close()
        self._writer = None

    def _flush(self) -> None:
        if not self._pending or self._writer is None:
            return
        table = pa.Table.from_batches(self._pending, schema=self._schema)
        self._writer.write_table(table, row_group_size=max(GROUP_ROWS, table.num_rows))
        self._pending = []
        self._pending_rows = 0


def _array(column: ColumnData, kind: pa.DataType) -> pa.Array:
    """An Arrow column; a text column of one repeated text (the builder's label and region)
    is made by repeating it rather than converting every Python string."""
    if isinstance(column, list) and column and column.count(column[0]) == len(column):
        return pa.repeat(pa.scalar(column[0], type=kind), len(column))
    return pa.array(column, type=kind)


def _notes_name(plan: WorkbookPlan) -> str:
    return notes.sheet_name(plan.language)


def _utc(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat().replace("+00:00", "Z")


def _task_facts(plan: WorkbookPlan) -> dict[str, Any]:
    facts: dict[str, Any] = {
        "type": plan.export_type.value,
        "language": plan.language.value,
        "time_zone": plan.time_zone,
        "start": _utc(plan.start),
        "end": _utc(plan.end),
        "label": plan.label_kind,
    }
    if plan.facts is not None:
        facts |= {
            "account": plan.facts.account,
            "scope": plan.facts.scope.value,
            "scope_names": list(plan.facts.scope_names),
            "generated_at": _utc(plan.facts.generated_at),
            "watermark": None if plan.facts.watermark is None else _utc(plan.facts.watermark),
        }
    return facts


def _sheet_rows(sheet: FreeSheet) -> list[list[str | int | float | None]]:
    """The sheet's cells row by row; times (Excel serials) as ISO wall-clock texts."""
    rows: list[list[str | int | float | None]] = []
    for row in sheet.rows:
        cells: list[str | int | float | None] = []
        for cell in row:
            if cell is None:
                cells.append(None)
            elif cell.style in (CellStyle.DATETIME, CellStyle.DATE) and not isinstance(
                cell.value, str
            ):
                moment = _EXCEL_EPOCH + timedelta(days=float(cell.value))
                text = moment.isoformat(timespec="minutes")
                cells.append(text[:10] if cell.style is CellStyle.DATE else text)
            else:
                cells.append(cell.value)
        rows.append(cells)
    return rows
