"""Read the next items of an iterator on a background thread while the caller works on the
current one, through a bounded queue so that at most ``depth`` items wait in memory.

Hand-written because the standard library has no bounded, cancellable read-ahead iterator; it
pays off here because the usage read and the writer's deflate each let the other run.
"""

from __future__ import annotations

import functools
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from types import TracebackType
from typing import Generic, NoReturn, TypeVar

T = TypeVar("T")
# How often a producer blocked on a full queue checks whether it was told to stop.
_STOP_CHECK_SECONDS = 0.05


class Prefetch(Generic[T]):
    """``with Prefetch(items, depth) as ahead: for item in ahead: ...``

    ``source`` is iterated (and, when it has ``close``, closed) on the background thread only.
    An exception it raises reaches the consumer after the items before it. Leaving the block
    early, by ``break`` or an exception such as ``ExportCancelled``, stops and joins the thread.
    """

    def __init__(self, source: Iterable[T], depth: int = 1, name: str = "prefetch") -> None:
        if depth < 1:
            raise ValueError("depth must be at least 1")
        self._source = source
        # Each entry returns an item or raises the reader's error; None marks the end.
        self._queue: queue.Queue[Callable[[], T] | None] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._produce, name=name, daemon=True)

    def __enter__(self) -> Prefetch[T]:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __iter__(self) -> Iterator[T]:
        while True:
            entry = self._queue.get()
            if entry is None:
                return
            yield entry()

    def close(self) -> None:
        """Stop the reader and wait for it; items not yet consumed are dropped."""
        self._stop.set()
        while self._thread.is_alive():
            self._drain()
            self._thread.join(_STOP_CHECK_SECONDS)
        self._drain()

    def _drain(self) -> None:
        try:
            while True:
                self._queue.get_nowait()
        except queue.Empty:
            pass

    def _produce(self) -> None:
        items: Iterator[T] | None = None
        try:
            items = iter(self._source)
            for item in items:
                if not self._put(functools.partial(_given, item)):
                    return
            self._put(None)
        except BaseException as exc:  # whatever it is, the consumer must not wait forever
            self._put(functools.partial(_raise, exc))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    def _put(self, entry: Callable[[], T] | None) -> bool:
        """Queue ``entry`` once there is room; False when told to stop first."""
        while not self._stop.is_set():
            try:
                self._queue.put(entry, timeout=_STOP_CHECK_SECONDS)
            except queue.Full:
                continue
            return True
        return False


def _given(item: T) -> T:
    return item


def _raise(exc: BaseException) -> NoReturn:
    raise exc
