"""The summary's line chart: the parts each writer puts in the package, the ranges it draws, and
the chart-data sheet those ranges hold."""

from __future__ import annotations

import dataclasses
import re
import xml.etree.ElementTree as ET
import zipfile
from collections import defaultdict
from datetime import datetime
from pathlib import Path

import pytest

from cdnexport.domain.task import ExportType, Language
from cdnexport.export.plan import WorkbookPlan
from cdnexport.export.writer import CellRange, ChartSeries, LineChart
from cdnexport.export.xlsxchart import drawing_xml, formula
from cdnexport.usage.series import Series
from tests.unit.export.reports import build, detail_rows, facts, read
from tests.unit.export.samples import plan, series, utc

C = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
XDR = "{http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing}"


def days_plan(days: int) -> WorkbookPlan:
    start = utc("2024-01-01 00:00")
    base = plan(days * 288, start=start, language=Language.EN_US, time_zone="Asia/Shanghai")
    return dataclasses.replace(base, facts=facts())


def labelled_items(count: int, slots: int) -> list[Series]:
    """``count`` domains with traffic growing with their number, two regions for the first."""
    pattern = [slot % 97 + 1 for slot in range(slots)]
    items = [
        series(f"d{index}.example.com", 0, [value * index * 1000 for value in pattern])
        for index in range(1, count + 1)
    ]
    items.insert(1, series("d1.example.com", 4, [5] * slots))
    return items


def chart_root(path: Path) -> ET.Element:
    with zipfile.ZipFile(path) as archive:
        return ET.fromstring(archive.read("xl/charts/chart1.xml"))


def attribute(root: ET.Element, path: str, name: str) -> str | None:
    found = root.find(path)
    assert found is not None, path
    return found.get(name)


@pytest.mark.parametrize(
    ("writer", "days", "step", "labels"),
    # A label every 3 days for a month; every 6 hours for 3 days (XlsxWriter is slow).
    [("fast", 31, 864, "mm-dd"), ("xlsxwriter", 3, 72, "mm-dd hh:mm")],
)
def test_the_chart_draws_the_total_and_five_largest_domains(
    tmp_path: Path, writer: str, days: int, step: int, labels: str
) -> None:
    path = tmp_path / "x.xlsx"
    build(path, writer, days_plan(days), labelled_items(7, days * 288))
    root = chart_root(path)
    assert root.find(f".//{C}lineChart") is not None
    names = [v.text for v in root.iterfind(f".//{C}ser/{C}tx//{C}v")]
    assert names == ["Total", *(f"d{index}.example.com" for index in (7, 6, 5, 4, 3))]
    last = days * 288 + 1
    refs = [f.text for f in root.iterfind(f".//{C}ser/{C}val//{C}f")]
    assert refs == [f"'Chart Data'!${column}$2:${column}${last}" for column in "BCDEFG"]
    categories = {f.text for f in root.iterfind(f".//{C}ser/{C}cat//{C}f")}
    assert categories == {f"'Chart Data'!$A$2:$A${last}"}
    titles = ["".join(t.itertext()) for t in root.iterfind(f".//{C}title")]
    assert titles == ["Bandwidth per 5 minutes", "Time (Asia/Shanghai)", "Bandwidth (Kbps)"]
    # A text axis: a date axis would put a day's 288 points on one spot. (XlsxWriter leaves
    # out c:auto for a text axis; absent means no.)
    auto = root.find(f".//{C}catAx/{C}auto")
    assert auto is None or auto.get("val") == "0"
    assert attribute(root, f".//{C}catAx/{C}tickLblSkip", "val") == str(step)
    assert attribute(root, f".//{C}catAx/{C}numFmt", "formatCode") == labels
    assert attribute(root, f".//{C}legend/{C}legendPos", "val") == "b"
    assert attribute(root, f".//{C}valAx/{C}numFmt", "formatCode") == "#,##0.0,"


@pytest.mark.parametrize("writer", ["fast", "xlsxwriter"])
def test_chart_data_holds_the_detail_summed_per_slot(tmp_path: Path, writer: str) -> None:
    path = tmp_path / "x.xlsx"
    items = [
        series("a.example.com", 0, [1, 2, 3, 2**40]),
        series("a.example.com", 5, [10, 0, 0, 0]),
        series("b.example.com", 0, [0, 7, 0, 1]),
    ]
    short = dataclasses.replace(plan(4, language=Language.EN_US), facts=facts())
    build(path, writer, short, items)
    sheets = read(path)
    data = sheets["Chart Data"]
    assert data[0] == ("Time (UTC)", "Total", "a.example.com", "b.example.com")
    per_label: dict[str, dict[object, int]] = defaultdict(lambda: defaultdict(int))
    for row in detail_rows(sheets, "Detail"):
        per_label["Total"][row[0]] += row[3]
        per_label[row[1]][row[0]] += row[3]
    for column, label in enumerate(data[0][1:], start=1):
        expected = [traffic * 8 / 300 for traffic in per_label[str(label)].values()]
        if writer == "xlsxwriter":
            expected = [float(f"{value:.16G}") for value in expected]
        assert [row[column] for row in data[1:]] == expected
    assert [row[0] for row in data[1:]] == [row[0] for row in sheets["Detail"][1:5]]


