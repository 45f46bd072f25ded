"""The words of a workbook per Language: sheet names, column headers and region names."""

from __future__ import annotations

import unicodedata
from typing import Final, Literal

from cdnexport.domain.regions import REGION_NAMES
from cdnexport.domain.task import ExportType, Language
from cdnexport.export.writer import CellKind, ColumnSpec

LabelKind = Literal["domain", "account", "group"]

#: Zone names that mean UTC itself; the header shows them all as plain ``UTC``.
_UTC_NAMES: Final = frozenset(
    {"UTC", "Etc/UTC", "UCT", "Etc/UCT", "Universal", "Etc/Universal", "Zulu", "Etc/Zulu"}
)

_SHEET: Final = {Language.ZH_CN: "明细", Language.EN_US: "Detail"}
_TIME: Final = {Language.ZH_CN: "时间", Language.EN_US: "Time"}
_LABEL: Final[dict[Language, dict[LabelKind, str]]] = {
    Language.ZH_CN: {"domain": "域名", "account": "账号", "group": "分组"},
    Language.EN_US: {"domain": "Domain", "account": "Account", "group": "Group"},
}
_REGION: Final = {Language.ZH_CN: "计费区域", Language.EN_US: "Billing Region"}
_METRICS: Final[dict[ExportType, tuple[tuple[str, str, CellKind], ...]]] = {
    # (zh-cn header, en-us header, kind), in workbook order.
    ExportType.FLOW: (
        ("流量(Byte)", "Traffic (Byte)", CellKind.INT),
        ("带宽(bps)", "Bandwidth (bps)", CellKind.FLOAT),
    ),
    ExportType.VAS: (
        ("静态HTTPS请求数", "Static HTTPS Requests", CellKind.INT),
        ("动态HTTP请求数", "Dynamic HTTP Requests", CellKind.INT),
        ("动态HTTPS请求数", "Dynamic HTTPS Requests", CellKind.INT),
    ),
}

_TIME_WIDTH: Final = 18.0
_LABEL_WIDTH: Final = 32.0
_REGION_WIDTH: Final = 24.0
_METRIC_WIDTH: Final = 24.0


def sheet_name(language: Language, number: int) -> str:
    """The name of the ``number``-th detail sheet (1-based): ``明细``, ``明细 (2)``, ..."""
    if number < 1:
        raise ValueError(f"sheet numbers start at 1, got {number}")
    base = _SHEET[language]
    return base if number == 1 else f"{base} ({number})"


def zone_label(time_zone: str) -> str:
    """How a zone is named in the workbook: every name of UTC itself as plain ``UTC``."""
    return "UTC" if time_zone in _UTC_NAMES else time_zone


def time_header(language: Language, time_zone: str) -> str:
    return f"{_TIME[language]} ({zone_label(time_zone)})"


def region_names(language: Language) -> tuple[str, ...]:
    """Localized billing-region names, indexed by region id."""
    return REGION_NAMES[language.value]


def columns(
    export_type: ExportType, language: Language, label_kind: LabelKind, time_zone: str
) -> list[ColumnSpec]:
    """The columns of every detail sheet: time, label, region, then the metrics of the type."""
    english = language is Language.EN_US
    metrics = [
        ColumnSpec(en if english else zh, kind, _METRIC_WIDTH)
        for zh, en, kind in _METRICS[export_type]
    ]
    time = time_header(language, time_zone)
    return [
        # Long zone names (America/Argentina/Buenos_Aires) would be clipped by the usual width.
        ColumnSpec(time, CellKind.DATETIME, max(_TIME_WIDTH, len(time) + 2.0)),
        ColumnSpec(_LABEL[language][label_kind], CellKind.TEXT, _LABEL_WIDTH),
        ColumnSpec(_REGION[language], CellKind.TEXT, _REGION_WIDTH),
        *metrics,
    ]


def text_width(text: str) -> int:
    """About how many characters wide ``text`` is shown: East Asian wide characters count two."""
    return len(text) + sum(unicodedata.east_asian_width(char) in "WF" for char in text)
