"""The unit of data an export reads: one entity's usage in one region, for every slot."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cdnexport.domain.task import ExportType

Int64Array = npt.NDArray[np.int64]

#: Metric columns per export type, in workbook order; names match ``usage_sample`` columns.
METRICS: dict[ExportType, tuple[str, ...]] = {
    ExportType.FLOW: ("traffic_bytes",),
    ExportType.VAS: ("static_https", "dynamic_http", "dynamic_https"),
}
#: Every stored metric: flow's then vas's.
ALL_METRICS: tuple[str, ...] = (*METRICS[ExportType.FLOW], *METRICS[ExportType.VAS])


@dataclass(frozen=True, slots=True)
class Series:
    """Usage of ``label`` (a domain, the account or a group) in ``region`` (a region id).

    ``values`` holds one int64 array per metric of the export type, each with one entry per
    5-minute slot of the window (``slot_range``), zeros where no sample exists.
    """

    label: str
    region: int
    values: tuple[Int64Array, ...]
