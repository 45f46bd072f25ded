"""What an export asks of the usage store, and the store's read protocol."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from cdnexport.domain.task import ExportType
from cdnexport.usage.series import ALL_METRICS, METRICS, Series


@dataclass(frozen=True, slots=True)
class UsageQuery:
    """Usage of some domains over [start, end) (epoch seconds).

    With ``aggregate_label`` None there is one series per (domain, region) that has any sample
    in the window, labelled with the domain name, ordered by domain name then region id.
    Otherwise the domains are summed into one series per region, labelled ``aggregate_label``
    (the account or group name), for every region with any sample.
    ``every_metric`` reads all stored metrics (``ALL_METRICS``, as the PDF summary does in one
    pass) instead of those of ``export_type``.
    """

    export_type: ExportType
    start: int
    end: int
    domain_ids: tuple[int, ...]
    aggregate_label: str | None = None
    every_metric: bool = False

    @property
    def metrics(self) -> tuple[str, ...]:
        """The stored columns each series carries, in order."""
        return ALL_METRICS if self.every_metric else METRICS[self.export_type]


class UsageSource(Protocol):
    def newest_sample(self, domain_ids: Sequence[int]) -> int | None:
        """The latest sample time of any of ``domain_ids``, or None when they have none."""
        ...

    def count_series(self, query: UsageQuery) -> int:
        """How many series ``iter_series`` will yield."""
        ...

    def iter_series(self, query: UsageQuery) -> Iterator[Series]:
        """The series, in workbook order, each zero-filled over every slot of the window."""
        ...
