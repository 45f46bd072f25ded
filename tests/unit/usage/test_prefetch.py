"""Read-ahead on a thread: order, bounded memory, errors reaching the consumer, clean stops."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from cdnexport.export.builder import ExportCancelled
from cdnexport.usage.prefetch import Prefetch


class Source:
    """Counts what was read and whether the generator was closed, and on which thread."""

    def __init__(self, limit: int | None = None, fail_after: int | None = None) -> None:
        self.produced = 0
        self.closed = False
        self.threads: set[str] = set()
        self.limit = limit
        self.fail_after = fail_after

    def __iter__(self) -> Iterator[int]:
        try:
            n = 0
            while self.limit is None or n < self.limit:
                self.threads.add(threading.current_thread().name)
                if self.fail_after is not None and n == self.fail_after:
                    raise ValueError("disk gone")
                self.produced += 1
                yield n
                n += 1
        finally:
            self.closed = True


def reader_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "prefetch"]


def test_items_arrive_in_order_from_another_thread() -> None:
    source = Source(limit=50)
    with Prefetch(source, depth=2) as ahead:
        assert list(ahead) == list(range(50))
    assert source.closed and source.threads == {"prefetch"}
    assert not reader_threads()


def test_reading_ahead_is_bounded_by_depth() -> None:
    source = Source()
    with Prefetch(source, depth=2) as ahead:
        first = next(iter(ahead))
        time.sleep(0.2)  # time for the reader to run as far ahead as it may
        # one item taken, two queued, one more read and waiting for room
        assert first == 0 and source.produced <= 4
    assert source.closed and not reader_threads()


def consume(ahead: Prefetch[int], got: list[int], cancel_at: int | None = None) -> None:
    for item in ahead:
        if item == cancel_at:
            raise ExportCancelled()
        got.append(item)


def test_an_error_in_the_reader_reaches_the_consumer_after_the_items_before_it() -> None:
    got: list[int] = []
    with pytest.raises(ValueError, match="disk gone"), Prefetch(Source(fail_after=3)) as ahead:
        consume(ahead, got)
    assert got == [0, 1, 2]
    assert not reader_threads()


def test_cancelling_stops_and_joins_the_reader() -> None:
    source = Source()
    got: list[int] = []
    with pytest.raises(ExportCancelled), Prefetch(source, depth=1) as ahead:
        consume(ahead, got, cancel_at=5)
    assert got == [0, 1, 2, 3, 4]
    assert source.closed and not reader_threads()


def test_depth_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="depth"):
        Prefetch(Source(limit=1), depth=0)


class Unreadable:
    def __iter__(self) -> Iterator[int]:
        raise OSError("no such table")


def test_a_source_that_cannot_start_fails_the_consumer_instead_of_hanging() -> None:
    got: list[int] = []
    with pytest.raises(OSError, match="no such table"), Prefetch(Unreadable()) as ahead:
        consume(ahead, got)
    assert not got and not reader_threads()
