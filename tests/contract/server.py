"""A live ``cdnexport serve`` subprocess on a loopback port, set up through the real CLI.

The configuration (extra ``CDNEXPORT_*`` variables, e.g. a PostgreSQL ``DATABASE_URL``, serve
options, and services started for the session) is a parameter, so the same tests can run
against every supported deployment.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

CLI_TIMEOUT = 60.0
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
LOG_TAIL = 20_000


@dataclass(frozen=True)
class Backing:
    """What services started for a session add: variables, and where download links point
    (None: the server's own ``/download/``)."""

    env: Mapping[str, str]
    download_prefix: str | None = None


@dataclass(frozen=True)
class ServerConfig:
    """One deployment shape: a name for test ids, the variables that select it, options of
    ``serve``, and services to start for the session (given a folder of their own)."""

    name: str
    env: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    serve_args: tuple[str, ...] = ()
    backing: Callable[[Path], AbstractContextManager[Backing]] | None = None


@dataclass(frozen=True)
class Credentials:
    name: str
    access_key_id: str
    access_key_secret: str


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def console_script() -> Path:
    # The venv's entry point; ``python -m cdnexport.cli`` would not run ``main``.
    return Path(sys.executable).parent / "cdnexport"


class LiveServer:
    """Runs CLI commands and the server with one environment; ``stop`` is safe to repeat."""

    def __init__(
        self, data_dir: Path, config: ServerConfig, backing: Backing | None = None
    ) -> None:
        self.port = free_port()
        self.endpoint = f"127.0.0.1:{self.port}"
        self.url = f"http://{self.endpoint}"
        self.log_path = data_dir / "server.log"
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("CDNEXPORT_")}
        self.env = {
            **inherited,
            "CDNEXPORT_DATA_DIR": str(data_dir),
            "CDNEXPORT_PUBLIC_URL": self.url,
            "CDNEXPORT_HOST": "127.0.0.1",
            "CDNEXPORT_PORT": str(self.port),
            "CDNEXPORT_POLL_SECONDS": "0.1",
            "CDNEXPORT_WORKER_THREADS": "1",
            # Tests of all SDK modes share the accounts; keep limits out of their way.
            "CDNEXPORT_RATE_LIMIT_PER_SECOND": "1000",
            "CDNEXPORT_MAX_UNFINISHED_TASKS": "100",
            "CDNEXPORT_LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
            **config.env,
            **(backing.env if backing else {}),
        }
        self.serve_args = config.serve_args
        self.download_prefix = (backing and backing.download_prefix) or f"{self.url}/download/"
        self._process: subprocess.Popen[bytes] | None = None

    def cli(self, *args: str) -> str:
        """Run ``cdnexport ARGS`` and return its stdout; fail with its stderr."""
        done = subprocess.run(
            [str(console_script()), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=CLI_TIMEOUT,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"cdnexport {' '.join(args)} exited {done.returncode}:\n{done.stderr}"
            )
        return done.stdout

    def create_account(self, name: str) -> Credentials:
        out = json.loads(self.cli("account", "create", name, "--json"))
        return Credentials(name, out["AccessKeyId"], out["AccessKeySecret"])

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("wb") as log:
            self._process = subprocess.Popen(
                [
                    str(console_script()),
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    *self.serve_args,
                ],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"server exited {self._process.returncode}:\n{self.log_tail()}")
            if self._healthy():
                return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server not healthy after {START_TIMEOUT} s:\n{self.log_tail()}")

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/healthz", timeout=1) as resp:  # noqa: S310
                status: int = resp.status
                return status == 200
        except (urllib.error.URLError, OSError):
            return False

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP_TIMEOUT)

    def log_tail(self) -> str:
        if not self.log_path.exists():
            return ""
        return self.log_path.read_bytes()[-LOG_TAIL:].decode(errors="replace")
