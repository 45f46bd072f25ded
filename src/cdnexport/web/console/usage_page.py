"""The Usage page: bandwidth, traffic or requests of chosen domains and regions over at most 31
days, per 5 minutes, hour or day.

Every figure comes from ``cdnexport.figures`` (the computation DescribeDomainUsageData and the
workbook summary use) and the chart from ``cdnexport.charts``; this module only reads the form,
chooses what to show and formats it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cdnexport import errors
from cdnexport.api.usage_params import UsageDataParams
from cdnexport.charts import BandwidthChart, Level, Line, format_bps, render_svg
from cdnexport.db import accounts
from cdnexport.db.console_sessions import Kind, Session
from cdnexport.domain import usage_rules as rules
from cdnexport.domain.regions import REGION_NAMES, REGIONS
from cdnexport.domain.task import SLOT_SECONDS
from cdnexport.figures.calendar import bucket_edges, slot_count
from cdnexport.figures.usage import (
    BPS,
    REQUEST_COLUMNS,
    TRAFFIC,
    Quantity,
    Stat,
    UsageFigures,
    buckets,
    data_watermark,
    read_slots,
    requests,
    stat,
    usage_figures,
)
from cdnexport.web.console import i18n
from cdnexport.web.console.base import ConsoleBase, wire_time
from cdnexport.web.console.pages import format_size, language

METRICS: dict[str, Quantity] = {
    "bandwidth": BPS,
    "traffic": TRAFFIC,
    "requests": requests(REQUEST_COLUMNS),
}
INTERVALS = (300, 3600, 86400)
#: Rows of the chart's text alternative at most; a finer series is listed per hour, then day.
ALT_ROWS = 800
CHART_WIDTH = 1200
CHART_HEIGHT = 360


def _format(metric: str, value: float) -> str:
    if metric == "bandwidth":
        return format_bps(value)
    if metric == "traffic":
        return format_size(int(value))
    return f"{int(value):,}"


def _when(epoch: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(epoch))


def _local_input(epoch: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M", time.gmtime(epoch))


@dataclass(frozen=True, slots=True)
class Choice:
    """What the page shows: the form's values, and the query the API would answer for them."""

    metric: str
    start_text: str
    end_text: str
    interval: int
    domains: tuple[str, ...]
    region: str


def read_choice(query: Any, now: int) -> Choice:
    """The form's values from the query string (defaults: bandwidth of the last 7 days)."""
    today = now - now % 86400
    metric = str(query.get("metric") or "bandwidth")
    start = str(query.get("start") or _local_input(today - 6 * 86400))[:32]
    end = str(query.get("end") or _local_input(today + 86400))[:32]
    text = str(query.get("interval") or "")
    interval = int(text) if text.isdigit() and int(text) in INTERVALS else 3600
    names = tuple(dict.fromkeys(str(d).strip().lower() for d in query.getlist("domains") if d))
    region = str(query.get("region") or "").upper()
    return Choice(
        metric if metric in METRICS else "bandwidth",
        start,
        end,
        interval,
        names[:1000],
        region if region in REGIONS else "",
    )


def usage_params(choice: Choice, now: int) -> UsageDataParams:
    """The choice as DescribeDomainUsageData parameters, checked by the API's own parser (its
    window, domain and region rules and messages). Requests are asked as traffic there: the API
    answers some request counters only, the page shows all of them, over the same checked
    scope."""
    raw = {
        "Field": "bps" if choice.metric == "bandwidth" else "traf",
        "StartTime": wire_time(choice.start_text),
        "EndTime": wire_time(choice.end_text),
        "Interval": str(choice.interval),
        "DomainName": ",".join(choice.domains),
        "Area": choice.region or "all",
    }
    return UsageDataParams.from_wire(raw, now)


