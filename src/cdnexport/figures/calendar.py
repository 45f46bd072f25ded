"""Slot and bucket boundaries: fixed intervals in UTC, days and months in an IANA zone."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import numpy as np

from cdnexport.domain.task import SLOT_SECONDS
from cdnexport.usage.series import Int64Array

DAY_SECONDS = 86400
Cycle = Literal["day", "month"]


def day_start(epoch: int, zone: str) -> int:
    """The start (epoch seconds) of the calendar day of ``zone`` that holds ``epoch``."""
    tz = ZoneInfo(zone)
    local = datetime.fromtimestamp(epoch, tz)
    return _local_midnight(local.year, local.month, local.day, tz)


def month_start(epoch: int, zone: str) -> int:
    """The start of the calendar month of ``zone`` that holds ``epoch``."""
    tz = ZoneInfo(zone)
    local = datetime.fromtimestamp(epoch, tz)
    return _local_midnight(local.year, local.month, 1, tz)


def next_day(day: int, zone: str) -> int:
    """The start of the day after the one starting at ``day`` (23 or 25 hours on DST days)."""
    tz = ZoneInfo(zone)
    local = datetime.fromtimestamp(day, tz) + timedelta(days=1, hours=12)
    return _local_midnight(local.year, local.month, local.day, tz)


def next_month(month: int, zone: str) -> int:
    """The start of the month after the one starting at ``month``."""
    tz = ZoneInfo(zone)
    local = datetime.fromtimestamp(month, tz)
    year, number = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
    return _local_midnight(year, number, 1, tz)


def cycle_start(epoch: int, cycle: Cycle, zone: str) -> int:
    """The start of the day or month holding ``epoch``."""
    return day_start(epoch, zone) if cycle == "day" else month_start(epoch, zone)


def next_cycle(start: int, cycle: Cycle, zone: str) -> int:
    return next_day(start, zone) if cycle == "day" else next_month(start, zone)


def cycle_edges(start: int, end: int, cycle: Cycle, zone: str) -> list[int]:
    """Starts of every cycle meeting [start, end), then the end of the last one."""
    edges = [cycle_start(start, cycle, zone)]
    while edges[-1] < end:
        edges.append(next_cycle(edges[-1], cycle, zone))
    return edges


def bucket_edges(start: int, end: int, interval: int, zone: str) -> Int64Array:
    """Starts of the buckets of ``interval`` seconds that cover [start, end), then their end.

    300 and 3600 are fixed UTC steps from ``start`` (which the caller aligns); 86400 follows the
    calendar days of ``zone``, so a bucket is 23 or 25 hours on a DST change.
    """
    if interval == DAY_SECONDS:
        return np.asarray(cycle_edges(start, end, "day", zone), dtype=np.int64)
    count = -(-(end - start) // interval)
    return np.arange(start, start + (count + 1) * interval, interval, dtype=np.int64)


def align_down(epoch: int, interval: int, zone: str) -> int:
    """``epoch`` floored to its 5-minute slot, hour (UTC) or day (``zone``)."""
    if interval == DAY_SECONDS:
        return day_start(epoch, zone)
    return epoch - epoch % interval


def align_up(epoch: int, interval: int, zone: str) -> int:
    """``epoch`` raised to the next boundary of ``interval`` unless it lies on one."""
    floor = align_down(epoch, interval, zone)
    if floor == epoch:
        return epoch
    return next_day(floor, zone) if interval == DAY_SECONDS else floor + interval


def slot_count(start: int, end: int) -> int:
    """How many 5-minute slots [start, end) holds (both on slot boundaries)."""
    return max(0, (end - start) // SLOT_SECONDS)


def _local_midnight(year: int, month: int, day: int, tz: ZoneInfo) -> int:
    """Epoch of 00:00 local on that date; where midnight does not exist (a DST jump), the
    first instant of the day."""
    naive = datetime(year, month, day)
    moment = naive.replace(tzinfo=tz)
    epoch = int(moment.timestamp())
    # A skipped midnight maps into the previous day; step forward to the first real instant.
    while datetime.fromtimestamp(epoch, tz).date() < naive.date():
        epoch += SLOT_SECONDS
    return epoch
