"""Reading parameters from the query string and form bodies."""

from __future__ import annotations

import pytest

from cdnexport import errors
from cdnexport.protocol.request import RpcRequest, parse_params

FORM = "application/x-www-form-urlencoded"


def _request(raw_query: str = "", body: bytes = b"", content_type: str | None = None) -> RpcRequest:
    headers = {"host": "cdn.example.test"}
    if content_type is not None:
        headers["content-type"] = content_type
    return RpcRequest("POST", "/", raw_query, headers, body)


def test_query_parameters_are_decoded() -> None:
    params = parse_params(_request("A=1&DomainNames=example.com%2Cexample.org&T=%E6%B5%8B"))
    assert params == {"A": "1", "DomainNames": "example.com,example.org", "T": "测"}


@pytest.mark.parametrize("raw", ["a+b", "a%20b"])
def test_plus_and_percent_20_both_mean_space(raw: str) -> None:
    assert parse_params(_request(f"TaskName={raw}")) == {"TaskName": "a b"}


def test_encoded_plus_stays_a_plus() -> None:
    assert parse_params(_request("Signature=ab%2Bc%3D"))["Signature"] == "ab+c="


def test_blank_values_are_kept() -> None:
    assert parse_params(_request("SignatureType=&Empty&A=1")) == {
        "SignatureType": "",
        "Empty": "",
        "A": "1",
    }


def test_form_body_is_merged() -> None:
    req = _request("Action=X", b"PageSize=5&TaskName=a+b%20c", FORM)
    assert parse_params(req) == {"Action": "X", "PageSize": "5", "TaskName": "a b c"}


def test_form_content_type_with_charset_and_case_is_recognised() -> None:
    req = _request("", b"PageSize=5", "Application/X-WWW-Form-Urlencoded; charset=UTF-8")
    assert parse_params(req) == {"PageSize": "5"}


@pytest.mark.parametrize("content_type", [None, "application/json", "text/plain"])
def test_other_bodies_are_not_parameters(content_type: str | None) -> None:
    req = _request("A=1", b"PageSize=5", content_type)
    assert parse_params(req) == {"A": "1"}


@pytest.mark.parametrize(
    ("query", "body"),
    [("PageSize=1&A=q", b"PageSize=2"), ("A=1&A=2", b""), ("A=1", b"A=1"), ("", b"B=&B=")],
)
def test_a_parameter_given_twice_is_refused(query: str, body: bytes) -> None:
    with pytest.raises(errors.InvalidParameter, match="more than once"):
        parse_params(_request(query, body, FORM))


@pytest.mark.parametrize("raw", ["TaskName=a%00b", "Group=%00", "A%00=1"])
def test_a_nul_character_is_refused(raw: str) -> None:
    with pytest.raises(errors.InvalidParameter, match="NUL"):
        parse_params(_request(raw))


def test_a_long_name_is_cut_short_in_the_error() -> None:
    name = "N" * 5000
    with pytest.raises(errors.InvalidParameter) as raised:
        parse_params(_request(f"{name}=1&{name}=2"))
    assert len(raised.value.message) < 200


def test_malformed_escapes_are_kept_as_they_are() -> None:
    req = _request("Bad=%ZZ&Bytes=%FF&=v&&x=%", b"\xff\xfe=1", FORM)
    params = parse_params(req)
    assert params["Bad"] == "%ZZ"
    assert params["Bytes"] == "\ufffd"
    assert params["x"] == "%"


def test_empty_request_has_no_parameters() -> None:
    assert parse_params(_request()) == {}
