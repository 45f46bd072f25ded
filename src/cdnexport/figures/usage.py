"""Usage figures of a set of domains over a window: the per-bucket series, total, peak and 95th
percentile, split per billing region and (on request) per domain.

This is what the usage-query actions answer from, and what the console and the PDF draw; the
arithmetic is ``cdnexport.figures.maths``, shared with the workbook summary.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

import numpy as np

from cdnexport.domain.regions import REGIONS
from cdnexport.domain.task import SLOT_SECONDS, ExportType
from cdnexport.figures.calendar import Cycle, bucket_edges, cycle_edges, slot_count
from cdnexport.figures.maths import peak_at, percentile95_at
from cdnexport.usage.query import UsageQuery, UsageSource
from cdnexport.usage.series import METRICS, Int64Array

#: Stored request counters, in store order.
REQUEST_COLUMNS: tuple[str, ...] = METRICS[ExportType.VAS]
ALL_REGIONS: frozenset[int] = frozenset(range(len(REGIONS)))
MAINLAND: frozenset[int] = frozenset({REGIONS.index("CN")})
OVERSEAS: frozenset[int] = ALL_REGIONS - MAINLAND


@dataclass(frozen=True, slots=True)
class Quantity:
    """What is measured: ``bps`` (bit/s from traffic), ``traf`` (bytes) or ``acc`` (requests of
    the stored counters in ``columns``).

    Values stay in the stored unit (bytes for bps and traf); ``shown`` turns one into bit/s.
    Within a coarse bucket bps takes the peak of the 5-minute values, traf and acc the sum.
    """

    kind: str
    columns: tuple[str, ...]

    @property
    def peaks(self) -> bool:
        return self.kind == "bps"

    def shown(self, value: int) -> float | int:
        """The value as reported: bit/s (a float) for bps, else the integer itself."""
        return value * 8 / SLOT_SECONDS if self.kind == "bps" else value


BPS = Quantity("bps", ("traffic_bytes",))
TRAFFIC = Quantity("traf", ("traffic_bytes",))


def requests(columns: Sequence[str]) -> Quantity:
    """The sum of some stored request counters (``REQUEST_COLUMNS``)."""
    unknown = set(columns) - set(REQUEST_COLUMNS)
    if unknown or not columns:
        raise ValueError(f"unknown request counters {sorted(unknown)}")
    return Quantity("acc", tuple(c for c in REQUEST_COLUMNS if c in columns))


@dataclass(frozen=True)
class UsageSlots:
    """The 5-minute values of a quantity from ``start`` on, one array of ``slots`` per region
    with data (absent regions are zeros), and per domain and region when read per domain."""

    quantity: Quantity
    start: int
    slots: int
    regions: dict[int, Int64Array]
    domains: dict[str, dict[int, Int64Array]] = field(default_factory=dict)

    def load(self, regions: Collection[int] = ALL_REGIONS) -> Int64Array:
        """The sum over ``regions``, one value per slot."""
        total = np.zeros(self.slots, dtype=np.int64)
        for region, values in self.regions.items():
            if region in regions:
                total += values
        return total

    def domain_load(self, name: str, regions: Collection[int] = ALL_REGIONS) -> Int64Array:
        total = np.zeros(self.slots, dtype=np.int64)
        for region, values in self.domains.get(name, {}).items():
            if region in regions:
                total += values
        return total


def read_slots(
    source: UsageSource,
    domain_ids: Sequence[int],
    start: int,
    end: int,
    quantity: Quantity,
    *,
    per_domain: bool = False,
) -> UsageSlots:
    """Read the quantity of ``domain_ids`` over [start, end) (slot boundaries) from the store,
    merged per region; also per domain when ``per_domain``."""
    count = slot_count(start, end)
    export_type = ExportType.FLOW if quantity.kind != "acc" else ExportType.VAS
    positions = [METRICS[export_type].index(c) for c in quantity.columns]
    query = UsageQuery(
        export_type,
        start,
        start + count * SLOT_SECONDS,
        tuple(domain_ids),
        None if per_domain else "",
    )
    regions: dict[int, Int64Array] = {}
    domains: dict[str, dict[int, Int64Array]] = {}
    if count == 0 or not domain_ids:
        return UsageSlots(quantity, start, count, regions, domains)
    for series in source.iter_series(query):
        values = series.values[positions[0]].copy()
        for position in positions[1:]:
            values += series.values[position]
        if per_domain:
            domains.setdefault(series.label, {})[series.region] = values
        merged = regions.get(series.region)
        if merged is None:
            regions[series.region] = values if not per_domain else values.copy()
        else:
            merged += values
    return UsageSlots(quantity, start, count, regions, domains)


def data_watermark(source: UsageSource, domain_ids: Sequence[int], now: int) -> int | None:
    """The end of the newest stored slot of ``domain_ids``, never past ``now`` floored to a slot;
    None when they have no sample at all. Slots from here on are not reported."""
    newest = source.newest_sample(domain_ids)
    if newest is None:
        return None
    return min(newest + SLOT_SECONDS, now - now % SLOT_SECONDS)


@dataclass(frozen=True)
class Buckets:
    """A series in buckets: their starts, the value of each (the peak of its 5-minute values
    for bps, the sum otherwise), the time of its 5-minute peak, and each bucket's sum."""

    starts: Int64Array
    values: Int64Array
    peak_times: Int64Array
    totals: Int64Array

    def __len__(self) -> int:
        return len(self.starts)


