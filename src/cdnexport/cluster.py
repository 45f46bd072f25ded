"""``cdnexport cluster``: a scale-out deployment on loopback, to try and to test.

It uses the running PostgreSQL (``CDNEXPORT_DATABASE_URL``) and Redis (``CDNEXPORT_REDIS_URL``),
starts nanio (an S3 server from PyPI that checks SigV4 signatures and presigned expiry) on a data
folder of its own, migrates the database, then starts API processes and export workers, each a
``cdnexport`` process of its own, all bound to 127.0.0.1.
"""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from cdnexport.db import migrate
from cdnexport.db.engine import Database

LOOPBACK = "127.0.0.1"
BUCKET = "cdnexport"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 20.0
#: Runs the CLI with this interpreter whatever the console script is called.
CLI = ("-c", "from cdnexport.cli import main; main()")


class ClusterError(RuntimeError):
    """The cluster could not start; the message says which part and why."""


@dataclass(frozen=True)
class ClusterInfo:
    """What a running cluster offers: endpoints, the environment of its processes, their pids."""

    api_urls: tuple[str, ...]
    s3_url: str
    env: Mapping[str, str]
    pids: Mapping[str, int]
    log_dir: Path

    def to_json(self) -> str:
        return json.dumps(
            {
                "api_urls": list(self.api_urls),
                "s3_url": self.s3_url,
                "env": dict(self.env),
                "pids": dict(self.pids),
                "log_dir": str(self.log_dir),
            }
        )

    def describe(self) -> str:
        lines = [
            "cdnexport cluster is running; Ctrl-C (or SIGTERM) stops it.",
            *(f"  API {n}:   {url}" for n, url in enumerate(self.api_urls, 1)),
            f"  S3:      {self.s3_url} (nanio, bucket {BUCKET})",
            "  pids:    " + ", ".join(f"{name} {pid}" for name, pid in self.pids.items()),
            f"  logs:    {self.log_dir}",
            "Environment for `cdnexport` commands against this cluster:",
            *(f"  export {name}={shlex.quote(value)}" for name, value in self.env.items()),
        ]
        return "\n".join(lines)


