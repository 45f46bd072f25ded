"""DrawingML for ``FastXlsxWriter``: a line chart part, the drawing that anchors it on a sheet,
and the relationship parts between them.

Hand-written because the one chart we draw needs a fixed set of elements; the category axis is a
text axis on purpose (``c:auto`` 0), since a date axis counts whole days and would stack the 288
points of a day on one spot.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final

from cdnexport.export.writer import CellRange, LineChart
from cdnexport.export.xlsxparts import column_letters, escape_attribute

_DECLARATION: Final = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_CHART_NS: Final = "http://schemas.openxmlformats.org/drawingml/2006/chart"
_DRAWING_NS: Final = "http://schemas.openxmlformats.org/drawingml/2006/main"
_SHEET_DRAWING_NS: Final = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
_DOC_RELS: Final = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_RELS: Final = "http://schemas.openxmlformats.org/package/2006/relationships"

#: English Metric Units per pixel at 96 dpi.
EMU_PER_PIXEL: Final = 9525
#: Height of a row of the default height (15 points), and width of a column without <col>.
ROW_PIXELS: Final = 20
DEFAULT_COLUMN_PIXELS: Final = 64
#: Line colours: the total in dark blue, then distinct hues for the largest labels.
COLOURS: Final = ("1F4E79", "ED7D31", "70AD47", "7030A0", "FFC000", "00B0F0", "C00000")
#: Line widths in EMU: 1.5 pt for the total, 1 pt for the rest, thin enough for 8,928 points.
TOTAL_LINE: Final = 19050
LINE: Final = 12700
_CATEGORY_AXIS: Final = 500_000_001
_VALUE_AXIS: Final = 500_000_002


def formula(cells: CellRange) -> str:
    """An absolute reference such as ``'Chart Data'!$B$2:$B$8929``."""
    sheet = cells.sheet.replace("'", "''")
    column = column_letters(cells.column)
    return f"'{sheet}'!${column}${cells.first_row + 1}:${column}${cells.last_row + 1}"


def chart_xml(chart: LineChart) -> bytes:
    series = "".join(
        _series(index, item.name, chart.categories, item.values)
        for index, item in enumerate(chart.series)
    )
    return (
        f'{_DECLARATION}<c:chartSpace xmlns:c="{_CHART_NS}" xmlns:a="{_DRAWING_NS}" '
        f'xmlns:r="{_DOC_RELS}"><c:roundedCorners val="0"/><c:chart>'
        f'{_title(chart.title, size=1400, bold=True)}<c:autoTitleDeleted val="0"/>'
        '<c:plotArea><c:layout/><c:lineChart><c:grouping val="standard"/>'
        f'<c:varyColors val="0"/>{series}<c:marker val="1"/>'
        f'<c:axId val="{_CATEGORY_AXIS}"/><c:axId val="{_VALUE_AXIS}"/></c:lineChart>'
        f'<c:catAx><c:axId val="{_CATEGORY_AXIS}"/><c:scaling><c:orientation val="minMax"/>'
        '</c:scaling><c:delete val="0"/><c:axPos val="b"/>'
        f"{_title(chart.x_title)}"
        f'<c:numFmt formatCode="{escape_attribute(chart.label_format)}" sourceLinked="0"/>'
        '<c:majorTickMark val="out"/><c:minorTickMark val="none"/><c:tickLblPos val="low"/>'
        # Small labels: LibreOffice ignores tickLblSkip and labels as many points as fit.
        '<c:txPr><a:bodyPr/><a:lstStyle/><a:p><a:pPr><a:defRPr sz="800"/></a:pPr>'
        '<a:endParaRPr lang="en-US"/></a:p></c:txPr>'
        f'<c:crossAx val="{_VALUE_AXIS}"/><c:crosses val="autoZero"/><c:auto val="0"/>'
        '<c:lblAlgn val="ctr"/><c:lblOffset val="100"/>'
        f'<c:tickLblSkip val="{chart.label_step}"/><c:tickMarkSkip val="{chart.label_step}"/>'
        '<c:noMultiLvlLbl val="1"/></c:catAx>'
        f'<c:valAx><c:axId val="{_VALUE_AXIS}"/><c:scaling><c:orientation val="minMax"/>'
        '<c:min val="0"/></c:scaling><c:delete val="0"/><c:axPos val="l"/>'
        f"<c:majorGridlines/>{_title(chart.y_title, rotated=True)}"
        f'<c:numFmt formatCode="{escape_attribute(chart.value_format)}" sourceLinked="0"/>'
        '<c:majorTickMark val="out"/><c:minorTickMark val="none"/><c:tickLblPos val="nextTo"/>'
        f'<c:crossAx val="{_CATEGORY_AXIS}"/><c:crosses val="autoZero"/>'
        '<c:crossBetween val="between"/></c:valAx></c:plotArea>'
        '<c:legend><c:legendPos val="b"/><c:overlay val="0"/></c:legend>'
        '<c:plotVisOnly val="1"/><c:dispBlanksAs val="gap"/></c:chart></c:chartSpace>'
    ).encode()


def drawing_xml(chart: LineChart, widths: Sequence[float]) -> bytes:
    """The drawing that places ``chart`` (relationship ``rId1``) over a sheet's cells.

    Both corners are given as cells plus offsets, computed from the sheet's column widths and the
    default row height, so the chart keeps its size in pixels.
    """
    start_col, start_col_off = chart.column, 0
    end_col, end_col_off = _advance(chart.column, chart.width, lambda c: _column_pixels(widths, c))
    end_row, end_row_off = _advance(chart.row, chart.height, lambda _: ROW_PIXELS)
    return (
        f'{_DECLARATION}<xdr:wsDr xmlns:xdr="{_SHEET_DRAWING_NS}" xmlns:a="{_DRAWING_NS}">'
        '<xdr:twoCellAnchor editAs="oneCell">'
        f"{_corner('from', start_col, start_col_off, chart.row, 0)}"
        f"{_corner('to', end_col, end_col_off, end_row, end_row_off)}"
        '<xdr:graphicFrame macro=""><xdr:nvGraphicFramePr>'
        f'<xdr:cNvPr id="2" name="{escape_attribute(chart.title)}"/><xdr:cNvGraphicFramePr/>'
        '</xdr:nvGraphicFramePr><xdr:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/></xdr:xfrm>'
        f'<a:graphic><a:graphicData uri="{_CHART_NS}">'
        f'<c:chart xmlns:c="{_CHART_NS}" xmlns:r="{_DOC_RELS}" r:id="rId1"/>'
        "</a:graphicData></a:graphic></xdr:graphicFrame><xdr:clientData/>"
        "</xdr:twoCellAnchor></xdr:wsDr>"
    ).encode()


def drawing_rels(chart_number: int) -> bytes:
    return (
        f'{_DECLARATION}<Relationships xmlns="{_PKG_RELS}">'
        f'<Relationship Id="rId1" Type="{_DOC_RELS}/chart" '
        f'Target="../charts/chart{chart_number}.xml"/></Relationships>'
    ).encode()


def _series(index: int, name: str, categories: CellRange, values: CellRange) -> str:
    colour = COLOURS[index % len(COLOURS)]
    width = TOTAL_LINE if index == 0 else LINE
    return (
        f'<c:ser><c:idx val="{index}"/><c:order val="{index}"/>'
        f"<c:tx><c:v>{escape_attribute(name)}</c:v></c:tx>"
        f'<c:spPr><a:ln w="{width}" cap="rnd"><a:solidFill><a:srgbClr val="{colour}"/>'
        "</a:solidFill><a:round/></a:ln></c:spPr>"
        '<c:marker><c:symbol val="none"/></c:marker>'
        f"<c:cat><c:numRef><c:f>{escape_attribute(formula(categories))}</c:f></c:numRef></c:cat>"
        f"<c:val><c:numRef><c:f>{escape_attribute(formula(values))}</c:f></c:numRef></c:val>"
        '<c:smooth val="0"/></c:ser>'
    )


def _title(text: str, *, size: int = 1000, bold: bool = False, rotated: bool = False) -> str:
    body = '<a:bodyPr rot="-5400000" vert="horz"/>' if rotated else "<a:bodyPr/>"
    weight = ' b="1"' if bold else ' b="0"'
    return (
        f"<c:title><c:tx><c:rich>{body}<a:lstStyle/><a:p><a:pPr>"
        f'<a:defRPr sz="{size}"{weight}/></a:pPr><a:r><a:rPr lang="en-US" sz="{size}"{weight}/>'
        f"<a:t>{escape_attribute(text)}</a:t></a:r></a:p></c:rich></c:tx>"
        '<c:overlay val="0"/></c:title>'
    )


def _corner(tag: str, column: int, column_offset: int, row: int, row_offset: int) -> str:
    return (
        f"<xdr:{tag}><xdr:col>{column}</xdr:col>"
        f"<xdr:colOff>{column_offset * EMU_PER_PIXEL}</xdr:colOff>"
        f"<xdr:row>{row}</xdr:row><xdr:rowOff>{row_offset * EMU_PER_PIXEL}</xdr:rowOff>"
        f"</xdr:{tag}>"
    )


def _advance(start: int, pixels: int, size: Callable[[int], int]) -> tuple[int, int]:
    """The cell and offset ``pixels`` past the start of cell ``start``, given cell sizes."""
    index, left = start, pixels
    while left >= (step := size(index)):
        left -= step
        index += 1
    return index, left


def _column_pixels(widths: Sequence[float], column: int) -> int:
    """The on-screen width of a column, as Excel rounds a width in characters to pixels."""
    if column >= len(widths):
        return DEFAULT_COLUMN_PIXELS
    width = widths[column]
    if width <= 0:
        return 0
    return int(width * 12 + 0.5) if width < 1 else int(width * 7 + 0.5) + 5
