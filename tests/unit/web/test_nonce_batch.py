"""The nonce batcher: every submitted nonce gets the store's answer, failures included."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence

import pytest

from cdnexport.db.nonces import MemoryNonceStore, NonceCall
from cdnexport.web.nonce_batch import NonceBatcher


class SlowStore(MemoryNonceStore):
    """Holds the first batch until released, so that later submissions pile up."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[int] = []
        self.release = threading.Event()

    def use_many(self, calls: Sequence[NonceCall]) -> list[bool]:
        self.release.wait(5)
        self.batches.append(len(calls))
        return super().use_many(calls)


class BrokenStore(MemoryNonceStore):
    def use_many(self, calls: Sequence[NonceCall]) -> list[bool]:
        raise OSError("disk full")


def test_waiting_nonces_are_recorded_together_in_order() -> None:
    store = SlowStore()

    async def scenario() -> list[bool]:
        batcher = NonceBatcher(store)
        batcher.start()
        try:
            first = batcher.submit(("k", "a", 0, 900))
            await asyncio.sleep(0.05)  # the thread now holds "a" and waits
            rest = [batcher.submit(("k", n, 0, 900)) for n in ("b", "a", "c", "b")]
            store.release.set()
            return [await future for future in (first, *rest)]
        finally:
            batcher.stop()

    assert asyncio.run(scenario()) == [True, True, False, True, False]
    assert store.batches == [1, 4]


def test_a_failing_store_fails_every_waiting_call() -> None:
    async def scenario() -> None:
        batcher = NonceBatcher(BrokenStore())
        batcher.start()
        try:
            futures = [batcher.submit(("k", n, 0, 900)) for n in ("a", "b")]
            for future in futures:
                with pytest.raises(OSError, match="disk full"):
                    await future
        finally:
            batcher.stop()

    asyncio.run(scenario())


def test_submit_needs_start() -> None:
    with pytest.raises(RuntimeError):
        NonceBatcher(MemoryNonceStore()).submit(("k", "a", 0, 900))


def test_stop_records_what_was_submitted() -> None:
    store = MemoryNonceStore()

    async def scenario() -> asyncio.Future[bool]:
        batcher = NonceBatcher(store)
        batcher.start()
        future = batcher.submit(("k", "late", 0, 900))
        batcher.stop()
        await asyncio.sleep(0)
        return future

    future = asyncio.run(scenario())
    assert future.done() and future.result() is True
    assert not store.use("k", "late", 0, 900)
