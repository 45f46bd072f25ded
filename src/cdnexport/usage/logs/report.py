"""What an ingestion run did, per file and in total, and its plain-text summary for the CLI."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from cdnexport.domain.task import SLOT_SECONDS
from cdnexport.domain.window import format_utc
from cdnexport.usage.logs.aggregate import Malformed, Skipped, SkipReason


class FileStatus(enum.StrEnum):
    INGESTED = "ingested"
    ALREADY_INGESTED = "already ingested"  # the same content was added before: nothing added
    NOTHING_TO_ADD = "nothing to add"  # no line counted (empty, or every line skipped)
    REJECTED = "rejected"  # unreadable, or no line parsed: nothing added, nothing recorded


@dataclass(frozen=True, slots=True)
class FileReport:
    """One file's outcome. ``lines`` = malformed + skipped + counted lines; the sample figures
    cover what this run added (domains already added from the same content are left out)."""

    path: str
    status: FileStatus
    message: str = ""
    digest: str = ""
    lines: int = 0
    malformed: int = 0
    examples: tuple[Malformed, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    skipped_lines: int = 0
    samples: int = 0
    domains_added: int = 0
    domains_before: int = 0
    traffic_bytes: int = 0
    https_requests: int = 0
    first_slot: int | None = None
    last_slot: int | None = None

    @property
    def parsed(self) -> int:
        return self.lines - self.malformed

    @property
    def counted(self) -> int:
        return self.parsed - self.skipped_lines


@dataclass(frozen=True, slots=True)
class RunReport:
    files: tuple[FileReport, ...]

    @property
    def rejected(self) -> tuple[FileReport, ...]:
        return tuple(f for f in self.files if f.status is FileStatus.REJECTED)

    @property
    def first_slot(self) -> int | None:
        return min((f.first_slot for f in self.files if f.first_slot is not None), default=None)

    @property
    def last_slot(self) -> int | None:
        return max((f.last_slot for f in self.files if f.last_slot is not None), default=None)


def render_report(run: RunReport) -> list[str]:
    """Human-readable lines: each file, its malformed and skipped lines, then the totals."""
    out: list[str] = []
    for file in run.files:
        out.extend(_render_file(file))
    files = run.files
    skipped = [s for f in files for s in f.skipped]
    for_domains = sum(s.lines for s in skipped if s.reason is SkipReason.DOMAIN)
    for_nodes = sum(s.lines for s in skipped if s.reason is SkipReason.NODE)
    out.append(
        f"total: {len(files)} file(s), {sum(f.lines for f in files):,} lines, "
        f"{sum(f.parsed for f in files):,} parsed, {sum(f.malformed for f in files):,} malformed, "
        f"{for_domains:,} skipped for domains, {for_nodes:,} skipped for nodes, "
        f"{sum(f.samples for f in files):,} samples written, "
        f"{sum(f.traffic_bytes for f in files):,} bytes, "
        f"{sum(f.https_requests for f in files):,} HTTPS requests, "
        f"time range {_span(run.first_slot, run.last_slot)}"
    )
    if run.rejected:
        out.append(f"{len(run.rejected)} file(s) rejected: nothing of them was added")
    return out


def _render_file(file: FileReport) -> list[str]:
    head = f"{file.path}: {file.status}"
    if file.message:
        head += f" ({file.message})"
    out = [head]
    if file.status is FileStatus.REJECTED and not file.lines:
        return out
    out.append(
        f"  {file.lines:,} lines: {file.counted:,} counted, {file.malformed:,} malformed, "
        f"{file.skipped_lines:,} skipped"
    )
    if file.samples:
        out.append(
            f"  {file.samples:,} samples for {file.domains_added} domain(s), "
            f"{file.traffic_bytes:,} bytes, {file.https_requests:,} HTTPS requests, "
            f"{_span(file.first_slot, file.last_slot)}"
        )
    if file.domains_before:
        out.append(f"  {file.domains_before} domain(s) already added from this content earlier")
    for bad in file.examples:
        out.append(f"  malformed line {bad.line}: {bad.reason}: {bad.excerpt!r}")
    if file.malformed > len(file.examples):
        out.append(f"  ... and {file.malformed - len(file.examples):,} more malformed line(s)")
    for skip in file.skipped:
        what = (
            f"domain {skip.name} is not a domain of the account"
            if skip.reason is SkipReason.DOMAIN
            else f"node {skip.name!r} matches no rule of the node map"
        )
        out.append(f"  skipped {skip.lines:,} line(s): {what}")
    return out


def _span(first_slot: int | None, last_slot: int | None) -> str:
    if first_slot is None or last_slot is None:
        return "none"
    return f"{format_utc(first_slot)} to {format_utc(last_slot + SLOT_SECONDS)}"
