"""Which webhook URLs may be called: http(s) only, and, unless the deployment allows it, only
hosts whose every address is public.

A webhook is a request the service makes on a customer's behalf; without this rule an account
could aim it at the service's own network (databases, metadata endpoints at 169.254.169.254).
The addresses are checked on every delivery, and the request is sent to the address that was
checked, so a name that changes its answer in between cannot slip past.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import httpx2

MAX_URL_LENGTH: Final = 2048
Resolver = Callable[[str, int], Sequence[str]]


class TargetRefused(ValueError):
    """A webhook URL that must not be called; the message says why."""


@dataclass(frozen=True, slots=True)
class Target:
    url: httpx2.URL
    #: Where to connect: addresses checked against the policy, in the resolver's order.
    addresses: tuple[str, ...]


def system_resolver(host: str, port: int) -> Sequence[str]:
    infos: list[Any] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def parse_url(text: str) -> httpx2.URL:
    """The URL if it is one a webhook may name; TargetRefused otherwise."""
    if len(text) > MAX_URL_LENGTH:
        raise TargetRefused(f"a webhook URL has at most {MAX_URL_LENGTH} characters")
    try:
        url = httpx2.URL(text)
    except (httpx2.InvalidURL, ValueError) as exc:
        raise TargetRefused(f"not a URL: {exc}") from None
    if url.scheme not in ("http", "https"):
        raise TargetRefused("a webhook URL starts with http:// or https://")
    if not url.host:
        raise TargetRefused("a webhook URL names a host")
    if url.userinfo:
        raise TargetRefused("a webhook URL carries no user name or password")
    if url.fragment:
        raise TargetRefused("a webhook URL has no #fragment")
    return url


def is_public(address: str) -> bool:
    """True for a globally routable unicast address (an IPv4-mapped IPv6 one judged as IPv4)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def resolve(text: str, allow_private: bool, resolver: Resolver = system_resolver) -> Target:
    """The URL and the addresses to call it at; TargetRefused when any address is not public
    (unless ``allow_private``) or the host has none."""
    url = parse_url(text)
    host = url.host
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        found = list(dict.fromkeys(resolver(host, port)))
    except OSError as exc:
        raise TargetRefused(f"{host} cannot be resolved: {exc}") from None
    if not found:
        raise TargetRefused(f"{host} has no address")
    if not allow_private:
        for address in found:
            if not is_public(address):
                raise TargetRefused(
                    f"{host} is {address}, not a public address "
                    "(CDNEXPORT_WEBHOOK_ALLOW_PRIVATE=true allows it)"
                )
    return Target(url, tuple(found))
