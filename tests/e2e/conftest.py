"""A real ``cdnexport serve --demo`` on 127.0.0.1 and Debian's Chromium driven by Playwright.

No browser is downloaded: Playwright launches ``/usr/bin/chromium`` (``apt-get install
chromium``; ``.ci/run`` installs it). Without it the suite skips, except under ``CI=true``, where
a missing browser fails it. Screenshots go to ``$CDNEXPORT_E2E_ARTIFACTS`` (default: a folder
of the pytest temp dir), never into the repository.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from cdnexport.cluster import free_port

CHROMIUM = Path("/usr/bin/chromium")
OPERATOR = ("e2e-admin", "a long operator password")


def _need_browser() -> None:
    missing = ""
    if not CHROMIUM.exists():
        missing = f"{CHROMIUM} is missing (apt-get install -y chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            missing = "playwright is not installed"
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the e2e suite must run under CI: {missing}")
        pytest.skip(missing)


@dataclass(frozen=True)
class Server:
    url: str
    data_dir: Path
    key_id: str
    secret: str
    log: Path

    @property
    def console(self) -> str:
        return f"{self.url}/console/"


def _cli() -> str:
    return str(Path(sys.executable).parent / "cdnexport")


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    _need_browser()
    root = tmp_path_factory.mktemp("e2e-server")
    port = free_port()
    env = {
        **os.environ,
        "CDNEXPORT_DATA_DIR": str(root / "data"),
        "CDNEXPORT_HOST": "127.0.0.1",
        "CDNEXPORT_PORT": str(port),
        "CDNEXPORT_POLL_SECONDS": "0.2",
    }
    for name in [k for k in env if k.startswith("CDNEXPORT_") and k.endswith("_URL")]:
        env.pop(name)  # the embedded deployment, whatever the test environment says
    subprocess.run(
        [_cli(), "operator", "add", OPERATOR[0], "--password-stdin"],
        input=OPERATOR[1] + "\n",
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    log = root / "serve.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [_cli(), "serve", "--demo"], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=1) as resp:  # noqa: S310
                    if resp.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"serve did not start: {log.read_text()[-2000:]}")
            time.sleep(0.2)
        text = log.read_text()
        key_id = re.search(r"AccessKeyId\s+: (\S+)", text)
        secret = re.search(r"AccessKeySecret : (\S+)", text)
        assert key_id and secret, text
        assert f"{url}/console/" in text  # the banner names the console
        yield Server(url, root / "data", key_id.group(1), secret.group(1), log)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    configured = os.environ.get("CDNEXPORT_E2E_ARTIFACTS")
    folder = Path(configured) if configured else tmp_path_factory.mktemp("e2e-screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def browser(server: Server) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as play:
        chromium = play.chromium.launch(executable_path=str(CHROMIUM))
        yield chromium
        chromium.close()
