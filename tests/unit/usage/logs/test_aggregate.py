from __future__ import annotations

import pytest

from cdnexport.domain.regions import REGION_ID
from cdnexport.usage.logs.aggregate import (
    DEFAULT_LIMITS,
    OTHER_NAMES,
    Aggregator,
    Limits,
    Skipped,
    SkipReason,
)
from cdnexport.usage.logs.formats import LogFormat, make_parser
from cdnexport.usage.logs.nodemap import NodeMap
from tests.unit.usage.helpers import T0, utc
from tests.unit.usage.logs.lines import alibaba, at, nginx

CN, EU = REGION_ID["CN"], REGION_ID["EU"]
OWNED = {"a.example": 1, "b.example": 2}


def aggregate(
    lines: list[str],
    log_format: LogFormat = LogFormat.NGINX,
    *,
    node_map: NodeMap | None = None,
    limits: Limits = DEFAULT_LIMITS,
    blocks: int = 1,
) -> Aggregator:
    region = None if node_map is not None else CN
    aggregator = Aggregator(
        make_parser(log_format), OWNED, region=region, node_map=node_map, limits=limits
    )
    raw = [line.encode() for line in lines]
    size = max(1, -(-len(raw) // blocks))
    for start in range(0, len(raw), size):
        aggregator.consume(raw[start : start + size])
    return aggregator


def rows(aggregator: Aggregator) -> list[tuple[int, ...]]:
    return sorted(aggregator.samples().rows())


def test_a_request_at_00_04_59_999_and_one_at_00_05_00_fall_in_different_slots() -> None:
    result = aggregate(
        [
            nginx(T0, "a.example", 1),
            nginx(T0 + 299.999, "a.example", 10),
            nginx(T0 + 300, "a.example", 100),
            nginx(T0 + 599.999, "a.example", 1000),
        ]
    )
    assert rows(result) == [(1, CN, T0, 11, 0, 0, 0), (1, CN, T0 + 300, 1100, 0, 0, 0)]


def test_alibaba_local_times_land_in_their_utc_slot() -> None:
    result = aggregate(
        [
            alibaba(at("2024-05-01T08:04:59", 8), "a.example", 1),
            alibaba(at("2024-05-01T08:05:00", 8), "a.example", 2),
            alibaba(at("2024-04-30T19:05:01", -5), "a.example", 4),
        ],
        LogFormat.ALIBABA,
    )
    t = utc("2024-05-01T00:00:00Z")
    assert rows(result) == [(1, CN, t, 1, 0, 0, 0), (1, CN, t + 300, 6, 0, 0, 0)]


def test_traffic_is_response_bytes_and_only_https_requests_are_counted() -> None:
    result = aggregate(
        [
            nginx(T0, "a.example", 100, scheme="https"),
            nginx(T0 + 1, "a.example", 200, scheme="http"),
            nginx(T0 + 2, "a.example", 300, scheme="https"),
            nginx(T0 + 3, "b.example", 5, scheme="http"),
        ]
    )
    assert rows(result) == [(1, CN, T0, 600, 2, 0, 0), (2, CN, T0, 5, 0, 0, 0)]


def test_host_spellings_of_one_domain_share_its_samples() -> None:
    result = aggregate(
        [
            nginx(T0, "a.example", 1),
            nginx(T0, "A.EXAMPLE", 2),
            nginx(T0, "a.example.", 4),
            nginx(T0, "a.example:8080", 8),
        ]
    )
    assert rows(result) == [(1, CN, T0, 15, 0, 0, 0)]


def test_malformed_lines_are_counted_with_their_numbers_across_blocks() -> None:
    lines = [nginx(T0, "a.example", 1)] * 10
    lines[2] = "garbage"
    lines[6] = ""
    lines[9] = nginx(T0, "a.example", 1).replace("\t1", "\tlots")
    result = aggregate(lines, blocks=3)
    assert (result.lines, result.malformed) == (10, 3)
    assert [(m.line, m.reason) for m in result.examples] == [
        (3, "expected 5 tab-separated fields, found 1"),
        (7, "empty line"),
        (10, "$bytes_sent 'lots' is not a byte count"),
    ]
    assert result.examples[0].excerpt == "garbage"
    assert rows(result) == [(1, CN, T0, 7, 0, 0, 0)]


def test_only_the_first_malformed_lines_are_kept_as_examples() -> None:
    result = aggregate(["x"] * 50 + [nginx(T0, "a.example", 1)], limits=Limits(3))
    assert result.malformed == 50
    assert [m.line for m in result.examples] == [1, 2, 3]


def test_lines_of_foreign_domains_are_skipped_and_counted_per_domain() -> None:
    result = aggregate(
        [
            nginx(T0, "a.example", 1),
            nginx(T0, "evil.example", 1),
            nginx(T0, "EVIL.example", 1),
            nginx(T0, "other.example", 1),
        ]
    )
    assert result.skipped() == (
        Skipped(SkipReason.DOMAIN, "evil.example", 2),
        Skipped(SkipReason.DOMAIN, "other.example", 1),
    )
    assert result.skipped_lines == 3
    assert rows(result) == [(1, CN, T0, 1, 0, 0, 0)]


def test_many_foreign_names_fold_into_one_bucket() -> None:
    lines = [nginx(T0, f"x{i}.example", 1) for i in range(10)]
    result = aggregate(lines, limits=Limits(skipped_names=3))
    assert result.skipped()[0] == Skipped(SkipReason.DOMAIN, OTHER_NAMES, 7)
    assert len(result.skipped()) == 4
    assert result.skipped_lines == 10


def test_a_full_route_cache_is_emptied_without_changing_the_sums() -> None:
    lines = [nginx(T0 + i, ("a.example", "b.example", "c.example")[i % 3], 1) for i in range(30)]
    small = aggregate(lines, limits=Limits(route_cache=1))
    assert rows(small) == rows(aggregate(lines))
    assert small.skipped() == (Skipped(SkipReason.DOMAIN, "c.example", 10),)


def test_a_node_map_bills_each_line_by_its_node() -> None:
    node_map = NodeMap.parse("fra-*,EU\nsha-*,CN\n")
    result = aggregate(
        [
            nginx(T0, "a.example", 1, node="fra-1"),
            nginx(T0, "a.example", 2, node="sha-1"),
            nginx(T0, "a.example", 4, node="FRA-2"),
            nginx(T0, "a.example", 8, node="nyc-1"),
            nginx(T0, "nope.example", 16, node="nyc-1"),
        ],
        node_map=node_map,
    )
    assert rows(result) == [(1, CN, T0, 2, 0, 0, 0), (1, EU, T0, 5, 0, 0, 0)]
    assert result.skipped() == (
        Skipped(SkipReason.DOMAIN, "nope.example", 1),
        Skipped(SkipReason.NODE, "nyc-1", 1),
    )


def test_exactly_one_region_source() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        Aggregator(make_parser(LogFormat.NGINX), OWNED)
    with pytest.raises(ValueError, match="exactly one"):
        Aggregator(make_parser(LogFormat.NGINX), OWNED, region=CN, node_map=NodeMap.parse("*,EU"))
