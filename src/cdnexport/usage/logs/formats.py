"""Access-log line formats: each parser turns one raw line into the five values billing needs.

Hand-written rather than a log-parsing library because each format is one regular expression or
one split, and the hot loop has to stay near a microsecond a line, on bytes, without decoding.
"""

from __future__ import annotations

import enum
import json
import math
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

#: (epoch second, raw host, is HTTPS, response bytes, raw serving-node name or b"").
Parsed = tuple[int, bytes, bool, int, bytes]
Parser = Callable[[bytes], Parsed]


class LogFormat(enum.StrEnum):
    ALIBABA = "alibaba"
    NGINX = "nginx"
    JSON = "json"


#: The nginx ``log_format`` to paste into the ``http`` block; nginx turns ``\t`` into a tab and
#: escapes tabs inside values, so the fields split unambiguously.
NGINX_LOG_FORMAT = r"log_format cdnexport '$msec\t$hostname\t$host\t$scheme\t$bytes_sent';"
#: The same fields as one JSON object per line, for the ``json`` format.
NGINX_JSON_LOG_FORMAT = (
    "log_format cdnexport_json escape=json "
    """'{"time":$msec,"node":"$hostname","host":"$host","scheme":"$scheme","""
    """"bytes_sent":$bytes_sent}';"""
)
#: Formats whose lines name the serving node; Alibaba lines do not, so a file is its own node.
NODE_FIELD_FORMATS = frozenset({LogFormat.NGINX, LogFormat.JSON})

# Parsed times are cached per distinct text; the cache is emptied when it reaches this size.
TIME_CACHE_SIZE = 65_536
# Year 10000: a later "time" is garbage, and would overflow the int64 sample columns.
_MAX_SECOND = 253_402_300_800
_MAX_DIGITS = 18
_MAX_SIZE = 10**_MAX_DIGITS
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND = timedelta(seconds=1)
_MONTHS = {
    name.encode(): number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
        start=1,
    )
}


class LineError(ValueError):
    """A line that does not fit its format; the message says why, in the user's terms."""


def make_parser(log_format: LogFormat) -> Parser:
    """A fresh parser for ``log_format``; parsers cache state, so use one per file."""
    if log_format is LogFormat.ALIBABA:
        return AlibabaParser()
    if log_format is LogFormat.NGINX:
        return NginxParser()
    return JsonParser()


# [time] client-ip proxy-ip response-ms "referer" "METHOD URL" status request-bytes
# response-bytes HIT|MISS "user-agent" "content-type"; the user agent may itself hold quotes.
# Older documentation shows lines without the client IP, so two or three fields are accepted.
_ALIBABA = re.compile(
    rb'\[([^\]]*)\] (?:\S+ ){2,3}"[^"]*" "\S+ ([A-Za-z][A-Za-z0-9+.-]*)://([^/?#"\s]*)[^"]*" '
    rb'\d{3} \S+ (\d{1,18}) \S+ ".*"$'
)
_ALIBABA_TIME = re.compile(
    rb"(\d{1,2})/([A-Za-z]{3})/(\d{4}):(\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)"
)


class AlibabaParser:
    """Alibaba Cloud CDN offline-log lines; the domain and scheme come from the request URL."""

    def __init__(self) -> None:
        self._times: dict[bytes, int] = {}

    def __call__(self, line: bytes) -> Parsed:
        match = _ALIBABA.match(line)
        if match is None:
            raise LineError("does not match the Alibaba Cloud CDN log format")
        stamp, scheme, host, size = match.groups()
        second = self._times.get(stamp)
        if second is None:
            if len(self._times) >= TIME_CACHE_SIZE:
                self._times.clear()
            second = self._times[stamp] = _alibaba_time(stamp)
        return second, host, _is_https(scheme), int(size), b""


def _alibaba_time(stamp: bytes) -> int:
    match = _ALIBABA_TIME.fullmatch(stamp)
    month = _MONTHS.get(match.group(2).capitalize()) if match else None
    if match is None or month is None:
        raise LineError(f"time {_show(stamp)} is not like 9/Jun/2015:01:58:09 +0800")
    day, _, year, hour, minute, sec, sign, off_h, off_m = match.groups()
    offset = timedelta(hours=int(off_h), minutes=int(off_m))
    try:
        zone = timezone(-offset if sign == b"-" else offset)
        moment = datetime(int(year), month, int(day), int(hour), int(minute), int(sec), tzinfo=zone)
    except ValueError as exc:
        raise LineError(f"time {_show(stamp)} is not a valid time: {exc}") from None
    return (moment - _EPOCH) // _SECOND


