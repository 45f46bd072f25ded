"""An in-memory ``UsageSource`` with the store's semantics, for tests of modules reading usage."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence

import numpy as np

from cdnexport.domain.window import slot_range
from cdnexport.usage.query import UsageQuery
from cdnexport.usage.samples import SAMPLE_COLUMNS, SampleBatch, SampleRow
from cdnexport.usage.series import Series

_METRIC_COLUMNS = SAMPLE_COLUMNS[3:]


class MemoryUsageSource:
    """Samples held in dicts; ``names`` maps each domain id to its name, as the domain table does.

    Like ``SqlUsageStore``, ids without a name are ignored by queries and a later sample of a
    (domain, region, ts) replaces an earlier one.
    """

    def __init__(self, names: Mapping[int, str], samples: SampleBatch | None = None) -> None:
        self._names = dict(names)
        self._samples: dict[tuple[int, int], dict[int, tuple[int, ...]]] = {}
        if samples is not None:
            self.add(samples)

    @classmethod
    def from_rows(cls, names: Mapping[int, str], rows: Iterable[SampleRow]) -> MemoryUsageSource:
        """A source from row tuples in ``SAMPLE_COLUMNS`` order."""
        return cls(names, SampleBatch.from_rows(rows))

    def add(self, samples: SampleBatch) -> None:
        samples.check()
        for domain_id, region, ts, *metrics in samples.rows():
            self._samples.setdefault((domain_id, region), {})[ts] = tuple(metrics)

    def newest_sample(self, domain_ids: Sequence[int]) -> int | None:
        wanted = {d for d in domain_ids if d in self._names}
        times = [
            ts
            for (domain_id, _), by_ts in self._samples.items()
            if domain_id in wanted
            for ts in by_ts
        ]
        return max(times, default=None)

    def count_series(self, query: UsageQuery) -> int:
        keys = list(self._keys(query))
        if query.aggregate_label is not None:
            return len({region for _, region in keys})
        return len(keys)

    def iter_series(self, query: UsageQuery) -> Iterator[Series]:
        slots = slot_range(query.start, query.end)
        positions = [_METRIC_COLUMNS.index(m) for m in query.metrics]
        keys = list(self._keys(query))
        if query.aggregate_label is None:
            for domain_id, region in keys:
                yield self._series(self._names[domain_id], [(domain_id, region)], slots, positions)
            return
        for region in sorted({region for _, region in keys}):
            members = [key for key in keys if key[1] == region]
            yield self._series(query.aggregate_label, members, slots, positions)

    def _keys(self, query: UsageQuery) -> Iterator[tuple[int, int]]:
        """(domain, region) keys with a sample in the window, by domain name then region."""
        slots = slot_range(query.start, query.end)
        known = {d for d in query.domain_ids if d in self._names}
        ordered = sorted(known, key=self._names.__getitem__)
        for domain_id in ordered:
            for region in sorted(r for d, r in self._samples if d == domain_id):
                if any(ts in slots for ts in self._samples[(domain_id, region)]):
                    yield domain_id, region

    def _series(
        self, label: str, keys: list[tuple[int, int]], slots: range, positions: list[int]
    ) -> Series:
        values = [np.zeros(len(slots), dtype=np.int64) for _ in positions]
        for key in keys:
            for ts, metrics in self._samples[key].items():
                if ts in slots:
                    for array, position in zip(values, positions, strict=True):
                        array[slots.index(ts)] += metrics[position]
        return Series(label, keys[0][1], tuple(values))
