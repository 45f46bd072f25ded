"""The HTTP boundary of webhook delivery: POST a body, get a status code.

``HttpSender`` is the real one, on httpx2 (the successor of httpx, which the test client
already brings); ``MemorySender`` records what would be sent and answers from a script, for
tests of the delivery rules.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

import httpx2

from cdnexport.webhooks.targets import Resolver, TargetRefused, resolve, system_resolver


class DeliveryError(Exception):
    """The request got no HTTP answer (refused target, DNS, connection, timeout)."""


class WebhookSender(Protocol):
    def post(self, url: str, headers: Mapping[str, str], body: bytes) -> int:
        """Send ``body``; the answer's status code, or DeliveryError when there is none."""
        ...

    def close(self) -> None: ...


class HttpSender:
    """Sends to the checked address itself (``Host`` and TLS SNI keep the URL's name, and the
    certificate is verified against it); no proxies from the environment, no redirects."""

    def __init__(
        self, timeout: float, allow_private: bool, resolver: Resolver = system_resolver
    ) -> None:
        self._allow_private = allow_private
        self._resolver = resolver
        self._client = httpx2.Client(
            timeout=httpx2.Timeout(timeout), follow_redirects=False, trust_env=False
        )

    def post(self, url: str, headers: Mapping[str, str], body: bytes) -> int:
        try:
            target = resolve(url, self._allow_private, self._resolver)
        except TargetRefused as exc:
            raise DeliveryError(str(exc)) from None
        pinned = target.url.copy_with(host=target.addresses[0])
        extensions = {"sni_hostname": target.url.host} if target.url.scheme == "https" else {}
        sent = {**headers, "Host": target.url.netloc.decode("ascii")}
        try:
            response = self._client.post(pinned, content=body, headers=sent, extensions=extensions)
        except httpx2.TimeoutException:
            raise DeliveryError("timed out") from None
        except httpx2.HTTPError as exc:
            raise DeliveryError(f"{type(exc).__name__}: {exc}") from None
        return response.status_code

    def close(self) -> None:
        self._client.close()


@dataclass(frozen=True, slots=True)
class Sent:
    url: str
    headers: Mapping[str, str]
    body: bytes


@dataclass
class MemorySender:
    """Answers each post with ``answer(sent)``: a status code, or a DeliveryError raised."""

    answer: Callable[[Sent], int] = lambda _sent: 200
    sent: list[Sent] = field(default_factory=list)

    def post(self, url: str, headers: Mapping[str, str], body: bytes) -> int:
        request = Sent(url, dict(headers), body)
        self.sent.append(request)
        return self.answer(request)

    def close(self) -> None:
        pass