class NginxParser:
    """Lines written with ``NGINX_LOG_FORMAT``; fields after the fifth are ignored."""

    def __call__(self, line: bytes) -> Parsed:
        fields = line.split(b"\t")
        if len(fields) < 5:
            raise LineError(f"expected 5 tab-separated fields, found {len(fields)}")
        whole, _, fraction = fields[0].partition(b".")
        # The sub-second part never moves a request across a slot boundary, so it is dropped.
        if not whole.isdigit() or len(whole) > 11 or not (fraction.isdigit() or not fraction):
            raise LineError(f"$msec {_show(fields[0])} is not epoch seconds like 1714521600.123")
        host = fields[2]
        if not host:
            raise LineError("$host is empty")
        size = fields[4]
        if not size.isdigit() or len(size) > _MAX_DIGITS:
            raise LineError(f"$bytes_sent {_show(size)} is not a byte count")
        scheme = fields[3]
        https = scheme == b"https"
        if not https and scheme != b"http":
            https = _is_https(scheme)
        return int(whole), host, https, int(size), fields[1]


class JsonParser:
    """One JSON object a line: ``time``, ``host``, ``scheme``, ``bytes_sent``, optional ``node``."""

    def __init__(self) -> None:
        # Decoding first skips json.loads' own encoding detection, a third of its cost here.
        self._decode = json.JSONDecoder().decode

    def __call__(self, line: bytes) -> Parsed:
        try:
            record = self._decode(line.decode())
        except ValueError:  # UnicodeDecodeError too
            raise LineError("not valid JSON") from None
        if type(record) is not dict:
            raise LineError("not a JSON object")
        host = record.get("host")
        if type(host) is not str or not host:
            raise LineError('"host" is missing or not a non-empty string')
        scheme = record.get("scheme")
        https = scheme == "https"
        if not https and scheme != "http":
            if type(scheme) is not str:
                raise LineError('"scheme" is missing or not a string')
            https = _is_https(scheme.encode())
        node = record.get("node")
        if node is not None and type(node) is not str:
            raise LineError('"node" is not a string')
        # Inline fast paths for the common shapes (epoch number, integer size); the helpers
        # check everything else.
        moment = record.get("time")
        if (type(moment) is float or type(moment) is int) and 0 <= moment < _MAX_SECOND:
            second = int(moment)
        else:
            second = _json_time(moment)
        size = record.get("bytes_sent")
        if type(size) is not int or not 0 <= size < _MAX_SIZE:
            size = _json_size(size)
        return second, host.encode(), https, size, node.encode() if node else b""


def _json_time(value: object) -> int:
    """Epoch seconds (a number, fraction allowed) or ISO-8601 text with an offset, floored."""
    if type(value) is int or type(value) is float:
        try:
            second = math.floor(value)
        except (ValueError, OverflowError):
            raise LineError(f'"time" {value!r} is not a time') from None
    elif type(value) is str:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise LineError(f'"time" {value!r} is not ISO-8601') from None
        if moment.tzinfo is None:
            raise LineError(f'"time" {value!r} has no UTC offset (add Z or +08:00)')
        second = (moment - _EPOCH) // _SECOND
    else:
        raise LineError('"time" is missing or not a number or ISO-8601 text')
    if not 0 <= second < _MAX_SECOND:
        raise LineError(f'"time" {value!r} is out of range')
    return second


def _json_size(value: object) -> int:
    if type(value) is int and 0 <= value < _MAX_SIZE:
        return value
    if type(value) is str and value.isascii() and value.isdigit() and len(value) <= _MAX_DIGITS:
        return int(value)
    raise LineError(f'"bytes_sent" {value!r} is missing or not a byte count')


def _is_https(scheme: bytes) -> bool:
    if scheme == b"https":
        return True
    if scheme == b"http":
        return False
    lowered = scheme.lower()
    if lowered in (b"https", b"http"):
        return lowered == b"https"
    raise LineError(f"scheme {_show(scheme)} is neither http nor https")


def _show(value: bytes) -> str:
    return repr(value.decode(errors="replace")[:40])


def normalize_host(raw: bytes) -> str | None:
    """The domain name a raw host means: no userinfo, no port, no trailing dot, lower case;
    None when it cannot be a domain name (not ASCII, or an IP literal in brackets)."""
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        return None
    text = text.rpartition("@")[2]
    if text.startswith("["):
        return None
    name = text.partition(":")[0].rstrip(".").lower()
    return name or None