def test_vas_charts_requests_per_slot(tmp_path: Path) -> None:
    path = tmp_path / "x.xlsx"
    vas = plan(2, export_type=ExportType.VAS, language=Language.ZH_CN)
    items = [series("acct", 0, [1, 2], [3, 4], [5, 6])]
    build(path, "fast", dataclasses.replace(vas, label_kind="account", facts=facts()), items)
    assert read(path)["图表数据"] == [
        ("时间 (UTC)", "合计"),
        (datetime(2024, 1, 1, 0, 0), 9),
        (datetime(2024, 1, 1, 0, 5), 12),
    ]
    root = chart_root(path)
    titles = ["".join(t.itertext()) for t in root.iterfind(f".//{C}title")]
    assert titles == ["请求数（每5分钟）", "时间 (UTC)", "请求数（每5分钟）"]
    assert [v.text for v in root.iterfind(f".//{C}ser/{C}tx//{C}v")] == ["合计"]
    notes = [row[2] for row in read(path)["说明"] if len(row) > 2 and row[0] == "图表"]
    assert notes == ["折线图画出合计每5分钟的数值，数据在“图表数据”工作表中，与明细使用同一公式。"]


def test_the_fast_writer_links_sheet_drawing_and_chart(tmp_path: Path) -> None:
    path = tmp_path / "x.xlsx"
    build(path, "fast", days_plan(1), labelled_items(2, 288))
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        workbook = archive.read("xl/workbook.xml").decode()
        types = archive.read("[Content_Types].xml").decode()
        sheet_rels = archive.read("xl/worksheets/_rels/sheet3.xml.rels").decode()
        drawing_rels = archive.read("xl/drawings/_rels/drawing1.xml.rels").decode()
        summary = archive.read("xl/worksheets/sheet3.xml").decode()
    assert {"xl/drawings/drawing1.xml", "xl/charts/chart1.xml"} <= names
    # The summary is written third (after the detail and chart data) but listed first.
    tabs = re.findall(r'<sheet name="([^"]+)" sheetId="(\d+)" r:id="rId(\d+)"/>', workbook)
    assert tabs == [
        ("Summary", "3", "3"),
        ("Notes", "4", "4"),
        ("Detail", "1", "1"),
        ("Chart Data", "2", "2"),
    ]
    assert 'Target="../drawings/drawing1.xml"' in sheet_rels
    assert 'Target="../charts/chart1.xml"' in drawing_rels
    assert '<drawing r:id="rId1"/>' in summary
    assert 'tabSelected="1"' in summary
    for part in ("/xl/drawings/drawing1.xml", "/xl/charts/chart1.xml"):
        assert f'PartName="{part}"' in types


def test_range_formulas_quote_sheet_names() -> None:
    assert formula(CellRange("Chart Data", 1, 1, 8928)) == "'Chart Data'!$B$2:$B$8929"
    assert formula(CellRange("it's", 27, 0, 0)) == "'it''s'!$AB$1:$AB$1"


def test_the_drawing_spans_the_chart_size_over_the_columns() -> None:
    chart = LineChart(
        title="t",
        x_title="x",
        y_title="y",
        categories=CellRange("d", 0, 1, 2),
        series=(ChartSeries("s", CellRange("d", 1, 1, 2)),),
        label_format="mm-dd",
        label_step=1,
        value_format="0",
        row=3,
        column=1,
        width=300,
        height=95,
    )
    # Columns of 10 and 20 characters are 75 and 145 pixels; later ones are 64.
    root = ET.fromstring(drawing_xml(chart, (5.0, 10.0, 20.0)))
    corner = root.find(f".//{XDR}to")
    assert corner is not None
    cells = [
        int(corner.findtext(f"{XDR}{tag}") or "-1") for tag in ("col", "colOff", "row", "rowOff")
    ]
    # 300 = 75 + 145 + 64 + 16 pixels; 95 = 4 rows of 20 + 15 pixels.
    assert cells == [4, 16 * 9525, 7, 15 * 9525]
