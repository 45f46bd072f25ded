"""The bandwidth chart as one SVG document: the console's usage page and the PDF report draw the
same picture from the same code.

Written by hand over ``xml.etree.ElementTree`` (which does the escaping): the one chart we draw is
a few lines, two reference lines and two axes, while a plotting library (matplotlib) costs a
second of import, draws text as paths the console's script cannot read, and gives no stable
geometry for hover read-outs. Every line is reduced to its lowest and highest value per pixel
column, so a peak of one 5-minute slot stays visible in a month of 8,928 slots and the document
stays small (a few tens of KB whatever the window).
"""

from __future__ import annotations

import math
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

#: Line colours: the first line (the total) in dark blue, then distinct hues.
COLOURS: Final = ("#1f4e79", "#ed7d31", "#70ad47", "#7030a0", "#c9a100", "#00a0d8", "#c00000")
PERCENTILE_COLOUR: Final = "#c00000"
PEAK_COLOUR: Final = "#7030a0"
FONT_FAMILY: Final = "Noto Sans, Noto Sans CJK SC, DejaVu Sans, sans-serif"
_UNITS: Final = ((1e12, "Tbps"), (1e9, "Gbps"), (1e6, "Mbps"), (1e3, "Kbps"), (1.0, "bps"))
_TICK_STEPS: Final = (
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(minutes=30),
    timedelta(hours=1),
    timedelta(hours=2),
    timedelta(hours=3),
    timedelta(hours=6),
    timedelta(hours=12),
    timedelta(days=1),
    timedelta(days=2),
    timedelta(days=7),
)
_MARGIN_LEFT: Final = 72
_MARGIN_RIGHT: Final = 16
_MARGIN_TOP: Final = 36
_MARGIN_BOTTOM: Final = 56
_LABEL_PX: Final = 7  # a conservative width of one character of the 11 px axis font
#: A white outline under a label drawn over the curves, so that it stays readable.
_HALO: Final = {
    "paint-order": "stroke", "stroke": "#ffffff", "stroke-width": "3", "stroke-linejoin": "round",
}  # fmt: skip


def format_bps(value: float) -> str:
    """A bandwidth with the largest unit that keeps it at or above 1, three significant digits."""
    for scale, unit in _UNITS:
        if abs(value) >= scale:
            return f"{value / scale:.3g} {unit}"
    return "0 bps"


@dataclass(frozen=True, slots=True)
class Line:
    """One curve: a value in bits per second for every slot of the chart."""

    label: str
    values: Sequence[float]


@dataclass(frozen=True, slots=True)
class Level:
    """A horizontal reference line, such as the 95th percentile."""

    label: str
    value: float


@dataclass(frozen=True, slots=True)
class BandwidthChart:
    """What to draw: slot start times (aware, in the zone to label with), curves and references.

    ``peak`` is the index of the slot to mark; ``description`` is the text alternative.
    """

    title: str
    description: str
    times: Sequence[datetime]
    step: timedelta
    lines: Sequence[Line]
    percentile95: Level | None = None
    peak: int | None = None
    peak_label: str = ""
    legend: bool = True
    extra_attributes: dict[str, str] = field(default_factory=dict)
    #: How axis labels, the reference line and the peak show a value (bytes or requests
    #: charts pass their own).
    value_format: Callable[[float], str] = format_bps


def render_svg(chart: BandwidthChart, *, width: int = 960, height: int = 320) -> str:
    """The chart as a standalone SVG document (no script, no external references)."""
    for line in chart.lines:
        if len(line.values) != len(chart.times):
            raise ValueError(
                f"line {line.label!r} has {len(line.values)} values for {len(chart.times)} slots"
            )
    plot = _Plot(width=width, height=height, slots=len(chart.times), top=_top(chart))
    svg = ET.Element(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "width": str(width),
            "height": str(height),
            "viewBox": f"0 0 {width} {height}",
            "role": "img",
            "aria-labelledby": "chart-title chart-desc",
            "font-family": FONT_FAMILY,
            "data-plot-left": str(plot.left),
            "data-plot-width": str(plot.width),
            "data-slots": str(plot.slots),
            "data-first": chart.times[0].isoformat() if chart.times else "",
            "data-step-seconds": str(int(chart.step.total_seconds())),
            **chart.extra_attributes,
        },
    )
    _text(svg, "title", chart.title, id="chart-title")
    _text(svg, "desc", chart.description, id="chart-desc")
    _add(svg, "rect", width=str(width), height=str(height), fill="#ffffff")
    _text(
        svg,
        "text",
        chart.title,
        x=str(plot.left),
        y="20",
        **{"font-size": "14", "font-weight": "bold"},
    )
    _value_axis(svg, plot, chart.value_format)
    _time_axis(svg, plot, chart.times, chart.step)
    for index, line in enumerate(chart.lines):
        _curve(svg, plot, line, COLOURS[index % len(COLOURS)], 1.5 if index == 0 else 1.0)
    if chart.percentile95 is not None:
        _level(svg, plot, chart.percentile95, chart.value_format)
    if chart.peak is not None and chart.lines and 0 <= chart.peak < plot.slots:
        value = chart.lines[0].values[chart.peak]
        _peak(svg, plot, chart.peak, value, chart.peak_label, chart.value_format)
    if chart.legend:
        _legend(svg, plot, chart)
    return ET.tostring(svg, encoding="unicode")


