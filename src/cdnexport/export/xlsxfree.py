"""The XML of a free-form sheet for ``FastXlsxWriter``: typed cells in a few styles, column widths
and an optional drawing.

Hand-written like the other package parts: a summary is a few hundred cells, rendered once.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Final

from cdnexport.export import xlsxparts
from cdnexport.export.writer import CellStyle, FreeSheet

_DECLARATION: Final = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_MAIN: Final = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_DOC_RELS: Final = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_RELS: Final = "http://schemas.openxmlformats.org/package/2006/relationships"

#: The ``cellXfs`` id of each style; ``FREE_STYLES`` is keyed by the styles' values.
STYLE_IDS: Final = {
    style: xlsxparts.FIRST_FREE_STYLE + list(xlsxparts.FREE_STYLES).index(style.value)
    for style in CellStyle
}


def free_sheet(
    sheet: FreeSheet, string_code: Callable[[str], int], *, selected: bool, drawing: bool
) -> bytes:
    """The worksheet part; text cells go through ``string_code`` into the shared strings.

    With ``drawing`` the sheet refers to its drawing as relationship ``rId1``.
    """
    rows: list[str] = []
    columns = 0
    for number, row in enumerate(sheet.rows, start=1):
        cells: list[str] = []
        for index, cell in enumerate(row):
            if cell is None:
                continue
            ref = f"{xlsxparts.column_letters(index)}{number}"
            style = STYLE_IDS[cell.style]
            attributes = f' r="{ref}" s="{style}"'
            if isinstance(cell.value, str):
                cells.append(f'<c{attributes} t="s"><v>{string_code(cell.value)}</v></c>')
            else:
                cells.append(f"<c{attributes}><v>{number_text(cell.value)}</v></c>")
            columns = max(columns, index + 1)
        height = sheet.heights.get(number - 1)
        size = "" if height is None else f' ht="{height!r}" customHeight="1"'
        if cells or height is not None:
            rows.append(f'<row r="{number}"{size}>{"".join(cells)}</row>')
    last_row = max((n for n, row in enumerate(sheet.rows, start=1) if any(row)), default=1)
    dimension = (
        "A1"
        if columns <= 1 and last_row == 1
        else (f"A1:{xlsxparts.column_letters(max(columns, 1) - 1)}{last_row}")
    )
    tab = ' tabSelected="1"' if selected else ""
    cols = "".join(
        f'<col min="{number}" max="{number}" width="{xlsxparts.column_width(width)!r}" '
        'customWidth="1"/>'
        for number, width in enumerate(sheet.widths, start=1)
    )
    parts = [
        f'{_DECLARATION}<worksheet xmlns="{_MAIN}" xmlns:r="{_DOC_RELS}">',
        # Printed landscape, one page wide, so the chart and tables are never cut apart.
        '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>',
        f'<dimension ref="{dimension}"/>',
        f'<sheetViews><sheetView{tab} workbookViewId="0"/></sheetViews>',
        '<sheetFormatPr defaultRowHeight="15"/>',
        f"<cols>{cols}</cols>" if cols else "",
        f"<sheetData>{''.join(rows)}</sheetData>",
        '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>',
        '<pageSetup orientation="landscape" fitToHeight="0"/>',
        '<drawing r:id="rId1"/>' if drawing else "",
        "</worksheet>",
    ]
    return "".join(parts).encode()


def sheet_rels(drawing_number: int) -> bytes:
    """A sheet's relationships: its drawing as ``rId1``."""
    return (
        f'{_DECLARATION}<Relationships xmlns="{_PKG_RELS}">'
        f'<Relationship Id="rId1" Type="{_DOC_RELS}/drawing" '
        f'Target="../drawings/drawing{drawing_number}.xml"/></Relationships>'
    ).encode()


def number_text(value: int | float) -> str:
    """A number cell's text: every digit of an int, the shortest round-trip text of a float."""
    if isinstance(value, bool):
        raise TypeError("number cells take int or float, not bool")
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):
        raise ValueError("number cells cannot hold NaN or infinity")
    return repr(float(value)).upper()
