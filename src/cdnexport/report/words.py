"""The words of the PDF usage summary per Language; placeholders are ``str.format`` fields."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from cdnexport.domain.task import Language


@dataclass(frozen=True, slots=True)
class ReportWords:
    title: str
    subtitle: str
    account: str
    window: str
    window_text: str
    slots: str
    generated: str
    watermark: str
    watermark_none: str
    provisional: str
    provisional_note: str
    final: str
    task: str
    traffic_heading: str
    region: str
    traffic: str
    peak: str
    peak_time: str
    p95: str
    average: str
    mainland: str
    outside: str
    overall: str
    requests_heading: str
    static_https: str
    dynamic_http: str
    dynamic_https: str
    requests_total: str
    daily_heading: str
    day: str
    day_slots: str
    day_mainland_peak: str
    day_outside_peak: str
    chart_heading: str
    chart_title: str
    chart_desc: str
    chart_p95: str
    chart_peak: str
    domains_heading: str
    domains_note: str
    domain: str
    no_usage: str
    rules_heading: str
    rules: tuple[str, ...]
    page: str


WORDS: Final = {
    Language.ZH_CN: ReportWords(
        title="CDN 用量汇总",
        subtitle="账号级用量，按计费区域和计费项分类",
        account="账号",
        window="时间范围 ({zone})",
        window_text="{start} 至 {end}（含开始，不含结束）",
        slots="5分钟时段数",
        generated="生成时间",
        watermark="数据截至",
        watermark_none="该账号没有任何用量数据",
        provisional="暂定",
        provisional_note=(
            "注意：时间范围晚于最新数据（{watermark}），之后的时段可能尚未到齐，"
            "本汇总的数字还可能变化。"
        ),
        final="数据已完整覆盖时间范围。",
        task="任务",
        traffic_heading="流量与带宽（按计费区域）",
        region="计费区域",
        traffic="流量 (Byte)",
        peak="峰值带宽\n(bps)",
        peak_time="峰值时间\n({zone})",
        p95="95百分位带宽\n(bps)",
        average="平均带宽\n(bps)",
        mainland="中国内地合计",
        outside="中国内地以外合计",
        overall="全部合计",
        requests_heading="请求数（按类型和计费区域）",
        static_https="静态 HTTPS",
        dynamic_http="动态 HTTP",
        dynamic_https="动态 HTTPS",
        requests_total="请求总数",
        daily_heading="每日用量（{zone} 的日历日，全部区域）",
        day="日期",
        day_slots="时段数",
        day_mainland_peak="中国内地峰值\n(bps)",
        day_outside_peak="中国内地以外峰值\n(bps)",
        chart_heading="带宽（每5分钟）",
        chart_title="带宽（5分钟粒度，{zone}）",
        chart_desc="全部区域、中国内地和中国内地以外每5分钟的带宽，及全部合计的95百分位和峰值。",
        chart_p95="95百分位",
        chart_peak="峰值",
        domains_heading="流量最大的 {count} 个域名（共 {total} 个有用量的域名）",
        domains_note="每个域名的各区域逐个时段相加后取峰值和95百分位。",
        domain="域名",
        no_usage="该时间范围内账号没有任何用量，以下各项均为零。",
        rules_heading="计算规则",
        rules=(
            "带宽：一个5分钟时段的带宽 = 该时段流量 (Byte) × 8 / 300，单位 bps（比特每秒）。"
            "峰值带宽是时间范围内最高的5分钟带宽；多个时段相同时取最早的时段。"
            "平均带宽 = 总流量 × 8 / (300 × 时段数)。",
            "95百分位：取时间范围内全部 n 个5分钟时段（含零值），按带宽从高到低排序，"
            "去掉最高的 floor(n × 5%) 个，其后第一个值即为95百分位带宽。"
            "本次 n = {slots:,}，去掉 {dropped:,} 个，取从高到低第 {rank:,} 个。",
            "中国内地与中国内地以外分开计费：中国内地以外合计是其余七个计费区域逐个时段相加，"
            "全部合计是所有区域逐个时段相加，再取峰值和95百分位，"
            "所以合计的峰值一般小于各行峰值之和。",
            "单位：十进制，1 KB = 1,000 Byte，1 Mbps = 1,000,000 bps；流量以整 Byte 给出。",
            "时间：任务的时间范围按 UTC 给出，为 [开始, 结束)；其余时间和每日表的日期"
            "都是 {zone} 的当地时间，时间指所在5分钟时段的开始。",
            "账单与日志：本汇总是记录到的用量（交付给访问者的字节和请求数）。账单流量可能高于"
            "日志流量：TCP/IP 包头和重传也会计费。"
            "各数字与同一时间范围的明细导出逐行相加的结果一致。",
        ),
        page="第 {page} 页，共 {total} 页",
    ),
    Language.EN_US: ReportWords(
        title="CDN usage summary",
        subtitle="Account-level usage by billing region and billable item",
        account="Account",
        window="Window ({zone})",
        window_text="{start} to {end} (start included, end excluded)",
        slots="5-minute slots",
        generated="Generated at",
        watermark="Data watermark",
        watermark_none="The account has no usage data",
        provisional="PROVISIONAL",
        provisional_note=(
            "Note: the window runs past the newest data ({watermark}); later slots may still "
            "arrive and these figures may change."
        ),
        final="The data covers the whole window.",
        task="Task",
        traffic_heading="Traffic and bandwidth by billing region",
        region="Billing region",
        traffic="Traffic (Byte)",
        peak="Peak bandwidth\n(bps)",
        peak_time="Peak time\n({zone})",
        p95="95th percentile\n(bps)",
        average="Average bandwidth\n(bps)",
        mainland="Chinese Mainland (CN)",
        outside="Outside the mainland",
        overall="Overall",
        requests_heading="Requests by type and billing region",
        static_https="Static HTTPS",
        dynamic_http="Dynamic HTTP",
        dynamic_https="Dynamic HTTPS",
        requests_total="All requests",
        daily_heading="Daily usage (calendar days in {zone}, all regions)",
        day="Day",
        day_slots="Slots",
        day_mainland_peak="CN peak\n(bps)",
        day_outside_peak="Outside CN peak\n(bps)",
        chart_heading="Bandwidth per 5 minutes",
        chart_title="Bandwidth per 5 minutes ({zone})",
        chart_desc=(
            "Bandwidth of all regions, the Chinese Mainland and outside it per 5-minute slot, "
            "with the overall 95th percentile and peak."
        ),
        chart_p95="95th percentile",
        chart_peak="Peak",
        domains_heading="The {count} domains with the most traffic (of {total} with usage)",
        domains_note=(
            "Each domain's regions are added slot by slot before its peak and 95th are taken."
        ),
        domain="Domain",
        no_usage="The account has no usage in this window; every figure below is zero.",
        rules_heading="Rules",
        rules=(
            "Bandwidth: the bandwidth of a 5-minute slot is its traffic (Byte) × 8 / 300, in "
            "bps (bits per second). The peak is the highest 5-minute bandwidth of the window; "
            "when slots tie, the earliest. Average bandwidth = total traffic × 8 / "
            "(300 × slots).",
            "95th percentile: take all n 5-minute slots of the window (zeros included), sort "
            "their bandwidth from highest to lowest, drop the top floor(n × 5%); the next value "
            "is the 95th percentile. Here n = {slots:,}: {dropped:,} dropped, value number "
            "{rank:,} from the top.",
            "The Chinese Mainland and outside it are billed separately: the outside total adds "
            "the seven other billing regions slot by slot, and the overall total adds every "
            "region slot by slot, before peaks and percentiles are taken; so a total's peak is "
            "usually less than the sum of the rows' peaks.",
            "Units: decimal, 1 KB = 1,000 Byte, 1 Mbps = 1,000,000 bps; traffic is given in "
            "whole bytes.",
            "Time: the task's window is given in UTC as [start, end); every other time, and the "
            "days of the daily table, are local times in {zone}, each the start of its 5-minute "
            "slot.",
            "Billed versus logged: this summary holds recorded usage (bytes and requests "
            "delivered to visitors). Billed traffic may exceed logged traffic: TCP/IP headers "
            "and retransmissions are billed too. Every figure equals adding up the rows of a "
            "detail export of the same window.",
        ),
        page="Page {page} of {total}",
    ),
}
