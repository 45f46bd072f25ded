"""Checking usage-file rows, whatever the container: header rules and one row parser.

Hand-written rather than a schema library because every rejection must name its line and say
what is wrong in the user's terms, and the per-row cost has to stay at a few microseconds.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime

import numpy as np

from cdnexport.domain.regions import REGION_ID, REGIONS
from cdnexport.domain.task import SLOT_SECONDS
from cdnexport.domain.window import parse_utc
from cdnexport.usage.samples import SampleBatch

#: File columns: time, domain and region are required, a missing metric column reads as 0.
COLUMNS: tuple[str, ...] = (
    "time",
    "domain",
    "region",
    "traffic_bytes",
    "static_https_requests",
    "dynamic_http_requests",
    "dynamic_https_requests",
)
REQUIRED = COLUMNS[:3]
METRIC_COLUMNS = COLUMNS[3:]
_MAX_COUNT = 2**63 - 1
_TIME = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(Z|\+00:00)")


class IngestError(ValueError):
    """A file was rejected; ``line`` is 1-based (a CSV header is line 1, a Parquet file counts
    data rows from 1) and 0 when the file as a whole is at fault."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}" if line else message)
        self.line = line
        self.message = message


def header_columns(header: Iterable[str], line: int) -> tuple[str, ...]:
    """The column names of a header, checked: known, unique, the required ones present."""
    names = tuple(str(name).strip().lstrip("\ufeff").lower() for name in header)
    expected = ",".join(COLUMNS)
    if not any(name in COLUMNS for name in names):
        raise IngestError(
            line, f"missing header: the first line must name the columns ({expected})"
        )
    unknown = [name for name in names if name not in COLUMNS]
    if unknown:
        listed = ", ".join(repr(name) for name in unknown)
        raise IngestError(line, f"unknown column {listed}; the columns are {expected}")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise IngestError(line, f"column {repeated[0]!r} appears more than once")
    missing = [name for name in REQUIRED if name not in names]
    if missing:
        raise IngestError(line, f"missing required column {', '.join(missing)}")
    return names


class RowParser:
    """Turns rows of raw values (text from CSV, typed values from Parquet) into samples."""

    def __init__(self, columns: Sequence[str], owned: Mapping[str, int]) -> None:
        """``columns`` as returned by ``header_columns``; ``owned`` maps lower-case domain names
        of the account to their ids."""
        self._width = len(columns)
        self._time = columns.index("time")
        self._domain = columns.index("domain")
        self._region = columns.index("region")
        self._owned = owned
        self._times: dict[object, int] = {}
        self._domains: dict[object, int] = {}
        self._regions: dict[object, int] = {}
        self._columns = [array("q") for _ in range(7)]
        self._metric_slots = [
            (self._columns[3 + i], columns.index(name) if name in columns else -1, name)
            for i, name in enumerate(METRIC_COLUMNS)
        ]
        self.lines: list[int] = []

    def add(self, values: Sequence[object], line: int) -> None:
        """Check one row and keep it; raise ``IngestError`` naming ``line`` when it is bad."""
        if len(values) != self._width:
            raise IngestError(line, f"expected {self._width} fields, found {len(values)}")
        # Times, domains and regions repeat across rows, so each raw value is checked once.
        raw = values[self._time]
        try:
            ts = self._times[raw]
        except (KeyError, TypeError):
            ts = self._times[raw] = _parse_time(raw, line)
        raw = values[self._domain]
        try:
            domain_id = self._domains[raw]
        except (KeyError, TypeError):
            domain_id = self._domains[raw] = self._domain_id(raw, line)
        raw = values[self._region]
        try:
            region = self._regions[raw]
        except (KeyError, TypeError):
            region = self._regions[raw] = _region_id(raw, line)
        columns = self._columns
        columns[0].append(domain_id)
        columns[1].append(region)
        columns[2].append(ts)
        for column, at, name in self._metric_slots:
            raw = values[at] if at >= 0 else None
            # Plain digit strings (the CSV case) take the short path; 18 digits fit in int64.
            if type(raw) is str and raw.isdigit() and raw.isascii() and len(raw) <= 18:
                column.append(int(raw))
            else:
                column.append(_count(raw, name, line))
        self.lines.append(line)

    def batch(self) -> SampleBatch:
        return SampleBatch(*(np.frombuffer(c, dtype=np.int64).copy() for c in self._columns))

    def _domain_id(self, value: object, line: int) -> int:
        name = value.strip().lower() if isinstance(value, str) else None
        domain_id = self._owned.get(name) if name else None
        if domain_id is None:
            raise IngestError(line, f"domain {value!r} is not a domain of this account")
        return domain_id


def _parse_time(value: object, line: int) -> int:
    """Epoch seconds of a slot start: ISO-8601 text in UTC, or a datetime (naive is UTC)."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        ts = moment.timestamp()
        if ts != int(ts):
            raise IngestError(line, f"time {value} is not aligned to a 5-minute slot")
        epoch = int(ts)
    elif isinstance(value, str):
        match = _TIME.fullmatch(value.strip())
        parsed = parse_utc(match.group(1) + "Z") if match else None
        if parsed is None:
            raise IngestError(
                line, f"time {value!r} is not an ISO-8601 UTC time like 2024-05-01T00:05:00Z"
            )
        epoch = parsed
    else:
        raise IngestError(line, f"time {value!r} is not an ISO-8601 UTC time")
    if epoch % SLOT_SECONDS:
        raise IngestError(line, f"time {value} is not aligned to a 5-minute slot")
    return epoch


def _region_id(value: object, line: int) -> int:
    region = REGION_ID.get(value.strip().upper()) if isinstance(value, str) else None
    if region is None:
        raise IngestError(line, f"region {value!r} is not one of {' '.join(REGIONS)}")
    return region


def _count(value: object, column: str, line: int) -> int:
    """A metric value: a non-negative integer, with empty or null meaning 0."""
    if value is None:
        return 0
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return 0
        if text.isascii() and text.isdigit():
            number = int(text)
        elif text.startswith("-") and text[1:].isascii() and text[1:].isdigit():
            raise IngestError(line, f"{column} {value!r} is negative")
        else:
            raise IngestError(line, f"{column} {value!r} is not a non-negative integer")
    elif isinstance(value, int) and not isinstance(value, bool):
        number = value
        if number < 0:
            raise IngestError(line, f"{column} {value!r} is negative")
    else:
        raise IngestError(line, f"{column} {value!r} is not a non-negative integer")
    if number > _MAX_COUNT:
        raise IngestError(line, f"{column} {value!r} is too large")
    return number
