"""Where billing regions come from: one region for everything, or a map from serving node to region.

The region is that of the edge node that served a request, never the client's. nginx and JSON
lines name their node; an Alibaba line does not, so an Alibaba file is mapped by its file name.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path, PurePath

from cdnexport.domain.regions import REGIONS, region_id


class NodeMapError(ValueError):
    """A node map that cannot be used; ``line`` is 1-based, 0 for the file as a whole."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"node map line {line}: {message}" if line else f"node map: {message}")
        self.line = line


@dataclass(frozen=True, slots=True)
class FixedRegion:
    """Every line of every file is billed in ``region`` (a region id)."""

    region: int


@dataclass(frozen=True, slots=True)
class NodeRule:
    pattern: str
    region: int


@dataclass(frozen=True, slots=True)
class NodeMap:
    """Rules tried in order; a rule's pattern is a shell glob, matched case-insensitively."""

    rules: tuple[NodeRule, ...]

    def region_of(self, node: str) -> int | None:
        """The region of the first rule matching ``node``, or None."""
        name = node.lower()
        for rule in self.rules:
            if fnmatchcase(name, rule.pattern):
                return rule.region
        return None

    def region_of_file(self, path: PurePath) -> int | None:
        """The region of a log file: a pattern holding ``/`` is matched against the path as
        given, any other against the file name."""
        whole, name = path.as_posix().lower(), path.name.lower()
        for rule in self.rules:
            if fnmatchcase(whole if "/" in rule.pattern else name, rule.pattern):
                return rule.region
        return None

    @classmethod
    def parse(cls, text: str) -> NodeMap:
        """Rows ``pattern,region``; blank lines, ``#`` comments and a ``node,region`` header are
        skipped."""
        rules: list[NodeRule] = []
        for number, row in enumerate(csv.reader(text.splitlines()), start=1):
            cells = [cell.strip() for cell in row]
            if not cells or not any(cells) or cells[0].startswith("#"):
                continue
            if not rules and [c.lower() for c in cells] == ["node", "region"]:
                continue
            if len(cells) != 2 or not cells[0]:
                raise NodeMapError(number, "expected two columns: node pattern, region")
            try:
                region = region_id(cells[1])
            except KeyError:
                raise NodeMapError(
                    number, f"region {cells[1]!r} is not one of {' '.join(REGIONS)}"
                ) from None
            rules.append(NodeRule(cells[0].lower(), region))
        if not rules:
            raise NodeMapError(0, "no rules")
        return cls(tuple(rules))

    @classmethod
    def load(cls, path: Path) -> NodeMap:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise NodeMapError(0, f"cannot read {path}: {exc}") from exc
        return cls.parse(text)


RegionSource = FixedRegion | NodeMap
