"""Summing parsed log lines into 5-minute samples per (domain, region), one file at a time.

Memory is bounded by the distinct (domain, region, slot) cells a file touches, never by its
line count: lines are folded into their cell as they are read. Every line ends up counted,
malformed (with its number) or skipped (with its domain or node), so none is lost silently.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

from cdnexport.domain.task import SLOT_SECONDS
from cdnexport.usage.logs.formats import LineError, Parser, normalize_host
from cdnexport.usage.logs.nodemap import NodeMap
from cdnexport.usage.samples import SampleBatch


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds that keep memory constant whatever a file holds."""

    malformed_examples: int = 10
    skipped_names: int = 1_000
    route_cache: int = 100_000


DEFAULT_LIMITS = Limits()


class SkipReason(enum.StrEnum):
    DOMAIN = "domain"  # the host is not a domain of the account
    NODE = "node"  # the node matches no rule of the node map


OTHER_NAMES = "(other names)"


@dataclass(frozen=True, slots=True)
class Malformed:
    line: int
    reason: str
    excerpt: str


@dataclass(frozen=True, slots=True)
class Skipped:
    reason: SkipReason
    name: str
    lines: int


class Aggregator:
    """Feed it blocks of lines with ``consume``; then read the counts and ``samples()``.

    ``region`` bills every line in one region; otherwise ``node_map`` maps each line's node.
    """

    def __init__(
        self,
        parse: Parser,
        owned: Mapping[str, int],
        *,
        region: int | None = None,
        node_map: NodeMap | None = None,
        limits: Limits = DEFAULT_LIMITS,
    ) -> None:
        if (region is None) == (node_map is None):
            raise ValueError("give exactly one of region and node_map")
        self._parse = parse
        self._owned = owned
        self._region = region
        self._node_map = node_map
        self._limits = limits
        # (host) or (host, node) -> a target index when >= 0, else ~index of a skip counter.
        self._routes: dict[bytes | tuple[bytes, bytes], int] = {}
        self._targets: list[tuple[int, int]] = []
        self._target_index: dict[tuple[int, int], int] = {}
        self._skip_labels: list[tuple[SkipReason, str]] = []
        self._skip_index: dict[tuple[SkipReason, str], int] = {}
        self._skip_counts: list[int] = []
        # Per target, slot start -> [response bytes, HTTPS requests]; one dict per target avoids
        # building a key tuple per line (measured: a quarter of the aggregation cost).
        self._cells: list[dict[int, list[int]]] = []
        self._examples: list[Malformed] = []
        self.lines = 0
        self.malformed = 0

    def consume(self, block: list[bytes]) -> None:
        """Fold one block of consecutive lines in."""
        parse = self._parse
        routes = self._routes
        cells = self._cells
        skip_counts = self._skip_counts
        by_host = self._region is not None
        number = self.lines
        for line in block:
            number += 1
            try:
                second, host, https, size, node = parse(line)
            except LineError as exc:
                self._malformed(number, line, str(exc))
                continue
            key = host if by_host else (host, node)
            route = routes.get(key)
            if route is None:
                route = self._route(key, host, node)
            if route < 0:
                skip_counts[~route] += 1
                continue
            slots = cells[route]
            slot = second - second % SLOT_SECONDS
            cell = slots.get(slot)
            if cell is None:
                slots[slot] = [size, https]
            else:
                cell[0] += size
                cell[1] += https
        self.lines = number

    @property
    def examples(self) -> tuple[Malformed, ...]:
        """The first malformed lines, up to ``Limits.malformed_examples``."""
        return tuple(self._examples)

    def skipped(self) -> tuple[Skipped, ...]:
        """Lines skipped per reason and name, most lines first."""
        found = [
            Skipped(reason, name, count)
            for (reason, name), count in zip(self._skip_labels, self._skip_counts, strict=True)
            if count
        ]
        return tuple(sorted(found, key=lambda s: (-s.lines, s.reason, s.name)))

    @property
    def skipped_lines(self) -> int:
        return sum(self._skip_counts)

    def samples(self) -> SampleBatch:
        """One sample per touched (domain, region, slot): traffic and static HTTPS requests."""
        rows = [
            (domain_id, region, slot, cell[0], cell[1], 0, 0)
            for (domain_id, region), slots in zip(self._targets, self._cells, strict=True)
            for slot, cell in slots.items()
        ]
        return SampleBatch.from_rows(rows)

    def _route(self, key: bytes | tuple[bytes, bytes], host: bytes, node: bytes) -> int:
        if len(self._routes) >= self._limits.route_cache:
            # Hosts come from request headers, so their variety is unbounded; forget, re-resolve.
            self._routes.clear()
        name = normalize_host(host)
        domain_id = self._owned.get(name) if name is not None else None
        if domain_id is None:
            label = name if name is not None else host.decode(errors="replace")
            route = self._skip(SkipReason.DOMAIN, label)
        else:
            region = self._region
            node_name = node.decode(errors="replace")
            if region is None and self._node_map is not None:
                region = self._node_map.region_of(node_name)
            if region is None:
                route = self._skip(SkipReason.NODE, node_name)
            else:
                route = self._target(domain_id, region)
        self._routes[key] = route
        return route

    def _target(self, domain_id: int, region: int) -> int:
        index = self._target_index.get((domain_id, region))
        if index is None:
            index = self._target_index[(domain_id, region)] = len(self._targets)
            self._targets.append((domain_id, region))
            self._cells.append({})
        return index

    def _skip(self, reason: SkipReason, name: str) -> int:
        label = (reason, name)
        index = self._skip_index.get(label)
        if index is None and len(self._skip_labels) >= self._limits.skipped_names:
            label = (reason, OTHER_NAMES)
            index = self._skip_index.get(label)
        if index is None:
            index = self._skip_index[label] = len(self._skip_labels)
            self._skip_labels.append(label)
            self._skip_counts.append(0)
        return ~index

    def _malformed(self, number: int, line: bytes, reason: str) -> None:
        self.malformed += 1
        if len(self._examples) < self._limits.malformed_examples:
            if not line.strip():
                reason = "empty line"
            excerpt = line[:120].decode(errors="replace")
            self._examples.append(Malformed(number, reason, excerpt))
