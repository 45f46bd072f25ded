"""Wake idle export workers in the same process when a task is queued, instead of waiting out
their poll; workers in other processes still poll, so a lost or absent wake-up only costs time.
"""

from __future__ import annotations

import threading
from typing import Protocol


class TaskSignal(Protocol):
    def notify(self) -> None:
        """A task may be waiting: wake the idle workers listening here."""

    def wait(self, stop: threading.Event, timeout: float) -> None:
        """Return after ``timeout``, on ``notify``, or (promptly only if ``notify`` follows it)
        once ``stop`` is set."""


class NoSignal:
    """Nobody listens: workers wait out their whole poll (or until ``stop``)."""

    def notify(self) -> None:
        pass

    def wait(self, stop: threading.Event, timeout: float) -> None:
        stop.wait(timeout)


class LocalSignal:
    """Idle workers in this process sleep on a condition that ``notify`` wakes.

    Notifications are counted, so that each queued task wakes one worker, and one nobody is
    waiting for is kept: a task queued while every worker is busy is picked up right after
    the current export rather than after a poll.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._pending = 0

    def notify(self) -> None:
        with self._cond:
            self._pending += 1
            self._cond.notify_all()

    def wait(self, stop: threading.Event, timeout: float) -> None:
        with self._cond:
            if self._cond.wait_for(lambda: self._pending > 0 or stop.is_set(), timeout):
                self._pending = max(0, self._pending - 1)
