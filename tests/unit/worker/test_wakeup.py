"""The in-process wake-up: notifications are kept and counted, and stopping wakes a sleeper."""

from __future__ import annotations

import threading
import time

from cdnexport.worker.wakeup import LocalSignal, NoSignal


def test_a_notification_before_the_wait_is_kept() -> None:
    signal = LocalSignal()
    stop = threading.Event()
    signal.notify()
    signal.notify()
    started = time.monotonic()
    signal.wait(stop, 30)
    signal.wait(stop, 30)
    assert time.monotonic() - started < 5
    started = time.monotonic()
    signal.wait(stop, 0.05)  # both notifications are used up: this one times out
    assert time.monotonic() - started >= 0.04


def test_notify_wakes_a_sleeping_waiter() -> None:
    signal = LocalSignal()
    stop = threading.Event()
    woke = threading.Event()

    def sleeper() -> None:
        signal.wait(stop, 30)
        woke.set()

    thread = threading.Thread(target=sleeper)
    thread.start()
    time.sleep(0.05)
    assert not woke.is_set()
    signal.notify()
    thread.join(5)
    assert woke.is_set() and not thread.is_alive()


def test_stop_then_notify_wakes_every_sleeper() -> None:
    signal = LocalSignal()
    stop = threading.Event()
    threads = [threading.Thread(target=signal.wait, args=(stop, 30)) for _ in range(3)]
    for thread in threads:
        thread.start()
    time.sleep(0.05)
    stop.set()
    signal.notify()
    for thread in threads:
        thread.join(5)
    assert not any(thread.is_alive() for thread in threads)


def test_no_signal_waits_on_stop_only() -> None:
    signal = NoSignal()
    stop = threading.Event()
    signal.notify()
    started = time.monotonic()
    signal.wait(stop, 0.05)
    assert time.monotonic() - started >= 0.04
    stop.set()
    started = time.monotonic()
    signal.wait(stop, 30)
    assert time.monotonic() - started < 5
