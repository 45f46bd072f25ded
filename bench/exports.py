"""Whole export tasks through the real API and a worker process: Create, poll Describe until
``success``, with the worker's peak RSS for each task."""

from __future__ import annotations

import time
from dataclasses import dataclass

from bench import procs
from bench.dataset import Dataset, ExportShape
from bench.rpc_client import RpcClient

MIB = 1024


@dataclass(frozen=True, slots=True)
class ExportRun:
    rows: int
    seconds: float
    #: Worker RSS before the task and its peak during it, in MiB (0 when not measured).
    rss_before_mb: float
    peak_mb: float

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds

    @property
    def growth_mb(self) -> float:
        return self.peak_mb - self.rss_before_mb


def run_export(
    client: RpcClient,
    dataset: Dataset,
    shape: ExportShape,
    *,
    worker_pid: int | None,
    poll: float,
) -> ExportRun:
    """One flow export of ``shape``, timed from just before Create to the ``success`` answer."""
    start, end = dataset.window(shape)
    domains = dataset.domain_names[: shape.domains]
    before = 0.0
    if worker_pid is not None:
        before = procs.status_kib(worker_pid, "VmRSS") / MIB
        procs.reset_peak(worker_pid)
    started = time.perf_counter()
    task_id = client.create_flow_export(domains, start, end)
    item = client.wait_success(task_id, poll)
    seconds = time.perf_counter() - started
    peak = procs.status_kib(worker_pid, "VmHWM") / MIB if worker_pid is not None else 0.0
    if int(item["RowCount"]) != shape.rows:
        raise RuntimeError(f"task {task_id} wrote {item['RowCount']} rows, not {shape.rows}")
    return ExportRun(shape.rows, seconds, before, peak)
