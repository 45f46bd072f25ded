"""Billing regions, in the order workbooks list them, with their localized names."""

from __future__ import annotations

from typing import Final

#: Region codes; the index of a code is its stored small-integer id and its sort order.
REGIONS: Final[tuple[str, ...]] = ("CN", "AP1", "AP2", "AP3", "NA", "EU", "MEAA", "SA")
REGION_ID: Final[dict[str, int]] = {code: i for i, code in enumerate(REGIONS)}

REGION_NAMES: Final[dict[str, tuple[str, ...]]] = {
    "zh-cn": ("中国内地", "亚太1区", "亚太2区", "亚太3区", "北美", "欧洲", "中东非洲", "南美"),
    "en-us": (
        "Chinese Mainland",
        "Asia Pacific 1",
        "Asia Pacific 2",
        "Asia Pacific 3",
        "North America",
        "Europe",
        "Middle East and Africa",
        "South America",
    ),
}


def region_id(code: str) -> int:
    """The stored id of a region code (case-insensitive); KeyError when unknown."""
    return REGION_ID[code.strip().upper()]
