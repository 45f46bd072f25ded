from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfoNotFoundError

import numpy as np
import pytest

from cdnexport.export.timecells import slot_serials
from tests.unit.export.samples import JAN_1, serial_to_datetime, utc


def local_times(start: int, end: int, zone: str) -> list[datetime]:
    return [serial_to_datetime(serial) for serial in slot_serials(start, end, zone).tolist()]


def test_utc_serials_count_days_since_1899_12_30() -> None:
    serials = slot_serials(JAN_1, JAN_1 + 900, "UTC")
    assert serials.dtype == np.float64
    # 2024-01-01 is serial 45292; slots are 300 s = 1/288 day apart.
    assert serials.tolist() == [45292.0, 45292 + 300 / 86400, 45292 + 600 / 86400]


def test_shanghai_is_eight_hours_ahead() -> None:
    assert local_times(utc("2024-06-30 23:55"), utc("2024-07-01 00:05"), "Asia/Shanghai") == [
        datetime(2024, 7, 1, 7, 55),
        datetime(2024, 7, 1, 8, 0),
    ]


def test_berlin_skips_an_hour_when_summer_time_starts() -> None:
    # 2024-03-31 01:00 UTC: CET (+1) becomes CEST (+2).
    assert local_times(utc("2024-03-31 00:50"), utc("2024-03-31 01:10"), "Europe/Berlin") == [
        datetime(2024, 3, 31, 1, 50),
        datetime(2024, 3, 31, 1, 55),
        datetime(2024, 3, 31, 3, 0),
        datetime(2024, 3, 31, 3, 5),
    ]


def test_berlin_repeats_an_hour_when_summer_time_ends() -> None:
    # 2024-10-27 01:00 UTC: CEST (+2) becomes CET (+1).
    assert local_times(utc("2024-10-27 00:55"), utc("2024-10-27 01:05"), "Europe/Berlin") == [
        datetime(2024, 10, 27, 2, 55),
        datetime(2024, 10, 27, 2, 0),
    ]


def test_slots_start_on_five_minute_boundaries() -> None:
    assert local_times(JAN_1 + 120, JAN_1 + 900, "UTC") == [
        datetime(2024, 1, 1, 0, 5),
        datetime(2024, 1, 1, 0, 10),
    ]


def test_a_window_without_slots_is_empty() -> None:
    assert len(slot_serials(JAN_1 + 1, JAN_1 + 300, "UTC")) == 0


def test_a_31_day_window_has_one_serial_per_slot() -> None:
    serials = slot_serials(JAN_1, JAN_1 + 31 * 86400, "Asia/Shanghai")
    assert len(serials) == 8928
    assert serial_to_datetime(float(serials[-1])) == datetime(2024, 2, 1, 7, 55)


def test_unknown_zone_is_an_error() -> None:
    with pytest.raises(ZoneInfoNotFoundError):
        slot_serials(JAN_1, JAN_1 + 300, "Mars/Olympus_Mons")
