"""HTTP load with wrk: pre-signed requests replayed once each, and wrk's summary read back.

wrk (C, one thread) takes a fifth of a core at 25k requests/s where a Python load generator
would need both cores of this machine, but its Lua has no HMAC. So every request is signed
here beforehand, each with its own ``SignatureNonce``, and ``replay.lua`` sends each line once.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.dataset import Key
from bench.rpc_client import DESCRIBE, signed_path

SCRIPT = Path(__file__).with_name("replay.lua")
MARKER = "BENCH-JSON "
#: Requests signed per second of a run; well above what one API process can answer.
SIGNED_PER_SECOND = 20_000


class WrkMissing(RuntimeError):
    """wrk is not installed."""


def wrk_path() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise WrkMissing("wrk is not installed: apt-get install -y wrk (Debian package)")
    return found


@dataclass(frozen=True, slots=True)
class LoadResult:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    errors: int
    non_2xx: int
    wrapped: int

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


def parse_summary(output: str) -> LoadResult:
    """The JSON line ``replay.lua`` prints at the end of a run."""
    for line in output.splitlines():
        if line.startswith(MARKER):
            data = json.loads(line[len(MARKER) :])
            return LoadResult(
                requests=int(data["requests"]),
                seconds=data["duration_us"] / 1e6,
                p50_ms=data["p50_us"] / 1000,
                p99_ms=data["p99_us"] / 1000,
                max_ms=data["max_us"] / 1000,
                errors=sum(int(data[k]) for k in ("connect", "read", "write", "timeout")),
                non_2xx=int(data["status"]),
                wrapped=int(data["wrapped"]),
            )
    raise ValueError(f"no {MARKER.strip()} line in wrk output:\n{output}")


def write_describe_requests(path: Path, keys: Sequence[Key], count: int) -> None:
    """``count`` signed Describe calls, round-robin over ``keys``, one path per line."""
    now = time.time()
    with path.open("w") as out:
        for n in range(count):
            out.write(signed_path(keys[n % len(keys)], DESCRIBE, {}, now))
            out.write("\n")


def run_wrk(
    url: str, requests_file: Path, seconds: float, connections: int, threads: int = 1
) -> LoadResult:
    argv = [
        wrk_path(),
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds:g}s",
        "--timeout",
        "10s",
        "-s",
        str(SCRIPT),
        url,
        "--",
        str(requests_file),
        str(threads),
    ]
    done = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=seconds + 60)
    return parse_summary(done.stdout)
