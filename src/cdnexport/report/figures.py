"""The figures of the PDF usage summary, gathered in one pass over the account's usage.

Every figure comes from the workbook summary's computation (``SummaryAccumulator``): totals,
peaks with their earliest slot, the 95th-percentile rule and calendar days of the report zone.
The series carry every stored metric (``ALL_METRICS``: traffic, then the three request kinds);
a flow accumulator takes its peaks and percentiles of the first (traffic) and keeps a total of
each, so one accumulator gives both the bandwidth and the request figures. It is fed the same
series three ways: per billing region, per area (the mainland, and the seven other regions
added slot by slot, whose sum is the overall row), and per domain for the largest domains.
Memory is O(regions × slots) plus a few totals per domain: a domain's own per-slot sums are
dropped once its figures are taken.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cdnexport.domain.regions import REGION_ID
from cdnexport.domain.task import ExportType
from cdnexport.domain.window import slot_range
from cdnexport.export.summary import Figures, Summary, SummaryAccumulator
from cdnexport.usage.series import ALL_METRICS, Series

#: Domains listed in the report, largest traffic first.
TOP_DOMAINS = 20
#: Area ids as the area accumulator sees them (in place of region ids).
MAINLAND, OUTSIDE = 0, 1
AREA_LABELS = ("mainland", "outside")
#: Positions in ``Figures.totals`` and ``DayFigures.totals``.
TRAFFIC = ALL_METRICS.index("traffic_bytes")
REQUESTS = tuple(
    ALL_METRICS.index(name) for name in ("static_https", "dynamic_http", "dynamic_https")
)


@dataclass(frozen=True, slots=True)
class DomainFigures:
    """One domain over the window, every region added slot by slot."""

    name: str
    figures: Figures

    @property
    def requests(self) -> int:
        return sum(self.figures.totals[index] for index in REQUESTS)


@dataclass(frozen=True)
class ReportFigures:
    """``regions`` per billing region; ``areas`` per area (region id 0 the mainland, 1 outside
    it) with the overall figures as their total, the daily figures and the per-slot lines."""

    start: int
    end: int
    slots: int
    regions: Summary
    areas: Summary
    top_domains: tuple[DomainFigures, ...]
    domain_count: int

    def area_load(self, area: int) -> npt.NDArray[np.int64]:
        """Per-slot traffic of an area (zeros when it has none)."""
        for label, load in self.areas.lines:
            if label == AREA_LABELS[area]:
                return load
        if len(self.areas.regions) == 1 and self.areas.regions[0].region == area:
            return self.areas.lines[0][1]
        return np.zeros(self.slots, dtype=np.int64)

    def total_load(self) -> npt.NDArray[np.int64]:
        """Per-slot traffic of the whole account."""
        if self.areas.lines:
            return self.areas.lines[0][1]
        return np.zeros(self.slots, dtype=np.int64)


def area_of(region: int) -> int:
    return MAINLAND if region == REGION_ID["CN"] else OUTSIDE


def gather(
    series: Iterable[Series], start: int, end: int, serials: npt.NDArray[np.float64]
) -> ReportFigures:
    """The figures of per-domain series carrying ``ALL_METRICS``, ordered by domain as the
    usage store yields them."""
    slots = len(slot_range(start, end))
    regions = SummaryAccumulator(ExportType.FLOW, slots, per_series=False)
    areas = SummaryAccumulator(ExportType.FLOW, slots, per_series=False)
    domains: list[DomainFigures] = []
    for name, group in itertools.groupby(series, key=lambda item: item.label):
        domain = SummaryAccumulator(ExportType.FLOW, slots, per_series=False)
        for item in group:
            area = area_of(item.region)
            # One label per accumulator keeps their per-label sums at one array each.
            regions.add(Series("", item.region, item.values))
            areas.add(Series(AREA_LABELS[area], area, item.values))
            domain.add(item)
        total = domain.total()
        if total is not None:
            domains.append(DomainFigures(name, total))
    ranked = sorted(domains, key=lambda d: (-d.figures.totals[TRAFFIC], -d.requests, d.name))
    return ReportFigures(
        start=start,
        end=end,
        slots=slots,
        regions=regions.result(serials),
        areas=areas.result(serials),
        top_domains=tuple(ranked[:TOP_DOMAINS]),
        domain_count=len(domains),
    )
