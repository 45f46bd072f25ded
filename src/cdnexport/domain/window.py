"""Time-window rules of CreateUsageDetailDataExportTask."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

from cdnexport import errors

_ISO_Z = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$")
MAX_SPAN_SECONDS = 31 * 86400
MAX_AGE_SECONDS = 365 * 86400


def parse_utc(value: str) -> int | None:
    """Epoch seconds of a ``YYYY-MM-DDThh:mm:ssZ`` string, or None when it is not one."""
    if not _ISO_Z.match(value):
        return None
    try:
        moment = datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None
    return int(moment.timestamp())


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
