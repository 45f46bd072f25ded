"""``WorkbookWriter`` for ``FileFormat=csv`` and ``csv.gz``: the detail rows as one CSV table.

UTF-8 with a byte-order mark (without it, Excel on Windows reads the file in the local code page
and garbles Chinese), RFC 4180 with CRLF line ends, times in ISO-8601 with their UTC offset,
numbers as plain digits (bandwidth as the shortest text that reads back as the same double). The
summary, notes and chart sheets of a workbook are not tables of rows, so a CSV leaves them out.
``csv.gz`` is the same bytes through a gzip stream (ISA-L).

Every text cell is quoted by the ``csv`` module, each distinct text once; times and numbers hold
no comma, quote or line break, so they never need quoting, and Arrow renders and joins them a
whole batch at a time (as ``xlsxrows`` does for the workbook: per-cell Python made the file
several times slower to write than the workbook).

Text cells that a spreadsheet would run as a formula are neutralised as OWASP's "CSV Injection"
page describes: a cell starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return gets a
leading single quote, which spreadsheets show as text. Numbers are never text cells here.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, BinaryIO, Final, cast

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from isal import igzip

from cdnexport.export.detailfile import DetailRows
from cdnexport.export.plan import WorkbookPlan
from cdnexport.export.writer import CellKind, ColumnData, ColumnSpec, FreeSheet
from cdnexport.export.xlsxrows import Piece, int_texts, join_rows

#: First characters that make a spreadsheet evaluate a cell (OWASP, CSV Injection).
FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")
#: ISA-L's levels run 0..3; 2 is close to zlib's default ratio at several times its speed.
GZIP_LEVEL: Final = 2
BOM: Final = "\ufeff".encode()
LINE_END: Final = "\r\n"
#: ``igzip.open`` has no annotations; it returns a binary ``GzipFile``.
_gzip_open = cast(Callable[..., BinaryIO], igzip.open)


def neutralise(text: str) -> str:
    """``text`` as a spreadsheet shows it but never evaluates it."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _Fields:
    """CSV fields of text cells, neutralised and quoted by the ``csv`` module, each text once."""

    def __init__(self) -> None:
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, dialect="excel", lineterminator=LINE_END)
        self._known: dict[str, str] = {}

    def field(self, text: str) -> str:
        found = self._known.get(text)
        if found is None:
            found = self.row([text])[: -len(LINE_END)]
            self._known[text] = found
        return found

    def row(self, texts: Sequence[str]) -> str:
        """One whole line of text fields, line end included."""
        self._buffer.seek(0)
        self._buffer.truncate()
        self._writer.writerow([neutralise(text) for text in texts])
        return self._buffer.getvalue()


class CsvDetailWriter:
    """Writes the detail rows of ``plan`` to ``path``, gzipped when ``gzip`` is true."""

    def __init__(self, path: Path, plan: WorkbookPlan, *, gzip: bool = False) -> None:
        self._rows = DetailRows(plan)
        self._kinds: list[CellKind] = []
        self._fields = _Fields()
        self._times: Any = pa.array(self._rows.axis.iso.tolist(), type=pa.string())
        self._file: BinaryIO = (
            _gzip_open(path, "wb", compresslevel=GZIP_LEVEL) if gzip else open(path, "wb")  # noqa: SIM115
        )
        self._file.write(BOM)

    def add_sheet(self, name: str, columns: Sequence[ColumnSpec]) -> None:
        header = self._rows.add_sheet(name, columns)
        if header is not None:
            self._kinds = [column.kind for column in header]
            self._file.write(self._fields.row([column.header for column in header]).encode())

    def write_batch(self, columns: Sequence[ColumnData]) -> None:
        slots = self._rows.slots_of(columns)
        if slots is None or not len(slots):
            return
        pieces: list[Piece] = []
        for index, (kind, column) in enumerate(zip(self._kinds, columns, strict=True)):
            if index:
                pieces.append(",")
            if kind is CellKind.DATETIME:
                pieces.append(self._times.take(pa.array(slots)))
            elif kind is CellKind.TEXT:
                pieces.append(self._texts(column))
            elif kind is CellKind.INT:
                pieces.append(int_texts(np.asarray(column)))
            else:
                pieces.append(pc.cast(pa.array(np.asarray(column, dtype=np.float64)), pa.string()))
        pieces.append(LINE_END)
        self._file.write(join_rows(pieces, len(slots)))

    def add_free_sheet(self, sheet: FreeSheet, position: int) -> None:
        self._rows.add_free_sheet(sheet)

    def close(self) -> None:
        self._file.close()

    def _texts(self, column: ColumnData) -> Piece:
        """A text column's fields: one literal when every row has the same text (as the
        builder's label and region columns do), else one field per row."""
        texts = [str(value) for value in column] if isinstance(column, np.ndarray) else column
        distinct = set(texts)
        if len(distinct) == 1:
            return self._fields.field(texts[0])
        return pa.array([self._fields.field(text) for text in texts], type=pa.string())
