"""The usage-query actions: DescribeDomainUsageData, DescribeDomainMax95BpsData,
DescribeDomainBpsData and DescribeDomainTrafficData, answered from ``cdnexport.figures``."""

from __future__ import annotations

import itertools
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from cdnexport import errors
from cdnexport.api.context import RequestContext
from cdnexport.api.usage_params import Max95Params, MonitorParams, UsageDataParams
from cdnexport.db import accounts
from cdnexport.domain import usage_rules as rules
from cdnexport.domain.task import SLOT_SECONDS
from cdnexport.domain.window import format_utc
from cdnexport.figures.calendar import cycle_edges, cycle_start, next_cycle
from cdnexport.figures.maths import bandwidth_bps
from cdnexport.figures.usage import (
    ALL_REGIONS,
    BPS,
    MAINLAND,
    OVERSEAS,
    TRAFFIC,
    Buckets,
    Quantity,
    UsageSlots,
    data_watermark,
    read_slots,
    stat,
    usage_figures,
)
from cdnexport.usage.series import Int64Array


@dataclass(frozen=True, slots=True)
class Scope:
    domain_ids: tuple[int, ...]
    #: None when none of the account's domains has any sample.
    watermark: int | None


def _scope(ctx: RequestContext, names: Sequence[str]) -> Scope:
    """The caller's named domains (all of them when none is named) and the data watermark of
    the account; a name the caller does not own is refused like an unknown one."""
    with ctx.services.db.read() as conn:
        every = accounts.all_domain_ids(conn, ctx.account.id)
        if names:
            found = accounts.domain_ids(conn, ctx.account.id, names)
            if found is None:
                raise errors.DomainNotFound()
            ids = tuple(found[name] for name in names)
        else:
            ids = tuple(every)
    return Scope(ids, data_watermark(ctx.services.usage, every, ctx.now))


def _read(
    ctx: RequestContext, scope: Scope, start: int, end: int, quantity: Quantity
) -> UsageSlots:
    """The slots of [start, end) that lie before the watermark (none without data)."""
    stop = start if scope.watermark is None else max(start, min(end, scope.watermark))
    return read_slots(ctx.services.usage, scope.domain_ids, start, stop, quantity)


def _value_text(quantity: Quantity, value: int) -> str:
    if quantity.peaks:
        return rules.decimal_text(bandwidth_bps(value))
    return str(value)


@dataclass(frozen=True)
class UsageDataResult:
    params: UsageDataParams
    interval: int
    series: Buckets

    def to_wire(self) -> dict[str, object]:
        quantity = self.params.quantity
        starts = [format_utc(t) for t in self.series.starts.tolist()]
        if quantity.peaks:
            peaks = [format_utc(t) for t in self.series.peak_times.tolist()]
        else:
            peaks = starts
        values = [_value_text(quantity, v) for v in self.series.values.tolist()]
        modules = [
            {"TimeStamp": ts, "Value": value, "PeakTime": peak, "SpecialValue": value}
            for ts, value, peak in zip(starts, values, peaks, strict=True)
        ]
        return {
            "DomainName": self.params.domain_text,
            "StartTime": self.params.start_text,
            "EndTime": self.params.end_text,
            "Type": self.params.type,
            "Area": self.params.area,
            "DataInterval": str(self.interval),
            "UsageDataPerInterval": {"DataModule": modules},
        }


def usage_data(ctx: RequestContext, params: UsageDataParams) -> UsageDataResult:
    """One merged series of the domains in the billing region(s), per interval."""
    zone = ctx.services.settings.time_zone
    interval = params.interval or rules.default_usage_interval(params.end - params.start)
    start, end = rules.aligned_window(params.start, params.end, interval, zone)
    scope = _scope(ctx, params.domains)
    slots = _read(ctx, scope, start, end, params.quantity)
    figures = usage_figures(
        slots,
        end=end,
        interval=interval,
        zone=zone,
        regions=params.regions,
        watermark=scope.watermark,
    )
    return UsageDataResult(params, interval, figures.series)


@dataclass(frozen=True, slots=True)
class Max95Detail:
    start: int
    area: str
    bps: float
    peak_time: int


@dataclass(frozen=True)
class Max95Result:
    domain_text: str
    start: int
    end: int
    overall: float
    domestic: float
    overseas: float
    details: tuple[Max95Detail, ...]

    def to_wire(self) -> dict[str, object]:
        return {
            "DomainName": self.domain_text,
            "StartTime": format_utc(self.start),
            "EndTime": format_utc(self.end),
            "Max95Bps": rules.decimal_text(self.overall),
            "DomesticMax95Bps": rules.decimal_text(self.domestic),
            "OverseasMax95Bps": rules.decimal_text(self.overseas),
            "DetailData": {
                "Max95Detail": [
                    {
                        "TimeStamp": format_utc(d.start),
                        "Area": d.area,
                        "Max95Bps": d.bps,
                        "Max95BpsPeakTime": format_utc(d.peak_time),
                    }
                    for d in self.details
                ]
            },
        }


