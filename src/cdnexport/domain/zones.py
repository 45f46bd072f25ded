"""IANA time zone names as the service accepts them: exactly the zones tzdata knows.

``ZoneInfo(name)`` alone is no check: it opens files named after its argument, so a folder
name (``Asia``) or an over-long name raises ``OSError`` rather than a lookup failure.
"""

from __future__ import annotations

import functools
import zoneinfo

#: The longest zone name tzdata has is about 30 characters.
MAX_ZONE_NAME = 64


@functools.cache
def _known() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def is_zone_name(text: str) -> bool:
    """Whether ``text`` names a time zone (``UTC``, ``Asia/Shanghai``...), case as tzdata has it."""
    return len(text) <= MAX_ZONE_NAME and text in _known()
