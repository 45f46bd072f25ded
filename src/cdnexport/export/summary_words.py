"""The words of the summary sheet and its chart per Language; placeholders are ``str.format``
fields."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from cdnexport.domain.task import Language


@dataclass(frozen=True, slots=True)
class SummaryWords:
    sheet: str
    chart_sheet: str
    title: str
    account: str
    scope: str
    scope_account: str
    scope_group: str
    scope_domains: str
    type: str
    type_flow: str
    type_vas: str
    window: str
    window_text: str
    slots: str
    generated: str
    watermark: str
    watermark_none: str
    incomplete: str
    detail_rows: str
    detail_sheets: str
    no_usage: str
    by_label: str
    total: str
    all_regions: str
    peak: str
    peak_time: str
    p95: str
    average: str
    requests: str
    #: Two lines, so that neither runs far past the table.
    rule: tuple[str, str]
    total_note: str
    daily_flow: str
    daily_vas: str
    day: str
    region_peak: str
    chart_flow: str
    chart_vas: str
    axis_flow: str
    axis_vas: str


WORDS: Final = {
    Language.ZH_CN: SummaryWords(
        sheet="汇总",
        chart_sheet="图表数据",
        title="用量汇总",
        account="账号",
        scope="导出范围",
        scope_account="整个账号（全部域名）",
        scope_group="分组：{name}",
        scope_domains="指定域名（{count} 个）：",
        type="类型",
        type_flow="flow（流量与带宽）",
        type_vas="vas（增值服务请求数）",
        window="时间范围 ({zone})",
        window_text="{start} 至 {end}（含开始时间，不含结束时间）",
        slots="5分钟时段数",
        generated="生成时间",
        watermark="数据截至",
        watermark_none="该范围内没有任何用量数据",
        incomplete="注意：时间范围晚于最新数据，之后的时段可能尚未到齐，数字可能还会变化。",
        detail_rows="明细行数",
        detail_sheets="明细工作表数",
        no_usage="该时间范围内，导出范围没有任何用量。",
        by_label="按{label}和计费区域",
        total="合计",
        all_regions="全部区域",
        peak="峰值带宽(bps)",
        peak_time="峰值时间 ({zone})",
        p95="95百分位带宽(bps)",
        average="平均带宽(bps)",
        requests="请求总数",
        rule=(
            "95百分位规则：取时间范围内全部 {slots:,} 个5分钟时段（含零值），按带宽从高到低排序，",
            "去掉最高的 {dropped:,} 个（时段数 × 5% 向下取整），其后第一个值"
            "（从高到低第 {rank:,} 个）即为95百分位带宽。",
        ),
        total_note="合计行先把各行逐个时段相加，再取峰值和95百分位（账单使用的口径）。",
        daily_flow="每日峰值带宽（{zone} 的日历日）",
        daily_vas="每日请求数（{zone} 的日历日）",
        day="日期",
        region_peak="{region}峰值(bps)",
        chart_flow="带宽（5分钟粒度）",
        chart_vas="请求数（每5分钟）",
        axis_flow="带宽 ({unit})",
        axis_vas="请求数（每5分钟）",
    ),
    Language.EN_US: SummaryWords(
        sheet="Summary",
        chart_sheet="Chart Data",
        title="Usage summary",
        account="Account",
        scope="Scope",
        scope_account="Whole account (all domains)",
        scope_group="Group: {name}",
        scope_domains="Domains ({count}):",
        type="Type",
        type_flow="flow (traffic and bandwidth)",
        type_vas="vas (value-added service requests)",
        window="Window ({zone})",
        window_text="{start} to {end} (start included, end excluded)",
        slots="5-minute slots",
        generated="Generated at",
        watermark="Data watermark",
        watermark_none="No usage data exists for this scope",
        incomplete=(
            "Note: the window extends past the newest sample; later slots may still arrive and "
            "these figures may change."
        ),
        detail_rows="Detail rows",
        detail_sheets="Detail sheets",
        no_usage="There is no usage for this scope in this window.",
        by_label="By {label} and billing region",
        total="Total",
        all_regions="All regions",
        peak="Peak bandwidth (bps)",
        peak_time="Peak time ({zone})",
        p95="95th percentile bandwidth (bps)",
        average="Average bandwidth (bps)",
        requests="Total requests",
        rule=(
            "95th percentile rule: take all {slots:,} 5-minute slots of the window (zeros "
            "included) and sort their bandwidth from highest to lowest;",
            "drop the top {dropped:,} (slots × 5%, rounded down): the next value, number "
            "{rank:,} from the top, is the 95th percentile.",
        ),
        total_note=(
            "Total rows add the rows above slot by slot before taking peaks and percentiles: "
            "the figures a bill uses."
        ),
        daily_flow="Daily peak bandwidth (calendar days in {zone})",
        daily_vas="Daily requests (calendar days in {zone})",
        day="Day",
        region_peak="Peak {region} (bps)",
        chart_flow="Bandwidth per 5 minutes",
        chart_vas="Requests per 5 minutes",
        axis_flow="Bandwidth ({unit})",
        axis_vas="Requests per 5 minutes",
    ),
}
