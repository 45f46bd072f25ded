"""Run several workers as threads, with the webhook delivery loop beside them: inside ``serve``
(as an app lifespan) or on their own."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from cdnexport.services import Services
from cdnexport.webhooks.delivery import Deliverer
from cdnexport.worker.runner import Worker

log = logging.getLogger(__name__)


class WorkerPool:
    def __init__(self, services: Services, count: int) -> None:
        self.stop = threading.Event()
        self._wakeup = services.wakeup
        self.workers = [Worker(services, stop=self.stop) for _ in range(count)]
        self.deliverer = Deliverer(services, stop=self.stop)
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for n, worker in enumerate(self.workers):
            thread = threading.Thread(target=worker.run, name=f"export-worker-{n}", daemon=True)
            thread.start()
            self._threads.append(thread)
        if self.workers:
            delivery = threading.Thread(
                target=self.deliverer.run, name="webhook-delivery", daemon=True
            )
            delivery.start()
            self._threads.append(delivery)

    def shutdown(self, timeout: float = 30.0) -> None:
        """Ask every worker to stop; a running export hands its task back and ends."""
        self.stop.set()
        self._wakeup.notify()  # idle workers sleep on it, not on ``stop``
        for thread in self._threads:
            thread.join(timeout)


def lifespan(services: Services, count: int) -> Callable[[Any], AbstractAsyncContextManager[None]]:
    """An app lifespan that runs ``count`` workers while the app serves."""

    @asynccontextmanager
    async def run(_app: Any) -> AsyncIterator[None]:
        pool = WorkerPool(services, count)
        pool.start()
        try:
            yield
        finally:
            pool.shutdown()

    return run


def run_until_signalled(services: Services, count: int) -> None:
    """Run workers in the foreground until SIGINT or SIGTERM."""
    pool = WorkerPool(services, count)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: pool.stop.set())
    pool.start()
    log.info("%s export workers running", count)
    pool.stop.wait()
    pool.shutdown()
