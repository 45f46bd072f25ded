"""``python -m bench`` (``make bench``): export and API figures, each with its target, measured
in one run on one data set, with ratios against baselines measured in the same run.

Needs wrk for the Describe load (Debian: ``apt-get install -y wrk``). Everything it starts
binds 127.0.0.1 and is stopped before it exits; the data lives in a temporary folder.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench import (
    console_usage,
    dataset,
    formats_bench,
    load,
    procs,
    scaleout,
    stack,
    usage_queries,
    writers,
)
from bench.dataset import MONTH_ROWS, Dataset, ExportShape, Key, shape_for
from bench.exports import ExportRun, run_export
from bench.load import LoadResult
from bench.report import Figure, all_passed, judged, megabytes, rate, table
from bench.rpc_client import RpcClient
from cdnexport.db import accounts
from cdnexport.db.engine import Database
from cdnexport.export.fastxlsx import FastXlsxWriter
from cdnexport.export.xlsxwriter_writer import XlsxWriterWorkbook

PHASES = ("writers", "formats", "exports", "latency", "describe", "usage", "console")
SIZES = (100_000, 1_000_000)
BIG = 3_000_000
SPEEDUP_TARGET = 10.0
RSS_GROWTH_LIMIT_MB = 150.0
#: How much more a 3M-row export may peak than a 1M-row one and still "not grow with size".
RSS_SLACK_MB = 16.0
LATENCY_TARGET_S = 1.0
RATIO_TARGET = 0.20
P99_TARGET_MS = 25.0
CONNECTIONS = 64


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    phases = args.only or list(PHASES)
    if "describe" in phases:
        load.wrk_path()
    with tempfile.TemporaryDirectory(prefix="cdnexport-bench-") as tmp:
        root = Path(tmp)
        figures: list[Figure] = []
        if set(phases) - {"usage", "console"}:
            log(f"building the data set in {root}")
            data = dataset.build(
                dataset.bench_settings(root / "data", "http://127.0.0.1:9"),
                count_tenants=args.tenants,
            )
            baseline: dict[int, float] = {}
            if "writers" in phases:
                figures += _writers(data, root, baseline)
            if "formats" in phases:
                log("CSV and Parquet against the xlsx writer, 1,000,000 rows")
                figures += formats_bench.figures(SIZES[-1], repeat=2)
            if "exports" in phases:
                figures += _exports(data, root, baseline, args.repeats, args.big)
            if "latency" in phases:
                figures += _latency(data, root, args.repeats)
            if "describe" in phases:
                figures += _describe(data, root, args.seconds, args.pairs)
        if "usage" in phases:
            # Its own databases: 100 domains x 31 days, and a table 50x larger.
            figures += usage_queries.figures(
                root / "usage", scale=args.usage_scale, repeats=max(args.repeats, 5)
            )
        if "console" in phases:
            figures += console_usage.figures(root / "console", repeats=max(args.repeats, 5))
    print(table(figures))
    met = all_passed(figures)
    print("\nall targets met" if met else "\nsome targets missed (MISS above)")
    return 1 if args.strict and not met else 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", action="append", choices=PHASES, help="run only this phase")
    parser.add_argument("--repeats", type=int, default=3, help="runs per figure (median)")
    parser.add_argument("--seconds", type=float, default=4.0, help="length of each load run")
    parser.add_argument("--pairs", type=int, default=4, help="bare/Describe run pairs (median)")
    parser.add_argument("--tenants", type=int, default=1000, help="accounts Describe cycles")
    parser.add_argument("--no-big", dest="big", action="store_false", help="skip 3M rows")
    parser.add_argument(
        "--usage-scale", type=int, default=50, help="usage phase: rows of others per query row"
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    return parser


def _domain_ids(data: Dataset, shape: ExportShape) -> tuple[int, ...]:
    db = Database(data.settings.effective_database_url)
    try:
        with db.read() as conn:
            names = list(data.domain_names[: shape.domains])
            owner = accounts.by_name(conn, dataset.EXPORT_ACCOUNT).id
            ids = accounts.domain_ids(conn, owner, names)
    finally:
        db.dispose()
    assert ids is not None
    return tuple(ids[name] for name in names)


def _writers(data: Dataset, root: Path, baseline: dict[int, float]) -> list[Figure]:
    """Writers alone on rows read beforehand, and what reading those rows costs."""
    figures = []
    for rows in SIZES:
        shape = shape_for(rows)
        started = time.perf_counter()
        loaded = writers.load(data.settings, _domain_ids(data, shape), *data.window(shape))
        read = time.perf_counter() - started
        figures.append(Figure(f"Usage store read alone, {rows:,} rows", rate(rows / read)))
        log(f"XlsxWriter constant_memory, {rows:,} rows")
        seconds = writers.time_writer(loaded, XlsxWriterWorkbook)
        baseline[rows] = rows / seconds
        figures.append(
            Figure(f"XlsxWriter constant_memory alone, {rows:,} rows", rate(rows / seconds))
        )
        log(f"FastXlsxWriter alone, {rows:,} rows")
        seconds = min(writers.time_writer(loaded, FastXlsxWriter) for _ in range(3))
        figures.append(
            Figure(f"FastXlsxWriter alone, {rows:,} rows", rate(rows / seconds), note="best of 3")
        )
    log("single-core ceiling: sheet XML + isal deflate")
    ceiling = writers.ceiling(loaded, root)
    baseline[0] = ceiling.rows_per_second
    figures.append(
        Figure(
            f"Ceiling: sheet XML ({ceiling.method}) + isal-1 deflate, 1 core, {loaded.rows:,} rows",
            rate(ceiling.rows_per_second),
            note=(
                f"XML {ceiling.generate_seconds:.2f} s for "
                f"{ceiling.xml_bytes / ceiling.rows:.0f} B/row, "
                f"deflate {ceiling.deflate_seconds:.2f} s = "
                f"{rate(ceiling.deflate_rows_per_second)} alone"
            ),
        )
    )
    return figures


def _median_run(runs: list[ExportRun]) -> ExportRun:
    return sorted(runs, key=lambda run: run.seconds)[len(runs) // 2]


def _exports(
    data: Dataset, root: Path, baseline: dict[int, float], repeats: int, big: bool
) -> list[Figure]:
    endpoint = stack.new_endpoint()
    # The separate worker is not woken by Create; a short poll keeps its idle wait (0.5 s by
    # default) from standing in for export time.
    env = stack.service_env(data, endpoint, worker_threads="0", poll_seconds="0.02")
    figures = [Figure("Workbook writer of the worker (default setting)", stack.worker_writer())]
    with stack.serve(env, endpoint, root) as _server, stack.worker(env, root) as worker:
        client = RpcClient(endpoint.host, endpoint.port, data.exporter)
        try:
            # The first task loads the writer's modules; it is not a figure.
            run_export(client, data, ExportShape(1, 288), worker_pid=worker.pid, poll=0.02)
            measured: dict[int, ExportRun] = {}
            sizes = (*SIZES, BIG) if big else SIZES
            for rows in sizes:
                runs = []
                for n in range(1 if rows == BIG else repeats):
                    log(f"export task, {rows:,} rows, run {n + 1}")
                    runs.append(
                        run_export(client, data, shape_for(rows), worker_pid=worker.pid, poll=0.02)
                    )
                    worker.check_alive()
                run = _median_run(runs)
                run = ExportRun(
                    run.rows, run.seconds, run.rss_before_mb, max(r.peak_mb for r in runs)
                )
                measured[rows] = run
                figures += _export_figures(run, runs, baseline)
        finally:
            client.close()
    if BIG in measured:
        one, three = measured[SIZES[-1]], measured[BIG]
        figures.append(
            judged(
                "Worker peak RSS growth, 3M rows (3 sheets) vs 1M",
                three.growth_mb,
                f"{megabytes(three.growth_mb)} vs {megabytes(one.growth_mb)}",
                f"not above 1M's + {RSS_SLACK_MB:.0f} MB",
                lambda grown: grown <= one.growth_mb + RSS_SLACK_MB,
            )
        )
    return figures


def _export_figures(
    run: ExportRun, runs: list[ExportRun], baseline: dict[int, float]
) -> list[Figure]:
    rows = run.rows
    spread = (
        f"{len(runs)} runs, {min(r.seconds for r in runs):.2f}–{max(r.seconds for r in runs):.2f} s"
    )
    figures = [
        Figure(
            f"Export task {rows:,} rows, Create → success",
            rate(run.rows_per_second),
            note=f"median {run.seconds:.2f} s; {spread}",
        )
    ]
    reference = baseline.get(rows)
    if reference is not None:
        speedup = run.rows_per_second / reference
        if rows == SIZES[-1]:
            figures.append(
                judged(
                    f"Export task {rows:,} rows vs XlsxWriter alone",
                    speedup,
                    f"{speedup:.1f}×",
                    f"≥ {SPEEDUP_TARGET:.0f}×",
                    lambda x: x >= SPEEDUP_TARGET,
                )
            )
        else:
            figures.append(
                Figure(f"Export task {rows:,} rows vs XlsxWriter alone", f"{speedup:.1f}×")
            )
    if rows == SIZES[-1] and 0 in baseline:
        share = run.rows_per_second / baseline[0]
        figures.append(
            Figure(f"Export task {rows:,} rows as a share of the ceiling", f"{share:.0%}")
        )
    growth = run.growth_mb
    name = f"Worker peak RSS growth, {rows:,} rows"
    note = f"peak {megabytes(run.peak_mb)}"
    if rows == SIZES[-1]:
        figures.append(
            judged(
                name,
                growth,
                megabytes(growth),
                f"< {RSS_GROWTH_LIMIT_MB:.0f} MB",
                lambda grown: grown < RSS_GROWTH_LIMIT_MB,
                note,
            )
        )
    else:
        figures.append(Figure(name, megabytes(growth), note=note))
    return figures


def _latency(data: Dataset, root: Path, repeats: int) -> list[Figure]:
    """The embedded default: ``cdnexport serve`` with its in-process worker, default settings."""
    endpoint = stack.new_endpoint()
    env = stack.service_env(data, endpoint)
    shape = shape_for(MONTH_ROWS)
    seconds = []
    with stack.serve(env, endpoint, root) as _server:
        client = RpcClient(endpoint.host, endpoint.port, data.exporter)
        try:
            run_export(client, data, ExportShape(1, 288), worker_pid=None, poll=0.01)
            for n in range(max(repeats, 5)):
                log(f"one-domain one-month export, run {n + 1}")
                seconds.append(run_export(client, data, shape, worker_pid=None, poll=0.01).seconds)
        finally:
            client.close()
    median = statistics.median(seconds)
    return [
        judged(
            f"One domain, one month ({MONTH_ROWS:,} rows), embedded default, Create → success",
            median,
            f"{median:.2f} s",
            f"< {LATENCY_TARGET_S:.0f} s",
            lambda s: s < LATENCY_TARGET_S,
            f"median of {len(seconds)}, {min(seconds):.2f}–{max(seconds):.2f} s",
        )
    ]


def _describe(data: Dataset, root: Path, seconds: float, runs: int) -> list[Figure]:
    """The Describe guard on both deployments, each against the bare endpoint.

    Runs alternate (bare, then Describe), so each ratio compares neighbouring runs; the ratio
    shown is the median of them. The guard is not a race: 0 errors, a p99 under 25 ms and a
    fifth of the bare endpoint's calls per second.
    """
    bare_at = stack.new_endpoint()
    bare_file = root / "bare.txt"
    # The same requests, so both servers parse the same bytes; the bare one ignores nonces.
    load.write_describe_requests(bare_file, data.tenants, int(seconds * load.SIGNED_PER_SECOND))
    figures = []
    with stack.bare(bare_at, root) as bare_server:
        load.run_wrk(f"{bare_at.url}/", bare_file, 2, CONNECTIONS)
        api_at = stack.new_endpoint()
        env = stack.service_env(data, api_at, worker_threads="0")
        log("Describe guard: embedded default (SQLite), one API process")
        with stack.serve(env, api_at, root) as api_server:
            figures += _guard(
                "embedded default",
                (bare_at, bare_server, bare_file),
                (api_at, api_server, data.tenants),
                root,
                seconds,
                runs,
            )
        log("Describe guard: PostgreSQL + Redis, serve --processes 2")
        with scaleout.deployment(data.settings, len(data.tenants)) as deployment:
            api_at = stack.new_endpoint()
            env = stack.service_env(data, api_at, worker_threads="0", **deployment.env())
            with stack.serve(env, api_at, root, processes=2) as api_server:
                figures += _guard(
                    "PostgreSQL + Redis, 2 API processes",
                    (bare_at, bare_server, bare_file),
                    (api_at, api_server, deployment.tenants),
                    root,
                    seconds,
                    runs,
                )
    return figures


def _guard(
    name: str,
    bare: tuple[stack.Endpoint, procs.Child, Path],
    api: tuple[stack.Endpoint, procs.Child, Sequence[Key]],
    root: Path,
    seconds: float,
    runs: int,
) -> list[Figure]:
    bare_at, bare_server, bare_file = bare
    api_at, api_server, keys = api
    requests = root / "describe.txt"
    # Signed just before use: Timestamps must be within the tolerance, nonces fresh.
    load.write_describe_requests(requests, keys, int(2 * load.SIGNED_PER_SECOND))
    load.run_wrk(f"{api_at.url}/", requests, 2, CONNECTIONS)
    bare_runs: list[tuple[LoadResult, ServerCpu]] = []
    api_runs: list[tuple[LoadResult, ServerCpu]] = []
    for n in range(runs):
        bare_runs.append(_load(bare_at, bare_server, bare_file, seconds))
        load.write_describe_requests(requests, keys, int(seconds * load.SIGNED_PER_SECOND))
        api_runs.append(_load(api_at, api_server, requests, seconds))
        (bare_run, _), (api_run, _) = bare_runs[-1], api_runs[-1]
        log(
            f"  run {n + 1} of {runs}: bare {bare_run.per_second:,.0f}/s, Describe "
            f"{api_run.per_second:,.0f}/s: {api_run.per_second / bare_run.per_second:.0%}"
        )
        if api_run.wrapped:
            log("warning: wrk ran out of signed requests and repeated nonces")
    bare_median = _median_load(bare_runs)
    api_median = _median_load(api_runs)
    ratios = [
        a.per_second / b.per_second for (a, _), (b, _) in zip(api_runs, bare_runs, strict=True)
    ]
    ratio = statistics.median(ratios)
    errors = sum(run.errors + run.non_2xx for run, _ in api_runs)
    p99 = max(run.p99_ms for run, _ in api_runs)
    return [
        Figure(
            f"{name}: bare Starlette endpoint, {CONNECTIONS} connections",
            rate(bare_median[0].per_second),
            note=f"p99 {bare_median[0].p99_ms:.1f} ms, {bare_median[1]}",
        ),
        Figure(
            f"{name}: Describe, {CONNECTIONS} connections, {len(keys):,} accounts",
            rate(api_median[0].per_second),
            note=f"p50 {api_median[0].p50_ms:.1f} ms, {api_median[1]}",
        ),
        judged(
            f"{name}: Describe / bare endpoint, calls/s",
            ratio,
            f"{ratio:.0%}",
            f"≥ {RATIO_TARGET:.0%}",
            lambda r: r >= RATIO_TARGET,
            f"median of {runs} pairs of {seconds:g} s runs, {min(ratios):.0%}–{max(ratios):.0%}",
        ),
        judged(
            f"{name}: Describe p99 latency (worst run)",
            p99,
            f"{p99:.1f} ms",
            f"< {P99_TARGET_MS:.0f} ms",
            lambda ms: ms < P99_TARGET_MS,
        ),
        judged(
            f"{name}: Describe errors (non-2xx, socket)",
            errors,
            str(errors),
            "0",
            lambda e: e == 0,
        ),
    ]


def _median_load(runs: list[tuple[LoadResult, ServerCpu]]) -> tuple[LoadResult, ServerCpu]:
    return sorted(runs, key=lambda run: run[0].per_second)[len(runs) // 2]


@dataclass(frozen=True, slots=True)
class ServerCpu:
    """The server's CPU time per request, µs: in its own code and in the kernel's."""

    user: float
    system: float

    def __str__(self) -> str:
        total = self.user + self.system
        return f"server CPU {total:.0f} µs/request ({self.user:.0f} user, {self.system:.0f} system)"


def _load(
    endpoint: stack.Endpoint, server: procs.Child, requests: Path, seconds: float
) -> tuple[LoadResult, ServerCpu]:
    """One measured wrk run; returns it and the server's CPU per request."""
    user, system = procs.cpu_times(server.pid)
    result = load.run_wrk(f"{endpoint.url}/", requests, seconds, CONNECTIONS)
    user_after, system_after = procs.cpu_times(server.pid)
    server.check_alive()
    per_request = 1e6 / max(1, result.requests)
    return result, ServerCpu(
        (user_after - user) * per_request, (system_after - system) * per_request
    )


if __name__ == "__main__":
    raise SystemExit(main())
