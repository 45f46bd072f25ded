"""Nonces of the event loop's calls, recorded together once per turn of the loop (group commit).

Every call writes its nonce before it may proceed, and each SQLite commit costs tens of
microseconds, so the calls that reach their nonce in one turn of the loop are recorded in one
transaction, run by a callback at the end of that turn.

It runs on the loop itself, not in a thread: the SQLite module lets go of the GIL around every
statement, and a thread taking it back from a busy loop waits for the loop's next switch, once
per statement: measured here, a batch of 64 nonces took milliseconds in a thread and limited
the whole process to about 3,000 calls/s, against 0.4 ms on the loop. The store must therefore
be one whose writes never wait long (the embedded nonce file, which only API processes write).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

from cdnexport.db.nonces import BatchNonceStore, NonceCall

log = logging.getLogger(__name__)

_Waiting = tuple[NonceCall, "asyncio.Future[bool]"]


class NonceBatcher:
    """``submit`` from coroutines of one running event loop."""

    def __init__(
        self,
        store: BatchNonceStore,
        max_batch: int = 512,
        on_flush: Callable[[], None] | None = None,
    ) -> None:
        """``on_flush`` runs once per flush, after its calls arrived and before they go on."""
        self._store = store
        self._max_batch = max_batch
        self._on_flush = on_flush
        self._pending: list[_Waiting] = []
        self._loop: asyncio.AbstractEventLoop | None = None

    def submit(self, call: NonceCall) -> asyncio.Future[bool]:
        """A future of ``store.use(*call)``; it holds the store's exception if that failed.

        Called from the running event loop: the one given to ``attach``, if any (asking for
        the running loop costs a system call each time, ``getpid``, for fork safety).
        """
        loop = self._loop or asyncio.get_running_loop()
        future: asyncio.Future[bool] = loop.create_future()
        self._pending.append((call, future))
        if len(self._pending) == 1:
            loop.call_soon(self.flush)
        return future

    def attach(self, loop: asyncio.AbstractEventLoop | None) -> None:
        """The loop every later ``submit`` comes from; None when it is not known."""
        self._loop = loop

    def flush(self) -> None:
        """Record everything submitted so far (the loop calls this once per turn)."""
        if not self._pending:
            return
        if self._on_flush is not None:
            try:
                self._on_flush()
            except Exception:
                log.exception("on_flush failed")
        while self._pending:
            batch = self._pending[: self._max_batch]
            del self._pending[: self._max_batch]
            _record(self._store, batch)


def _record(store: BatchNonceStore, batch: Sequence[_Waiting]) -> None:
    outcome: list[bool] | Exception
    try:
        outcome = store.use_many([call for call, _ in batch])
    except Exception as exc:
        log.warning("recording %s nonces failed: %s", len(batch), exc)
        outcome = exc
    for n, (_, future) in enumerate(batch):
        if future.done():
            continue
        if isinstance(outcome, Exception):
            future.set_exception(outcome)
        else:
            future.set_result(outcome[n])
