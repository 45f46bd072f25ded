"""Signature extraction, verification and signing beyond the plain captured requests."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import random
from collections.abc import Callable, Mapping
from urllib.parse import urlencode

import pytest

from cdnexport import errors
from cdnexport.protocol.request import RpcRequest, parse_params
from cdnexport.protocol.signature import (
    SignedInfo,
    _v1_signature,
    extract,
    sign_v1,
    sign_v3,
    signature_version,
    v1_string_to_sign,
    verify,
)
from tests.unit.protocol.captures import ACCESS_KEY_ID, SECRET, Captured, load_vectors

VECTORS = load_vectors()
FORM = "application/x-www-form-urlencoded"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def _one(match: Callable[[Captured], bool]) -> Captured:
    found = [c for c in VECTORS if match(c)]
    assert found, "no captured request matches"
    return found[0]


def _is_v1(c: Captured) -> bool:
    return c.v1_string_to_sign is not None


def _check(req: RpcRequest, secret: str = SECRET) -> SignedInfo:
    params = parse_params(req)
    info = extract(req, params)
    verify(req, params, info, secret)
    return info


def _with_headers(req: RpcRequest, **changes: str | None) -> RpcRequest:
    headers = dict(req.headers)
    for name, value in changes.items():
        key = name.replace("_", "-")
        if value is None:
            headers.pop(key, None)
        else:
            headers[key] = value
    return dataclasses.replace(req, headers=headers)


LEGACY_FORM = _one(lambda c: _is_v1(c) and c.request.headers.get("content-md5") is not None)
TEA_V1_FORM = _one(
    lambda c: _is_v1(c) and bool(c.request.body) and "content-md5" not in c.request.headers
)
TEA_V3_FORM = _one(lambda c: not _is_v1(c) and bool(c.request.body))
LEGACY_GET = _one(lambda c: _is_v1(c) and c.request.method == "GET")
TEA_V3_GET = _one(lambda c: not _is_v1(c) and c.request.method == "GET")
LEGACY_BLANK = _one(lambda c: "SignatureType=&" in c.request.raw_query)
TEA_V1_PLUS = _one(lambda c: _is_v1(c) and "+task" in c.request.raw_query)
TEA_V3_PLUS = _one(lambda c: not _is_v1(c) and "+task" in c.request.raw_query)
LEGACY_PAGED = _one(lambda c: "PageSize=10&" in c.request.raw_query and _is_v1(c))


# --- form bodies -----------------------------------------------------------------------------


@pytest.mark.parametrize("captured", [LEGACY_FORM, TEA_V1_FORM], ids=["legacy", "tea"])
def test_v1_signs_form_body_parameters(captured: Captured) -> None:
    assert captured.request.headers["content-type"] == FORM
    body_names = [pair.split("=")[0] for pair in captured.request.body.decode().split("&")]
    for name in body_names:
        assert f"%26{name}%3D" in (captured.v1_string_to_sign or "")
    _check(captured.request)
    as_plain_text = _with_headers(captured.request, content_type="text/plain")
    with pytest.raises(errors.SignatureDoesNotMatch):
        _check(as_plain_text)


def test_v1_form_body_value_change_is_caught() -> None:
    req = dataclasses.replace(TEA_V1_FORM.request, body=b"PageNumber=3&PageSize=5")
    with pytest.raises(errors.SignatureDoesNotMatch) as caught:
        _check(req)
    assert "PageNumber%3D3" in caught.value.message


def test_v3_form_body_is_hashed_not_put_in_the_canonical_query() -> None:
    assert TEA_V3_FORM.request.raw_query == ""
    assert (TEA_V3_FORM.v3_canonical_request or "").startswith("POST\n/\n\n")
    params = parse_params(TEA_V3_FORM.request)
    assert params == {"PageNumber": "2", "PageSize": "5"}
    _check(TEA_V3_FORM.request)


def test_v3_body_not_matching_its_declared_hash_is_incomplete() -> None:
    req = dataclasses.replace(TEA_V3_FORM.request, body=b"PageNumber=3&PageSize=5")
    with pytest.raises(errors.IncompleteSignature, match="x-acs-content-sha256"):
        _check(req)


def test_v3_changed_body_with_a_fresh_hash_fails_the_signature() -> None:
    body = b"PageNumber=3&PageSize=5"
    req = _with_headers(
        dataclasses.replace(TEA_V3_FORM.request, body=body),
        x_acs_content_sha256=hashlib.sha256(body).hexdigest(),
    )
    with pytest.raises(errors.SignatureDoesNotMatch):
        _check(req)


# --- methods, spaces, blank values -----------------------------------------------------------


def test_v1_get_capture_is_signed_with_its_method() -> None:
    assert (LEGACY_GET.v1_string_to_sign or "").startswith("GET&%2F&")
    as_post = dataclasses.replace(LEGACY_GET.request, method="POST")
    with pytest.raises(errors.SignatureDoesNotMatch) as caught:
        _check(as_post)
    assert caught.value.message.split("is:", 1)[1].startswith("POST&%2F&")


def test_v3_get_capture_is_signed_with_its_method() -> None:
    _check(TEA_V3_GET.request)
    with pytest.raises(errors.SignatureDoesNotMatch):
        _check(dataclasses.replace(TEA_V3_GET.request, method="POST"))


@pytest.mark.parametrize("captured", [TEA_V1_PLUS, TEA_V3_PLUS], ids=["v1", "v3"])
def test_plus_and_percent_20_canonicalise_alike(captured: Captured) -> None:
    raw = captured.request.raw_query.replace("+", "%20")
    assert raw != captured.request.raw_query
    _check(dataclasses.replace(captured.request, raw_query=raw))


def test_legacy_percent_20_capture_verifies() -> None:
    legacy = _one(lambda c: "%20task" in c.request.raw_query)
    _check(legacy.request)


def test_blank_values_are_signed() -> None:
    assert "SignatureType%3D%26" in (LEGACY_BLANK.v1_string_to_sign or "")
    raw = LEGACY_BLANK.request.raw_query.replace("SignatureType=&", "")
    with pytest.raises(errors.SignatureDoesNotMatch):
        _check(dataclasses.replace(LEGACY_BLANK.request, raw_query=raw))


def test_tampered_parameter_reports_the_server_string_to_sign() -> None:
    raw = LEGACY_PAGED.request.raw_query.replace("PageSize=10&", "PageSize=11&")
    req = dataclasses.replace(LEGACY_PAGED.request, raw_query=raw)
    params = parse_params(req)
    with pytest.raises(errors.SignatureDoesNotMatch) as caught:
        verify(req, params, extract(req, params), SECRET)
    server_sts = caught.value.message.split("is:", 1)[1]
    assert server_sts == v1_string_to_sign("POST", params)
    assert server_sts == (LEGACY_PAGED.v1_string_to_sign or "").replace(
        "PageSize%3D10", "PageSize%3D11"
    )


# --- extract() errors ------------------------------------------------------------------------

V1_PARAMS = {
    "Action": "DescribeUserUsageDetailDataExportTask",
    "Version": "2018-05-10",
    "AccessKeyId": ACCESS_KEY_ID,
    "Signature": "c2lnbmF0dXJl",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureVersion": "1.0",
    "SignatureNonce": "n-1",
    "Timestamp": "2024-05-01T00:00:00Z",
}


def _v1_request() -> RpcRequest:
    return RpcRequest("POST", "/", "", {"host": "cdn.example.test"}, b"")


def test_extract_v1_reads_the_parameters() -> None:
    info = extract(_v1_request(), V1_PARAMS)
    assert info == SignedInfo(
        "v1", ACCESS_KEY_ID, "n-1", "2024-05-01T00:00:00Z", V1_PARAMS["Action"], "2018-05-10"
    )


@pytest.mark.parametrize(
    ("name", "value", "error", "code"),
    [
        ("Action", None, errors.MissingParameter, "MissingAction"),
        ("Action", "", errors.MissingParameter, "MissingAction"),
        ("Version", None, errors.MissingParameter, "MissingVersion"),
        ("AccessKeyId", None, errors.MissingParameter, "MissingAccessKeyId"),
        ("Timestamp", None, errors.MissingParameter, "MissingTimestamp"),
        ("Signature", None, errors.IncompleteSignature, "IncompleteSignature"),
        ("Signature", "", errors.IncompleteSignature, "IncompleteSignature"),
        ("SignatureNonce", None, errors.IncompleteSignature, "IncompleteSignature"),
        ("SignatureMethod", None, errors.IncompleteSignature, "IncompleteSignature"),
        ("SignatureMethod", "HMAC-SHA256", errors.InvalidSignatureMethod, "InvalidSignatureMethod"),
        ("SignatureVersion", "2.0", errors.IncompleteSignature, "IncompleteSignature"),
        ("SignatureVersion", None, errors.IncompleteSignature, "IncompleteSignature"),
    ],
)
def test_extract_v1_errors(
    name: str, value: str | None, error: type[errors.ServiceError], code: str
) -> None:
    params = {k: v for k, v in V1_PARAMS.items() if k != name}
    if value is not None:
        params[name] = value
    with pytest.raises(error) as caught:
        extract(_v1_request(), params)
    assert caught.value.code == code


def test_extract_checks_action_before_anything_else() -> None:
    with pytest.raises(errors.MissingParameter) as caught:
        extract(_v1_request(), {})
    assert caught.value.code == "MissingAction"


@pytest.mark.parametrize("method", ["hmac-sha1", "Hmac-SHA1"])
def test_v1_signature_method_is_case_insensitive(method: str) -> None:
    params = {**V1_PARAMS, "SignatureMethod": method}
    params["Signature"] = sign_v1("POST", params, SECRET)
    req = RpcRequest("POST", "/", urlencode(params), {}, b"")
    assert _check(req).version == "v1"


V3_HEADERS = {
    "host": "cdn.example.test",
    "x-acs-action": "DescribeUserUsageDetailDataExportTask",
    "x-acs-version": "2018-05-10",
    "x-acs-date": "2024-05-01T00:00:00Z",
    "x-acs-signature-nonce": "n-3",
    "x-acs-content-sha256": EMPTY_SHA256,
    "authorization": "ACS3-HMAC-SHA256 Credential=k,SignedHeaders=host;x-acs-action,Signature=ab",
}


def _v3_request(**changes: str | None) -> RpcRequest:
    return _with_headers(RpcRequest("POST", "/", "", V3_HEADERS, b""), **changes)


def test_extract_v3_reads_the_headers() -> None:
    info = extract(_v3_request(), {"Action": "Ignored", "Version": "ignored"})
    assert info == SignedInfo(
        "v3", "k", "n-3", "2024-05-01T00:00:00Z", V3_HEADERS["x-acs-action"], "2018-05-10"
    )


@pytest.mark.parametrize(
    ("changes", "error", "code"),
    [
        ({"x_acs_action": None}, errors.MissingParameter, "MissingAction"),
        ({"x_acs_version": None}, errors.MissingParameter, "MissingVersion"),
        ({"x_acs_signature_nonce": None}, errors.IncompleteSignature, "IncompleteSignature"),
        ({"x_acs_date": ""}, errors.IncompleteSignature, "IncompleteSignature"),
        (
            {"authorization": "ACS3-HMAC-SHA256 SignedHeaders=host,Signature=ab"},
            errors.MissingParameter,
            "MissingAccessKeyId",
        ),
        (
            {"authorization": "ACS3-HMAC-SHA256 Credential=,SignedHeaders=host,Signature=ab"},
            errors.MissingParameter,
            "MissingAccessKeyId",
        ),
        ({"authorization": "ACS3-HMAC-SHA256"}, errors.IncompleteSignature, "IncompleteSignature"),
        (
            {"authorization": "ACS3-HMAC-SHA256 Credential=k;SignedHeaders=host;Signature=ab"},
            errors.IncompleteSignature,
            "IncompleteSignature",
        ),
        (
            {"authorization": "ACS3-HMAC-SHA256 Credential=k,garbage,Signature=ab"},
            errors.IncompleteSignature,
            "IncompleteSignature",
        ),
        (
            {"authorization": "ACS3-HMAC-SHA256 Credential=k,SignedHeaders=host"},
            errors.IncompleteSignature,
            "IncompleteSignature",
        ),
        (
            {"authorization": "ACS3-HMAC-SHA256 Credential=k,SignedHeaders=host;;a,Signature=ab"},
            errors.IncompleteSignature,
            "IncompleteSignature",
        ),
        (
            {"authorization": "ACS3-HMAC-SM3 Credential=k,SignedHeaders=host,Signature=ab"},
            errors.InvalidSignatureMethod,
            "InvalidSignatureMethod",
        ),
        (
            {"authorization": "ACS3-RSA-SHA256 Credential=k,SignedHeaders=host,Signature=ab"},
            errors.InvalidSignatureMethod,
            "InvalidSignatureMethod",
        ),
    ],
)
def test_extract_v3_errors(
    changes: Mapping[str, str | None], error: type[errors.ServiceError], code: str
) -> None:
    req = _v3_request(**changes)
    with pytest.raises(error) as caught:
        extract(req, parse_params(req))
    assert caught.value.code == code


def test_non_acs3_authorization_means_v1() -> None:
    req = _v3_request(authorization="Bearer token")
    assert signature_version(req.headers) == "v1"
    assert extract(req, V1_PARAMS).version == "v1"
    assert signature_version(V3_HEADERS) == "v3"


# --- V3 structural checks in verify() --------------------------------------------------------


def _signed_v3(signed: list[str], **changes: str | None) -> RpcRequest:
    headers = {k: v for k, v in V3_HEADERS.items() if k != "authorization"}
    auth = sign_v3("POST", "A=1", headers, b"", SECRET, ACCESS_KEY_ID, signed)
    req = RpcRequest("POST", "/", "A=1", {**headers, "authorization": auth}, b"")
    return _with_headers(req, **changes)


def test_v3_explicit_signed_headers_round_trip() -> None:
    required = ["host", "x-acs-action", "x-acs-version", "x-acs-date", "x-acs-signature-nonce"]
    _check(_signed_v3(required))


@pytest.mark.parametrize(
    "left_out", ["host", "x-acs-action", "x-acs-version", "x-acs-date", "x-acs-signature-nonce"]
)
def test_v3_requires_common_headers_to_be_signed(left_out: str) -> None:
    signed = [h for h in V3_HEADERS if h not in (left_out, "authorization")]
    with pytest.raises(errors.IncompleteSignature, match=left_out):
        _check(_signed_v3(signed))


def test_v3_requires_the_content_hash_header() -> None:
    with pytest.raises(errors.IncompleteSignature, match="x-acs-content-sha256"):
        _check(_signed_v3(list(V3_HEADERS)[:-1], x_acs_content_sha256=None))


def test_v3_unsigned_header_change_is_not_signed_but_signed_one_is() -> None:
    req = _signed_v3(
        ["host", "x-acs-action", "x-acs-version", "x-acs-date", "x-acs-signature-nonce"]
    )
    _check(_with_headers(req, accept="application/xml"))
    with pytest.raises(errors.SignatureDoesNotMatch):
        _check(_with_headers(req, x_acs_date="2024-05-01T00:00:01Z"))


def test_v3_upper_case_hex_signature_is_accepted() -> None:
    req = _signed_v3(list(V3_HEADERS)[:-1])
    auth = req.headers["authorization"]
    head, _, signature = auth.rpartition("Signature=")
    _check(_with_headers(req, authorization=f"{head}Signature={signature.upper()}"))


def test_v3_query_change_is_caught() -> None:
    req = dataclasses.replace(_signed_v3(list(V3_HEADERS)[:-1]), raw_query="A=2")
    with pytest.raises(errors.SignatureDoesNotMatch) as caught:
        _check(req)
    assert caught.value.message.split("is:", 1)[1].startswith("ACS3-HMAC-SHA256\n")


# --- client-side signing ---------------------------------------------------------------------


def _without_auth(headers: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k != "authorization"}


@pytest.mark.parametrize("captured", [c for c in VECTORS if _is_v1(c)], ids=lambda c: c.source)
def test_sign_v1_reproduces_captured_signatures(captured: Captured) -> None:
    params = parse_params(captured.request)
    assert sign_v1(captured.request.method, params, SECRET) == params["Signature"]


@pytest.mark.parametrize("captured", [c for c in VECTORS if not _is_v1(c)], ids=lambda c: c.source)
def test_sign_v3_reproduces_captured_authorization(captured: Captured) -> None:
    req = captured.request
    signed = req.headers["authorization"].split("SignedHeaders=")[1].split(",")[0].split(";")
    auth = sign_v3(
        req.method,
        req.raw_query,
        _without_auth(req.headers),
        req.body,
        SECRET,
        ACCESS_KEY_ID,
        signed,
    )
    assert auth == req.headers["authorization"]


TRICKY = {"TaskName": "测试 task*~ +&=/%", "Type": "flow", "Empty": ""}


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("in_body", [False, True])
def test_sign_v1_round_trip(method: str, in_body: bool) -> None:
    common = {**V1_PARAMS, "SignatureMethod": "HMAC-SHA1"}
    del common["Signature"]
    signature = sign_v1(method, common | TRICKY, SECRET)
    query = urlencode({**common, "Signature": signature} | ({} if in_body else TRICKY))
    body = urlencode(TRICKY).encode() if in_body else b""
    headers = {"content-type": FORM} if in_body else {}
    info = _check(RpcRequest(method, "/", query, headers, body))
    assert info.nonce == "n-1"


@pytest.mark.parametrize("in_body", [False, True])
def test_sign_v3_round_trip(in_body: bool) -> None:
    query = "" if in_body else urlencode(TRICKY)
    body = urlencode(TRICKY).encode() if in_body else b""
    headers = {
        "Host": "cdn.example.test",
        "X-Acs-Action": "CreateUsageDetailDataExportTask",
        "x-acs-version": "2018-05-10",
        "x-acs-date": "2024-05-01T00:00:00Z",
        "x-acs-signature-nonce": "n-4",
        "x-acs-content-sha256": hashlib.sha256(body).hexdigest(),
        "content-type": FORM,
    }
    auth = sign_v3("POST", query, headers, body, SECRET, ACCESS_KEY_ID)
    assert "SignedHeaders=content-type;host;x-acs-action;" in auth
    lowered = {k.lower(): v for k, v in headers.items()} | {"authorization": auth}
    req = RpcRequest("POST", "/", query, lowered, body)
    info = _check(req)
    assert (info.action, info.access_key_id) == ("CreateUsageDetailDataExportTask", ACCESS_KEY_ID)
    assert parse_params(req) == TRICKY


def test_v1_signature_is_rfc_2104_hmac_sha1_for_keys_of_every_length() -> None:
    rng = random.Random(5)
    # Around SHA-1's 64-byte block: keys longer than it are hashed first.
    for length in [*range(0, 80), 127, 128, 200]:
        secret = "".join(rng.choice("abcXYZ019+/=é") for _ in range(length))
        message = "GET&%2F&" + "".join(rng.choice("ab%3D") for _ in range(rng.randrange(400)))
        key = f"{secret}&".encode()
        expected = base64.b64encode(hmac.new(key, message.encode(), hashlib.sha1).digest())
        assert (
            sign_v1("GET", {"Action": "A"}, secret)
            == base64.b64encode(
                hmac.new(key, b"GET&%2F&Action%3DA", hashlib.sha1).digest()
            ).decode()
        )
        assert _v1_signature(message, secret) == expected, length
