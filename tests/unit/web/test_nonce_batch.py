"""The nonce batcher: nonces of one turn of the loop go together; every call gets its answer."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from cdnexport.db.nonces import MemoryNonceStore, NonceCall
from cdnexport.web.nonce_batch import NonceBatcher


class CountingStore(MemoryNonceStore):
    def __init__(self) -> None:
        super().__init__()
        self.batches: list[int] = []

    def use_many(self, calls: Sequence[NonceCall]) -> list[bool]:
        self.batches.append(len(calls))
        return super().use_many(calls)


class BrokenStore(MemoryNonceStore):
    def use_many(self, calls: Sequence[NonceCall]) -> list[bool]:
        raise OSError("disk full")


def test_nonces_of_one_turn_are_recorded_together_in_order() -> None:
    store = CountingStore()
    flushed: list[int] = []

    async def scenario() -> list[bool]:
        batcher = NonceBatcher(store, on_flush=lambda: flushed.append(len(store.batches)))
        first = [batcher.submit(("k", n, 0, 900)) for n in ("a", "b", "a")]
        answers = [await future for future in first]
        later = batcher.submit(("k", "b", 0, 900))
        return [*answers, await later]

    assert asyncio.run(scenario()) == [True, True, False, False]
    assert store.batches == [3, 1]
    assert flushed == [0, 1]  # once per flush, before its nonces are recorded


def test_a_batch_larger_than_the_limit_is_split() -> None:
    store = CountingStore()

    async def scenario() -> list[bool]:
        batcher = NonceBatcher(store, max_batch=2)
        futures = [batcher.submit(("k", str(n), 0, 900)) for n in range(5)]
        return [await future for future in futures]

    assert asyncio.run(scenario()) == [True] * 5
    assert store.batches == [2, 2, 1]


def test_a_failing_store_fails_every_waiting_call() -> None:
    async def scenario() -> None:
        batcher = NonceBatcher(BrokenStore())
        futures = [batcher.submit(("k", n, 0, 900)) for n in ("a", "b")]
        for future in futures:
            with pytest.raises(OSError, match="disk full"):
                await future

    asyncio.run(scenario())


def test_submit_needs_a_running_loop() -> None:
    with pytest.raises(RuntimeError):
        NonceBatcher(MemoryNonceStore()).submit(("k", "a", 0, 900))


def test_flush_records_what_was_submitted() -> None:
    store = MemoryNonceStore()

    async def scenario() -> asyncio.Future[bool]:
        batcher = NonceBatcher(store)
        future = batcher.submit(("k", "late", 0, 900))
        batcher.flush()
        return future

    future = asyncio.run(scenario())
    assert future.done() and future.result() is True
    assert not store.use("k", "late", 0, 900)
