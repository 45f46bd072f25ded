"""An independent computation of the usage-query answers, in plain Python from raw samples.

It follows the documented rules only (5-minute bps = bytes × 8 / 300; an hour or day of bps is
its highest 5-minute value, at the earliest slot holding it; traffic and requests are sums;
the 95th percentile drops floor(5%) of the highest points and takes the next) and shares no
code with the service.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

SLOT = 300
COLUMNS = ("traffic_bytes", "static_https", "dynamic_http", "dynamic_https")
OVERSEAS = ("AP1", "AP2", "AP3", "NA", "EU", "MEAA", "SA")


@dataclass(frozen=True, slots=True)
class Row:
    domain: str
    region: str
    ts: int
    traffic_bytes: int
    static_https: int
    dynamic_http: int
    dynamic_https: int


def load(
    rows: Iterable[Row],
    domains: Iterable[str],
    regions: Iterable[str],
    columns: Sequence[str],
    start: int,
    end: int,
) -> list[int]:
    """Per 5-minute slot of [start, end): the sum of ``columns`` over the domains and regions."""
    wanted, where = set(domains), set(regions)
    values = [0] * ((end - start) // SLOT)
    for row in rows:
        if row.domain in wanted and row.region in where and start <= row.ts < end:
            values[(row.ts - start) // SLOT] += sum(getattr(row, c) for c in columns)
    return values


def bps(traffic_bytes: int) -> Fraction:
    return Fraction(traffic_bytes * 8, SLOT)


def buckets(values: list[int], start: int, interval: int, peak: bool) -> list[tuple[int, int, int]]:
    """(bucket start, value, peak time) per UTC bucket: the highest 5-minute value or the sum."""
    per = interval // SLOT
    out = []
    for first in range(0, len(values), per):
        part = values[first : first + per]
        top = max(part)
        at = start + SLOT * (first + part.index(top))
        out.append((start + first * SLOT, top if peak else sum(part), at))
    return out


def p95(values: list[int], start: int) -> tuple[int, int]:
    """The billing rule: sort descending, drop floor(n × 5%), take the next; its slot's time."""
    ranked = sorted(range(len(values)), key=lambda i: (-values[i], i))
    where = ranked[len(values) * 5 // 100]
    return values[where], start + SLOT * where


def close(text: str, exact: Fraction) -> bool:
    """A decimal string equal to ``exact`` up to float rounding."""
    return abs(Fraction(text) - exact) <= abs(exact) * Fraction(1, 10**15)
