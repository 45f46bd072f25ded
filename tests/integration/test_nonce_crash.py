"""A SIGKILLed ``cdnexport serve`` forgets no nonce it answered: the same signed call, replayed
to the restarted server, is refused."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cdnexport.clock import SystemClock
from cdnexport.services import Services
from tests.support import add_account, make_services, v1_request

CLI = str(Path(sys.executable).parent / "cdnexport")
DESCRIBE = "DescribeUserUsageDetailDataExportTask"


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    svc = make_services(tmp_path, SystemClock())
    yield svc
    svc.db.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(services: Services, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "CDNEXPORT_DATA_DIR": str(services.settings.data_dir),
        "CDNEXPORT_URL_SECRET": "test-url-secret",
    }
    argv = [CLI, "serve", "--host", "127.0.0.1", "--port", str(port)]
    with log.open("ab") as out:
        child = subprocess.Popen(argv, env=env, stdout=out, stderr=out)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return child
        except OSError:
            time.sleep(0.05)
        finally:
            conn.close()
    child.kill()
    raise AssertionError(f"serve did not start: {log.read_text()}")


def call(port: int, method: str, query: str) -> tuple[int, dict[str, object]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, f"/?{query}")
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


@pytest.mark.slow
def test_a_nonce_outlives_a_sigkill(services: Services, tmp_path: Path) -> None:
    alice = add_account(services, "alice")
    req = v1_request(alice, DESCRIBE, {}, time.time(), method="GET")
    port = free_port()
    server = start(services, port, tmp_path / "serve.log")
    try:
        status, body = call(port, req.method, req.raw_query)
        assert status == 200, body
        os.kill(server.pid, signal.SIGKILL)
        server.wait(10)
        server = start(services, port, tmp_path / "serve.log")
        status, body = call(port, req.method, req.raw_query)
        assert (status, body["Code"]) == (400, "SignatureNonceUsed")
        fresh = v1_request(alice, DESCRIBE, {}, time.time(), method="GET")
        assert call(port, fresh.method, fresh.raw_query)[0] == 200
    finally:
        server.kill()
        server.wait(10)
