"""The usage-query rules Alibaba leaves open, decided once here (README: "Usage queries").

Every choice below is a named constant or function that the four usage actions read; the README
table mirrors this module. Times are epoch seconds.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

from cdnexport import errors
from cdnexport.figures.calendar import DAY_SECONDS, align_down, align_up

INTERVALS: Final = (300, 3600, 86400)

#: 1. Alignment: StartTime is floored and EndTime raised to the interval (days of the zone),
#: the end is exclusive. The response echoes the times as the caller sent them.
ECHO_REQUEST_TIMES: Final = True

#: 3. Span and lookback: at most 31 days per query at every interval (the one limit all sources
#: agree on; the store keeps 5-minute samples for its whole retention, so the finer per-interval
#: limits of some pages would refuse data we hold), StartTime at most 366 days back.
MAX_SPAN_SECONDS: Final = 31 * DAY_SECONDS
#: DescribeDomainMax95BpsData documents 90 days.
MAX95_MAX_SPAN_SECONDS: Final = 90 * DAY_SECONDS
LOOKBACK_SECONDS: Final = 366 * DAY_SECONDS
#: DescribeDomainBpsData / TrafficData without times, and Max95 without any time: the last day.
DEFAULT_SPAN_SECONDS: Final = DAY_SECONDS

#: 4. Day and month boundaries (Interval=86400, Max95 Cycle) are those of ``Settings.time_zone``
#: (default UTC, the zone of every API time); Alibaba has no per-request parameter for it.

#: 5. Within an hour or a day bps is the peak of the 5-minute values (bytes × 8 / 300) and
#: PeakTime the start of the earliest 5-minute slot holding it; traf and acc are sums with
#: PeakTime = TimeStamp. SpecialValue repeats Value (no special billing exists here).
SPECIAL_VALUE_REPEATS_VALUE: Final = True

#: 6. Every slot of [start, end) up to the data watermark (the end of the newest stored sample
#: of the caller's domains) is listed, zero when no sample exists; later slots are left out.
ZERO_FILL_UP_TO_WATERMARK: Final = True

#: 8. The response ``Type`` echoes the request's Type (default ``all``), not Field.
DEFAULT_TYPE: Final = "all"

#: 9. At most 100 domains (Bps/Traffic: 500); a foreign, unknown or malformed name gives
#: InvalidDomain.NotFound, the same as a missing one.
MAX_USAGE_DOMAINS: Final = 100
MAX_MONITOR_DOMAINS: Final = 500


def default_usage_interval(span: int) -> int:
    """2. DescribeDomainUsageData without Interval: up to 1 day 300, up to 3 days 3600,
    longer 86400 (the 3-4 day gap of the docs goes to days)."""
    if span <= DAY_SECONDS:
        return 300
    return 3600 if span <= 3 * DAY_SECONDS else 86400


def default_monitor_interval(span: int) -> int:
    """2. DescribeDomainBpsData / TrafficData without Interval: under 3 days 300, then 3600."""
    return 300 if span < 3 * DAY_SECONDS else 3600


def aligned_window(start: int, end: int, interval: int, zone: str) -> tuple[int, int]:
    """1. [start, end) floored and raised to ``interval`` (300 s, 3600 s, or days of ``zone``)."""
    return align_down(start, interval, zone), align_up(end, interval, zone)


def check_window(start: int, end: int, now: int, max_span: int = MAX_SPAN_SECONDS) -> None:
    """3. End after start, span and lookback limits, no start in the future (so every cycle
    and alignment stays inside the calendar), with Alibaba's codes."""
    if end <= start:
        raise errors.EndTimeMismatch()
    if end - start > max_span:
        raise errors.InvalidTimeSpan(max_span // DAY_SECONDS)
    if start > now:
        raise errors.TimeNotSupported("StartTime", "StartTime lies in the future.")
    if start < now - LOOKBACK_SECONDS:
        raise errors.TimeNotSupported(
            "StartTime", f"Data older than {LOOKBACK_SECONDS // DAY_SECONDS} days is not kept."
        )


def decimal_text(value: float) -> str:
    """7. bps as a decimal without exponent: the shortest repr of the float, positional
    (``83.48266666666667``, ``0``); traf and acc are integer strings."""
    if value == int(value):
        return str(int(value))
    return format(Decimal(repr(value)), "f")
