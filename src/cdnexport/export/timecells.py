"""Excel serial day numbers of a window's 5-minute slots as wall-clock times in an IANA zone.

Hand-written because the conversion is one formula: Excel stores a local time as days since
1899-12-30, and 1970-01-01 is serial 25569.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from cdnexport.domain.window import slot_range

UNIX_EPOCH_SERIAL = 25569
SECONDS_PER_DAY = 86400


def slot_serials(start: int, end: int, time_zone: str) -> npt.NDArray[np.float64]:
    """One serial per slot of ``slot_range(start, end)``, each shifted by its own UTC offset.

    The offset is looked up per slot so that a window crossing a DST change is right on both
    sides; a 31-day window has 8,928 slots, a few milliseconds of lookups done once per export.
    """
    zone = ZoneInfo(time_zone)
    slots = slot_range(start, end)
    epochs = np.fromiter(slots, dtype=np.int64, count=len(slots))
    offsets = np.fromiter(
        (_offset_seconds(epoch, zone) for epoch in slots), dtype=np.int64, count=len(slots)
    )
    serials: npt.NDArray[np.float64] = (epochs + offsets) / SECONDS_PER_DAY + UNIX_EPOCH_SERIAL
    return serials


def _offset_seconds(epoch: int, zone: ZoneInfo) -> int:
    offset = datetime.fromtimestamp(epoch, zone).utcoffset()
    return 0 if offset is None else int(offset.total_seconds())
