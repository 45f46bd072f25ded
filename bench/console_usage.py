"""The console's Usage page against DescribeDomainUsageData for the same data, and its weight.

100 domains x 31 days of 5-minute samples (``bench.usage_queries``' data set), bandwidth of all
domains and regions at 5 minutes (8,928 points). The page is fetched in process through the ASGI
app with a signed-in session (session check, form, computation, chart, template); the baseline
is the same question as one DescribeDomainUsageData call through ``RpcEdge.handle``. Each ratio
is the median of the ratios of neighbouring runs. SQLite.

Run alone: ``python -m bench.console_usage [--repeats 5]``; in the bench:
``python -m bench --only console``.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from tempfile import TemporaryDirectory

from starlette.testclient import TestClient

from bench.report import Figure, judged, table
from bench.usage_queries import END, START, Deployment, _database
from cdnexport.web.app import create_app

TIME_TARGET = 2.0
WEIGHT_TARGET = 300 * 1024
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def log(message: str) -> None:
    print(f"[bench console {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _signed_in(deployment: Deployment) -> TestClient:
    client = TestClient(create_app(deployment.services))
    page = client.get("/console/signin").text
    found = _CSRF.findall(page)
    resp = client.post(
        "/console/signin",
        data={
            "access_key_id": deployment.key.access_key_id,
            "access_key_secret": deployment.key.access_key_secret,
            "csrf": found[-1],
        },
        headers={"origin": "http://testserver"},
        follow_redirects=False,
    )
    if resp.status_code != 303:
        raise RuntimeError(f"sign-in: {resp.status_code}")
    return client


def figures(root: Path, *, repeats: int = 5) -> list[Figure]:
    root.mkdir(parents=True, exist_ok=True)
    fmt = "%Y-%m-%dT%H:%M"
    params = {
        "metric": "bandwidth",
        "start": time.strftime(fmt, time.gmtime(START)),
        "end": time.strftime(fmt, time.gmtime(END)),
        "interval": "300",
    }
    with _database("sqlite", root) as url:
        log("100 domains x 31 days")
        deployment = Deployment(url, root, 0)
        try:
            client = _signed_in(deployment)
            weight = 0

            def page() -> float:
                nonlocal weight
                deployment.clock.advance(1.0)
                started = time.perf_counter()
                resp = client.get("/console/usage", params=params)
                elapsed = time.perf_counter() - started
                if resp.status_code != 200 or "fig-peak" not in resp.text:
                    raise RuntimeError(f"usage page: {resp.status_code} {resp.text[:300]}")
                weight = len(resp.content)
                return elapsed

            page()
            deployment.call(300)  # warm both paths
            pages, calls = [], []
            for _ in range(repeats):
                pages.append(page())
                calls.append(deployment.call(300))
            log(f"page {[round(p, 3) for p in pages]} call {[round(c, 3) for c in calls]}")
        finally:
            deployment.close()
    ratio = statistics.median(p / c for p, c in zip(pages, calls, strict=True))
    return [
        judged(
            "Console usage page vs DescribeDomainUsageData, 100 domains x 31 days at 300 s",
            ratio,
            f"{ratio:.2f}× ({statistics.median(pages) * 1000:.0f} ms vs "
            f"{statistics.median(calls) * 1000:.0f} ms)",
            f"≤ {TIME_TARGET:g}×",
            lambda r: r <= TIME_TARGET,
        ),
        judged(
            "Console usage page weight (HTML with the inline SVG chart)",
            weight,
            f"{weight / 1024:.0f} KB",
            f"< {WEIGHT_TARGET // 1024} KB",
            lambda w: w < WEIGHT_TARGET,
        ),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.console_usage", description=__doc__)
    parser.add_argument("--repeats", type=int, default=5, help="interleaved runs (median)")
    args = parser.parse_args(argv)
    with TemporaryDirectory(prefix="cdnexport-bench-console-") as tmp:
        found = figures(Path(tmp), repeats=args.repeats)
    print(table(found))
    return 0 if all(f.passed for f in found) else 1


if __name__ == "__main__":
    sys.exit(main())
