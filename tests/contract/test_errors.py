"""Error codes and HTTP statuses as each SDK surfaces them (the edge tests cover every rule)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.contract.dataset import DAY, iso
from tests.contract.deployment import Deployment
from tests.contract.sdk import ApiError, CdnClient

pytestmark = pytest.mark.contract

Params = Callable[[Deployment], dict[str, str]]


def window(days_back: int = 3, span_days: int = 1) -> Params:
    """StartTime ``days_back`` days before the end of the data window, ``span_days`` long."""

    def build(d: Deployment) -> dict[str, str]:
        start = d.dataset.end - days_back * DAY
        return {"StartTime": iso(start), "EndTime": iso(start + span_days * DAY)}

    return build


def flow(times: Params | None = None, **extra: str) -> Params:
    span = times or window()
    return lambda d: {"Type": "flow", **span(d), **extra}


CREATE_ERRORS: list[tuple[str, int, Params]] = [
    ("MissingType", 400, lambda d: {}),
    ("InvalidParameter", 400, lambda d: {"Type": "bandwidth", **window()(d)}),
    ("MissingTimeParameter", 400, lambda d: {"Type": "flow"}),
    ("InvalidStartTime.Malformed", 400, flow(StartTime="2026-05-01")),
    ("InvalidTimeRange", 400, flow(window(days_back=40, span_days=32))),
    ("InvalidStartTime.ValueNotSupported", 400, flow(window(days_back=400))),
    ("IllegalOperation", 403, lambda d: flow(DomainNames=d.bob_domain)(d)),
]


@pytest.mark.parametrize(
    ("code", "status", "params"), CREATE_ERRORS, ids=[c[0] for c in CREATE_ERRORS]
)
def test_create_rejects_bad_input(
    alice: CdnClient, deployment: Deployment, code: str, status: int, params: Params
) -> None:
    with pytest.raises(ApiError) as caught:
        alice.create(params(deployment))
    assert (caught.value.code, caught.value.http_status) == (code, status)


def test_page_size_over_50_is_refused(alice: CdnClient) -> None:
    with pytest.raises(ApiError) as caught:
        alice.describe(page_size=51)
    assert (caught.value.code, caught.value.http_status) == (
        "InvalidPageSize.ValueNotSupported",
        400,
    )


def test_unknown_access_key(connect: Callable[[str, str], CdnClient]) -> None:
    with pytest.raises(ApiError) as caught:
        connect("LTAIcontractNobody", "secret").describe()
    assert (caught.value.code, caught.value.http_status) == ("InvalidAccessKeyId.NotFound", 404)


def test_wrong_secret(connect: Callable[[str, str], CdnClient], deployment: Deployment) -> None:
    client = connect(deployment.alice.access_key_id, "not-the-secret")
    with pytest.raises(ApiError) as caught:
        client.describe()
    error = caught.value
    if client.mode == "legacy":
        # The legacy SDK compares the server's string-to-sign (after the ':' in the message) with
        # its own, and on a match at HTTP 400 reports the secret as wrong: so the server signs the
        # very same string as the SDK.
        assert (error.code, error.http_status) == ("InvalidAccessKeySecret", 400)
        return
    assert (error.code, error.http_status) == ("SignatureDoesNotMatch", 400)
    expected = "ACS3-HMAC-SHA256" if client.mode == "tea-v3" else "POST&%2F&"
    assert f"server string to sign is:{expected}" in error.message
