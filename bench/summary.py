"""The PDF usage summary as a customer gets it: Create to ``success`` through the API and a
separate worker process, against the xlsx detail export of the same scope (the whole account,
one month) in the same run, and the worker's peak memory for 10 and for 100 domains."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench import procs, stack
from bench.dataset import DAY, Dataset, Key, bench_settings
from bench.report import Figure, judged, megabytes
from bench.rpc_client import RpcClient, iso
from cdnexport.db import accounts
from cdnexport.domain.regions import REGION_ID
from cdnexport.domain.task import SLOT_SECONDS
from cdnexport.services import Services, build_services
from cdnexport.usage.samples import SampleBatch
from cdnexport.usage.store import SqlUsageStore

DAYS = 31
#: Regions every domain has traffic in, every slot of the month.
REGIONS = ("CN", "AP1", "NA")
SIZES = (10, 100)
#: How much more the 100-domain summary may make the worker peak than the 10-domain one.
RSS_SLACK_MB = 8.0
MIB = 1024


@dataclass(frozen=True, slots=True)
class Tenant:
    key: Key
    domains: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Run:
    seconds: float
    growth_mb: float
    peak_mb: float


def build(root: Path, seed: int = 11) -> tuple[Dataset, dict[int, Tenant]]:
    """One account per size in ``SIZES``, every domain with traffic and requests in each of
    ``REGIONS`` for every slot of the ``DAYS`` days before today (UTC)."""
    settings = bench_settings(root / "summary-data", "http://127.0.0.1:9")
    services = build_services(settings)
    rng = np.random.default_rng(seed)
    try:
        now = int(services.clock.now())
        end = now // DAY * DAY
        tenants = {size: _tenant(services, size, end, rng, now) for size in SIZES}
    finally:
        services.db.dispose()
    first = tenants[SIZES[0]].key
    return Dataset(settings, end, first, (), ()), tenants


def _tenant(services: Services, size: int, end: int, rng: np.random.Generator, now: int) -> Tenant:
    names = [f"s{i:03d}.summary-{size}.bench.example" for i in range(size)]
    with services.db.write() as conn:
        account = accounts.create_account(conn, f"bench-summary-{size}", now)
        accounts.add_domains(conn, account.id, names)
        ids = accounts.domain_ids(conn, account.id, names)
    assert ids is not None
    slots = np.arange(end - DAYS * DAY, end, SLOT_SECONDS, dtype=np.int64)
    regions = np.array([REGION_ID[code] for code in REGIONS], dtype=np.int64)
    count = len(regions) * len(slots)
    store = SqlUsageStore(services.db)
    for name in names:
        traffic = np.minimum(rng.lognormal(20.0, 2.0, count), 1e12).astype(np.int64)
        batch = SampleBatch.of(
            np.full(count, ids[name], dtype=np.int64),
            np.repeat(regions, len(slots)),
            np.tile(slots, len(regions)),
            traffic,
            traffic // 20_000,
            traffic // 100_000,
            traffic // 50_000,
        )
        with services.db.write() as conn:
            store.upsert(conn, batch)
    return Tenant(Key(account.access_key_id, account.access_key_secret), tuple(names))


def _timed(
    endpoint: stack.Endpoint, key: Key, create: str, describe: str, params: dict[str, str], pid: int
) -> Run:
    # A connection per task: an idle keep-alive connection is closed by the server meanwhile.
    client = RpcClient(endpoint.host, endpoint.port, key)
    try:
        return _run(client, create, describe, params, pid)
    finally:
        client.close()


def _run(client: RpcClient, create: str, describe: str, params: dict[str, str], pid: int) -> Run:
    before = procs.status_kib(pid, "VmRSS") / MIB
    procs.reset_peak(pid)
    started = time.perf_counter()
    task_id = str(client.call(create, params)["TaskId"])
    deadline = time.monotonic() + 600
    while True:
        items = client.call(describe, {"PageSize": "50"})["UsageDataPerPage"]["Data"]["DataItem"]
        (item,) = (i for i in items if i["TaskId"] == task_id)
        if item["Status"] == "success":
            break
        if item["Status"] == "failed" or time.monotonic() > deadline:
            raise RuntimeError(f"task {task_id}: {item}")
        time.sleep(0.02)
    seconds = time.perf_counter() - started
    peak = procs.status_kib(pid, "VmHWM") / MIB
    return Run(seconds, peak - before, peak)


def pdf(endpoint: stack.Endpoint, key: Key, window: dict[str, str], pid: int) -> Run:
    return _timed(
        endpoint,
        key,
        "CreateUserUsageDataExportTask",
        "DescribeUserUsageDataExportTask",
        {**window, "Language": "zh-cn"},
        pid,
    )


def xlsx(
    endpoint: stack.Endpoint, key: Key, window: dict[str, str], pid: int, domains: str = ""
) -> Run:
    """A flow detail export: of the whole account, or of ``domains`` one by one."""
    params = {**window, "Type": "flow", "Language": "zh-cn"}
    if domains:
        params["DomainNames"] = domains
    return _timed(
        endpoint,
        key,
        "CreateUsageDetailDataExportTask",
        "DescribeUserUsageDetailDataExportTask",
        params,
        pid,
    )


def figures(root: Path, repeats: int) -> list[Figure]:
    """Build the summary's own data set under ``root``, run, and judge."""
    data, tenants = build(root)
    endpoint = stack.new_endpoint()
    env = stack.service_env(data, endpoint, worker_threads="0", poll_seconds="0.02")
    window = {"StartTime": iso(data.end - DAYS * DAY), "EndTime": iso(data.end)}
    runs: dict[str, list[Run]] = {"xlsx": [], **{f"pdf-{size}": [] for size in SIZES}}
    big_tenant = tenants[SIZES[-1]]
    with stack.serve(env, endpoint, root) as _server, stack.worker(env, root) as worker:
        # The first summary loads Typst and the fonts; it is not a figure.
        pdf(endpoint, tenants[SIZES[0]].key, window, worker.pid)
        big = tenants[SIZES[-1]].key
        for _ in range(repeats):
            runs["xlsx"].append(xlsx(endpoint, big, window, worker.pid))
            for size in SIZES:
                runs[f"pdf-{size}"].append(pdf(endpoint, tenants[size].key, window, worker.pid))
            worker.check_alive()
        # Once: the same month as a detail of every domain (rows per domain and region).
        names = ",".join(big_tenant.domains)
        runs["xlsx-domains"] = [xlsx(endpoint, big, window, worker.pid, names)]
    return _judge(runs)


