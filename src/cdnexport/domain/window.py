"""Time-window rules of CreateUsageDetailDataExportTask."""

from __future__ import annotations

import calendar
import re
import time

from cdnexport import errors

_ISO_Z = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})Z")
MAX_SPAN_SECONDS = 31 * 86400
MAX_AGE_SECONDS = 365 * 86400


def parse_utc(value: str) -> int | None:
    """Epoch seconds of a ``YYYY-MM-DDThh:mm:ssZ`` string, or None when it is not one."""
    # The fields straight into calendar.timegm: every call's Timestamp goes through here, and
    # strptime cost 15-20 µs of it.
    found = _ISO_Z.fullmatch(value)
    if found is None:
        return None
    year, month, day, hour, minute, second = map(int, found.groups())
    if not (
        year >= 1
        and 1 <= month <= 12
        and 1 <= day <= calendar.monthrange(year, month)[1]
        and hour < 24
        and minute < 60
        and second < 60
    ):
        return None
    return calendar.timegm((year, month, day, hour, minute, second))


def format_utc(epoch: int) -> str:
    """The ``YYYY-MM-DDThh:mm:ssZ`` form of epoch seconds."""
    # time.strftime over gmtime: a quarter of datetime's cost, and Describe formats four times
    # per listed task.
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def validate_window(start_text: str | None, end_text: str | None, now: int) -> tuple[int, int]:
    """Check StartTime/EndTime as the API does and return them as epoch seconds."""
    if not start_text or not end_text:
        raise errors.MissingTimeParameter()
    start = parse_utc(start_text)
    if start is None:
        raise errors.MalformedTime("StartTime")
    end = parse_utc(end_text)
    if end is None:
        raise errors.MalformedTime("EndTime")
    if start < now - MAX_AGE_SECONDS:
        raise errors.TimeNotSupported("StartTime", "Data older than 365 days cannot be exported.")
    if start > now:
        raise errors.TimeNotSupported("StartTime", "StartTime lies in the future.")
    if end <= start:
        raise errors.InvalidTimeRange("EndTime must be later than StartTime.")
    if end - start > MAX_SPAN_SECONDS:
        raise errors.InvalidTimeRange("One task spans at most 31 days.")
    return start, end


def slot_range(start: int, end: int) -> range:
    """Start times of the 5-minute slots whose start lies in [start, end)."""
    first = -(-start // 300) * 300
    return range(first, end, 300)
