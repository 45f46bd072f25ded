"""Processes the bench starts (server, worker), their peak memory, and stopping them for sure.

Peak RSS is the kernel's ``VmHWM``; writing 5 to ``/proc/<pid>/clear_refs`` resets it to the
current RSS, so each export gets its own peak.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0
KIB = 1024


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def venv_bin(name: str) -> Path:
    """A console script of the interpreter running the bench (e.g. ``cdnexport``)."""
    return Path(sys.executable).parent / name


def status_kib(pid: int, field: str) -> int:
    """A ``/proc/<pid>/status`` memory field (``VmRSS``, ``VmHWM``) in KiB."""
    return parse_status_kib(Path(f"/proc/{pid}/status").read_text(), field)


def parse_status_kib(text: str, field: str) -> int:
    for line in text.splitlines():
        name, _, rest = line.partition(":")
        if name == field:
            return int(rest.split()[0])
    raise KeyError(f"{field} not in /proc status")


def reset_peak(pid: int) -> None:
    """Reset the process's ``VmHWM`` to its current RSS."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


class Child:
    """A child process whose output goes to a log file; ``stop`` is safe to repeat."""

    def __init__(self, argv: Sequence[str], env: Mapping[str, str], log_path: Path) -> None:
        self.log_path = log_path
        with log_path.open("ab") as log:
            self.process = subprocess.Popen(
                list(argv), env=dict(env), stdout=log, stderr=subprocess.STDOUT
            )

    @property
    def pid(self) -> int:
        return self.process.pid

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            raise RuntimeError(
                f"{self.log_path.name}: exited {self.process.returncode}\n{self.log_tail()}"
            )

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(STOP_TIMEOUT)

    def log_tail(self, size: int = 4000) -> str:
        return self.log_path.read_bytes()[-size:].decode(errors="replace")


def wait_http(child: Child, url: str, timeout: float = START_TIMEOUT) -> None:
    """Wait until ``url`` answers 200 (the child must stay alive meanwhile)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        child.check_alive()
        try:
            with urllib.request.urlopen(url, timeout=1) as resp:  # noqa: S310
                if resp.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{url} did not answer within {timeout} s\n{child.log_tail()}")


@contextmanager
def running(
    argv: Sequence[str], env: Mapping[str, str], log_path: Path, health_url: str | None = None
) -> Iterator[Child]:
    """Run a child for the ``with`` block; it is stopped however the block ends."""
    child = Child(argv, env, log_path)
    try:
        if health_url is not None:
            wait_http(child, health_url)
        yield child
    finally:
        child.stop()


def clean_env(extra: Mapping[str, str]) -> dict[str, str]:
    """The bench's environment without inherited ``CDNEXPORT_*`` settings, plus ``extra``."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("CDNEXPORT_")}
    # ``python -m bench.…`` children import the bench package from the repository.
    path = os.pathsep.join(p for p in (str(ROOT), inherited.get("PYTHONPATH", "")) if p)
    return {**inherited, "PYTHONUNBUFFERED": "1", "PYTHONPATH": path, **extra}


def cpu_times(pid: int) -> tuple[float, float]:
    """User and system CPU seconds of ``pid`` and every live descendant of it."""
    ticks = os.sysconf("SC_CLK_TCK")
    children: dict[int, list[int]] = {}
    usage: dict[int, tuple[int, int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # After the command name: state, ppid, ..., utime (field 14) and stime (15).
        ppid, utime, stime = int(fields[1]), int(fields[11]), int(fields[12])
        children.setdefault(ppid, []).append(int(entry.name))
        usage[int(entry.name)] = (utime, stime)
    user, system, todo = 0, 0, [pid]
    while todo:
        current = todo.pop()
        spent = usage.get(current, (0, 0))
        user, system = user + spent[0], system + spent[1]
        todo.extend(children.get(current, []))
    return user / ticks, system / ticks
