"""Columnar batches of 5-minute usage samples, the shape every writer of usage data hands over."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import numpy.typing as npt

from cdnexport.domain.regions import REGIONS
from cdnexport.domain.task import SLOT_SECONDS
from cdnexport.usage.series import Int64Array

#: Column order of a sample row; the metric names match ``usage_sample`` columns.
SAMPLE_COLUMNS: tuple[str, ...] = (
    "domain_id",
    "region",
    "ts",
    "traffic_bytes",
    "static_https",
    "dynamic_http",
    "dynamic_https",
)
SampleRow = tuple[int, int, int, int, int, int, int]


@dataclass(frozen=True, slots=True)
class SampleBatch:
    """Samples as one int64 array per column (``SAMPLE_COLUMNS``), all of one length."""

    domain_id: Int64Array
    region: Int64Array
    ts: Int64Array
    traffic_bytes: Int64Array
    static_https: Int64Array
    dynamic_http: Int64Array
    dynamic_https: Int64Array

    def __post_init__(self) -> None:
        length = len(self.domain_id)
        for field in fields(self):
            column = getattr(self, field.name)
            if column.dtype != np.int64 or column.ndim != 1 or len(column) != length:
                raise ValueError(f"column {field.name} is not a 1-D int64 array of {length}")

    @classmethod
    def of(cls, *columns: Sequence[int] | npt.NDArray[np.integer[Any]]) -> SampleBatch:
        """A batch from seven columns in ``SAMPLE_COLUMNS`` order, converted to int64."""
        if len(columns) != len(SAMPLE_COLUMNS):
            raise ValueError(f"expected {len(SAMPLE_COLUMNS)} columns, got {len(columns)}")
        return cls(*(np.asarray(c, dtype=np.int64).reshape(-1) for c in columns))

    @classmethod
    def from_rows(cls, rows: Iterable[SampleRow]) -> SampleBatch:
        """A batch from row tuples in ``SAMPLE_COLUMNS`` order."""
        table = np.array(list(rows), dtype=np.int64).reshape(-1, len(SAMPLE_COLUMNS))
        return cls(*(np.ascontiguousarray(table[:, i]) for i in range(len(SAMPLE_COLUMNS))))

    def __len__(self) -> int:
        return len(self.domain_id)

    def columns(self) -> tuple[Int64Array, ...]:
        return tuple(getattr(self, name) for name in SAMPLE_COLUMNS)

    def rows(self) -> Iterator[SampleRow]:
        """Row tuples of Python ints, in batch order."""
        return zip(*(c.tolist() for c in self.columns()), strict=True)

    def take(self, index: Int64Array | slice) -> SampleBatch:
        """The rows selected by ``index`` (positions or a slice)."""
        return SampleBatch(*(np.ascontiguousarray(c[index]) for c in self.columns()))

    def check(self) -> None:
        """Raise ValueError unless times are slot-aligned, regions known, metrics non-negative."""
        if np.any(self.ts % SLOT_SECONDS != 0):
            raise ValueError("sample times must be aligned to 5-minute slots")
        if np.any((self.region < 0) | (self.region >= len(REGIONS))):
            raise ValueError("unknown region id")
        for name in SAMPLE_COLUMNS[3:]:
            if np.any(getattr(self, name) < 0):
                raise ValueError(f"{name} must be non-negative")

    def last_per_key(self) -> SampleBatch:
        """One row per (domain, region, ts), the last one given, ordered by that key."""
        if len(self) == 0:
            return self
        order = np.lexsort((self.ts, self.region, self.domain_id))
        keys = np.stack((self.domain_id[order], self.region[order], self.ts[order]))
        # lexsort is stable, so the last row of each run of equal keys is the last one given.
        last = np.ones(len(order), dtype=bool)
        last[:-1] = np.any(keys[:, 1:] != keys[:, :-1], axis=0)
        return self.take(order[last])
