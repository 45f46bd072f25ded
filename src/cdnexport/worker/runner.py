"""The worker loop: claim, export with a heartbeat, store, complete; and periodic upkeep.

Failures are sorted into transient ones (database busy or unreachable, Redis or the object
store unreachable, I/O), retried with exponential backoff until ``max_attempts``, and every other
exception, which fails the task with its kind in ``ErrorMessage`` and its trace in the log; either
way the loop goes on. A worker killed mid-export leaves a lease that runs out; the next claim
re-runs the task.
"""

from __future__ import annotations

import logging
import os
import shutil
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
from cdnexport.domain.task import TaskKind
from cdnexport.export.builder import ExportCancelled, ExportFailed, WorkbookPlan, build_workbook
from cdnexport.export.fastxlsx import FastXlsxWriter
from cdnexport.export.formats import open_writer
from cdnexport.export.naming import download_filename, file_extension, file_key
from cdnexport.export.writer import WriterFactory
from cdnexport.export.xlsxwriter_writer import XlsxWriterWorkbook
from cdnexport.outages import outage_of
from cdnexport.report.build import write_summary
from cdnexport.services import Services
from cdnexport.usage.prefetch import Prefetch
from cdnexport.worker import leftovers, scope

log = logging.getLogger(__name__)
TRANSIENT = (OperationalError, OSError)


def is_transient(exc: BaseException) -> bool:
    """True for a failure that may pass by itself: trying again later is the right answer."""
    return isinstance(exc, TRANSIENT) or outage_of(exc) is not None


WRITERS: dict[str, WriterFactory] = {"fast": FastXlsxWriter, "xlsxwriter": XlsxWriterWorkbook}
#: Series read ahead of the writer; each is one (domain, region) over the window.
SERIES_AHEAD = 2
#: Pauses between tries of a write that an outage interrupted: doubling, up to the longest.
_FIRST_PAUSE = 0.2
_LONGEST_PAUSE = 1.0
#: Files deleted before their tasks' rows are, per statement of the retention purge.
_PURGE_SLICE = 500


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
            pause = self._services.settings.poll_seconds
            try:
                self.upkeep()
                busy = self.run_once()
            except Exception as exc:
                busy, pause = False, max(pause, _LONGEST_PAUSE)
                if is_transient(exc):
                    log.warning("worker %s: %s; trying again", self.owner, _reason(exc))
                else:
                    log.exception("worker %s: unexpected error; the worker carries on", self.owner)
            if not busy:
                self._services.wakeup.wait(self.stop, pause)
        log.info("worker %s stopped", self.owner)

    def sweep(self) -> int:
        """Remove partial files of attempts that are no longer running (killed workers')."""
        services = self._services
        with services.db.read() as conn:
            return leftovers.sweep(
                conn, self._tmp_dir, int(services.clock.now()), services.settings.lease_seconds
            )

    def upkeep(self) -> None:
        """Fail tasks whose workers died too often; at start and then every purge interval,
        remove killed attempts' files and purge old tasks, files and nonces."""
        services, settings = self._services, self._services.settings
        now = services.clock.now()
        with services.db.write() as conn:
            queue.fail_exhausted(conn, int(now), settings.max_attempts)
        if now - self._last_purge < settings.purge_interval_seconds:
            return
        self._last_purge = now
        self.sweep()
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
        leftovers.remove_earlier(self._tmp_dir, task.id, held.attempt)
        work = leftovers.attempt_dir(self._tmp_dir, task.id, held.attempt)
        tmp = work / f"export.{file_extension(task)}"
        log.info("task %s attempt %s: export started", task.id, held.attempt)
        started = time.monotonic()
        try:
            rows = self._export(held, tmp, progress, lambda: lost.is_set() or self.stop.is_set())
            # The heartbeat goes on through the upload and the closing write: a long upload or
            # a short outage does not let the lease run out under a live attempt.
            if self._store(held, tmp, rows):
                metrics.EXPORT_ROWS.inc(rows)
                metrics.EXPORT_SECONDS.observe(time.monotonic() - started)
        except ExportCancelled:
            self._cancelled(held, lost.is_set())
        except ExportFailed as exc:
            log.warning("task %s attempt %s: export refused: %s", task.id, held.attempt, exc)
            refused = str(exc)
            self._finish(lambda conn, now: queue.fail(conn, held, now, refused))
        except Exception as exc:
            kind = type(exc).__name__
            if is_transient(exc):
                log.warning("task %s attempt %s: %s", task.id, held.attempt, _reason(exc))
                self._retry(held, f"Temporary failure ({kind}); the export is retried.")
            else:
                log.exception("task %s attempt %s: export failed (%s)", task.id, held.attempt, kind)
                message = f"The export failed ({kind}); the service log has the details."
                self._finish(lambda conn, now: queue.fail(conn, held, now, message))
        finally:
            beat_stop.set()
            beat.join()
            shutil.rmtree(work, ignore_errors=True)

    def _export(
        self, held: Claim, tmp: Path, progress: list[int], should_stop: Callable[[], bool]
    ) -> int:
        """Write the task's file to ``tmp``; returns its detail rows (none for a PDF)."""
        services = self._services
        task = held.task
        if task.spec.kind is TaskKind.SUMMARY:
            write_summary(
                services, task, tmp, lambda pct: progress.__setitem__(0, pct), should_stop
            )
            return 0
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
        done = self._finish(lambda conn, now: queue.complete(conn, held, now, key, size, rows))
        if done:
            log.info("task %s: success, %s rows, %s bytes", held.task.id, rows, size)
        elif self._finish(lambda conn, _now: _task_gone(conn, held.task.id)):
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

    def _finish(self, step: Callable[[Connection, int], bool]) -> bool:
        """Run one fenced write of the attempt's end, waiting through a short outage: the
        task ends as soon as the database is back, not when its lease runs out. Gives up (and
        leaves the task to its lease) after a lease's time, or when the worker is stopping."""
        services = self._services
        give_up = time.monotonic() + services.settings.lease_seconds
        pause = _FIRST_PAUSE
        while True:
            try:
                with services.db.write() as conn:
                    return step(conn, int(services.clock.now()))
            except Exception as exc:
                if not is_transient(exc) or time.monotonic() >= give_up or self.stop.is_set():
                    raise
                log.warning("worker %s: %s; trying again", self.owner, _reason(exc))
            self.stop.wait(pause)
            pause = min(pause * 2, _LONGEST_PAUSE)

    def _heartbeat(
        self,
        held: Claim,
        lease: int,
        progress: list[int],
        lost: threading.Event,
        done: threading.Event,
    ) -> None:
        services = self._services
        interval = lease / 3
        while not done.wait(interval):
            try:
                with services.db.write() as conn:
                    alive = queue.heartbeat(
                        conn, held, int(services.clock.now()), lease, progress[0]
                    )
            except Exception as exc:
                # Try again soon: once the database is back the lease is renewed (the export
                # goes on) if it is still this attempt's, or the export stops if it is not.
                log.warning("task %s: heartbeat failed: %s", held.task.id, _reason(exc))
                interval = min(_LONGEST_PAUSE, lease / 3)
                continue
            interval = lease / 3
            if not alive:
                lost.set()
                return
            metrics.HEARTBEATS.inc()


