"""The notes sheet: a dictionary of every column with its unit and formula, and the rules a
reader needs to reconcile the workbook (95th percentile, time zone, units, billed vs logged)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

from cdnexport.domain.task import ExportType, Language
from cdnexport.export import layout
from cdnexport.export.plan import WorkbookPlan
from cdnexport.export.summary_words import WORDS
from cdnexport.export.writer import CellStyle, FreeSheet, SheetCell, SheetRow
from cdnexport.figures.maths import dropped_slots

_WIDTHS: Final = (34.0, 12.0, 110.0)
#: Points per line of wrapped text, and the share of a column's width that text fills.
_LINE_POINTS: Final = 15.0
_FILL: Final = 0.9


@dataclass(frozen=True)
class _Text:
    """Templates with ``str.format`` fields: zone, slots, dropped, rank, label, chart, sheet."""

    sheet: str
    head: tuple[str, str, str]
    detail: str
    summary: str
    rules: str
    #: Detail column role -> (unit, meaning); the item is the column's own header.
    columns: dict[str, tuple[str, str]]
    #: Summary and rule entries: key -> (item, unit, meaning).
    entries: dict[str, tuple[str, str, str]]


_ZH: Final = _Text(
    sheet="说明",
    head=("项目", "单位", "含义与公式"),
    detail="明细工作表（{sheet}、{sheet} (2) …）的列",
    summary="汇总工作表",
    rules="规则",
    columns={
        "time": (
            "",
            "每个5分钟时段的开始时间，{zone} 的当地时间；一行是 [开始, 开始 + 5 分钟) "
            "内的用量。夏令时结束那天重复的一小时里，同一时间会出现两次，行仍按时间先后排列。",
        ),
        "domain": ("", "域名。"),
        "account": ("", "账号：账号下全部域名逐个时段相加。"),
        "group": ("", "分组：分组内全部域名逐个时段相加。"),
        "region": ("", "提供服务的节点所在的计费区域（不是访问者所在地）。"),
        "traffic": ("Byte", "该时段内交付给访问者的字节数（整数）。"),
        "bandwidth": (
            "bps",
            "带宽 = 流量(Byte) × 8 / 300：该5分钟内的平均比特率，单位是比特每秒。",
        ),
        "static_https": ("次", "该时段内的静态 HTTPS 请求数。"),
        "dynamic_http": ("次", "该时段内的动态 HTTP 请求数。"),
        "dynamic_https": ("次", "该时段内的动态 HTTPS 请求数。"),
    },
    entries={
        "total_traffic": (
            "流量(Byte)",
            "Byte",
            "时间范围内全部时段的流量之和，与明细逐行相加的结果相同。",
        ),
        "peak": (
            "峰值带宽(bps)",
            "bps",
            "时间范围内最高的5分钟带宽；多个时段相同时取最早的时段。",
        ),
        "peak_time": ("峰值时间", "", "峰值所在时段的开始时间（{zone}）。"),
        "p95": ("95百分位带宽(bps)", "bps", "见下方的95百分位规则。"),
        "average": (
            "平均带宽(bps)",
            "bps",
            "平均带宽 = 总流量(Byte) × 8 / (300 × 时段数)。",
        ),
        "requests": (
            "请求数",
            "次",
            "时间范围内各类请求数之和；请求总数是三类请求相加。",
        ),
        "totals": (
            "合计",
            "",
            "先把上面各行逐个时段相加，再取峰值和95百分位，这是账单使用的口径；"
            "因此合计的峰值一般小于各行峰值之和。",
        ),
        "days": (
            "每日表",
            "",
            "按 {zone} 的日历日分组。首尾两天可能不完整，夏令时切换日有 23 或 25 小时"
            "（276 或 300 个时段），“5分钟时段数”一列给出每天实际的时段数。",
        ),
        "chart": (
            "图表",
            "",
            "折线图画出合计及用量最大的几个{label}每5分钟的数值，"
            "数据在“{chart}”工作表中，与明细使用同一公式。",
        ),
        "chart_total": (
            "图表",
            "",
            "折线图画出合计每5分钟的数值，数据在“{chart}”工作表中，与明细使用同一公式。",
        ),
        "rule": (
            "95百分位规则",
            "",
            "取时间范围内全部 n 个5分钟时段（含零值），按带宽从高到低排序，"
            "去掉最高的 floor(n × 0.05) 个，其后第一个值即为95百分位。"
            "本次 n = {slots:,}，去掉 {dropped:,} 个，取从高到低第 {rank:,} 个。"
            "31 天为 8,928 个时段，去掉 446 个，取第 447 个；30 天为 8,640 个，取第 433 个；"
            "28 天为 8,064 个，取第 404 个。",
        ),
        "zone": (
            "时区",
            "",
            "除注明 UTC 的地方外，所有时间都是 {zone} 的当地时间。"
            "导出任务的时间范围按 UTC 指定，汇总页同时给出 UTC 和 {zone} 的时间。",
        ),
        "units": (
            "单位",
            "",
            "使用十进制单位：1 KB = 1,000 Byte，1 MB = 1,000,000 Byte，1 GB = 10^9 Byte；"
            "1 Kbps = 1,000 bps，1 Mbps = 1,000,000 bps。bps 是比特每秒，不是字节每秒 (Bps)。"
            "不使用二进制单位（1 KiB = 1,024 Byte）：1 Mbps 持续一天在这里是 10.8 GB。",
        ),
        "billed": (
            "账单与日志",
            "",
            "本工作簿是记录到的用量（交付给访问者的字节和请求数）。账单流量可能高于日志流量："
            "TCP/IP 包头和重传也会计费，有的服务商还按固定比例上浮。",
        ),
        "watermark": (
            "数据截至",
            "",
            "该范围内最新一条5分钟数据的时间。数据可能延迟到达，"
            "此时间之后的时段以后可能补充，数字会变化。",
        ),
        "split": (
            "工作表拆分",
            "",
            "一个工作表最多 1,048,575 行数据，超出部分接着写在编号的明细工作表中，不会截断。",
        ),
        "exact": (
            "一致性",
            "",
            "汇总页的每个数字都由明细中的同一批整数算出，与明细逐行相加的结果一致到字节；"
            "带宽使用与明细相同的公式。",
        ),
    },
)

_EN: Final = _Text(
    sheet="Notes",
    head=("Item", "Unit", "Meaning and formula"),
    detail="Columns of the detail sheets ({sheet}, {sheet} (2), ...)",
    summary="The summary sheet",
    rules="Rules",
    columns={
        "time": (
            "",
            "Start of each 5-minute slot, local time in {zone}; a row holds the usage of "
            "[start, start + 5 minutes). In the hour repeated when daylight saving time ends, "
            "a time appears twice; rows stay in time order.",
        ),
        "domain": ("", "The domain name."),
        "account": ("", "The account: all its domains added slot by slot."),
        "group": ("", "The group: all its domains added slot by slot."),
        "region": ("", "Billing region of the serving node (not of the visitor)."),
        "traffic": ("Byte", "Bytes delivered to visitors in the slot (an integer)."),
        "bandwidth": (
            "bps",
            "Bandwidth = Traffic (Byte) × 8 / 300: the average bit rate of the 5 minutes, "
            "in bits per second.",
        ),
        "static_https": ("requests", "Static HTTPS requests in the slot."),
        "dynamic_http": ("requests", "Dynamic HTTP requests in the slot."),
        "dynamic_https": ("requests", "Dynamic HTTPS requests in the slot."),
    },
    entries={
        "total_traffic": (
            "Traffic (Byte)",
            "Byte",
            "Sum over all slots of the window; the same as adding up the detail rows.",
        ),
        "peak": (
            "Peak bandwidth (bps)",
            "bps",
            "The highest 5-minute bandwidth of the window; when slots tie, the earliest one.",
        ),
        "peak_time": ("Peak time", "", "Start of the peak's slot ({zone})."),
        "p95": ("95th percentile bandwidth (bps)", "bps", "See the 95th percentile rule below."),
        "average": (
            "Average bandwidth (bps)",
            "bps",
            "Average bandwidth = total traffic (Byte) × 8 / (300 × number of slots).",
        ),
        "requests": (
            "Requests",
            "requests",
            "Requests of each type summed over the window; total requests adds the three types.",
        ),
        "totals": (
            "Total rows",
            "",
            "The rows above added slot by slot before taking peaks and percentiles, as a bill "
            "does; so a total's peak is usually less than the sum of the rows' peaks.",
        ),
        "days": (
            "Daily table",
            "",
            "Calendar days in {zone}. The first and last day may be partial; a day with a "
            "daylight saving change has 23 or 25 hours (276 or 300 slots): the '5-minute slots' "
            "column gives each day's count.",
        ),
        "chart": (
            "Chart",
            "",
            "The line chart draws the total and the largest {label}s per 5-minute slot; its "
            "numbers are on the '{chart}' sheet, computed with the detail's formula.",
        ),
        "chart_total": (
            "Chart",
            "",
            "The line chart draws the total per 5-minute slot; its numbers are on the '{chart}' "
            "sheet, computed with the detail's formula.",
        ),
        "rule": (
            "95th percentile rule",
            "",
            "Take all n 5-minute slots of the window (zeros included), sort bandwidth from "
            "highest to lowest, drop the top floor(n × 0.05); the next value is the 95th "
            "percentile. Here n = {slots:,}: {dropped:,} dropped, value number {rank:,} from "
            "the top. 31 days are 8,928 slots, 446 dropped, the 447th highest; 30 days 8,640, "
            "the 433rd; 28 days 8,064, the 404th.",
        ),
        "zone": (
            "Time zone",
            "",
            "All times are local times in {zone} except where UTC is stated. The task's window "
            "is given in UTC; the summary shows it in UTC and in {zone}.",
        ),
        "units": (
            "Units",
            "",
            "Decimal units: 1 KB = 1,000 Byte, 1 MB = 1,000,000 Byte, 1 GB = 10^9 Byte; "
            "1 Kbps = 1,000 bps, 1 Mbps = 1,000,000 bps. bps means bits per second, not bytes "
            "per second (Bps). Binary units (1 KiB = 1,024 Byte) are not used: 1 Mbps for a "
            "whole day is 10.8 GB here.",
        ),
        "billed": (
            "Billed vs logged",
            "",
            "This workbook holds recorded usage (bytes and requests delivered to visitors). "
            "Billed traffic may exceed logged traffic: TCP/IP headers and retransmissions are "
            "billed too, and some providers add a fixed share.",
        ),
        "watermark": (
            "Data watermark",
            "",
            "Time of the newest 5-minute sample for the scope. Data can arrive late: slots "
            "after the watermark may still be filled in, and the figures may change.",
        ),
        "split": (
            "Sheet split",
            "",
            "A sheet holds at most 1,048,575 data rows; the rest continues on numbered detail "
            "sheets, never truncated.",
        ),
        "exact": (
            "Consistency",
            "",
            "Every figure of the summary is computed from the same integers as the detail "
            "sheets and agrees with adding up the detail rows to the byte; bandwidth uses the "
            "detail's formula.",
        ),
    },
)

_TEXT: Final = {Language.ZH_CN: _ZH, Language.EN_US: _EN}
_FLOW_SUMMARY: Final = ("total_traffic", "peak", "peak_time", "p95", "average")
_RULES: Final = ("zone", "units", "billed", "watermark", "split", "exact")
_METRIC_ROLES: Final = {
    ExportType.FLOW: ("traffic", "bandwidth"),
    ExportType.VAS: ("static_https", "dynamic_http", "dynamic_https"),
}


def sheet_name(language: Language) -> str:
    return _TEXT[language].sheet


def notes_sheet(plan: WorkbookPlan, slots: int) -> FreeSheet:
    """The notes for a workbook of ``plan`` whose window has ``slots`` 5-minute slots."""
    text = _TEXT[plan.language]
    detail = layout.columns(plan.export_type, plan.language, plan.label_kind, plan.time_zone)
    dropped = dropped_slots(slots)
    label = detail[1].header
    fields = {
        "zone": layout.zone_label(plan.time_zone),
        "slots": slots,
        "dropped": dropped,
        "rank": dropped + 1,
        "label": label.lower() if plan.language is Language.EN_US else label,
        "chart": WORDS[plan.language].chart_sheet,
        "sheet": layout.sheet_name(plan.language, 1),
    }
    flow = plan.export_type is ExportType.FLOW
    roles = ("time", plan.label_kind, "region", *_METRIC_ROLES[plan.export_type])

    def section(title: str) -> SheetRow:
        return (SheetCell(title.format(**fields), CellStyle.BOLD),)

    def entry(item: str, unit: str, meaning: str) -> SheetRow:
        return (
            SheetCell(item, CellStyle.BOLD),
            SheetCell(unit),
            SheetCell(meaning.format(**fields), CellStyle.WRAP),
        )

    head = tuple(SheetCell(cell, CellStyle.BOLD) for cell in text.head)
    # Only a domain export has several labels, of which the largest are drawn.
    chart = "chart" if plan.label_kind == "domain" else "chart_total"
    summary_keys = (*(_FLOW_SUMMARY if flow else ("requests",)), "totals", "days", chart)
    rule_keys = (*(("rule",) if flow else ()), *_RULES)
    rows: list[SheetRow] = [(SheetCell(text.sheet, CellStyle.TITLE),), ()]
    rows += [section(text.detail), head]
    rows += [
        entry(column.header, *text.columns[role])
        for column, role in zip(detail, roles, strict=True)
    ]
    rows += [(), section(text.summary), head]
    rows += [entry(*text.entries[key]) for key in summary_keys]
    rows += [(), section(text.rules), head]
    rows += [entry(*text.entries[key]) for key in rule_keys]
    return FreeSheet(text.sheet, tuple(rows), _WIDTHS, heights=_heights(rows))


def _heights(rows: list[SheetRow]) -> dict[int, float]:
    """Heights that fit the wrapped meanings, since LibreOffice does not fit rows on opening."""
    heights = {}
    for index, row in enumerate(rows):
        meaning = row[2] if len(row) == 3 else None
        if meaning is not None and isinstance(meaning.value, str):
            lines = math.ceil(layout.text_width(meaning.value) / (_WIDTHS[2] * _FILL))
            if lines > 1:
                heights[index] = lines * _LINE_POINTS
    return heights
