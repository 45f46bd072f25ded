"""The arithmetic every figure shares: bandwidth of a slot, peaks and the 95th percentile.

Values stay integers (bytes, requests) until shown, so that every consumer (workbook summary,
usage queries, PDF, console) agrees with the stored samples to the byte.
"""

from __future__ import annotations

import numpy as np

from cdnexport.domain.task import SLOT_SECONDS
from cdnexport.usage.series import Int64Array


def bandwidth_bps(traffic_bytes: int) -> float:
    """The average bandwidth of one 5-minute slot in bit/s: bytes × 8 / 300."""
    return float(traffic_bytes) * 8.0 / SLOT_SECONDS


def average_bps(traffic_bytes: int, slots: int) -> float:
    """Total traffic spread evenly over ``slots`` slots: bytes × 8 / (300 × slots), rounded once."""
    return traffic_bytes * 8 / (SLOT_SECONDS * slots)


def dropped_slots(slots: int) -> int:
    """How many of the highest slots the 95th-percentile rule drops: floor(slots × 0.05)."""
    return slots // 20


def percentile95(values: Int64Array) -> int:
    """The highest value left after dropping the ``dropped_slots`` highest; zeros count."""
    return percentile95_at(values)[0]


def percentile95_at(values: Int64Array) -> tuple[int, int]:
    """The 95th-percentile value and the position of the slot holding it.

    Slots are ranked by value, highest first, equal values earliest first; the rule drops the
    first ``dropped_slots`` and bills the next one (the 433rd of a 30-day month's 8,640).
    """
    count = len(values)
    if count == 0:
        raise ValueError("the 95th percentile of no slots is undefined")
    order = np.argsort(-values, kind="stable")
    where = int(order[dropped_slots(count)])
    return int(values[where]), where


def peak_at(values: Int64Array) -> tuple[int, int]:
    """The highest value and the position of the earliest slot holding it; (0, 0) when empty."""
    if len(values) == 0:
        return 0, 0
    where = int(np.argmax(values))
    return int(values[where]), where