@dataclass
class LocalCluster:
    """Starts and stops the processes; ``stop`` is safe to call at any point and twice."""

    work_dir: Path
    base_env: Mapping[str, str]
    apis: int = 2
    workers: int = 2
    _processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self) -> ClusterInfo:
        database_url = self.base_env.get("CDNEXPORT_DATABASE_URL", "")
        if not database_url.startswith("postgresql"):
            raise ClusterError("set CDNEXPORT_DATABASE_URL to the PostgreSQL to use")
        if not self.base_env.get("CDNEXPORT_REDIS_URL"):
            raise ClusterError("set CDNEXPORT_REDIS_URL to the Redis to use")
        if importlib.util.find_spec("nanio") is None:
            raise ClusterError("nanio is not installed: pip install nanio")
        logs = self.work_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        try:
            s3_url, s3_env = self._start_s3(logs)
            env = self._cluster_env(s3_url, s3_env)
            _migrate(database_url, int(env.get("CDNEXPORT_USAGE_RETENTION_DAYS", "400")))
            api_urls = self._start_apis(env, logs)
            self._start_workers(env, logs)
        except BaseException:
            self.stop()
            raise
        pids = {name: proc.pid for name, proc in self._processes.items()}
        shown = {k: v for k, v in env.items() if k.startswith("CDNEXPORT_") or k in s3_env}
        return ClusterInfo(tuple(api_urls), s3_url, shown, pids, logs)

    def _start_s3(self, logs: Path) -> tuple[str, dict[str, str]]:
        port = free_port()
        keys = {
            "AWS_ACCESS_KEY_ID": f"cluster{secrets.token_hex(4)}",
            "AWS_SECRET_ACCESS_KEY": secrets.token_hex(20),
        }
        nanio_env = {
            **self.base_env,
            "NANIO_ACCESS_KEY": keys["AWS_ACCESS_KEY_ID"],
            "NANIO_SECRET_KEY": keys["AWS_SECRET_ACCESS_KEY"],
        }
        args = ["serve", "--host", LOOPBACK, "--port", str(port)]
        args += ["--data-dir", str(self.work_dir / "s3"), "--no-access-log"]
        self._spawn("nanio", [sys.executable, "-m", "nanio", *args], nanio_env, logs)
        url = f"http://{LOOPBACK}:{port}"
        env = {**keys, "AWS_ENDPOINT_URL_S3": url, "AWS_REGION": "us-east-1"}
        self._create_bucket(url, env)
        return url, env

    def _create_bucket(self, url: str, env: Mapping[str, str]) -> None:
        client = boto3.session.Session(
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
            region_name=env["AWS_REGION"],
        ).client("s3", endpoint_url=url, config=Config(signature_version="s3v4"))
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            self._check_alive("nanio")
            try:
                client.create_bucket(Bucket=BUCKET)
                return
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") == "BucketAlreadyOwnedByYou":
                    return
                raise ClusterError(f"nanio refused to create the bucket: {exc}") from exc
            except BotoCoreError:
                if time.monotonic() > deadline:
                    raise ClusterError("nanio did not start; see its log") from None
                time.sleep(0.1)

    def _cluster_env(self, s3_url: str, s3_env: Mapping[str, str]) -> dict[str, str]:
        return {
            **self.base_env,
            **s3_env,
            "CDNEXPORT_STORAGE_URL": f"s3://{BUCKET}/exports",
            "CDNEXPORT_DATA_DIR": str(self.work_dir / "data"),
            "CDNEXPORT_HOST": LOOPBACK,
            "PYTHONUNBUFFERED": "1",
        }

    def _start_apis(self, env: Mapping[str, str], logs: Path) -> list[str]:
        urls = []
        for n in range(1, self.apis + 1):
            port = free_port()
            url = f"http://{LOOPBACK}:{port}"
            serve = ["serve", "--host", LOOPBACK, "--port", str(port), "--export-workers", "0"]
            self._spawn(f"api{n}", [sys.executable, *CLI, *serve], env, logs)
            urls.append(url)
        for n, url in enumerate(urls, 1):
            self._wait_healthy(f"api{n}", url)
        return urls

    def _start_workers(self, env: Mapping[str, str], logs: Path) -> None:
        for n in range(1, self.workers + 1):
            self._spawn(f"worker{n}", [sys.executable, *CLI, "worker"], env, logs)
        quiet = env.get("CDNEXPORT_LOG_LEVEL", "INFO").upper() not in ("DEBUG", "INFO")
        for n in range(1, self.workers + 1):
            if quiet:
                self._check_alive(f"worker{n}")
            else:
                self._wait_logged(f"worker{n}", logs / f"worker{n}.log", "export workers running")

    def _spawn(self, name: str, argv: list[str], env: Mapping[str, str], logs: Path) -> None:
        with (logs / f"{name}.log").open("ab") as log:
            # Own process group: a Ctrl-C in the terminal reaches only this supervisor, which
            # then stops each child in order.
            self._processes[name] = subprocess.Popen(  # noqa: S603 - argv built here
                argv, env=dict(env), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def _check_alive(self, name: str) -> None:
        code = self._processes[name].poll()
        if code is not None:
            raise ClusterError(f"{name} exited with {code}; see its log in {self.work_dir}/logs")

    def _wait_healthy(self, name: str, url: str) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            self._check_alive(name)
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=1) as resp:  # noqa: S310
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.1)
        raise ClusterError(f"{name} is not healthy after {START_TIMEOUT} s")

    def _wait_logged(self, name: str, log: Path, text: str) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            self._check_alive(name)
            if text in log.read_text(errors="replace"):
                return
            time.sleep(0.1)
        raise ClusterError(f"{name} did not start within {START_TIMEOUT} s")

    def stop(self) -> None:
        """SIGTERM the workers (they hand back their tasks) and APIs, then nanio; SIGKILL what
        outlives ``STOP_TIMEOUT``."""
        services = [proc for name, proc in self._processes.items() if name != "nanio"]
        storage = [proc for name, proc in self._processes.items() if name == "nanio"]
        for running in (services, storage):
            for proc in running:
                if proc.poll() is None:
                    proc.terminate()
            for proc in running:
                try:
                    proc.wait(STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(STOP_TIMEOUT)
        self._processes.clear()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def _migrate(database_url: str, usage_retention_days: int) -> None:
    db = Database(database_url)
    try:
        now = int(time.time())
        migrate.migrate_database(db, now, now - usage_retention_days * 86400)
    finally:
        db.dispose()


def run(work_dir: Path, apis: int, workers: int, as_json: bool, out: IO[str]) -> None:
    """Start a cluster, print what it offers, and run until SIGINT or SIGTERM."""
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    cluster = LocalCluster(work_dir.resolve(), dict(os.environ), apis, workers)
    try:
        info = cluster.start()
        print(info.to_json() if as_json else info.describe(), file=out, flush=True)
        stop.wait()
    finally:
        cluster.stop()
