"""Benchmark figures with their targets, and the table the bench prints."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Figure:
    """One measured value; ``passed`` is None for figures that have no target."""

    name: str
    value: str
    target: str = ""
    passed: bool | None = None
    note: str = ""

    @property
    def verdict(self) -> str:
        if self.passed is None:
            return ""
        return "PASS" if self.passed else "MISS"


def judged(
    name: str, value: float, shown: str, target: str, ok: Callable[[float], bool], note: str = ""
) -> Figure:
    """A figure whose verdict is ``ok(value)``."""
    return Figure(name, shown, target, ok(value), note)


def rate(value: float) -> str:
    """Rows or requests per second, grouped by thousands."""
    return f"{value:,.0f}/s"


def megabytes(value: float) -> str:
    return f"{value:,.1f} MB"


def table(figures: Sequence[Figure]) -> str:
    """A Markdown table, the form the README keeps."""
    lines = ["| figure | value | target | result |", "|---|---:|---|---|"]
    for fig in figures:
        value = f"{fig.value} ({fig.note})" if fig.note else fig.value
        lines.append(f"| {fig.name} | {value} | {fig.target} | {fig.verdict} |")
    return "\n".join(lines)


def all_passed(figures: Sequence[Figure]) -> bool:
    return all(fig.passed is not False for fig in figures)
