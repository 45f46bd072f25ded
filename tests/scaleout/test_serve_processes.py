"""``cdnexport serve --processes 2 --export-workers 1`` on SQLite with Redis: two API processes
under uvicorn's supervisor, the export worker in the supervisor, and a clean stop; without Redis
the command refuses to start (rate limits would not hold across the processes)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from redis import Redis

from cdnexport.clock import SystemClock
from cdnexport.cluster import free_port
from cdnexport.db.accounts import Account
from tests.scaleout.backing import REDIS_ENV, required_url
from tests.scaleout.http import send
from tests.support import add_account, iso, make_services, v1_request

WAIT = 60.0


def spawned_children(pid: int) -> list[int]:
    """Processes that ``multiprocessing`` spawned under ``pid`` (uvicorn's API workers)."""
    children = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children += [int(c) for c in (task / "children").read_text().split()]
    return [c for c in children if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()]


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=1) as resp:  # noqa: S310
            return bool(resp.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def wait_until(check: Any, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


DESCRIBE_OK = 'action="DescribeUserUsageDetailDataExportTask",code="OK"'
CREATE_OK = 'action="CreateUsageDetailDataExportTask",code="OK"'


def scraped(url: str) -> dict[tuple[str, str], float]:
    """``/metrics`` as {(name, labels): value}, labels as written between the braces."""
    with urllib.request.urlopen(f"{url}/metrics", timeout=5) as resp:  # noqa: S310
        text = resp.read().decode()
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name_labels, value = line.rsplit(" ", 1)
            name, _, labels = name_labels.partition("{")
            samples[(name, labels.rstrip("}"))] = float(value)
    return samples


def test_several_processes_without_redis_are_refused(tmp_path: Path) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CDNEXPORT_")},
        "CDNEXPORT_DATA_DIR": str(tmp_path / "data"),
    }
    argv = [sys.executable, "-c", "from cdnexport.cli import main; main()", "serve"]
    argv += ["--port", str(free_port()), "--processes", "2"]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert "CDNEXPORT_REDIS_URL" in done.stderr


def test_two_api_processes_and_a_supervisor_worker(
    tmp_path: Path, redis_client: tuple[Redis, str]
) -> None:
    services = make_services(tmp_path, SystemClock())
    account: Account = add_account(services, "procs", ("procs.example.com",))
    services.db.dispose()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CDNEXPORT_")},
        "CDNEXPORT_DATA_DIR": str(services.settings.data_dir),
        "CDNEXPORT_URL_SECRET": "test-url-secret",
        "CDNEXPORT_PUBLIC_URL": url,
        "CDNEXPORT_POLL_SECONDS": "0.1",
        "CDNEXPORT_REDIS_URL": required_url(REDIS_ENV),
        "CDNEXPORT_REDIS_KEY_PREFIX": redis_client[1],
    }
    argv = [sys.executable, "-c", "from cdnexport.cli import main; main()", "serve"]
    argv += ["--host", "127.0.0.1", "--port", str(port), "--processes", "2"]
    with (tmp_path / "serve.log").open("wb") as log:
        server = subprocess.Popen(
            [*argv, "--export-workers", "1"], env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        wait_until(lambda: healthy(url), "server never became healthy")
        wait_until(lambda: len(spawned_children(server.pid)) == 2, "not two API processes")
        now = time.time()
        window = {"StartTime": iso(now - 7200), "EndTime": iso(now - 3600)}
        params = {"Type": "flow", **window, "DomainNames": "procs.example.com"}
        status, created = send(
            url, v1_request(account, "CreateUsageDetailDataExportTask", params, now)
        )
        assert status == 200, created
        task_id = created["TaskId"]
        item: dict[str, Any] = {}

        def finished() -> bool:
            nonlocal item
            req = v1_request(account, "DescribeUserUsageDetailDataExportTask", {}, time.time())
            listed = send(url, req)[1]["UsageDataPerPage"]["Data"]["DataItem"]
            item = next(i for i in listed if i["TaskId"] == task_id)
            return bool(item["Status"] != "created")

        describes = 0

        def counted_finished() -> bool:
            nonlocal describes
            describes += 1
            return finished()

        wait_until(counted_finished, "the export never finished")
        assert item["Status"] == "success", item
        with urllib.request.urlopen(item["DownloadUrl"], timeout=30) as resp:  # noqa: S310
            assert resp.read(2) == b"PK"
        # Whichever process answers the scrape, it counts the calls of both and the
        # supervisor's worker.
        for _ in range(6):
            scrape = scraped(url)
            assert scrape[("cdnexport_requests_total", DESCRIBE_OK)] == describes
            assert scrape[("cdnexport_requests_total", CREATE_OK)] == 1
            assert scrape[("cdnexport_export_rows_total", "")] == int(item["RowCount"])
            assert scrape[("cdnexport_export_seconds_count", "")] == 1
            assert scrape[("cdnexport_tasks", 'status="success"')] == 1
        with urllib.request.urlopen(f"{url}/readyz", timeout=5) as resp:  # noqa: S310
            assert resp.read() == b"ready"
        children = spawned_children(server.pid)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            code = server.wait(30)
        finally:
            if server.poll() is None:
                server.kill()
                server.wait(10)
    assert code == 0, (tmp_path / "serve.log").read_text()
    assert not any(Path(f"/proc/{child}").exists() for child in children)