@dataclass(frozen=True, slots=True)
class _Plot:
    width: int
    height: int
    slots: int
    top: float

    @property
    def left(self) -> int:
        return _MARGIN_LEFT

    @property
    def inner_width(self) -> int:
        return self.width - _MARGIN_LEFT - _MARGIN_RIGHT

    @property
    def bottom(self) -> int:
        return self.height - _MARGIN_BOTTOM

    @property
    def inner_height(self) -> int:
        return self.height - _MARGIN_TOP - _MARGIN_BOTTOM

    def x(self, slot: float) -> float:
        return _MARGIN_LEFT + slot * self.inner_width / max(self.slots, 1)

    def y(self, value: float) -> float:
        return self.bottom - value * self.inner_height / self.top


def _top(chart: BandwidthChart) -> float:
    """The value axis' top: a round number at or above every value and the reference line."""
    highest = max((max(line.values, default=0.0) for line in chart.lines), default=0.0)
    if chart.percentile95 is not None:
        highest = max(highest, chart.percentile95.value)
    return _nice_step(highest / 4) * 4 if highest > 0 else 1.0


def _nice_step(rough: float) -> float:
    magnitude = 10.0 ** math.floor(math.log10(rough))
    for factor in (1, 2, 2.5, 5, 10):
        if factor * magnitude >= rough:
            return factor * magnitude
    return 10 * magnitude


def _value_axis(svg: ET.Element, plot: _Plot, shown: Callable[[float], str]) -> None:
    for tick in range(5):
        value = plot.top * tick / 4
        y = f"{plot.y(value):.1f}"
        _add(
            svg,
            "line",
            x1=str(plot.left),
            x2=str(plot.left + plot.inner_width),
            y1=y,
            y2=y,
            stroke="#d9d9d9",
        )
        label = shown(value) if tick else "0"
        _text(
            svg,
            "text",
            label,
            x=str(plot.left - 6),
            y=y,
            **{"font-size": "11", "text-anchor": "end", "dominant-baseline": "middle"},
        )


