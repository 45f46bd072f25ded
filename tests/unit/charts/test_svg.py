"""The SVG bandwidth chart: a well-formed document whose geometry says what the data says."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest

from cdnexport.charts import BandwidthChart, Level, Line, format_bps, render_svg

NS = {"svg": "http://www.w3.org/2000/svg"}
STEP = timedelta(minutes=5)


def _times(slots: int) -> list[datetime]:
    first = datetime(2026, 10, 1, tzinfo=UTC)
    return [first + STEP * i for i in range(slots)]


def _chart(values: list[float], **extra: object) -> BandwidthChart:
    return BandwidthChart(
        title="Bandwidth",
        description="Bandwidth per 5 minutes",
        times=_times(len(values)),
        step=STEP,
        lines=[Line("Total", values)],
        **extra,  # type: ignore[arg-type]
    )


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def test_a_month_of_slots_keeps_its_one_slot_peak_and_stays_small() -> None:
    values = [1e6] * 8928
    values[5000] = 9e8
    svg = render_svg(_chart(values, peak=5000, peak_label="Peak"))
    root = _parse(svg)
    line = root.find("svg:polyline", NS)
    assert line is not None
    points = [tuple(map(float, p.split(","))) for p in line.attrib["points"].split()]
    assert len(points) <= 2 * 960
    assert min(y for _, y in points) == pytest.approx(_y_of(root, 9e8), abs=0.1)
    assert len(svg) < 60_000
    circle = root.find("svg:circle[@class='peak']", NS)
    assert circle is not None
    assert float(circle.attrib["cy"]) == pytest.approx(_y_of(root, 9e8), abs=0.1)


def _y_of(root: ET.Element, value: float) -> float:
    """The y of a value, from the gridlines drawn for 0 and for the top of the axis."""
    grid = [float(g.attrib["y1"]) for g in root.findall("svg:line[@stroke='#d9d9d9']", NS)]
    labels = [t.text or "" for t in root.findall("svg:text[@text-anchor='end']", NS)][: len(grid)]
    top_value = _parse_bps(labels[-1])
    return grid[0] + (grid[-1] - grid[0]) * value / top_value


def _parse_bps(label: str) -> float:
    number, unit = label.split()
    return float(number) * {"bps": 1, "Kbps": 1e3, "Mbps": 1e6, "Gbps": 1e9, "Tbps": 1e12}[unit]


def test_the_95th_line_sits_at_its_value_and_is_labelled() -> None:
    root = _parse(
        render_svg(
            _chart([float(i * 1000) for i in range(288)], percentile95=Level("95th", 250_000.0))
        )
    )
    level = root.find("svg:line[@class='percentile95']", NS)
    assert level is not None
    assert float(level.attrib["y1"]) == pytest.approx(_y_of(root, 250_000.0), abs=0.1)
    assert any((t.text or "").startswith("95th: 250 Kbps") for t in root.findall("svg:text", NS))


@pytest.mark.parametrize("slots", [12, 288, 2016, 8928])
def test_time_labels_never_overlap(slots: int) -> None:
    root = _parse(render_svg(_chart([1.0] * slots)))
    labels = [t for t in root.findall("svg:text[@text-anchor='middle']", NS)]
    assert len(labels) >= 2
    xs = [float(t.attrib["x"]) for t in labels]
    widths = [7 * len(t.text or "") for t in labels]
    for (x1, w1), (x2, w2) in zip(
        zip(xs, widths, strict=True), zip(xs[1:], widths[1:], strict=True), strict=False
    ):
        assert x2 - x1 >= (w1 + w2) / 2


def test_text_is_escaped_and_the_document_has_a_text_alternative() -> None:
    chart = BandwidthChart(
        title="<script>alert(1)</script>",
        description="a & b",
        times=_times(3),
        step=STEP,
        lines=[Line("<b>", [1.0, 2.0, 3.0])],
    )
    svg = render_svg(chart)
    assert "<script>" not in svg
    root = _parse(svg)
    assert root.attrib["role"] == "img"
    assert root.findtext("svg:title", namespaces=NS) == "<script>alert(1)</script>"
    assert root.findtext("svg:desc", namespaces=NS) == "a & b"


def test_no_data_draws_an_empty_axis_and_mismatched_lines_are_refused() -> None:
    root = _parse(render_svg(_chart([0.0] * 288)))
    assert root.find("svg:polyline", NS) is not None
    with pytest.raises(ValueError, match="has 2 values for 3 slots"):
        render_svg(
            BandwidthChart(
                title="t",
                description="d",
                times=_times(3),
                step=STEP,
                lines=[Line("x", [1.0, 2.0])],
            )
        )


def test_bandwidth_units() -> None:
    assert format_bps(0) == "0 bps"
    assert format_bps(999) == "999 bps"
    assert format_bps(1_500_000) == "1.5 Mbps"
    assert format_bps(2.5e9) == "2.5 Gbps"


def test_legend_entries_leave_room_for_wide_characters() -> None:
    chart = BandwidthChart(
        title="带宽",
        description="d",
        times=_times(3),
        step=STEP,
        lines=[Line("全部合计", [1.0, 2.0, 3.0]), Line("中国内地合计", [1.0, 1.0, 1.0])],
        percentile95=Level("95 峰值", 2.0),
    )
    root = _parse(render_svg(chart))
    legend = [t for t in root.findall("svg:text", NS) if t.text in ("全部合计", "中国内地合计")]
    first, second = (float(t.attrib["x"]) for t in legend)
    assert second - first >= 11 * 4  # four wide characters of an 11 px font, at the least
    level = next(t for t in root.findall("svg:text", NS) if (t.text or "").startswith("95 峰值"))
    assert level.attrib["paint-order"] == "stroke"  # a halo keeps it readable over the curves
