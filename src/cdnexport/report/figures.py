"""The figures of the PDF usage summary, gathered in one pass over the account's usage.

Every figure comes from the workbook summary's computation (``SummaryAccumulator``): totals,
peaks with their earliest slot, the 95th-percentile rule and calendar days of the report zone.
It is fed the same series four ways: per billing region, per area (the mainland and the seven
other regions added slot by slot, whose sum is the overall row), and per domain for the largest
domains. Memory is O(regions × slots) plus a few totals per domain: a domain's own per-slot
sums are dropped once its figures are taken.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cdnexport.domain.regions import REGION_ID
from cdnexport.domain.task import ExportType
from cdnexport.domain.window import slot_range
from cdnexport.export.summary import Figures, Summary, SummaryAccumulator
from cdnexport.usage.series import METRICS, Series

#: Domains listed in the report, largest traffic first.
TOP_DOMAINS = 20
#: Area ids as the area accumulators see them (in place of region ids).
MAINLAND, OUTSIDE = 0, 1
AREA_LABELS = ("mainland", "outside")
_FLOW_COLUMNS = len(METRICS[ExportType.FLOW])


@dataclass(frozen=True, slots=True)
class DomainFigures:
    """One domain over the window, every region added slot by slot."""

    name: str
    traffic: Figures
    requests: int


@dataclass(frozen=True)
class ReportFigures:
    """``flow``/``vas`` per billing region; ``flow_areas``/``vas_areas`` per area (region id
    0 the mainland, 1 outside it) with the overall figures as their total."""

    start: int
    end: int
    slots: int
    serials: npt.NDArray[np.float64]
    flow: Summary
    flow_areas: Summary
    vas: Summary
    vas_areas: Summary
    top_domains: tuple[DomainFigures, ...]
    domain_count: int

    def area_load(self, area: int) -> npt.NDArray[np.int64]:
        """Per-slot traffic of an area (zeros when it has none)."""
        for label, load in self.flow_areas.lines:
            if label == AREA_LABELS[area]:
                return load
        if len(self.flow_areas.regions) == 1 and self.flow_areas.regions[0].region == area:
            return self.flow_areas.lines[0][1]
        return np.zeros(self.slots, dtype=np.int64)

    def total_load(self) -> npt.NDArray[np.int64]:
        """Per-slot traffic of the whole account."""
        if self.flow_areas.lines:
            return self.flow_areas.lines[0][1]
        return np.zeros(self.slots, dtype=np.int64)


def area_of(region: int) -> int:
    return MAINLAND if region == REGION_ID["CN"] else OUTSIDE


def gather(
    series: Iterable[Series],
    start: int,
    end: int,
    serials: npt.NDArray[np.float64],
    *,
    on_series: Callable[[], None] | None = None,
) -> ReportFigures:
    """The figures of per-domain series carrying every metric (``ALL_METRICS``), ordered by
    domain as the usage store yields them. ``on_series`` is called after each series."""
    slots = len(slot_range(start, end))
    flow_regions = SummaryAccumulator(ExportType.FLOW, slots)
    flow_areas = SummaryAccumulator(ExportType.FLOW, slots)
    vas_regions = SummaryAccumulator(ExportType.VAS, slots)
    vas_areas = SummaryAccumulator(ExportType.VAS, slots)
    domains: list[DomainFigures] = []
    for name, group in itertools.groupby(series, key=lambda item: item.label):
        domain_flow = SummaryAccumulator(ExportType.FLOW, slots)
        requests = 0
        for item in group:
            flow = item.values[:_FLOW_COLUMNS]
            vas = item.values[_FLOW_COLUMNS:]
            area = area_of(item.region)
            # One label per accumulator keeps their per-label sums at one array each.
            flow_regions.add(Series("", item.region, flow))
            vas_regions.add(Series("", item.region, vas))
            flow_areas.add(Series(AREA_LABELS[area], area, flow))
            vas_areas.add(Series(AREA_LABELS[area], area, vas))
            domain_flow.add(Series(name, item.region, flow))
            requests += sum(int(values.sum()) for values in vas)
            if on_series is not None:
                on_series()
        total = domain_flow.total()
        if total is not None:
            domains.append(DomainFigures(name, total, requests))
    ranked = sorted(domains, key=lambda d: (-d.traffic.totals[0], -d.requests, d.name))
    return ReportFigures(
        start=start,
        end=end,
        slots=slots,
        serials=serials,
        flow=flow_regions.result(serials),
        flow_areas=flow_areas.result(serials),
        vas=vas_regions.result(serials),
        vas_areas=vas_areas.result(serials),
        top_domains=tuple(ranked[:TOP_DOMAINS]),
        domain_count=len(domains),
    )
