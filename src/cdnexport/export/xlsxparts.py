"""The XML parts of an xlsx package around the sheet data, and the escaping rules for its text.

Written by hand because a workbook of plain typed cells needs only a few fixed parts; the
``*_STYLE`` ids index the ``cellXfs`` of ``STYLES``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

DATETIME_FORMAT: Final = "yyyy-mm-dd hh:mm"
DAY_FORMAT: Final = "yyyy-mm-dd"
DATE_STYLE: Final = 1
HEADER_STYLE: Final = 2
#: Styles of free-form sheets, all top-aligned so that a label stays beside the first line of
#: a wrapped text: (number format id, font id, wrapped), in ``cellXfs`` order from id 3 on.
#: Formats 3 and 4 are Excel's built-in #,##0 and #,##0.00.
FREE_STYLES: Final = {
    "plain": (0, 0, False),
    "bold": (0, 1, False),
    "title": (0, 2, False),
    "wrap": (0, 0, True),
    "datetime": (164, 0, False),
    "date": (165, 0, False),
    "integer": (3, 0, False),
    "decimal": (4, 0, False),
}
FIRST_FREE_STYLE: Final = 3


def _free_xf(number_format: int, font: int, wrapped: bool) -> str:
    wrap = ' wrapText="1"' if wrapped else ""
    return (
        f'<xf numFmtId="{number_format}" fontId="{font}" fillId="0" borderId="0" xfId="0" '
        f'applyNumberFormat="1" applyFont="1" applyAlignment="1"><alignment vertical="top"{wrap}/>'
        "</xf>"
    )


#: Columns of an Excel sheet.
MAX_COLUMNS: Final = 16_384
#: Excel counts sheet-name length in UTF-16 code units.
MAX_SHEET_NAME: Final = 31

_DECLARATION: Final = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_MAIN: Final = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_DOC_RELS: Final = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_RELS: Final = "http://schemas.openxmlformats.org/package/2006/relationships"
_TYPES: Final = "http://schemas.openxmlformats.org/package/2006/content-types"
_SML_TYPE: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml"

ROOT_RELS: Final = (
    f'{_DECLARATION}<Relationships xmlns="{_PKG_RELS}">'
    f'<Relationship Id="rId1" Type="{_DOC_RELS}/officeDocument" Target="xl/workbook.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/'
    'metadata/core-properties" Target="docProps/core.xml"/>'
    f'<Relationship Id="rId3" Type="{_DOC_RELS}/extended-properties" Target="docProps/app.xml"/>'
    "</Relationships>"
).encode()

CORE_PROPS: Final = (
    f"{_DECLARATION}<cp:coreProperties "
    'xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"/>'
).encode()

# The producer name XlsxWriter and openpyxl write too: readers that check it take the file as
# Excel's.
APP_PROPS: Final = (
    f"{_DECLARATION}<Properties "
    'xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
    "<Application>Microsoft Excel</Application></Properties>"
).encode()

STYLES: Final = (
    f'{_DECLARATION}<styleSheet xmlns="{_MAIN}">'
    f'<numFmts count="2"><numFmt numFmtId="164" formatCode="{DATETIME_FORMAT}"/>'
    f'<numFmt numFmtId="165" formatCode="{DAY_FORMAT}"/></numFmts>'
    # No theme part is written, so fonts name their face instead of referring to a theme.
    '<fonts count="3"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="14"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    f'<cellXfs count="{FIRST_FREE_STYLE + len(FREE_STYLES)}">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    f"{''.join(_free_xf(*style) for style in FREE_STYLES.values())}</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
).encode()

#: What a sheet ends with after its last row.
SHEET_TAIL: Final = b"</sheetData></worksheet>"

_SHEET_START: Final = f'{_DECLARATION}<worksheet xmlns="{_MAIN}" xmlns:r="{_DOC_RELS}">'
#: Room for the largest dimension element, so a sheet's start can be written before its size.
SHEET_PREFIX_SIZE: Final = len(f'{_SHEET_START}<dimension ref="A1:XFD1048576"/>'.encode())

_LOOKS_ESCAPED: Final = re.compile("_(x[0-9A-Fa-f]{4}_)")
_SURROGATE: Final = re.compile("[\ud800-\udfff]")
_NOT_IN_XML: Final = re.compile("[\x00-\x08\x0b-\x1f\ufffe\uffff]")
_NOT_IN_SHEET_NAME: Final = re.compile("[\\[\\]:*?/\\\\\x00-\x1f\ufffe\uffff\ud800-\udfff]")


def content_types(sheet_count: int, chart_count: int = 0) -> bytes:
    """Charts are ``xl/charts/chartN.xml``, each in its own ``xl/drawings/drawingN.xml``."""
    sheets = "".join(
        f'<Override PartName="/xl/worksheets/sheet{number}.xml" '
        f'ContentType="{_SML_TYPE}.worksheet+xml"/>'
        for number in range(1, sheet_count + 1)
    )
    sheets += "".join(
        f'<Override PartName="/xl/drawings/drawing{number}.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.drawing+xml"/>'
        f'<Override PartName="/xl/charts/chart{number}.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.drawingml.chart+xml"/>'
        for number in range(1, chart_count + 1)
    )
    return (
        f'{_DECLARATION}<Types xmlns="{_TYPES}">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{_SML_TYPE}.sheet.main+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{_SML_TYPE}.styles+xml"/>'
        f'<Override PartName="/xl/sharedStrings.xml" '
        f'ContentType="{_SML_TYPE}.sharedStrings+xml"/>'
        f"{sheets}"
        '<Override PartName="/docProps/core.xml" '
        'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
        '<Override PartName="/docProps/app.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
        "</Types>"
    ).encode()


def workbook(sheet_names: Sequence[str], order: Sequence[int] | None = None) -> bytes:
    """``sheet_names[i]`` is ``sheet{i + 1}.xml``; ``order`` lists those indexes in tab order."""
    tabs = range(len(sheet_names)) if order is None else order
    if sorted(tabs) != list(range(len(sheet_names))):
        raise ValueError(f"tab order {list(tabs)} is not a permutation of the sheets")
    sheets = "".join(
        f'<sheet name="{escape_attribute(sheet_names[index])}" sheetId="{index + 1}" '
        f'r:id="rId{index + 1}"/>'
        for index in tabs
    )
    return (
        f'{_DECLARATION}<workbook xmlns="{_MAIN}" xmlns:r="{_DOC_RELS}">'
        f'<bookViews><workbookView activeTab="0"/></bookViews><sheets>{sheets}</sheets>'
        "</workbook>"
    ).encode()


def workbook_rels(sheet_count: int) -> bytes:
    """Sheets are ``rId1..rIdN``; styles and shared strings follow them."""
    sheets = "".join(
        f'<Relationship Id="rId{number}" Type="{_DOC_RELS}/worksheet" '
        f'Target="worksheets/sheet{number}.xml"/>'
        for number in range(1, sheet_count + 1)
    )
    return (
        f'{_DECLARATION}<Relationships xmlns="{_PKG_RELS}">{sheets}'
        f'<Relationship Id="rId{sheet_count + 1}" Type="{_DOC_RELS}/styles" Target="styles.xml"/>'
        f'<Relationship Id="rId{sheet_count + 2}" Type="{_DOC_RELS}/sharedStrings" '
        'Target="sharedStrings.xml"/></Relationships>'
    ).encode()


def shared_strings_start(references: int, unique: int) -> bytes:
    return (
        f'{_DECLARATION}<sst xmlns="{_MAIN}" count="{references}" uniqueCount="{unique}">'.encode()
    )


SHARED_STRINGS_END: Final = b"</sst>"


def shared_string(value: str) -> str:
    """The ``<si>`` element of one shared string."""
    preserve = ' xml:space="preserve"' if value != value.strip() else ""
    return f"<si><t{preserve}>{escape_text(value)}</t></si>"


def escape_text(value: str) -> str:
    """Escape ``value`` for XML text the way Excel does.

    Characters XML 1.0 cannot hold become Excel's ``_xHHHH_`` escapes (so a carriage return
    survives, unlike a raw one that XML parsers turn into a newline), a literal ``_xHHHH_`` gets its
    underscore escaped so that it is not decoded, and lone surrogates, which UTF-8 cannot encode,
    become U+FFFD.
    """
    if "_x" in value:
        value = _LOOKS_ESCAPED.sub(r"_x005F_\1", value)
    value = _SURROGATE.sub("\ufffd", value)
    value = _NOT_IN_XML.sub(lambda match: f"_x{ord(match.group()):04X}_", value)
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_attribute(value: str) -> str:
    """Escape ``value`` for an XML attribute or a chart's text, where Excel decodes no
    ``_xHHHH_``: a character XML 1.0 cannot hold becomes U+FFFD."""
    value = _SURROGATE.sub("\ufffd", value)
    value = _NOT_IN_XML.sub("\ufffd", value)
    return (
        value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def check_sheet_name(name: str, taken: Sequence[str]) -> None:
    """Raise ``ValueError`` for a name Excel would refuse: the rules XlsxWriter enforces too."""
    if not name or name.startswith("'") or name.endswith("'"):
        raise ValueError(f"sheet name {name!r} is empty or starts or ends with an apostrophe")
    if len(name.encode("utf-16-le", "surrogatepass")) // 2 > MAX_SHEET_NAME:
        raise ValueError(f"sheet name {name!r} is longer than {MAX_SHEET_NAME} characters")
    if _NOT_IN_SHEET_NAME.search(name):
        raise ValueError(f"sheet name {name!r} holds one of []:*?/\\ or a control character")
    if name.lower() == "history":
        raise ValueError("Excel reserves the sheet name 'History'")
    if name.lower() in (other.lower() for other in taken):
        raise ValueError(f"sheet name {name!r} is already used")


def column_letters(index: int) -> str:
    """``0 -> A``, ``25 -> Z``, ``26 -> AA``."""
    letters = ""
    number = index + 1
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def column_width(width: float) -> float:
    """The stored width of a column ``width`` characters wide in the default font.

    Excel stores the width of whole pixels plus cell padding (7-pixel digits, 5 pixels of
    padding, 1/256 steps); storing the same value as XlsxWriter makes both look the same.
    """
    if width <= 0:
        return 0.0
    pixels = int(width * 12 + 0.5) if width < 1 else int(width * 7 + 0.5) + 5
    return int(pixels / 7 * 256) / 256


def sheet_prefix(columns: int, rows: int) -> bytes:
    """The start of a sheet up to its dimension, padded to ``SHEET_PREFIX_SIZE`` bytes."""
    single = columns == 0 or (columns == 1 and rows == 1)
    ref = "A1" if single else f"A1:{column_letters(columns - 1)}{rows}"
    text = f'{_SHEET_START}<dimension ref="{ref}"/>'.encode()
    # Whitespace between elements is insignificant, so spaces fill the room left.
    return text + b" " * (SHEET_PREFIX_SIZE - len(text))


def sheet_head(widths: Sequence[float], header_codes: Sequence[int], selected: bool) -> bytes:
    """What follows the prefix: the frozen header pane, column widths and the header row."""
    tab = ' tabSelected="1"' if selected else ""
    cols = "".join(
        f'<col min="{number}" max="{number}" width="{column_width(width)!r}" customWidth="1"/>'
        for number, width in enumerate(widths, start=1)
    )
    header = "".join(f'<c t="s" s="{HEADER_STYLE}"><v>{code}</v></c>' for code in header_codes)
    return (
        f'<sheetViews><sheetView{tab} workbookViewId="0">'
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft"/></sheetView></sheetViews>'
        '<sheetFormatPr defaultRowHeight="15"/>'
        f"{f'<cols>{cols}</cols>' if cols else ''}"
        f'<sheetData><row r="1">{header}</row>'
    ).encode()
