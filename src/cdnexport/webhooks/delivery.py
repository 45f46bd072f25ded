"""The delivery loop: a thread of each worker process, apart from the export workers, so a slow
or dead receiver never delays an export.

Each pass claims the event due first, builds its body (with a fresh download link), signs it,
POSTs it and records the attempt. A 2xx answer delivers it; anything else (another status, no
answer, a refused target) retries it after ``webhook_retry_base_seconds``, doubling each time,
until 24 hours after the event, when it is marked failed. A loop that dies mid-attempt leaves its
claim to run out (``lease_seconds``), and the event is sent again: at least once, so receivers
de-duplicate on the event id.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Final

from sqlalchemy.exc import OperationalError

from cdnexport import metrics
from cdnexport.db import webhooks
from cdnexport.db.webhooks import DueEvent, EventStatus
from cdnexport.domain.task import ExportTask, TaskStatus
from cdnexport.export.naming import download_filename
from cdnexport.services import Services
from cdnexport.storage.base import StorageError
from cdnexport.webhooks.payload import event_body
from cdnexport.webhooks.sender import DeliveryError, WebhookSender
from cdnexport.webhooks.signing import EVENT_ID_HEADER, SIGNATURE_HEADER, signature

log = logging.getLogger(__name__)
#: How long after its event a delivery is still retried.
RETRY_WINDOW_SECONDS: Final = 86400
USER_AGENT: Final = "cdnexport-webhooks/1"


def lease_seconds(timeout: float) -> int:
    """How long a claimed event stays out of other loops' reach: connecting and reading each
    have ``timeout``, with room to record the outcome."""
    return round(3 * timeout) + 5


def retry_at(event: DueEvent, now: int, base: float) -> int | None:
    """When to try again after a failed attempt; None once the retry window is over."""
    deadline = event.created_at + RETRY_WINDOW_SECONDS
    if now >= deadline:
        return None
    return int(min(deadline, now + max(1, round(base * 2 ** (event.attempt - 1)))))


class Deliverer:
    def __init__(self, services: Services, stop: threading.Event | None = None) -> None:
        self._services = services
        self.stop = stop or threading.Event()

    def run(self) -> None:
        """Deliver until ``stop`` is set."""
        sender = self._services.webhook_sender()
        try:
            while not self.stop.is_set():
                try:
                    busy = self.deliver_one(sender)
                except (OperationalError, OSError):
                    log.exception("webhook delivery: database trouble, retrying")
                    busy = False
                except Exception:
                    # A bug must not end deliveries for the whole process; the event's claim
                    # runs out and it is tried again.
                    log.exception("webhook delivery failed unexpectedly")
                    busy = False
                if not busy:
                    self.stop.wait(self._services.settings.poll_seconds)
        finally:
            sender.close()

    def deliver_one(self, sender: WebhookSender) -> bool:
        """Make one attempt at the event due first; False when none is due."""
        services, settings = self._services, self._services.settings
        now = int(services.clock.now())
        with services.db.write() as conn:
            event = webhooks.claim_due(conn, now, lease_seconds(settings.webhook_timeout_seconds))
        if event is None:
            return False
        with services.db.read() as conn:
            endpoint = webhooks.get_endpoint(conn, event.account_id)
            task = webhooks.task_of(conn, event.task_id)
        if endpoint is None:
            with services.db.write() as conn:
                webhooks.settle(conn, event, EventStatus.FAILED, now, error="no webhook is set")
            return True
        started = time.monotonic()
        code: int | None = None
        try:
            body = self._body(event, task, now)
            headers = {
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
                EVENT_ID_HEADER: event.id,
                SIGNATURE_HEADER: signature(endpoint.secret, int(services.clock.now()), body),
            }
            code = sender.post(endpoint.url, headers, body)
            error = "" if 200 <= code < 300 else f"HTTP {code}"
        except DeliveryError as exc:
            error = str(exc) or type(exc).__name__
        except (OperationalError, StorageError):
            raise  # the outage's, not the event's: its claim runs out and it is tried again
        except Exception:
            # A body that cannot be built counts as a failed attempt, so the event is retried
            # and given up after 24 hours like any other.
            log.exception("webhook %s: the request could not be made", event.id)
            error = "internal error"
        elapsed = round((time.monotonic() - started) * 1000)
        done = int(services.clock.now())
        with services.db.write() as conn:
            webhooks.log_attempt(conn, event, endpoint.url, done, code, error, elapsed)
            if not error:
                outcome = "delivered"
                webhooks.settle(conn, event, EventStatus.DELIVERED, done)
            elif (later := retry_at(event, done, settings.webhook_retry_base_seconds)) is None:
                outcome = "failed"
                webhooks.settle(conn, event, EventStatus.FAILED, done, error=error)
            else:
                outcome = "retried"
                webhooks.settle(conn, event, EventStatus.PENDING, done, retry_at=later, error=error)
        metrics.WEBHOOK_ATTEMPTS.labels(outcome).inc()
        if error:
            log.warning("webhook %s attempt %s failed: %s", event.id, event.attempt, error)
        else:
            log.info("webhook %s delivered (attempt %s)", event.id, event.attempt)
        return True

    def _body(self, event: DueEvent, task: ExportTask | None, now: int) -> bytes:
        """The event's body, with a download link minted now for a task that has a file."""
        url, expires = "", 0
        if task is not None and task.status is TaskStatus.SUCCESS and task.file_key:
            url, expires = self._services.store.download_url(
                task.file_key,
                download_filename(task),
                now,
                self._services.settings.download_ttl_seconds,
            )
        return event_body(event, task, url, expires)
