"""A TCP proxy the test controls, put between the service and PostgreSQL, Redis or S3: ``cut()``
drops every open connection and refuses new ones (as a restarting server does), ``restore()``
lets connections through again. The shared servers themselves are never touched."""

from __future__ import annotations

import selectors
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from urllib.parse import urlsplit, urlunsplit

_CHUNK = 65536


class TcpProxy:
    """Forwards 127.0.0.1:``port`` to ``upstream``; each connection is pumped by one thread."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self._upstream = (upstream_host, upstream_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._up = True
        self._closed = False
        self._threads: list[threading.Thread] = []
        self._acceptor = threading.Thread(target=self._accept, name="proxy-accept", daemon=True)
        self._acceptor.start()

    @property
    def up(self) -> bool:
        return self._up

    def cut(self) -> None:
        """Drop every open connection; new ones are closed as soon as they arrive."""
        with self._lock:
            self._up = False
            sockets, self._open = self._open, set()
        for sock in sockets:
            _close(sock)

    def restore(self) -> None:
        with self._lock:
            self._up = True

    def close(self) -> None:
        self._closed = True
        self.cut()
        _close(self._listener)
        self._acceptor.join(5)
        for thread in self._threads:
            thread.join(5)

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if not self._up:
                _close(client)
                continue
            try:
                server = socket.create_connection(self._upstream, timeout=5)
            except OSError:
                _close(client)
                continue
            server.settimeout(None)
            with self._lock:
                if not self._up:
                    _close(client)
                    _close(server)
                    continue
                self._open.update((client, server))
            thread = threading.Thread(
                target=self._pump, args=(client, server), name="proxy-pump", daemon=True
            )
            self._threads = [t for t in self._threads if t.is_alive()]
            self._threads.append(thread)
            thread.start()

    def _pump(self, client: socket.socket, server: socket.socket) -> None:
        peer = {client: server, server: client}
        with selectors.DefaultSelector() as selector:
            selector.register(client, selectors.EVENT_READ)
            selector.register(server, selectors.EVENT_READ)
            try:
                while True:
                    for key, _ in selector.select(timeout=0.2):
                        source = key.fileobj
                        assert isinstance(source, socket.socket)
                        data = source.recv(_CHUNK)
                        if not data:
                            return
                        peer[source].sendall(data)
                    with self._lock:
                        if client not in self._open:
                            return
            except (OSError, ValueError):
                return
            finally:
                with self._lock:
                    self._open.discard(client)
                    self._open.discard(server)
                _close(client)
                _close(server)


def _close(sock: socket.socket) -> None:
    with suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


@contextmanager
def proxy_for(url: str) -> Iterator[tuple[TcpProxy, str]]:
    """A proxy in front of the server of ``url``, and ``url`` rewritten to go through it."""
    parts = urlsplit(url)
    assert parts.hostname is not None
    default = {"postgresql": 5432, "redis": 6379, "http": 80}[parts.scheme.split("+")[0]]
    proxy = TcpProxy(parts.hostname, parts.port or default)
    user = f"{parts.username}@" if parts.username else ""
    if parts.password:
        user = f"{parts.username}:{parts.password}@"
    try:
        yield proxy, urlunsplit(parts._replace(netloc=f"{user}127.0.0.1:{proxy.port}"))
    finally:
        proxy.close()