def _time_axis(svg: ET.Element, plot: _Plot, times: Sequence[datetime], step: timedelta) -> None:
    bottom = str(plot.bottom)
    _add(
        svg,
        "line",
        x1=str(plot.left),
        x2=str(plot.left + plot.inner_width),
        y1=bottom,
        y2=bottom,
        stroke="#595959",
    )
    if not times:
        return
    span = step * len(times)
    show_date = span > timedelta(days=1)
    label_px = _LABEL_PX * (11 if show_date else 5) + 12
    room = max(plot.inner_width // label_px, 1)
    tick = next((s for s in _TICK_STEPS if span / s <= room), _TICK_STEPS[-1])
    while span / tick > room:
        tick *= 2
    for index, moment in enumerate(times):
        if not _aligned(moment, tick):
            continue
        x = f"{plot.x(index):.1f}"
        _add(svg, "line", x1=x, x2=x, y1=bottom, y2=str(plot.bottom + 4), stroke="#595959")
        label = moment.strftime(
            "%m-%d %H:%M"
            if show_date and tick < timedelta(days=1)
            else "%m-%d"
            if show_date
            else "%H:%M"
        )
        _text(
            svg,
            "text",
            label,
            x=x,
            y=str(plot.bottom + 16),
            **{"font-size": "11", "text-anchor": "middle"},
        )


def _aligned(moment: datetime, tick: timedelta) -> bool:
    """Ticks fall on round local times: whole hours, midnights, Mondays for weeks."""
    midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    since = moment - midnight
    if tick >= timedelta(days=7):
        return since == timedelta(0) and moment.weekday() == 0
    if tick >= timedelta(days=1):
        return since == timedelta(0) and (moment.toordinal() % (tick // timedelta(days=1))) == 0
    return since % tick == timedelta(0)


def _curve(svg: ET.Element, plot: _Plot, line: Line, colour: str, stroke: float) -> None:
    points = " ".join(f"{x:.1f},{y:.1f}" for x, y in _reduced(plot, line.values))
    _add(
        svg,
        "polyline",
        points=points,
        fill="none",
        stroke=colour,
        **{"stroke-width": str(stroke), "stroke-linejoin": "round", "data-label": line.label},
    )


def _reduced(plot: _Plot, values: Sequence[float]) -> list[tuple[float, float]]:
    """Per pixel column, the first, lowest, highest and last values in slot order."""
    columns = max(plot.inner_width, 1)
    if len(values) <= 2 * columns:
        return [(plot.x(i + 0.5), plot.y(v)) for i, v in enumerate(values)]
    points: list[tuple[float, float]] = []
    per_column = len(values) / columns
    for column in range(columns):
        start, end = int(column * per_column), int((column + 1) * per_column)
        chunk = values[start:end]
        if not chunk:
            continue
        low = min(range(len(chunk)), key=chunk.__getitem__)
        high = max(range(len(chunk)), key=chunk.__getitem__)
        for offset in sorted({low, high}):
            points.append((plot.x(start + offset + 0.5), plot.y(chunk[offset])))
    return points


def _level(svg: ET.Element, plot: _Plot, level: Level, shown: Callable[[float], str]) -> None:
    y = f"{plot.y(level.value):.1f}"
    _add(
        svg,
        "line",
        x1=str(plot.left),
        x2=str(plot.left + plot.inner_width),
        y1=y,
        y2=y,
        stroke=PERCENTILE_COLOUR,
        **{"stroke-width": "1", "stroke-dasharray": "6 4", "class": "percentile95"},
    )
    _text(
        svg,
        "text",
        f"{level.label}: {shown(level.value)}",
        x=str(plot.left + plot.inner_width - 4),
        y=f"{plot.y(level.value) - 4:.1f}",
        fill=PERCENTILE_COLOUR,
        **{"font-size": "11", "text-anchor": "end", **_HALO},
    )


def _peak(
    svg: ET.Element,
    plot: _Plot,
    slot: int,
    value: float,
    label: str,
    shown: Callable[[float], str],
) -> None:
    x, y = plot.x(slot + 0.5), plot.y(value)
    _add(
        svg, "circle", cx=f"{x:.1f}", cy=f"{y:.1f}", r="3.5", fill=PEAK_COLOUR, **{"class": "peak"}
    )
    text = f"{label}: {shown(value)}" if label else shown(value)
    anchor = "end" if x > plot.left + plot.inner_width * 0.75 else "start"
    shift = -6 if anchor == "end" else 6
    _text(
        svg,
        "text",
        text,
        x=f"{x + shift:.1f}",
        y=f"{max(y - 6, _MARGIN_TOP - 4):.1f}",
        fill=PEAK_COLOUR,
        **{"font-size": "11", "text-anchor": anchor, **_HALO},
    )


def _legend(svg: ET.Element, plot: _Plot, chart: BandwidthChart) -> None:
    x = float(plot.left)
    y = plot.height - 14
    for index, line in enumerate(chart.lines):
        colour = COLOURS[index % len(COLOURS)]
        _add(
            svg,
            "line",
            x1=f"{x:.0f}",
            x2=f"{x + 16:.0f}",
            y1=str(y - 4),
            y2=str(y - 4),
            stroke=colour,
            **{"stroke-width": "2"},
        )
        _text(svg, "text", line.label, x=f"{x + 20:.0f}", y=str(y), **{"font-size": "11"})
        x += 20 + text_width(line.label) + 16


def text_width(text: str) -> float:
    """A conservative width of ``text`` in the 11 px font: wide (CJK) characters count twice."""
    return _LABEL_PX * sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _add(parent: ET.Element, tag: str, **attributes: str) -> ET.Element:
    return ET.SubElement(parent, tag, attributes)


def _text(parent: ET.Element, tag: str, content: str, **attributes: str) -> ET.Element:
    element = _add(parent, tag, **attributes)
    element.text = content
    return element
