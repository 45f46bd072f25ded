"""The figures of the summary sheet, gathered while the detail streams past: per-series totals,
peaks and 95th percentiles, per-slot totals per region and per label, and daily figures.

Everything is kept in integers (bytes, requests) until a figure is shown, so that the summary
agrees with the detail sheets to the byte.

The arithmetic (peaks, 95th percentile, bandwidth) is ``cdnexport.figures.maths``, shared with
the usage queries, so a workbook and an API answer of the same window agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cdnexport.domain.task import ExportType
from cdnexport.figures.maths import peak_at, percentile95
from cdnexport.usage.series import Int64Array, Series

#: The largest labels drawn in the chart next to the scope's total.
CHART_LABELS = 5


@dataclass(frozen=True, slots=True)
class Figures:
    """Usage of one series, or of a total, over the window.

    ``load`` is what peaks and percentiles are taken of: traffic for flow, all requests for vas.
    ``region`` is None for a total over all regions; a tie for the peak goes to the earliest slot.
    """

    label: str
    region: int | None
    totals: tuple[int, ...]
    peak: int
    peak_slot: int
    p95: int


@dataclass(frozen=True, slots=True)
class DayFigures:
    """The scope's total on one calendar day of the report zone (``day`` is an Excel serial)."""

    day: int
    slots: int
    totals: tuple[int, ...]
    peak: int
    peak_slot: int
    #: (region, peak, peak slot) for every region with a series, in region order.
    region_peaks: tuple[tuple[int, int, int], ...]


@dataclass(frozen=True)
class Summary:
    export_type: ExportType
    slots: int
    #: One per series, in workbook order.
    series: tuple[Figures, ...]
    #: Every label summed, one per region with a series, in region order.
    regions: tuple[Figures, ...]
    #: Everything summed; None when there was no series.
    total: Figures | None
    days: tuple[DayFigures, ...]
    #: Per-slot load of the scope's total (label None) and of its largest labels.
    lines: tuple[tuple[str | None, Int64Array], ...]
    #: Distinct labels among the series.
    label_count: int


class SummaryAccumulator:
    """Takes every series of an export once, as the builder writes it, and keeps O(slots) sums."""

    def __init__(self, export_type: ExportType, slots: int) -> None:
        self._type = export_type
        self._slots = slots
        self._series: list[Figures] = []
        self._regions: dict[int, list[Int64Array]] = {}
        self._labels: dict[str, Int64Array] = {}

    def add(self, item: Series) -> None:
        """Count one series; its metrics must already be checked against the window."""
        load = self._load(item.values)
        self._series.append(_figures(item.label, item.region, item.values, load))
        sums = self._regions.get(item.region)
        if sums is None:
            self._regions[item.region] = [values.copy() for values in item.values]
        else:
            for total, values in zip(sums, item.values, strict=True):
                total += values
        label_sum = self._labels.get(item.label)
        if label_sum is None:
            self._labels[item.label] = load.copy()
        else:
            label_sum += load

    def result(self, serials: npt.NDArray[np.float64]) -> Summary:
        """The figures; ``serials`` are the slots' wall-clock times, whose days are used."""
        if len(serials) != self._slots:
            raise ValueError(f"{len(serials)} slot times for a window of {self._slots} slots")
        ordered = sorted(self._regions.items())
        if not ordered:
            return Summary(self._type, self._slots, (), (), None, (), (), label_count=0)
        region_loads = [(region, self._load(tuple(sums))) for region, sums in ordered]
        regions = tuple(
            _figures("", region, tuple(sums), load)
            for (region, sums), (_, load) in zip(ordered, region_loads, strict=True)
        )
        metric_sums = tuple(
            _sum([sums[index] for _, sums in ordered]) for index in range(len(ordered[0][1]))
        )
        total_load = self._load(metric_sums)
        total = _figures("", None, metric_sums, total_load)
        days = _days(serials, metric_sums, total_load, region_loads)
        ranked = sorted(self._labels.items(), key=lambda pair: (-int(pair[1].sum()), pair[0]))
        largest = ranked[:CHART_LABELS] if len(ranked) > 1 else []
        lines: tuple[tuple[str | None, Int64Array], ...] = ((None, total_load), *largest)
        return Summary(
            self._type,
            self._slots,
            tuple(self._series),
            regions,
            total,
            days,
            lines,
            label_count=len(self._labels),
        )

    def _load(self, values: tuple[Int64Array, ...]) -> Int64Array:
        if self._type is ExportType.FLOW:
            return values[0]
        return _sum(values)


def _sum(arrays: Sequence[Int64Array]) -> Int64Array:
    """Element-wise sum of equal-length arrays."""
    summed: Int64Array = np.sum(arrays, axis=0, dtype=np.int64)
    return summed


def _figures(
    label: str, region: int | None, values: tuple[Int64Array, ...], load: Int64Array
) -> Figures:
    peak, peak_slot = peak_at(load)
    return Figures(
        label=label,
        region=region,
        totals=tuple(int(metric.sum()) for metric in values),
        peak=peak,
        peak_slot=peak_slot,
        p95=percentile95(load) if len(load) else 0,
    )


def _days(
    serials: npt.NDArray[np.float64],
    metric_sums: tuple[Int64Array, ...],
    total_load: Int64Array,
    region_loads: list[tuple[int, Int64Array]],
) -> tuple[DayFigures, ...]:
    """Group slots by the calendar day of their wall-clock time; a DST day has 276 or 300."""
    day_of_slot = np.floor(serials).astype(np.int64)
    days = []
    for day in np.unique(day_of_slot).tolist():
        slots = np.flatnonzero(day_of_slot == day)
        peak = _peak(total_load, slots)
        days.append(
            DayFigures(
                day=day,
                slots=len(slots),
                totals=tuple(int(metric[slots].sum()) for metric in metric_sums),
                peak=peak[0],
                peak_slot=peak[1],
                region_peaks=tuple((region, *_peak(load, slots)) for region, load in region_loads),
            )
        )
    return tuple(days)


def _peak(load: Int64Array, slots: npt.NDArray[np.intp]) -> tuple[int, int]:
    """The highest value among ``slots`` (in time order) and the earliest slot holding it."""
    value, where = peak_at(load[slots])
    return value, int(slots[where])