def _reason(exc: BaseException) -> str:
    """One line for the log: which dependency is down (counted in ``/metrics`` too, since every
    caller is about to try again), or the error's kind and text."""
    outage = outage_of(exc)
    if outage is not None:
        metrics.WORKER_OUTAGES.labels(outage).inc()
        return f"{outage} unreachable ({type(exc).__name__})"
    first = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {first}"[:300]


def _task_gone(conn: Connection, task_id: int) -> bool:
    return conn.execute(select(export_task.c.id).where(export_task.c.id == task_id)).first() is None


def purge(services: Services, now: int) -> None:
    """Delete tasks, files and webhook events past retention, and expired nonces; on
    PostgreSQL also create the coming months' usage partitions and drop those past usage
    retention."""
    cutoff = now - services.settings.retention_days * 86400
    with services.db.read() as conn:
        keys = queue.purge_before(conn, cutoff)
    # Files first: an object store that fails leaves the rows, and so the way to the files,
    # for the next purge. In slices, so that one statement names a bounded number of keys.
    purged = 0
    for first in range(0, max(len(keys), 1), _PURGE_SLICE):
        deleted = keys[first : first + _PURGE_SLICE]
        for key in deleted:
            services.store.delete(key)
        with services.db.write() as conn:
            purged += queue.purge_rows(conn, cutoff, deleted)
    with services.db.write() as conn:
        webhooks.purge_before(conn, cutoff)
    services.nonces.purge(now)
    if purged:
        log.info("purged %s tasks older than %s days", purged, services.settings.retention_days)
    if not services.db.is_sqlite:
        keep_after = now - services.settings.usage_retention_days * 86400
        with services.db.write() as conn:
            dropped = partitions.maintain(conn, now, keep_after)
        if dropped:
            log.info("dropped %s monthly usage partitions", dropped)