class UsagePage(ConsoleBase):
    kind = Kind.CUSTOMER
    signin_path = "/signin"

    def routes(self) -> list[Route]:
        return [Route("/usage", self.usage, methods=["GET"])]

    async def usage(self, request: Request) -> Response:
        session = await self.session(request)
        if session is None:
            return self.to_signin(request, self.had_cookie(request))
        lang = language(request)
        context = await run_in_threadpool(self.build, session, request.query_params, lang)
        status = 400 if context["usage_error"] else 200
        return self.page(request, "usage.html", session, {**context, "active": "usage"}, status)

    def build(self, session: Session, query: Any, lang: str) -> dict[str, Any]:
        now = self.now()
        with self.services.db.read() as conn:
            owned = accounts.account_domains(conn, session.principal_id)
        names = {name: domain_id for domain_id, name in owned}
        choice = read_choice(query, now)
        context: dict[str, Any] = {
            "all_domains": list(names),
            "regions": [(code, REGION_NAMES[lang][i]) for i, code in enumerate(REGIONS)],
            "metrics": list(METRICS),
            "intervals": INTERVALS,
            "usage_error": "",
            "result": None,
            "choice": choice,
        }
        try:
            params = usage_params(choice, now)
            if any(name not in names for name in params.domains):
                raise errors.DomainNotFound()
        except errors.ServiceError as exc:
            context["usage_error"] = f"{exc.code}: {exc.message}"
            return context
        every = list(names.values())
        ids = [names[n] for n in params.domains] if params.domains else every
        context["result"] = self._figures(choice, params, ids, every, now, lang)
        return context

    def _figures(
        self,
        choice: Choice,
        params: UsageDataParams,
        ids: list[int],
        every: list[int],
        now: int,
        lang: str,
    ) -> dict[str, Any]:
        """The figures as DescribeDomainUsageData computes them: the window aligned to the
        interval in the service's zone, cut at the account's data watermark."""
        quantity = METRICS[choice.metric]
        zone = self.services.settings.time_zone
        start, end = rules.aligned_window(params.start, params.end, choice.interval, zone)
        usage = self.services.usage
        watermark = data_watermark(usage, every, now)
        stop = start if watermark is None else max(start, min(end, watermark))
        slots = read_slots(usage, ids, start, stop, quantity, per_domain=True)
        figures = usage_figures(
            slots,
            end=end,
            interval=choice.interval,
            zone=zone,
            regions=params.regions,
            watermark=watermark,
        )
        count = slot_count(slots.start, figures.end)
        rows = []
        for name in sorted(slots.domains):
            for region, values in sorted(slots.domains[name].items()):
                if region in params.regions:
                    found = stat(values[:count], slots.start)
                    if found is not None and found.total:
                        rows.append((name, REGION_NAMES[lang][region], self._stat(choice, found)))
        overall = figures.overall
        shown = overall is not None and overall.total > 0
        return {
            "overall": self._stat(choice, overall) if overall and shown else None,
            # The figures unformatted (stored units; the peak time in epoch seconds).
            "raw": overall,
            "rows": rows,
            "chart": self._chart(choice, figures, lang) if shown else None,
            "alt": self._alt(choice, figures, slots.load(params.regions)[:count], slots.start),
            "start_input": _local_input(params.start),
            "end_input": _local_input(params.end),
        }

    @staticmethod
    def _stat(choice: Choice, found: Stat) -> dict[str, str]:
        quantity = METRICS[choice.metric]
        total_metric = "traffic" if choice.metric == "bandwidth" else choice.metric
        return {
            "total": _format(total_metric, found.total),
            "peak": _format(choice.metric, quantity.shown(found.peak)),
            "peak_time": _when(found.peak_time),
            "p95": _format(choice.metric, quantity.shown(found.p95)),
        }

    def _chart(self, choice: Choice, figures: UsageFigures, lang: str) -> dict[str, Any]:
        quantity, series, overall = figures.quantity, figures.series, figures.overall
        assert overall is not None
        values = [float(quantity.shown(int(v))) for v in series.values]
        times = [datetime.fromtimestamp(int(s), UTC) for s in series.starts]
        step = timedelta(seconds=choice.interval)
        peak_index = int(np.searchsorted(series.starts, overall.peak_time, side="right")) - 1
        # The 95th percentile is of 5-minute values: drawn where the curve is comparable.
        comparable = choice.metric == "bandwidth" or choice.interval == SLOT_SECONDS
        p95_word = i18n.translate(lang, "p95")
        label = i18n.translate(lang, f"metric_{choice.metric}")
        description = (
            f"{label} {_when(figures.start)} – {_when(figures.end)} UTC. "
            f"{i18n.translate(lang, 'peak')} {_format(choice.metric, quantity.shown(overall.peak))}"
            f" @ {_when(overall.peak_time)}; {p95_word} "
            f"{_format(choice.metric, quantity.shown(overall.p95))}."
        )
        chart = BandwidthChart(
            title=f"{label} (UTC)",
            description=description,
            times=times,
            step=step,
            lines=[Line(label, values)],
            percentile95=Level(p95_word, float(quantity.shown(overall.p95)))
            if comparable
            else None,
            peak=peak_index if 0 <= peak_index < len(values) else None,
            peak_label=i18n.translate(lang, "peak"),
            legend=False,
            value_format=lambda v: _format(choice.metric, v),
        )
        svg = render_svg(chart, width=CHART_WIDTH, height=CHART_HEIGHT)
        return {
            "svg": svg,
            "first": int(series.starts[0]) if len(series) else figures.start,
            "step": choice.interval,
            "points": _points(values),
            "count": len(values),
            "unit": choice.metric,
            "left": 72,
            "right": CHART_WIDTH - 16,
            "width": CHART_WIDTH,
        }

    @staticmethod
    def _alt(choice: Choice, figures: UsageFigures, load: Any, start: int) -> list[tuple[str, str]]:
        """The chart's values as text rows, coarser (hour, then day) when there are too many."""
        series, interval = figures.series, choice.interval
        for coarser in (3600, 86400):
            if len(series) <= ALT_ROWS:
                break
            interval = max(interval, coarser)
            edges = bucket_edges(start, max(figures.end, start + 1), interval, "UTC")
            series = buckets(load, start, edges, figures.quantity)
        shown = figures.quantity.shown
        return [
            (_when(int(s)), _format(choice.metric, shown(int(v))))
            for s, v in zip(series.starts, series.values, strict=True)
        ]


def _points(values: list[float]) -> str:
    """Values for the hover read-out, one per bucket (``index:value``); past 2,000 buckets only
    column's highest of 1,000 columns, so a month of 5-minute values stays a few KB."""
    chosen: list[int]
    if len(values) <= 2000:
        chosen = list(range(len(values)))
    else:
        per = len(values) / 1000
        chosen = [
            max(
                range(int(c * per), max(int((c + 1) * per), int(c * per) + 1)),
                key=values.__getitem__,
            )
            for c in range(1000)
        ]
    return ",".join(f"{i}:{values[i]:.4g}" for i in chosen)
