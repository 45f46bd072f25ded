"""Load a usage file (CSV, gzipped CSV or Parquet) into the store, all rows or none.

The whole file is parsed and checked before one write transaction applies it, so a bad row
rejects the file with its line number and leaves the store untouched. A (domain, region, time)
given twice in one file is rejected too: it is ambiguous, whereas re-ingesting a file on
purpose replaces the stored values.
"""

from __future__ import annotations

import csv
import gzip
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import select

from cdnexport.db.engine import Database
from cdnexport.db.schema import domain
from cdnexport.usage.parse import COLUMNS, IngestError, RowParser, header_columns
from cdnexport.usage.samples import SampleBatch
from cdnexport.usage.store import SqlUsageStore

PARQUET_BATCH = 65_536


@dataclass(frozen=True, slots=True)
class IngestReport:
    """What one file applied; the times are slot starts, None for a file without data rows."""

    rows: int
    domains: tuple[str, ...]
    first_ts: int | None
    last_ts: int | None


def ingest_file(db: Database, account_id: int, path: str | Path) -> IngestReport:
    """Check every row of ``path`` against the account's domains, then apply them all."""
    with db.read() as conn:
        rows = conn.execute(
            select(domain.c.id, domain.c.name).where(domain.c.account_id == account_id)
        )
        names = {int(row.id): str(row.name) for row in rows}
    owned = {name.lower(): domain_id for domain_id, name in names.items()}
    samples, lines = _read(Path(path), owned)
    _reject_duplicates(samples, lines)
    with db.write() as conn:
        SqlUsageStore(db).upsert(conn, samples)
    if len(samples) == 0:
        return IngestReport(0, (), None, None)
    used = sorted(names[int(d)] for d in np.unique(samples.domain_id))
    return IngestReport(len(samples), tuple(used), int(samples.ts.min()), int(samples.ts.max()))


def _read(path: Path, owned: Mapping[str, int]) -> tuple[SampleBatch, list[int]]:
    suffixes = "".join(path.suffixes[-2:]).lower()
    if suffixes.endswith(".parquet"):
        return _read_parquet(path, owned)
    if suffixes.endswith(".csv.gz"):
        with gzip.open(path, "rt", encoding="utf-8-sig", newline="") as text:
            return _read_csv(text, owned)
    if suffixes.endswith(".csv"):
        with path.open(encoding="utf-8-sig", newline="") as text:
            return _read_csv(text, owned)
    raise IngestError(0, f"unsupported file type {path.name!r}: use .csv, .csv.gz or .parquet")


def _read_csv(text: IO[str], owned: Mapping[str, int]) -> tuple[SampleBatch, list[int]]:
    reader = csv.reader(text)
    try:
        header = next(reader, [])
        parser = RowParser(header_columns(header, 1), owned)
        for values in reader:
            if values:
                parser.add(values, reader.line_num)
    except csv.Error as exc:
        raise IngestError(reader.line_num, f"malformed CSV: {exc}") from exc
    except (UnicodeDecodeError, OSError, EOFError) as exc:
        raise IngestError(reader.line_num + 1, f"cannot read the file: {exc}") from exc
    return parser.batch(), parser.lines


def _read_parquet(path: Path, owned: Mapping[str, int]) -> tuple[SampleBatch, list[int]]:
    try:
        file = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        raise IngestError(0, f"not a readable Parquet file: {exc}") from exc
    parser = RowParser(header_columns(file.schema_arrow.names, 0), owned)
    try:
        for line, values in enumerate(_parquet_rows(file), start=1):
            parser.add(values, line)
    except (pa.ArrowException, OSError) as exc:
        raise IngestError(0, f"cannot read the Parquet file: {exc}") from exc
    return parser.batch(), parser.lines


def _parquet_rows(file: pq.ParquetFile) -> Iterator[Sequence[object]]:
    for batch in file.iter_batches(batch_size=PARQUET_BATCH):
        yield from zip(*(column.to_pylist() for column in batch.columns), strict=True)


def _reject_duplicates(samples: SampleBatch, lines: list[int]) -> None:
    """Raise at the first line that repeats an earlier line's (domain, region, time)."""
    if len(samples) < 2:
        return
    order = np.lexsort((samples.ts, samples.region, samples.domain_id))
    keys = np.stack((samples.domain_id[order], samples.region[order], samples.ts[order]))
    repeat = np.flatnonzero(np.all(keys[:, 1:] == keys[:, :-1], axis=0)) + 1
    if len(repeat) == 0:
        return
    # lexsort is stable: within a run of equal keys the rows keep file order.
    later = int(repeat[np.argmin(order[repeat])])
    first = later
    while first > 0 and np.array_equal(keys[:, first - 1], keys[:, later]):
        first -= 1
    raise IngestError(
        lines[int(order[later])],
        f"duplicate of line {lines[int(order[first])]}: same domain, region and time",
    )


__all__ = ["COLUMNS", "IngestError", "IngestReport", "ingest_file"]
