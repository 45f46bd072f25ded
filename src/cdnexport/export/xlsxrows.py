"""Sheet rows rendered in bulk: Arrow kernels format and join whole columns into ``<row>`` XML.

Hand-written because no library renders SpreadsheetML cells from columns; Arrow's float-to-string
cast gives the shortest text that reads back as the same float64, in C, with no per-cell Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

#: A piece of every row: literal XML the same in each row, or one text per row (an Arrow array).
Piece = str | Any

#: How many positions of a repeat are tried before a column is formatted afresh.
_REPEAT_TRIES: Final = 4


def int_texts(values: npt.NDArray[np.integer[Any]]) -> Any:
    """Decimal texts of integers, exact for all of int64."""
    return pc.cast(pa.array(values), pa.string())


def float_texts(values: npt.NDArray[np.float64]) -> Any:
    """Shortest round-trip texts of finite floats, with Excel's upper-case exponent (``1E+20``)."""
    return pc.ascii_upper(pc.cast(pa.array(values), pa.string()))


class RepeatedFloatTexts:
    """``float_texts`` that reuses the texts of the previous column when values repeat.

    Every series of an export repeats the same time column, so most time cells are found in
    the previous chunk's column (at the same or a shifted position) instead of formatted again.
    """

    def __init__(self) -> None:
        self._bits: npt.NDArray[np.int64] = np.empty(0, dtype=np.int64)
        self._texts: Any = None

    def texts(self, values: npt.NDArray[np.float64]) -> Any:
        # Compare bit patterns: -0.0 == 0.0 as floats, but their texts differ.
        bits = values.view(np.int64)
        count = len(bits)
        known = self._bits
        if count and count <= len(known):
            starts = np.flatnonzero(known[: len(known) - count + 1] == bits[0])
            for start in starts[:_REPEAT_TRIES].tolist():
                if np.array_equal(known[start : start + count], bits):
                    return self._texts.slice(start, count)
        texts = float_texts(values)
        self._bits = bits.copy()
        self._texts = texts
        return texts


def join_rows(pieces: Sequence[Piece], count: int) -> memoryview:
    """Concatenate ``pieces`` row by row into the UTF-8 XML of ``count`` rows."""
    if count == 0:
        return memoryview(b"")
    merged: list[Any] = []
    literal = ""
    for piece in pieces:
        if isinstance(piece, str):
            literal += piece
            continue
        if len(piece) != count:
            raise ValueError(f"a column of {len(piece)} texts in a chunk of {count} rows")
        if literal:
            merged.append(pa.scalar(literal))
            literal = ""
        merged.append(piece)
    if not merged:
        # Only literals: nothing varies from row to row.
        return memoryview((literal * count).encode())
    if literal:
        merged.append(pa.scalar(literal))
    joined = pc.binary_join_element_wise(*merged, "")
    _, offsets_buffer, data = joined.buffers()
    offsets = np.frombuffer(offsets_buffer, dtype=np.int32)
    start = int(offsets[joined.offset])
    end = int(offsets[joined.offset + len(joined)])
    return memoryview(data)[start:end]
