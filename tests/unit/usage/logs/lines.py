"""Log lines in each supported format, built from the values a test cares about."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone


def alibaba(
    when: datetime,
    host: str,
    size: int,
    *,
    scheme: str = "http",
    agent: str = "Mozilla/5.0",
) -> str:
    """A line as Alibaba Cloud CDN writes it; ``when`` keeps its own UTC offset."""
    stamp = f"{when.day}/{when:%b/%Y:%H:%M:%S %z}"
    return (
        f'[{stamp}] 188.165.15.75 - 1542 "-" "GET {scheme}://{host}/index.html" 200 191 {size} '
        f'MISS "{agent}" "text/html"'
    )


def nginx(epoch: float, host: str, size: int, *, scheme: str = "http", node: str = "edge1") -> str:
    """A line of ``NGINX_LOG_FORMAT``: $msec $hostname $host $scheme $bytes_sent."""
    return f"{epoch:.3f}\t{node}\t{host}\t{scheme}\t{size}"


def json_line(
    time: object, host: str, size: object, *, scheme: str = "http", node: str | None = None
) -> str:
    record: dict[str, object] = {"time": time, "host": host, "scheme": scheme, "bytes_sent": size}
    if node is not None:
        record["node"] = node
    return json.dumps(record)


def at(text: str, offset_hours: int = 0) -> datetime:
    """``YYYY-MM-DDThh:mm:ss`` local time at a UTC offset."""
    zone = UTC if offset_hours == 0 else timezone(timedelta(hours=offset_hours))
    return datetime.fromisoformat(text).replace(tzinfo=zone)


def local(epoch: int, offset_hours: int) -> datetime:
    """The moment ``epoch`` as seen at a UTC offset."""
    return datetime.fromtimestamp(epoch, timezone(timedelta(hours=offset_hours)))
