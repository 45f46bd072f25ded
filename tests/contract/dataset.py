"""Usage with known numbers: the CSV the live server ingests, and what each export must contain.

The numbers come from a seeded generator so that a failure reproduces; gaps, zero values and
samples just outside the window are placed on purpose.
"""

from __future__ import annotations

import csv
import random
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

SLOT = 300
DAY = 86400
CSV_HEADER = (
    "time",
    "domain",
    "region",
    "traffic_bytes",
    "static_https_requests",
    "dynamic_http_requests",
    "dynamic_https_requests",
)
FLOW_METRICS = ("traffic_bytes",)
VAS_METRICS = ("static_https", "dynamic_http", "dynamic_https")
#: Billing regions in workbook order, with their names per Language.
REGION_ORDER = ("CN", "AP1", "AP2", "AP3", "NA", "EU", "MEAA", "SA")
REGION_NAMES = {
    "zh-cn": {"CN": "中国内地", "AP1": "亚太1区", "NA": "北美"},
    "en-us": {"CN": "Chinese Mainland", "AP1": "Asia Pacific 1", "NA": "North America"},
}

Key = tuple[str, str]  # (label, region code)


def iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True)
class Sample:
    ts: int
    domain: str
    region: str
    traffic_bytes: int
    static_https: int
    dynamic_http: int
    dynamic_https: int

    def metric(self, name: str) -> int:
        value: int = getattr(self, name)
        return value


@dataclass(frozen=True)
class Dataset:
    """Samples of two domains of one account around the export window ``[start, end)``."""

    start: int
    end: int
    samples: tuple[Sample, ...]

    @property
    def slots(self) -> list[int]:
        return list(range(self.start, self.end, SLOT))

    def write_csv(self, path: Path) -> None:
        with path.open("w", newline="") as handle:
            out = csv.writer(handle)
            out.writerow(CSV_HEADER)
            for s in self.samples:
                metrics = (s.traffic_bytes, s.static_https, s.dynamic_http, s.dynamic_https)
                out.writerow((iso(s.ts), s.domain, s.region, *metrics))

    def expected(
        self, metrics: Iterable[str], domains: Iterable[str], account_label: str | None = None
    ) -> dict[Key, list[tuple[int, ...]]]:
        """Per (label, region) with a sample in the window, in workbook order: one tuple of
        metric values per slot, zero where no sample exists. With ``account_label`` the
        domains are summed into one series per region."""
        names, wanted = tuple(metrics), set(domains)
        slots = self.slots
        cells: dict[Key, dict[int, list[int]]] = defaultdict(dict)
        for s in self.samples:
            if s.domain not in wanted or not self.start <= s.ts < self.end:
                continue
            key = (account_label or s.domain, s.region)
            row = cells[key].setdefault(s.ts, [0] * len(names))
            for i, name in enumerate(names):
                row[i] += s.metric(name)
        order = sorted(cells, key=lambda k: (k[0], REGION_ORDER.index(k[1])))
        zero = [0] * len(names)
        return {key: [tuple(cells[key].get(ts, zero)) for ts in slots] for key in order}


def generate(domain_a: str, domain_b: str, now: int, seed: int = 20240501) -> Dataset:
    """Three whole UTC days ending yesterday; five (domain, region) pairs have data inside."""
    rng = random.Random(seed)
    end = (now // DAY - 1) * DAY
    start = end - 3 * DAY
    samples: list[Sample] = []

    def add(ts: int, domain: str, region: str) -> None:
        traffic = rng.choice((0, rng.randrange(1, 10**6), rng.randrange(10**11, 10**13)))
        vas = (rng.randrange(0, 10**7), rng.choice((0, rng.randrange(10**5))), rng.randrange(10**9))
        samples.append(Sample(ts, domain, region, traffic, *vas))

    for domain, region, density in (
        (domain_a, "CN", 0.9),
        (domain_a, "AP1", 0.5),
        (domain_a, "NA", 0.05),
        (domain_b, "CN", 0.7),
    ):
        for ts in range(start, end, SLOT):
            if rng.random() < density:
                add(ts, domain, region)
    # Only the middle day: the series must still be zero-filled over the whole window.
    for ts in range(start + DAY, start + 2 * DAY, SLOT * 7):
        add(ts, domain_b, "AP1")
    # Just outside the window: neither may show up, and b/NA must not become a series.
    add(start - SLOT, domain_b, "NA")
    add(end, domain_a, "CN")
    return Dataset(start, end, tuple(samples))