def buckets(load: Int64Array, start: int, edges: Int64Array, quantity: Quantity) -> Buckets:
    """Group the 5-minute ``load`` (first slot at ``start``) into the buckets ``edges`` (starts
    then end, from ``bucket_edges``); buckets from the end of ``load`` on are dropped, the last
    one may be partial. Ties for a peak go to the earliest slot."""
    times = start + SLOT_SECONDS * np.arange(len(load), dtype=np.int64)
    kept = edges[:-1][edges[:-1] < start + SLOT_SECONDS * len(load)]
    if len(load) == 0 or len(kept) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Buckets(empty, empty, empty, empty)
    first = np.searchsorted(times, kept, side="left")
    totals = np.add.reduceat(load, first)
    peaks = np.maximum.reduceat(load, first)
    bucket_of = np.repeat(np.arange(len(first)), np.diff(np.append(first, len(load))))
    position = np.where(load == peaks[bucket_of], np.arange(len(load)), len(load))
    peak_times = times[np.minimum.reduceat(position, first)]
    values = peaks if quantity.peaks else totals
    return Buckets(kept.astype(np.int64), values, peak_times, totals)


@dataclass(frozen=True, slots=True)
class Stat:
    """Figures of one 5-minute series over ``slots`` slots (zeros count, up to the watermark)."""

    slots: int
    total: int
    peak: int
    peak_time: int
    p95: int
    p95_time: int


def stat(load: Int64Array, start: int) -> Stat | None:
    """Total, peak and 95th percentile (with the start times of their slots); None for no slot."""
    if len(load) == 0:
        return None
    peak, where = peak_at(load)
    p95, rank_where = percentile95_at(load)
    return Stat(
        slots=len(load),
        total=int(load.sum()),
        peak=peak,
        peak_time=start + where * SLOT_SECONDS,
        p95=p95,
        p95_time=start + rank_where * SLOT_SECONDS,
    )


@dataclass(frozen=True)
class UsageFigures:
    """Everything a usage page or answer shows of one window.

    ``series`` is the merged series of the selected regions in buckets; ``overall`` their
    figures over the 5-minute slots; ``regions`` the figures of every selected region with
    data, in region order; ``domains`` those of every domain with data (when read per domain).
    """

    quantity: Quantity
    interval: int
    start: int
    #: Where the reported slots stop: min(window end, watermark).
    end: int
    series: Buckets
    overall: Stat | None
    regions: tuple[tuple[int, Stat], ...]
    domains: tuple[tuple[str, Stat], ...]


def usage_figures(
    slots: UsageSlots,
    *,
    end: int,
    interval: int,
    zone: str,
    regions: Collection[int] = ALL_REGIONS,
    watermark: int | None,
) -> UsageFigures:
    """Figures of ``slots`` over [slots.start, end) cut at ``watermark`` (None: no data, so no
    slot), bucketed by ``interval`` (300, 3600, or 86400 = days of ``zone``)."""
    stop = min(end, slots.start + slots.slots * SLOT_SECONDS)
    stop = slots.start if watermark is None else max(slots.start, min(stop, watermark))
    count = slot_count(slots.start, stop)
    load = slots.load(regions)[:count]
    edges = bucket_edges(slots.start, max(stop, slots.start + 1), interval, zone)
    per_region = []
    for region in sorted(slots.regions):
        if region in regions:
            found = stat(slots.regions[region][:count], slots.start)
            if found is not None:
                per_region.append((region, found))
    per_domain = []
    for name in sorted(slots.domains):
        found = stat(slots.domain_load(name, regions)[:count], slots.start)
        if found is not None:
            per_domain.append((name, found))
    return UsageFigures(
        quantity=slots.quantity,
        interval=interval,
        start=slots.start,
        end=stop,
        series=buckets(load, slots.start, edges, slots.quantity),
        overall=stat(load, slots.start),
        regions=tuple(per_region),
        domains=tuple(per_domain),
    )


def largest(
    entries: Sequence[tuple[str, Stat]], count: int, *, by: str = "total"
) -> list[tuple[str, Stat]]:
    """The ``count`` entries with the highest ``by`` (``total``, ``peak`` or ``p95``), ties by
    name: the top-20 domains of a report."""
    return sorted(entries, key=lambda entry: (-getattr(entry[1], by), entry[0]))[:count]


@dataclass(frozen=True, slots=True)
class CyclePercentile:
    """The 95th percentile of one day or month (cut at the watermark) and its slot's start."""

    start: int
    end: int
    slots: int
    p95: int
    p95_time: int


def cycle_percentiles(
    slots: UsageSlots,
    *,
    cycle: Cycle,
    zone: str,
    regions: Collection[int],
    watermark: int | None,
) -> tuple[CyclePercentile, ...]:
    """The 95th percentile of ``regions`` merged, per day or month of ``zone`` that ``slots``
    covers (a cycle the window cuts counts only its slots inside). Cycles without a slot are
    left out."""
    stop = slots.start + slots.slots * SLOT_SECONDS
    if watermark is not None:
        stop = min(stop, watermark)
    if watermark is None or stop <= slots.start:
        return ()
    load = slots.load(regions)
    edges = cycle_edges(slots.start, stop, cycle, zone)
    found = []
    for low, high in itertools.pairwise(edges):
        first = max(0, (low - slots.start) // SLOT_SECONDS)
        last = min(slot_count(slots.start, stop), (high - slots.start) // SLOT_SECONDS)
        if last <= first:
            continue
        value, where = percentile95_at(load[first:last])
        at = slots.start + (first + where) * SLOT_SECONDS
        found.append(CyclePercentile(low, high, last - first, value, at))
    return tuple(found)
