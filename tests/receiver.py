"""A real webhook receiver for tests: an HTTP server on 127.0.0.1 that answers each request as
its script says (a status code, or hanging until released), records what it got, and checks
signatures with the README's recipe and nothing of cdnexport."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

#: A script step: an HTTP status to answer with, or HANG (answer 200 only once released).
HANG = -1


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def event(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


@dataclass
class Receiver:
    url: str = ""
    script: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    arrived: threading.Event = field(default_factory=threading.Event)

    def next_step(self) -> int:
        return self.script.pop(0) if self.script else 200


def verify(secret: str, header: str, body: bytes, now: float, tolerance: int = 300) -> bool:
    """The README's recipe: split ``t=...,v1=...``, HMAC-SHA256 the bytes ``<t>.<raw body>``
    under the secret, compare in constant time, and refuse a ``t`` too far from now."""
    parts = dict(item.split("=", 1) for item in header.split(","))
    expected = hmac.new(
        secret.encode(), parts["t"].encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(expected, parts["v1"]) and abs(now - int(parts["t"])) <= tolerance


def readme_recipe() -> Callable[[str, str, bytes], bool]:
    """The ``verified`` function exactly as the README prints it (its Webhooks section)."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    start = readme.index("```python\nimport hashlib, hmac, time\n")
    code = readme[start + len("```python\n") : readme.index("```", start + 3)]
    scope: dict[str, Any] = {}
    exec(compile(code, "README.md", "exec"), scope)  # noqa: S102  (our own README's example)
    recipe: Callable[[str, str, bytes], bool] = scope["verified"]
    return recipe


@contextmanager
def running_receiver(script: list[int] | None = None) -> Iterator[Receiver]:
    receiver = Receiver(script=list(script or []))

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            receiver.received.append(Received(dict(self.headers.items()), body))
            step = receiver.next_step()
            receiver.arrived.set()
            if step == HANG:
                receiver.release.wait(30)
                step = 200
            try:
                self.send_response(step)
                self.send_header("Content-Length", "0")
                self.end_headers()
            except OSError:
                pass  # the sender gave up waiting

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/cdn"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.release.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


def wait_until(predicate: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")