def _max95_windows(params: Max95Params, zone: str) -> list[tuple[int, int]]:
    """The windows whose 95th percentiles are reported, per the query mode."""
    if params.mode == "recent":
        start = params.start - params.start % SLOT_SECONDS
        return [(start, params.end - params.end % SLOT_SECONDS)]
    if params.mode == "cycles":
        edges = cycle_edges(params.start, params.end, params.cycle, zone)
        # The range cuts its first and last cycle: only their slots inside it count.
        cut = [max(e, params.start) for e in edges[:-1]] + [min(edges[-1], params.end)]
        first = cut[0] - cut[0] % SLOT_SECONDS
        bounds = [first, *cut[1:-1], -(-cut[-1] // SLOT_SECONDS) * SLOT_SECONDS]
        return list(itertools.pairwise(bounds))
    start = cycle_start(params.start, params.cycle, zone)
    return [(start, next_cycle(start, params.cycle, zone))]


def _p95_bps(load: Int64Array, start: int) -> tuple[float, int] | None:
    found = stat(load, start)
    return None if found is None else (bandwidth_bps(found.p95), found.p95_time)


def max95(ctx: RequestContext, params: Max95Params) -> Max95Result:
    """The 95th-percentile bandwidth: mainland and overseas apart, and both merged."""
    zone = ctx.services.settings.time_zone
    windows = _max95_windows(params, zone)
    scope = _scope(ctx, params.domains)
    start, end = windows[0][0], windows[-1][1]
    slots = _read(ctx, scope, start, end, BPS)
    loads = {area: slots.load(regions) for area, regions in _MAX95_AREAS}
    merged = slots.load(ALL_REGIONS)
    details = []
    for low, high in windows:
        first = (low - start) // SLOT_SECONDS
        last = min(slots.slots, (high - start) // SLOT_SECONDS)
        for area, load in loads.items():
            found = _p95_bps(load[first:last], low)
            if found is not None:
                details.append(Max95Detail(low, area, found[0], found[1]))

    def overall(load: Int64Array) -> float:
        found = _p95_bps(load, start)
        return 0.0 if found is None else found[0]

    return Max95Result(
        params.domain_text,
        start,
        end,
        overall(merged),
        overall(loads["CN"]),
        overall(loads["OverSeas"]),
        tuple(details),
    )


_MAX95_AREAS: tuple[tuple[str, Collection[int]], ...] = (("CN", MAINLAND), ("OverSeas", OVERSEAS))


@dataclass(frozen=True)
class MonitorResult:
    list_name: str
    domain_text: str
    start_text: str
    end_text: str
    interval: int
    quantity: Quantity
    #: All regions, mainland, overseas: the same bucket starts in each.
    series: tuple[Buckets, Buckets, Buckets]
    extra: dict[str, object]

    def to_wire(self) -> dict[str, object]:
        total = self.series[0]
        text = [[_value_text(self.quantity, v) for v in s.values.tolist()] for s in self.series]
        modules = [
            {
                "TimeStamp": format_utc(ts),
                "Value": value,
                "DomesticValue": home,
                "OverseasValue": abroad,
                # The store keeps no HTTPS share of traffic: empty, as Alibaba leaves a value
                # it does not have, rather than a zero that would read as "no HTTPS".
                "HttpsValue": "",
                "HttpsDomesticValue": "",
                "HttpsOverseasValue": "",
            }
            for ts, value, home, abroad in zip(total.starts.tolist(), *text, strict=True)
        ]
        return {
            "DomainName": self.domain_text,
            "StartTime": self.start_text,
            "EndTime": self.end_text,
            "DataInterval": str(self.interval),
            **self.extra,
            self.list_name: {"DataModule": modules},
        }


def _monitor(
    ctx: RequestContext, params: MonitorParams, quantity: Quantity, list_name: str
) -> MonitorResult:
    zone = ctx.services.settings.time_zone
    interval = params.interval or rules.default_monitor_interval(params.end - params.start)
    start, end = rules.aligned_window(params.start, params.end, interval, zone)
    scope = _scope(ctx, params.domains)
    slots = _read(ctx, scope, start, end, quantity)
    series = tuple(
        usage_figures(
            slots, end=end, interval=interval, zone=zone, regions=regions, watermark=scope.watermark
        ).series
        for regions in (ALL_REGIONS, MAINLAND, OVERSEAS)
    )
    start_text, end_text = format_utc(params.start), format_utc(params.end)
    if not params.times_given:
        start_text, end_text = format_utc(start), format_utc(end)
    extra: dict[str, object] = {}
    if quantity is BPS:
        extra = {"IspNameEn": "", "LocationNameEn": ""}
    return MonitorResult(
        list_name,
        params.domain_text,
        start_text,
        end_text,
        interval,
        quantity,
        (series[0], series[1], series[2]),
        extra,
    )


def bps_data(ctx: RequestContext, params: MonitorParams) -> MonitorResult:
    """Bandwidth per interval (peak of the 5-minute values), with mainland and overseas."""
    return _monitor(ctx, params, BPS, "BpsDataPerInterval")


def traffic_data(ctx: RequestContext, params: MonitorParams) -> MonitorResult:
    """Traffic in bytes per interval, with mainland and overseas."""
    return _monitor(ctx, params, TRAFFIC, "TrafficDataPerInterval")
