"""The PDF summary's content as data: every word and number written out, plus the chart's SVG.

The Typst layout (``summary.typ``) only places what is built here, so the text a reader (or a
test) gets back from the PDF is exactly these strings.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from cdnexport.charts import BandwidthChart, Level, Line, render_svg
from cdnexport.domain.regions import REGION_NAMES, REGIONS
from cdnexport.domain.task import SLOT_SECONDS, Language
from cdnexport.domain.window import slot_range
from cdnexport.export.summary import Figures, Summary
from cdnexport.figures.maths import average_bps, bandwidth_bps, dropped_slots
from cdnexport.report.figures import MAINLAND, OUTSIDE, REQUESTS, TRAFFIC, ReportFigures
from cdnexport.report.words import WORDS, ReportWords

#: Excel's day 0: DayFigures name days by their serial.
_SERIAL_EPOCH = date(1899, 12, 30)
NO_TIME = "-"


@dataclass(frozen=True, slots=True)
class ReportFacts:
    """What the report states besides usage."""

    account: str
    task_id: str
    task_name: str
    language: Language
    time_zone: str
    generated_at: int
    #: The newest sample of any of the account's domains; None when there is none.
    watermark: int | None


@dataclass(frozen=True, slots=True)
class ReportContent:
    data: dict[str, Any]
    chart_svg: str


def is_provisional(figures: ReportFigures, watermark: int | None) -> bool:
    """Whether the window runs past the data watermark: its last slot is newer than the newest
    sample (or there is no sample at all), so late data may still change the figures."""
    slots = slot_range(figures.start, figures.end)
    if not slots:
        return False
    return watermark is None or watermark < slots[-1]


def integer(value: int) -> str:
    return f"{value:,}"


def bps(value: float) -> str:
    return f"{value:,.2f}"


def build(figures: ReportFigures, facts: ReportFacts, fonts: Sequence[str]) -> ReportContent:
    words = WORDS[facts.language]
    zone = facts.time_zone
    tz = ZoneInfo(zone)
    slots = slot_range(figures.start, figures.end)

    def local(epoch: int) -> str:
        return datetime.fromtimestamp(epoch, tz).strftime("%Y-%m-%d %H:%M")

    def slot_time(figure: Figures) -> str:
        return local(slots[figure.peak_slot]) if figure.peak > 0 else NO_TIME

    provisional = is_provisional(figures, facts.watermark)
    empty = figures.regions.total is None
    data: dict[str, Any] = {
        "lang": "zh" if facts.language is Language.ZH_CN else "en",
        "fonts": list(fonts),
        "account": facts.account,
        "document_title": f"{words.title} · {facts.account}",
        "words": {
            name: getattr(words, name)
            for name in (
                "title",
                "subtitle",
                "provisional",
                "traffic_heading",
                "requests_heading",
                "chart_heading",
                "domains_note",
                "rules_heading",
                "page",
            )
        },
        "facts": _facts(figures, facts, words, local),
        "provisional": provisional,
        "provisional_note": words.provisional_note.format(
            watermark=_watermark(facts.watermark, words, local, zone)
        ),
        "no_usage": words.no_usage if empty else "",
        "footer": f"{words.title} · {facts.account} · {facts.task_id}",
        "traffic": _traffic_table(figures, words, facts.language, zone, slot_time),
        "requests": _request_table(figures, words, facts.language),
        "daily": _daily_table(figures, words, zone, slot_time),
        "domains": _domain_table(figures, words, zone, slot_time),
        "rules": [
            rule.format(
                slots=figures.slots,
                dropped=dropped_slots(figures.slots),
                rank=dropped_slots(figures.slots) + 1,
                zone=zone,
            )
            for rule in words.rules
        ],
        "chart": None,
    }
    chart = "" if empty or not slots else _chart(figures, words, tz, zone)
    if chart:
        data["chart"] = True
    return ReportContent(data, chart)


def _facts(
    figures: ReportFigures, facts: ReportFacts, words: ReportWords, local: Any
) -> list[tuple[str, str]]:
    def utc(epoch: int) -> str:
        return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S")

    rows = [(words.account, facts.account)]
    if facts.task_name:
        rows.append((words.task, f"{facts.task_name} ({facts.task_id})"))
    else:
        rows.append((words.task, facts.task_id))
    rows.append(
        (
            words.window.format(zone="UTC"),
            words.window_text.format(start=utc(figures.start), end=utc(figures.end)),
        )
    )
    if facts.time_zone != "UTC":
        rows.append(
            (
                words.window.format(zone=facts.time_zone),
                words.window_text.format(start=local(figures.start), end=local(figures.end)),
            )
        )
    rows.append((words.slots, integer(figures.slots)))
    generated = f"{utc(facts.generated_at)} UTC"
    if facts.time_zone != "UTC":
        generated += f" · {local(facts.generated_at)} {facts.time_zone}"
    rows.append((words.generated, generated))
    rows.append((words.watermark, _watermark(facts.watermark, words, local, facts.time_zone)))
    return rows


def _watermark(watermark: int | None, words: ReportWords, local: Any, zone: str) -> str:
    if watermark is None:
        return words.watermark_none
    return f"{local(watermark)} {zone}"


def _by_region(summary: Summary) -> dict[int | None, Figures]:
    found: dict[int | None, Figures] = {figure.region: figure for figure in summary.regions}
    if summary.total is not None:
        found[None] = summary.total
    return found


def _traffic_table(
    figures: ReportFigures, words: ReportWords, language: Language, zone: str, slot_time: Any
) -> dict[str, Any]:
    names = REGION_NAMES[language.value]

    def row(name: str, figure: Figures | None) -> list[str]:
        if figure is None:
            return [name, "0", bps(0), NO_TIME, bps(0), bps(0)]
        traffic = figure.totals[TRAFFIC]
        return [
            name,
            integer(traffic),
            bps(bandwidth_bps(figure.peak)),
            slot_time(figure),
            bps(bandwidth_bps(figure.p95)),
            bps(average_bps(traffic, figures.slots) if figures.slots else 0.0),
        ]

    rows = _region_rows(figures, words, names, row)
    head = [
        words.region,
        words.traffic,
        words.peak,
        words.peak_time.format(zone=zone),
        words.p95,
        words.average,
    ]
    return {
        "head": head,
        "rows": rows,
        "strong": [len(REGIONS), len(REGIONS) + 1, len(REGIONS) + 2],
    }


def _region_rows(
    figures: ReportFigures,
    words: ReportWords,
    names: Sequence[str],
    row: Callable[[str, Figures | None], list[str]],
) -> list[list[str]]:
    """One row per billing region, then the mainland, outside it and overall, as ``row``
    renders a name and its figures (None where the window has no usage)."""
    regions = _by_region(figures.regions)
    areas = _by_region(figures.areas)
    rows = [row(names[index], regions.get(index)) for index in range(len(REGIONS))]
    rows += [
        row(words.mainland, areas.get(MAINLAND)),
        row(words.outside, areas.get(OUTSIDE)),
        row(words.overall, areas.get(None)),
    ]
    return rows


def _request_table(
    figures: ReportFigures, words: ReportWords, language: Language
) -> dict[str, Any]:
    names = REGION_NAMES[language.value]

    def row(name: str, figure: Figures | None) -> list[str]:
        totals = [0, 0, 0] if figure is None else [figure.totals[i] for i in REQUESTS]
        return [name, *(integer(value) for value in totals), integer(sum(totals))]

    rows = _region_rows(figures, words, names, row)
    head = [
        words.region,
        words.static_https,
        words.dynamic_http,
        words.dynamic_https,
        words.requests_total,
    ]
    return {
        "head": head,
        "rows": rows,
        "strong": [len(REGIONS), len(REGIONS) + 1, len(REGIONS) + 2],
    }


def _daily_table(
    figures: ReportFigures, words: ReportWords, zone: str, slot_time: Any
) -> dict[str, Any]:
    rows = []
    for day in figures.areas.days:
        peaks = {region: peak for region, peak, _slot in day.region_peaks}
        peak = Figures("", None, day.totals, day.peak, day.peak_slot, 0)
        rows.append(
            [
                (_SERIAL_EPOCH + timedelta(days=day.day)).isoformat(),
                integer(day.slots),
                integer(day.totals[TRAFFIC]),
                bps(bandwidth_bps(day.peak)),
                slot_time(peak),
                bps(bandwidth_bps(peaks.get(MAINLAND, 0))),
                bps(bandwidth_bps(peaks.get(OUTSIDE, 0))),
                integer(sum(day.totals[i] for i in REQUESTS)),
            ]
        )
    head = [
        words.day,
        words.day_slots,
        words.traffic,
        words.peak,
        words.peak_time.format(zone=zone),
        words.day_mainland_peak,
        words.day_outside_peak,
        words.requests_total,
    ]
    return {"title": words.daily_heading.format(zone=zone), "head": head, "rows": rows}


def _domain_table(
    figures: ReportFigures, words: ReportWords, zone: str, slot_time: Any
) -> dict[str, Any]:
    rows = [
        [
            item.name,
            integer(item.figures.totals[TRAFFIC]),
            bps(bandwidth_bps(item.figures.peak)),
            slot_time(item.figures),
            bps(bandwidth_bps(item.figures.p95)),
            integer(item.requests),
        ]
        for item in figures.top_domains
    ]
    head = [
        words.domain,
        words.traffic,
        words.peak,
        words.peak_time.format(zone=zone),
        words.p95,
        words.requests_total,
    ]
    title = words.domains_heading.format(count=len(rows), total=figures.domain_count)
    return {"title": title, "head": head, "rows": rows}


def _chart(figures: ReportFigures, words: ReportWords, tz: ZoneInfo, zone: str) -> str:
    slots = slot_range(figures.start, figures.end)
    times = [datetime.fromtimestamp(epoch, tz) for epoch in slots]
    scale = 8.0 / SLOT_SECONDS

    def curve(label: str, load: np.ndarray[Any, np.dtype[np.int64]]) -> Line:
        return Line(label, (load.astype(np.float64) * scale).tolist())

    overall = figures.areas.total
    assert overall is not None
    p95 = bandwidth_bps(overall.p95)
    chart = BandwidthChart(
        title=words.chart_title.format(zone=zone),
        description=words.chart_desc,
        times=times,
        step=timedelta(seconds=SLOT_SECONDS),
        lines=[
            curve(words.overall, figures.total_load()),
            curve(words.mainland, figures.area_load(MAINLAND)),
            curve(words.outside, figures.area_load(OUTSIDE)),
        ],
        percentile95=Level(words.chart_p95, p95),
        peak=overall.peak_slot,
        peak_label=words.chart_peak,
    )
    return render_svg(chart, width=960, height=340)
