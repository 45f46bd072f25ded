"""Every request the official SDKs sent in the captures must verify, byte for byte."""

from __future__ import annotations

import dataclasses

import pytest

from cdnexport import errors
from cdnexport.protocol.request import parse_params
from cdnexport.protocol.signature import (
    extract,
    v1_string_to_sign,
    v3_canonical_request,
    v3_string_to_sign,
    verify,
)
from tests.unit.protocol.captures import (
    ACCESS_KEY_ID,
    SECRET,
    Captured,
    load_vectors,
)

VECTORS = load_vectors()
V1 = [c for c in VECTORS if c.v1_string_to_sign is not None]
V3 = [c for c in VECTORS if c.v3_string_to_sign is not None]


def _ids(blocks: list[Captured]) -> list[str]:
    return [c.source for c in blocks]


def test_vector_counts_match_the_capture_readme() -> None:
    assert len(VECTORS) == 40
    assert len(V1) == 20
    assert len(V3) == 20
    assert not [
        c for c in VECTORS if (c.v1_string_to_sign is None) == (c.v3_string_to_sign is None)
    ]


@pytest.mark.parametrize("captured", V1, ids=_ids(V1))
def test_v1_capture_verifies(captured: Captured) -> None:
    req = captured.request
    params = parse_params(req)
    info = extract(req, params)
    assert info.version == "v1"
    assert info.access_key_id == ACCESS_KEY_ID
    assert info.action == params["Action"]
    assert info.api_version == "2018-05-10"
    assert v1_string_to_sign(req.method, params) == captured.v1_string_to_sign
    verify(req, params, info, SECRET)


@pytest.mark.parametrize("captured", V3, ids=_ids(V3))
def test_v3_capture_verifies(captured: Captured) -> None:
    req = captured.request
    params = parse_params(req)
    info = extract(req, params)
    assert info.version == "v3"
    assert info.access_key_id == ACCESS_KEY_ID
    assert info.action == req.headers["x-acs-action"]
    assert info.api_version == "2018-05-10"
    assert info.nonce == req.headers["x-acs-signature-nonce"]
    assert info.timestamp == req.headers["x-acs-date"]
    signed = req.headers["authorization"].split("SignedHeaders=")[1].split(",")[0].split(";")
    canonical = v3_canonical_request(
        req.method,
        req.path,
        req.raw_query,
        req.headers,
        signed,
        req.headers["x-acs-content-sha256"],
    )
    assert canonical == captured.v3_canonical_request
    assert v3_string_to_sign(canonical) == captured.v3_string_to_sign
    verify(req, params, info, SECRET)


@pytest.mark.parametrize("captured", V1, ids=_ids(V1))
def test_v1_capture_with_a_forged_signature_reports_the_string_to_sign(
    captured: Captured,
) -> None:
    req = captured.request
    params = parse_params(req) | {"Signature": "AAAAAAAAAAAAAAAAAAAAAAAAAAA="}
    info = extract(req, params)
    with pytest.raises(errors.SignatureDoesNotMatch) as caught:
        verify(req, params, info, SECRET)
    assert caught.value.message.split("is:", 1)[1] == captured.v1_string_to_sign
    assert caught.value.http_status == 400


@pytest.mark.parametrize("captured", V3, ids=_ids(V3))
def test_v3_capture_with_a_forged_signature_reports_the_string_to_sign(
    captured: Captured,
) -> None:
    auth = captured.request.headers["authorization"]
    forged = auth[: -len("0000")] + ("0000" if not auth.endswith("0000") else "1111")
    req = dataclasses.replace(
        captured.request, headers={**captured.request.headers, "authorization": forged}
    )
    params = parse_params(req)
    with pytest.raises(errors.SignatureDoesNotMatch) as caught:
        verify(req, params, extract(req, params), SECRET)
    assert caught.value.message.split("is:", 1)[1] == captured.v3_string_to_sign


@pytest.mark.parametrize("captured", VECTORS, ids=_ids(VECTORS))
def test_capture_fails_with_another_secret(captured: Captured) -> None:
    params = parse_params(captured.request)
    info = extract(captured.request, params)
    with pytest.raises(errors.SignatureDoesNotMatch):
        verify(captured.request, params, info, "otherSecret")
