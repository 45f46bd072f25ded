"""Which webhook URLs are called, and at which address."""

from __future__ import annotations

import re
from collections.abc import Sequence

import pytest

from cdnexport.webhooks.targets import Resolver, TargetRefused, is_public, parse_url, resolve


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",  # noqa: S104
        "224.0.0.1",
        "::1",
        "fe80::1%eth0",
        "fc00::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
    ],
)
def test_non_public_addresses(address: str) -> None:
    assert not is_public(address)


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses(address: str) -> None:
    assert is_public(address)


def answers(*addresses: str) -> Resolver:
    def resolver(host: str, port: int) -> Sequence[str]:
        return addresses

    return resolver


def test_a_name_with_any_private_address_is_refused() -> None:
    with pytest.raises(TargetRefused, match=re.escape("10.0.0.7, not a public address")):
        resolve("https://hooks.example.com/x", False, answers("93.184.216.34", "10.0.0.7"))


def test_private_addresses_are_allowed_when_the_deployment_says_so() -> None:
    target = resolve("http://localhost:8080/x", True, answers("127.0.0.1", "127.0.0.1"))
    assert target.addresses == ("127.0.0.1",)
    assert target.url.port == 8080


def test_public_name_resolves_to_its_addresses() -> None:
    target = resolve("https://hooks.example.com/x", False, answers("93.184.216.34"))
    assert target.addresses == ("93.184.216.34",)


def test_unresolvable_names_are_refused() -> None:
    def fails(host: str, port: int) -> Sequence[str]:
        raise OSError("Name or service not known")

    with pytest.raises(TargetRefused, match="cannot be resolved"):
        resolve("https://nowhere.invalid/x", False, fails)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/x",
        "file:///etc/passwd",
        "https://user:pw@example.com/x",
        "https:///x",
        "https://example.com/x#frag",
        "https://example.com/" + "x" * 2100,
        "not a url",
    ],
)
def test_malformed_urls_are_refused(url: str) -> None:
    with pytest.raises(TargetRefused):
        parse_url(url)
