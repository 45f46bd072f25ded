from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest

from cdnexport.domain.regions import REGION_ID
from cdnexport.usage.logs.nodemap import NodeMap, NodeMapError, NodeRule

MAP = """\
# edge nodes and their billing regions
node,region
edge-fra-*,EU
edge-sha-1,cn

EDGE-SIN-?,ap1
*/us/*,NA
*,SA
"""


def test_rules_are_globs_tried_in_order_without_regard_to_case() -> None:
    node_map = NodeMap.parse(MAP)
    assert node_map.rules[0] == NodeRule("edge-fra-*", REGION_ID["EU"])
    assert node_map.region_of("edge-fra-12") == REGION_ID["EU"]
    assert node_map.region_of("EDGE-SHA-1") == REGION_ID["CN"]
    assert node_map.region_of("edge-sin-3") == REGION_ID["AP1"]
    assert node_map.region_of("anything") == REGION_ID["SA"]


def test_files_match_by_name_or_by_path_when_the_pattern_has_a_slash() -> None:
    node_map = NodeMap.parse("edge-fra-*,EU\nlogs/us/*,NA\n")
    assert node_map.region_of_file(PurePosixPath("/var/x/edge-fra-1.log.gz")) == REGION_ID["EU"]
    assert node_map.region_of_file(PurePosixPath("logs/us/a.log")) == REGION_ID["NA"]
    assert node_map.region_of_file(PurePosixPath("/abs/logs/us/a.log")) is None
    assert node_map.region_of_file(PurePosixPath("other.log")) is None
    assert node_map.region_of("nothing") is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("edge-1,EU\nedge-2,XX\n", "line 2: region 'XX' is not one of CN AP1"),
        ("edge-1,EU,extra\n", "line 1: expected two columns"),
        (",EU\n", "line 1: expected two columns"),
        ("edge-1\n", "line 1: expected two columns"),
        ("# nothing\n\nnode,region\n", "no rules"),
    ],
)
def test_bad_maps_name_the_line(text: str, message: str) -> None:
    with pytest.raises(NodeMapError, match=message):
        NodeMap.parse(text)


def test_load_reads_a_file_with_a_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "nodes.csv"
    path.write_text("\ufeffnode,region\nedge-*,EU\n", encoding="utf-8")
    assert NodeMap.load(path).rules == (NodeRule("edge-*", REGION_ID["EU"]),)
    with pytest.raises(NodeMapError, match="cannot read"):
        NodeMap.load(tmp_path / "missing.csv")
