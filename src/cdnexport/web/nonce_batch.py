"""Nonces of the event loop's calls, recorded by one thread in batches (group commit).

Every call writes its nonce before it may proceed. Written one by one on the event loop, each
insert is a SQLite commit (tens of microseconds, and much longer whenever the disk is busy,
which then stalls every connection); in a thread pool the writers queue for SQLite's one write
lock. Here the loop hands nonces to a single thread that records all waiting ones in one
transaction, while the loop serves other calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Sequence

from cdnexport.db.nonces import BatchNonceStore, NonceCall

log = logging.getLogger(__name__)

_Waiting = tuple[NonceCall, "asyncio.Future[bool]"]


class NonceBatcher:
    """``start`` in the event loop that will ``submit``; ``stop`` when it shuts down."""

    def __init__(self, store: BatchNonceStore, max_batch: int = 256) -> None:
        self._store = store
        self._max_batch = max_batch
        self._pending: list[_Waiting] = []
        self._ready = threading.Condition()
        self._stopping = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._thread = threading.Thread(target=self._run, name="nonce-batcher", daemon=True)
        self._thread.start()

    def submit(self, call: NonceCall) -> asyncio.Future[bool]:
        """A future of ``store.use(*call)``; it holds the store's exception if that failed."""
        if self._loop is None:
            raise RuntimeError("NonceBatcher.submit before start")
        future: asyncio.Future[bool] = self._loop.create_future()
        with self._ready:
            self._pending.append((call, future))
            if len(self._pending) == 1:
                self._ready.notify()
        return future

    def stop(self) -> None:
        """Record what was submitted, then end the thread."""
        with self._ready:
            self._stopping = True
            self._ready.notify()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        while True:
            with self._ready:
                while not self._pending and not self._stopping:
                    self._ready.wait()
                if not self._pending:
                    return
                batch = self._pending[: self._max_batch]
                del self._pending[: self._max_batch]
            self._record(batch)

    def _record(self, batch: Sequence[_Waiting]) -> None:
        outcome: list[bool] | Exception
        try:
            outcome = self._store.use_many([call for call, _ in batch])
        except Exception as exc:
            log.warning("recording %s nonces failed: %s", len(batch), exc)
            outcome = exc
        assert self._loop is not None
        # One wake-up of the loop for the whole batch; a closed loop has nobody waiting.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(_settle, batch, outcome)


def _settle(batch: Sequence[_Waiting], outcome: list[bool] | Exception) -> None:
    for n, (_, future) in enumerate(batch):
        if future.done():
            continue
        if isinstance(outcome, Exception):
            future.set_exception(outcome)
        else:
            future.set_result(outcome[n])