def _median(runs: list[Run]) -> Run:
    return sorted(runs, key=lambda run: run.seconds)[len(runs) // 2]


def _judge(runs: dict[str, list[Run]]) -> list[Figure]:
    detail = _median(runs["xlsx"])
    big, small = _median(runs[f"pdf-{SIZES[-1]}"]), _median(runs[f"pdf-{SIZES[0]}"])
    big_growth = max(run.growth_mb for run in runs[f"pdf-{SIZES[-1]}"])
    small_growth = max(run.growth_mb for run in runs[f"pdf-{SIZES[0]}"])
    ratio = big.seconds / detail.seconds
    count = len(runs["xlsx"])
    return [
        Figure(
            f"xlsx detail export, whole account of {SIZES[-1]} domains, one month",
            f"{detail.seconds:.2f} s",
            note=f"median of {count}",
        ),
        Figure(
            f"PDF summary, whole account of {SIZES[-1]} domains, one month, Create → success",
            f"{big.seconds:.2f} s",
            note=f"median of {count}; {SIZES[0]} domains: {small.seconds:.2f} s",
        ),
        Figure(
            f"xlsx detail export of the same {SIZES[-1]} domains one by one, one month",
            f"{runs['xlsx-domains'][0].seconds:.2f} s",
            note=f"{len(REGIONS) * SIZES[-1] * DAYS * 288:,} rows, 1 run",
        ),
        judged(
            "PDF summary time vs the xlsx detail export of the same scope",
            ratio,
            f"{ratio:.2f}×",
            "≤ 1.00×",
            lambda value: value <= 1.0,
        ),
        judged(
            f"Worker peak RSS growth, PDF of {SIZES[-1]} domains vs {SIZES[0]}",
            big_growth,
            f"{megabytes(big_growth)} vs {megabytes(small_growth)}",
            f"not above {SIZES[0]} domains' + {RSS_SLACK_MB:.0f} MB",
            lambda grown: grown <= small_growth + RSS_SLACK_MB,
            f"peak {megabytes(big.peak_mb)}",
        ),
    ]
