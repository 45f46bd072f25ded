"""Parsing of the usage-query actions' wire parameters into typed values (rules:
``domain.usage_rules``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from cdnexport import errors
from cdnexport.api.params import parse_domain_list
from cdnexport.domain import usage_rules as rules
from cdnexport.domain.regions import REGIONS
from cdnexport.domain.window import parse_utc
from cdnexport.figures.calendar import DAY_SECONDS, Cycle
from cdnexport.figures.usage import (
    ALL_REGIONS,
    BPS,
    MAINLAND,
    OVERSEAS,
    TRAFFIC,
    Quantity,
    requests,
)

#: Area values (matched case-insensitively) -> (echoed spelling, region ids).
AREAS: dict[str, tuple[str, frozenset[int]]] = {
    "cn": ("CN", MAINLAND),
    "overseas": ("OverSeas", OVERSEAS),
    "all": ("all", ALL_REGIONS),
    **{code.lower(): (code, frozenset({i})) for i, code in enumerate(REGIONS) if code != "CN"},
}
TYPES = ("static", "dynamic", "all")
PROTOCOLS = ("http", "https", "quic", "all")
#: (DataProtocol, Type) of Field=acc -> the stored counters that answer it.
REQUEST_COUNTERS: dict[tuple[str, str], tuple[str, ...]] = {
    ("https", "static"): ("static_https",),
    ("http", "dynamic"): ("dynamic_http",),
    ("https", "dynamic"): ("dynamic_https",),
    ("all", "dynamic"): ("dynamic_http", "dynamic_https"),
    ("https", "all"): ("static_https", "dynamic_https"),
}


def _time(raw: Mapping[str, str], name: str) -> int | None:
    text = raw.get(name)
    if not text:
        return None
    value = parse_utc(text.strip())
    if value is None:
        raise errors.MalformedTime(name)
    return value


def _interval(raw: Mapping[str, str]) -> int | None:
    text = (raw.get("Interval") or "").strip()
    if not text:
        return None
    if text not in {str(i) for i in rules.INTERVALS}:
        raise errors.InvalidInterval()
    return int(text)


def _choice(raw: Mapping[str, str], name: str, allowed: tuple[str, ...], default: str) -> str:
    value = (raw.get(name) or default).strip().lower()
    if value not in allowed:
        code = {"Type": "Type", "Field": "Field"}.get(name)
        detail = f"Use one of {', '.join(allowed)}."
        if code is None:
            raise errors.InvalidParameter(name, detail)
        raise errors.InvalidNamedParameter(code, detail)
    return value


def _domains(raw: Mapping[str, str], limit: int) -> tuple[str, ...]:
    return parse_domain_list(raw.get("DomainName", ""), limit, errors.DomainNotFound)


def _quantity(field: str, protocol: str, kind: str) -> Quantity:
    """Field/DataProtocol/Type as a stored quantity; what the store cannot answer is refused."""
    if field in ("bps", "traf"):
        if protocol != "all" or kind != "all":
            raise errors.InvalidParameter(
                "DataProtocol",
                f"Field={field} is recorded for all protocols and types together only: "
                f"DataProtocol={protocol} with Type={kind} cannot be answered.",
            )
        return BPS if field == "bps" else TRAFFIC
    counters = REQUEST_COUNTERS.get((protocol, kind))
    if counters is None:
        answerable = "; ".join(f"DataProtocol={p} Type={t}" for p, t in REQUEST_COUNTERS)
        raise errors.InvalidParameter(
            "DataProtocol",
            f"Field=acc with DataProtocol={protocol} and Type={kind} is not recorded "
            f"(only static HTTPS, dynamic HTTP and dynamic HTTPS requests are). Use {answerable}.",
        )
    return requests(counters)


@dataclass(frozen=True, slots=True)
class UsageDataParams:
    domain_text: str
    domains: tuple[str, ...]
    start_text: str
    end_text: str
    start: int
    end: int
    type: str
    area: str
    regions: frozenset[int]
    quantity: Quantity
    interval: int | None

    @classmethod
    def from_wire(cls, raw: Mapping[str, str], now: int) -> UsageDataParams:
        domains = _domains(raw, rules.MAX_USAGE_DOMAINS)
        start, end = _time(raw, "StartTime"), _time(raw, "EndTime")
        if start is None:
            raise errors.MissingParameter("StartTime")
        if end is None:
            raise errors.MissingParameter("EndTime")
        rules.check_window(start, end, now)
        if not raw.get("Field"):
            raise errors.MissingParameter("Field")
        field = _choice(raw, "Field", ("bps", "traf", "acc"), "")
        kind = _choice(raw, "Type", TYPES, rules.DEFAULT_TYPE)
        protocol = _choice(raw, "DataProtocol", PROTOCOLS, "all")
        # acc has no Area on Alibaba: omitted means every region; a given Area still filters,
        # since the store keeps request counts per region.
        area_text = (raw.get("Area") or ("all" if field == "acc" else "CN")).strip()
        area = AREAS.get(area_text.lower())
        if area is None:
            raise errors.InvalidNamedParameter("Area", "Use CN, OverSeas, AP1..SA or all.")
        return cls(
            domain_text=raw.get("DomainName", ""),
            domains=domains,
            start_text=raw["StartTime"],
            end_text=raw["EndTime"],
            start=start,
            end=end,
            type=kind,
            area=area[0],
            regions=area[1],
            quantity=_quantity(field, protocol, kind),
            interval=_interval(raw),
        )


Max95Mode = Literal["range", "point", "cycles", "recent"]


@dataclass(frozen=True, slots=True)
class Max95Params:
    """Modes: ``range`` (Start+End, no Cycle: the day of StartTime if the span is at most a day,
    else its month), ``point`` (TimePoint: the cycle holding it), ``cycles`` (Start+End+Cycle:
    every cycle of the range), ``recent`` (nothing: the last 24 hours). Start+End win over
    TimePoint."""

    domain_text: str
    domains: tuple[str, ...]
    mode: Max95Mode
    cycle: Cycle
    start: int
    end: int

    @classmethod
    def from_wire(cls, raw: Mapping[str, str], now: int) -> Max95Params:
        domains = _domains(raw, rules.MAX_USAGE_DOMAINS)
        start, end = _time(raw, "StartTime"), _time(raw, "EndTime")
        point = _time(raw, "TimePoint")
        cycle_text = (raw.get("Cycle") or "").strip().lower()
        if cycle_text not in ("", "day", "month"):
            raise errors.InvalidParameter("Cycle", "Use day or month.")
        cycle: Cycle = "month" if cycle_text == "month" else "day"
        if (start is None) != (end is None):
            raise errors.MissingTimeParameter()
        mode: Max95Mode
        if start is not None and end is not None:
            rules.check_window(start, end, now, rules.MAX95_MAX_SPAN_SECONDS)
            if cycle_text:
                mode = "cycles"
            else:
                mode = "range"
                cycle = "day" if end - start <= DAY_SECONDS else "month"
        elif point is not None:
            rules.check_window(point, point + 1, now)
            mode, start, end = "point", point, point + 1
        else:
            mode, start, end = "recent", now - rules.DEFAULT_SPAN_SECONDS, now
        return cls(raw.get("DomainName", ""), domains, mode, cycle, start, end)


@dataclass(frozen=True, slots=True)
class MonitorParams:
    """DescribeDomainBpsData / DescribeDomainTrafficData: times optional (the last day)."""

    domain_text: str
    domains: tuple[str, ...]
    start: int
    end: int
    #: The times as sent; None when the default window is used.
    times_given: bool
    interval: int | None

    @classmethod
    def from_wire(cls, raw: Mapping[str, str], now: int) -> MonitorParams:
        domains = _domains(raw, rules.MAX_MONITOR_DOMAINS)
        start, end = _time(raw, "StartTime"), _time(raw, "EndTime")
        if (start is None) != (end is None):
            raise errors.MissingTimeParameter()
        for name in ("IspNameEn", "LocationNameEn"):
            if (raw.get(name) or "").strip():
                raise errors.InvalidParameter(
                    name, "Usage is recorded per billing region only, not per ISP or location."
                )
        given = start is not None and end is not None
        if start is None or end is None:
            start, end = now - rules.DEFAULT_SPAN_SECONDS, now
        rules.check_window(start, end, now)
        return cls(raw.get("DomainName", ""), domains, start, end, given, _interval(raw))
