"""The worker loop: claim, export with a heartbeat, store, complete; and periodic upkeep.

Failures are sorted into transient ones (database busy, I/O), retried with exponential backoff
until ``max_attempts``, and permanent ones, which fail the task with a message for the customer.
A worker killed mid-export leaves a lease that runs out; the next claim re-runs the task.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Connection, select
from sqlalchemy.exc import OperationalError

from cdnexport import metrics
from cdnexport.db import partitions, queue, webhooks
from cdnexport.db.queue import Claim
from cdnexport.db.schema import export_task
from cdnexport.export.builder import ExportCancelled, WorkbookPlan, build_workbook
from cdnexport.export.fastxlsx import FastXlsxWriter
from cdnexport.export.formats import extension, open_writer
from cdnexport.export.naming import download_filename, file_key
from cdnexport.export.writer import WriterFactory
from cdnexport.export.xlsxwriter_writer import XlsxWriterWorkbook
from cdnexport.services import Services
from cdnexport.usage.prefetch import Prefetch
from cdnexport.worker import scope

log = logging.getLogger(__name__)
TRANSIENT = (OperationalError, OSError)
WRITERS: dict[str, WriterFactory] = {"fast": FastXlsxWriter, "xlsxwriter": XlsxWriterWorkbook}
#: Series read ahead of the writer; each is one (domain, region) over the window.
SERIES_AHEAD = 2


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Worker:
    def __init__(
        self,
        services: Services,
        owner: str | None = None,
        writer_factory: WriterFactory | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self._services = services
        self.owner = owner or new_worker_id()
        self._writer_factory = writer_factory or WRITERS[services.settings.workbook_writer]
        self.stop = stop or threading.Event()
        self._tmp_dir = services.settings.data_dir / "tmp"
        self._last_purge = 0.0

    def run(self) -> None:
        """Work until ``stop`` is set."""
        log.info("worker %s started", self.owner)
        while not self.stop.is_set():
            try:
                self.upkeep()
                busy = self.run_once()
            except TRANSIENT:
                log.exception("worker %s: database or disk trouble, retrying", self.owner)
                busy = False
            if not busy:
                self._services.wakeup.wait(self.stop, self._services.settings.poll_seconds)
        log.info("worker %s stopped", self.owner)

    def upkeep(self) -> None:
        """Fail tasks whose workers died too often; purge old tasks, files and nonces."""
        services, settings = self._services, self._services.settings
        now = services.clock.now()
        with services.db.write() as conn:
            queue.fail_exhausted(conn, int(now), settings.max_attempts)
        if now - self._last_purge < settings.purge_interval_seconds:
            return
        self._last_purge = now
        purge(services, int(now))

    def run_once(self) -> bool:
        """Claim and run one task; False when there was none."""
        services, settings = self._services, self._services.settings
        lease = max(1, round(settings.lease_seconds))
        with services.db.write() as conn:
            held = queue.claim(
                conn, self.owner, int(services.clock.now()), lease, settings.max_attempts
            )
        if held is None:
            return False
        self._process(held, lease)
        return True

    def _process(self, held: Claim, lease: int) -> None:
        task = held.task
        lost = threading.Event()
        progress = [0]
        beat_stop = threading.Event()
        beat = threading.Thread(
            target=self._heartbeat,
            args=(held, lease, progress, lost, beat_stop),
            name=f"heartbeat-{task.id}",
            daemon=True,
        )
        beat.start()
        self._tmp_dir.mkdir(parents=True, exist_ok=True)
        suffix = extension(task.spec.file_format)
        tmp = self._tmp_dir / f"{task.id}-{held.attempt}-{uuid.uuid4().hex[:8]}.{suffix}"
        log.info("task %s attempt %s: export started", task.id, held.attempt)
        started = time.monotonic()
        try:
            rows = self._export(held, tmp, progress, lambda: lost.is_set() or self.stop.is_set())
            beat_stop.set()
            beat.join()
            if self._store(held, tmp, rows):
                metrics.EXPORT_ROWS.inc(rows)
                metrics.EXPORT_SECONDS.observe(time.monotonic() - started)
        except ExportCancelled:
            self._cancelled(held, lost.is_set())
        except TRANSIENT as exc:
            log.warning("task %s attempt %s: transient failure: %s", task.id, held.attempt, exc)
            self._retry(held, f"Temporary failure ({type(exc).__name__}); the export is retried.")
        except Exception:
            log.exception("task %s attempt %s: export failed", task.id, held.attempt)
            self._finish(lambda conn, now: queue.fail(conn, held, now, "The export failed."))
        finally:
            beat_stop.set()
            beat.join()
            tmp.unlink(missing_ok=True)

    def _export(
        self, held: Claim, tmp: Path, progress: list[int], should_stop: Callable[[], bool]
    ) -> int:
        services = self._services
        task = held.task
        with services.db.read() as conn:
            query, label_kind = scope.resolve(conn, task)
        watermark = services.usage.newest_sample(query.domain_ids)
        with services.db.read() as conn:
            facts = scope.report_facts(
                conn, task, generated_at=int(services.clock.now()), watermark=watermark
            )
        plan = WorkbookPlan(
            export_type=task.spec.export_type,
            language=task.spec.language,
            time_zone=task.spec.time_zone,
            start=task.spec.start,
            end=task.spec.end,
            label_kind=label_kind,
            facts=facts,
        )
        count = services.usage.count_series(query)
        writer = open_writer(task.spec.file_format, tmp, plan, self._writer_factory)
        try:
            # The next series is read while the writer renders and deflates this one.
            with Prefetch(services.usage.iter_series(query), SERIES_AHEAD, "usage-read") as ahead:
                stats = build_workbook(
                    plan,
                    ahead,
                    count,
                    writer,
                    on_progress=lambda pct: progress.__setitem__(0, pct),
                    should_stop=should_stop,
                )
        finally:
            writer.close()
        return stats.rows

    def _store(self, held: Claim, tmp: Path, rows: int) -> bool:
        services = self._services
        key = file_key(held.task)
        size = services.store.put_file(key, tmp, filename=download_filename(held.task))
        now = int(services.clock.now())
        with services.db.write() as conn:
            done = queue.complete(conn, held, now, key, size, rows)
            gone = not done and _task_gone(conn, held.task.id)
        if done:
            log.info("task %s: success, %s rows, %s bytes", held.task.id, rows, size)

        elif gone:
            # Deleted while it ran: the file must not outlive the task.
            services.store.delete(key)
            log.info("task %s was deleted while running; file discarded", held.task.id)
        else:
            log.warning(
                "task %s: lease lost before completion; another worker owns it", held.task.id
            )
        return done

    def _cancelled(self, held: Claim, lost: bool) -> None:
        if lost:
            log.info("task %s: lease lost or task deleted; export abandoned", held.task.id)
            return
        # This worker is shutting down: hand the task back without spending an attempt.
        self._finish(lambda conn, now: queue.release(conn, held, now))

    def _retry(self, held: Claim, message: str) -> None:
        settings = self._services.settings
        if held.attempt >= settings.max_attempts:
            self._finish(lambda conn, now: queue.fail(conn, held, now, message))
            return
        delay = settings.retry_base_seconds * 2 ** (held.attempt - 1)
        self._finish(
            lambda conn, now: queue.retry_later(conn, held, now, now + round(delay), message)
        )

    def _finish(self, step: Callable[..., bool]) -> None:
        services = self._services
        with services.db.write() as conn:
            step(conn, int(services.clock.now()))

    def _heartbeat(
        self,
        held: Claim,
        lease: int,
        progress: list[int],
        lost: threading.Event,
        done: threading.Event,
    ) -> None:
        services = self._services
        while not done.wait(lease / 3):
            try:
                with services.db.write() as conn:
                    alive = queue.heartbeat(
                        conn, held, int(services.clock.now()), lease, progress[0]
                    )
            except TRANSIENT:
                log.warning("task %s: heartbeat failed, trying again", held.task.id)
                continue
            if not alive:
                lost.set()
                return
            metrics.HEARTBEATS.inc()


def _task_gone(conn: Connection, task_id: int) -> bool:
    return conn.execute(select(export_task.c.id).where(export_task.c.id == task_id)).first() is None


def purge(services: Services, now: int) -> None:
    """Delete tasks, files and webhook events past retention, and expired nonces; on
    PostgreSQL also create the coming months' usage partitions and drop those past usage
    retention."""
    cutoff = now - services.settings.retention_days * 86400
    with services.db.write() as conn:
        keys = queue.purge_before(conn, cutoff)
        webhooks.purge_before(conn, cutoff)
    for key in keys:
        services.store.delete(key)
    services.nonces.purge(now)
    if keys:
        log.info("purged %s tasks older than %s days", len(keys), services.settings.retention_days)
    if not services.db.is_sqlite:
        keep_after = now - services.settings.usage_retention_days * 86400
        with services.db.write() as conn:
            dropped = partitions.maintain(conn, now, keep_after)
        if dropped:
            log.info("dropped %s monthly usage partitions", dropped)
