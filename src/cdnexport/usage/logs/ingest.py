"""Ingesting access logs: read and aggregate a file, then add and record it in one transaction.

Files are independent: one that cannot be read is rejected and the others go on. Samples are
added to the stored values, because two edge nodes serving one domain in one slot write two
files whose counts sum; the record of the file's content (``tracking``) keeps a second reading
of the same file from adding again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Protocol

import numpy as np
from sqlalchemy import Connection, select

from cdnexport.clock import Clock
from cdnexport.db.engine import Database
from cdnexport.db.schema import domain
from cdnexport.domain.regions import REGIONS, region_id
from cdnexport.usage.logs.aggregate import DEFAULT_LIMITS, Aggregator, Limits
from cdnexport.usage.logs.formats import NODE_FIELD_FORMATS, LogFormat, make_parser
from cdnexport.usage.logs.nodemap import FixedRegion, NodeMap, RegionSource
from cdnexport.usage.logs.progress import NoProgress, Progress
from cdnexport.usage.logs.reader import LogReader, UnreadableLog
from cdnexport.usage.logs.report import FileReport, FileStatus, RunReport
from cdnexport.usage.logs.tracking import LogFile, claim_domains
from cdnexport.usage.samples import SampleBatch
from cdnexport.usage.store import SqlUsageStore


class LogIngestError(ValueError):
    """The run cannot start (nothing was read or added)."""


class SampleAdder(Protocol):
    def add(self, conn: Connection, samples: SampleBatch) -> int:
        """Add ``samples`` to the stored values inside the caller's transaction."""
        ...


def ingest_logs(
    db: Database,
    account_id: int,
    paths: Sequence[Path],
    log_format: LogFormat,
    regions: RegionSource,
    *,
    clock: Clock,
    store: SampleAdder | None = None,
    progress: Progress | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> RunReport:
    """Add the usage in ``paths`` to the account's domains, file by file, and say what happened."""
    file_regions = _file_regions(paths, log_format, regions)
    owned = _owned_domains(db, account_id)
    adder = store if store is not None else SqlUsageStore(db)
    sink = progress if progress is not None else NoProgress()
    reports = []
    for path, region in zip(paths, file_regions, strict=True):
        sink.file_started(str(path))
        parse = make_parser(log_format)
        if isinstance(region, NodeMap):
            aggregator = Aggregator(parse, owned, node_map=region, limits=limits)
        else:
            aggregator = Aggregator(parse, owned, region=region, limits=limits)
        reader = LogReader(path, sink.advanced)
        reports.append(_ingest_file(db, account_id, reader, aggregator, log_format, adder, clock))
    return RunReport(tuple(reports))


def region_source(region: str | None, node_map: Path | None) -> RegionSource:
    """The region source the CLI options name: exactly one of a region code and a node map."""
    if (region is None) == (node_map is None):
        raise LogIngestError("give exactly one of --region and --node-map")
    if node_map is not None:
        return NodeMap.load(node_map)
    assert region is not None
    try:
        return FixedRegion(region_id(region))
    except KeyError:
        raise LogIngestError(f"region {region!r} is not one of {' '.join(REGIONS)}") from None


def _file_regions(
    paths: Sequence[Path], log_format: LogFormat, regions: RegionSource
) -> list[int | NodeMap]:
    """The region of each file's lines, or the node map where each line's node decides it."""
    if isinstance(regions, FixedRegion):
        return [regions.region] * len(paths)
    if log_format in NODE_FIELD_FORMATS:
        return [regions] * len(paths)
    found = [regions.region_of_file(path) for path in paths]
    unmatched = [str(path) for path, region in zip(paths, found, strict=True) if region is None]
    if unmatched:
        raise LogIngestError(
            f"{log_format} lines do not name their serving node, so each file is mapped by its "
            f"name, and no rule of the node map matches {', '.join(unmatched)}"
        )
    return [region for region in found if region is not None]


def _owned_domains(db: Database, account_id: int) -> dict[str, int]:
    with db.read() as conn:
        rows = conn.execute(
            select(domain.c.name, domain.c.id).where(domain.c.account_id == account_id)
        )
        return {str(row.name).lower(): int(row.id) for row in rows}


def _ingest_file(
    db: Database,
    account_id: int,
    reader: LogReader,
    aggregator: Aggregator,
    log_format: LogFormat,
    adder: SampleAdder,
    clock: Clock,
) -> FileReport:
    path = str(reader.path)
    try:
        for block in reader.blocks():
            aggregator.consume(block)
    except UnreadableLog as exc:
        return FileReport(path, FileStatus.REJECTED, str(exc), lines=aggregator.lines)
    seen = FileReport(
        path,
        FileStatus.NOTHING_TO_ADD,
        digest=reader.hexdigest(),
        lines=aggregator.lines,
        malformed=aggregator.malformed,
        examples=aggregator.examples,
        skipped=aggregator.skipped(),
        skipped_lines=aggregator.skipped_lines,
    )
    if aggregator.lines and aggregator.malformed == aggregator.lines:
        message = f"no line is in the {log_format} format; is --format right?"
        return replace(seen, status=FileStatus.REJECTED, message=message)
    samples = aggregator.samples()
    if len(samples) == 0:
        return seen
    totals = _domain_totals(samples)
    log = LogFile(seen.digest, path, aggregator.lines)
    with db.write() as conn:
        claimed = claim_domains(conn, account_id, log, totals, int(clock.now()))
        added = samples.take(np.flatnonzero(np.isin(samples.domain_id, sorted(claimed))))
        written = adder.add(conn, added) if len(added) else 0
    if not claimed:
        return replace(seen, status=FileStatus.ALREADY_INGESTED, domains_before=len(totals))
    return replace(
        seen,
        status=FileStatus.INGESTED,
        samples=written,
        domains_added=len(claimed),
        domains_before=len(totals) - len(claimed),
        traffic_bytes=int(added.traffic_bytes.sum()),
        https_requests=int(added.static_https.sum()),
        first_slot=int(added.ts.min()),
        last_slot=int(added.ts.max()),
    )


def _domain_totals(samples: SampleBatch) -> Mapping[int, tuple[int, int]]:
    """Traffic bytes and static HTTPS requests per domain id."""
    ids, inverse = np.unique(samples.domain_id, return_inverse=True)
    traffic = np.zeros(len(ids), dtype=np.int64)
    requests = np.zeros(len(ids), dtype=np.int64)
    np.add.at(traffic, inverse, samples.traffic_bytes)
    np.add.at(requests, inverse, samples.static_https)
    return {
        int(i): (int(t), int(r))
        for i, t, r in zip(ids.tolist(), traffic.tolist(), requests.tolist(), strict=True)
    }
