"""What an operator sees at ``/metrics``, in the Prometheus text format (``prometheus_client``).

Two kinds of figures:

- counted where they happen, in the process that serves or exports: requests by action and
  code, their latency, outages by dependency, export rows, seconds and heartbeats. Under
  ``serve`` they are kept in prometheus_client's multi-process files (``serve`` sets
  ``PROMETHEUS_MULTIPROC_DIR`` before anything imports the library), so that every API process of
  ``--processes N`` and the supervisor's workers add up in whichever process answers the scrape;
- read from the database when scraped: tasks by status, the queue's depth, its oldest waiting
  task and the workers holding leases. The task table is the queue, so these hold for every
  worker of the deployment, wherever it runs.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from cdnexport.db.engine import Database
from cdnexport.db.schema import export_task, webhook_event
from cdnexport.db.webhooks import EventStatus
from cdnexport.domain.task import TaskStatus

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"

REQUESTS = Counter(
    "cdnexport_requests",
    "RPC calls answered, by action and Code (OK for success).",
    ["action", "code"],
)
REQUEST_SECONDS = Histogram(
    "cdnexport_request_seconds",
    "Time to answer an RPC call, from its arrival to its rendered answer.",
    ["action"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
OUTAGES = Counter(
    "cdnexport_outages",
    "Calls answered ServiceUnavailable, by the dependency that failed.",
    ["dependency"],
)
EXPORT_ROWS = Counter("cdnexport_export_rows", "Detail rows written by finished exports.")
EXPORT_SECONDS = Histogram(
    "cdnexport_export_seconds",
    "Time from claim to stored file of a finished export.",
    buckets=(0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0),
)
HEARTBEATS = Counter("cdnexport_worker_heartbeats", "Lease renewals written by export workers.")
WORKER_OUTAGES = Counter(
    "cdnexport_worker_outages",
    "Worker steps that met an unreachable dependency and were tried again, by dependency.",
    ["dependency"],
)
WEBHOOK_ATTEMPTS = Counter(
    "cdnexport_webhook_attempts",
    "Webhook delivery attempts, by outcome: delivered, retried (failed, tried again later) or "
    "failed (given up after 24 hours).",
    ["outcome"],
)


def observe_call(action: str, code: str, seconds: float) -> None:
    """Count one answered call; ``action`` is "" for calls refused before one was named."""
    calls, latency = _children(action or "unknown", code or "OK")
    calls.inc()
    latency.observe(seconds)


@functools.cache
def _children(action: str, code: str) -> tuple[Counter, Histogram]:
    """The labelled series of one action and Code (few: known actions times known codes),
    looked up once instead of on every call."""
    return REQUESTS.labels(action, code), REQUEST_SECONDS.labels(action)


class QueueCollector(Collector):
    """Tasks by status, waiting and running tasks, the oldest waiting task and the workers
    holding leases, read from the task table at scrape time; webhook events by status and the
    oldest undelivered one, from the outbox."""

    def __init__(self, db: Database, now: float) -> None:
        self._db = db
        self._now = int(now)

    def collect(self) -> Iterator[Metric]:
        table = export_task.c
        created = table.status == TaskStatus.CREATED.value
        leased = (table.lease_owner.is_not(None)) & (table.lease_expires_at > self._now)
        with self._db.read() as conn:
            grouped = conn.execute(select(table.status, func.count()).group_by(table.status))
            counts: dict[str, int] = {status: count for status, count in grouped}
            waiting, oldest = conn.execute(
                select(func.count(), func.min(table.created_at)).where(created & ~leased)
            ).one()
            running, workers = conn.execute(
                select(func.count(), func.count(table.lease_owner.distinct())).where(
                    created & leased
                )
            ).one()
            events = webhook_event.c
            by_event = conn.execute(select(events.status, func.count()).group_by(events.status))
            event_counts: dict[str, int] = {status: count for status, count in by_event}
            pending_since = conn.execute(
                select(func.min(events.created_at)).where(
                    events.status == EventStatus.PENDING.value
                )
            ).scalar()
        by_status = GaugeMetricFamily(
            "cdnexport_tasks", "Export tasks kept, by status.", labels=["status"]
        )
        for status in TaskStatus:
            by_status.add_metric([status.value], float(counts.get(status.value, 0)))
        yield by_status
        yield GaugeMetricFamily(
            "cdnexport_queue_waiting", "Unfinished tasks no worker holds.", value=waiting
        )
        yield GaugeMetricFamily(
            "cdnexport_queue_running", "Unfinished tasks a worker holds.", value=running
        )
        yield GaugeMetricFamily(
            "cdnexport_queue_oldest_waiting_seconds",
            "Age of the oldest task no worker holds (0 when none waits).",
            value=0 if oldest is None else max(self._now - int(oldest), 0),
        )
        yield GaugeMetricFamily(
            "cdnexport_workers_busy", "Workers holding a live lease.", value=workers
        )
        webhook_events = GaugeMetricFamily(
            "cdnexport_webhook_events", "Webhook events kept, by status.", labels=["status"]
        )
        for state in EventStatus:
            webhook_events.add_metric([state.value], float(event_counts.get(state.value, 0)))
        yield webhook_events
        yield GaugeMetricFamily(
            "cdnexport_webhook_oldest_pending_seconds",
            "Age of the oldest webhook event not yet delivered (0 when none waits).",
            value=0 if pending_since is None else max(self._now - int(pending_since), 0),
        )


def render_metrics(db: Database, now: float) -> tuple[bytes, str]:
    """The scrape's body and content type: this deployment's counters and the queue's state."""
    registry = CollectorRegistry()
    if os.environ.get(MULTIPROCESS_ENV):
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        counted = generate_latest(registry)
    else:
        counted = generate_latest(REGISTRY)
    queue = CollectorRegistry()
    queue.register(QueueCollector(db, now))
    return counted + generate_latest(queue), CONTENT_TYPE_LATEST
