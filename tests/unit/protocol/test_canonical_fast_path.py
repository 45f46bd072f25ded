"""The short cut for queries already in canonical form gives exactly what the general path gives.

``parse_params`` marks such a query on the ``Params`` it returns; ``v1_string_to_sign`` given a
plain ``dict`` of the same parameters takes the general path (decode, encode, sort). Both are
checked against each other and against a reference built from ``urllib`` alone.
"""

from __future__ import annotations

import base64
import hmac
import random
import uuid
from collections.abc import Callable, Iterator
from urllib.parse import parse_qsl, quote, quote_plus, urlencode

import pytest

from cdnexport import errors
from cdnexport.protocol.request import (
    Params,
    RpcRequest,
    form_pairs,
    has_form_body,
    parse_params,
)
from cdnexport.protocol.signature import (
    extract,
    sign_v1,
    v1_string_to_sign,
    verify,
)
from tests.unit.protocol.captures import SECRET, VECTORS, Captured, load_folder

FORM = "application/x-www-form-urlencoded"
UNRESERVED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"

# Names that are prefixes of one another, followed by characters sorting below and above "=".
NAMES = ["A", "A-", "A.", "A0", "A9", "A_", "A~", "AB", "Ab", "a", "Z", "_", "~", "-", "0"]
NAMES += ["Signature", "SignatureMethod", "Signature-", "Signature.1", "Signature0", "Timestamp"]
# Raw value pieces in canonical form: unreserved text and upper-case escapes of ASCII bytes
# that encoding escapes, "%26" (an "&") among them.
CANONICAL = ["a", "Z", "0", "-", "_", ".", "~", "%3A", "%2B", "%2F", "%3D", "%20", "%25", "%26"]
CANONICAL += ["%00", "%0A", "%1F", "%21", "%40", "%5B", "%5E", "%60", "%7B", "%7D", "%7F", "%2C"]
# Raw pieces out of canonical form: escapes of unreserved or non-ASCII bytes, lower-case hex,
# broken escapes, "+", characters that should have been escaped.
UNUSUAL = ["%41", "%7E", "%2D", "%5F", "%2b", "%3a", "%E4%B8%AD", "%C3%A9", "%FF", "%", "%2"]
UNUSUAL += ["%ZZ", "+", " ", "=", "é", "中", "/", ":", "*", "!", "&", "&&", ";"]
ODD_NAMES = ["", "A%2D", "%41", "A%3D", "A+B", "A B", "é", "%C3%A9"]


def _value(rnd: random.Random, unusual: bool) -> str:
    pieces = CANONICAL + UNUSUAL if unusual else CANONICAL
    return "".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 6)))


def _part(rnd: random.Random, unusual: bool) -> str:
    value = _value(rnd, unusual)
    if not unusual or rnd.random() < 0.85:
        return f"{rnd.choice(NAMES)}={value}"
    # An odd name, a name without "=", or an empty part.
    return rnd.choice([f"{rnd.choice(ODD_NAMES)}={value}", rnd.choice(NAMES), ""])


def _queries(seed: int, count: int, unusual: bool) -> Iterator[str]:
    rnd = random.Random(seed)
    for _ in range(count):
        yield "&".join(_part(rnd, unusual) for _ in range(rnd.randint(0, 8)))


def _reference_params(raw_query: str, body: str = "") -> dict[str, str]:
    pairs = parse_qsl(raw_query, keep_blank_values=True, errors="replace")
    pairs += parse_qsl(body, keep_blank_values=True, errors="replace")
    return dict(pairs)


def _reference_string_to_sign(method: str, params: dict[str, str]) -> str:
    signed = sorted((k, v) for k, v in params.items() if k != "Signature")
    canonical = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in signed)
    return f"{method}&%2F&{quote(canonical, safe='')}"


def _takes_short_cut(params: dict[str, str]) -> bool:
    return isinstance(params, Params) and params.canonical_query() is not None


def _check_query(method: str, raw_query: str, body: str = "") -> bool:
    """Both paths agree with each other and with urllib; whether the short cut was taken."""
    headers = {"content-type": FORM} if body else {}
    params = parse_params(RpcRequest(method, "/", raw_query, headers, body.encode()))
    expected = _reference_params(raw_query, body)
    assert params == expected, raw_query
    assert list(params.items()) == list(expected.items()), raw_query
    fast = v1_string_to_sign(method, params)
    assert fast == v1_string_to_sign(method, dict(params)), raw_query
    assert fast == _reference_string_to_sign(method, expected), raw_query
    return _takes_short_cut(params)


@pytest.mark.parametrize(
    ("unusual", "least_taken"), [(False, 1000), (True, 100)], ids=["canonical", "anything"]
)
def test_generated_queries_agree_on_both_paths(unusual: bool, least_taken: int) -> None:
    taken = 0
    for index, raw_query in enumerate(_queries(11 + unusual, 4000, unusual)):
        taken += _check_query("GET" if index % 2 else "POST", raw_query)
    # Enough of both kinds were generated for the comparison to mean something.
    assert least_taken < taken < 3500


def test_generated_queries_with_a_form_body_never_take_the_short_cut() -> None:
    rnd = random.Random(12)
    queries = _queries(13, 500, unusual=False)
    for raw_query in queries:
        body = "&".join(_part(rnd, unusual=False) for _ in range(rnd.randint(1, 3)))
        assert not _check_query("POST", raw_query, body)


def test_every_two_digit_escape_agrees_on_both_paths() -> None:
    taken = set()
    for code in range(256):
        for escape in {f"%{code:02X}", f"%{code:02x}"}:
            if _check_query("GET", f"Name=a{escape}b&Other={escape}"):
                taken.add(escape)
    expected = {
        f"%{code:02X}" for code in range(0x80) if chr(code) not in UNRESERVED and code != 0x26
    }
    assert taken == expected


@pytest.mark.parametrize(
    "raw_query",
    [
        "",
        "A",
        "A=",
        "=1",
        "A=1&",
        "&A=1",
        "A=1&&B=2",
        "A=1&A=2",
        "A=1&B=2&A=1",
        "A=1=2",
        "A%41=1",
        "A=%",
        "A=%4",
        "A=%41",
        "A=%3a",
        "A=x+y",
        "A=%26",
        "A=%25",
        "A=%2525",
        "A=%C3%A9",
        "A=é",
        "Signature=&A=1",
        "Signature=x",
        "A=1&Signature=x&Signature=y",
    ],
)
def test_edge_queries_agree_on_both_paths(raw_query: str) -> None:
    _check_query("GET", raw_query)


def _captures() -> list[Captured]:
    # The repository's copies of the shared captures (test_captures checks they are faithful).
    return [block for blocks in load_folder(VECTORS, "*.txt").values() for block in blocks]


def test_every_captured_request_agrees_on_both_paths() -> None:
    captures = _captures()
    taken = 0
    for captured in captures:
        req = captured.request
        params = parse_params(req)
        general = dict(form_pairs(req.raw_query))
        if req.body and has_form_body(req):
            general.update(form_pairs(req.body.decode()))
        assert params == general, captured.source
        string_to_sign = v1_string_to_sign(req.method, params)
        assert string_to_sign == v1_string_to_sign(req.method, general), captured.source
        if captured.v1_string_to_sign is not None:
            assert string_to_sign == captured.v1_string_to_sign, captured.source
            verify(req, params, extract(req, params), SECRET)
            taken += _takes_short_cut(params)
    assert len(captures) == 40
    assert taken >= 10  # most V1 captures are in canonical form


MUTATIONS: list[Callable[[dict[str, str]], object]] = [
    lambda p: p.__setitem__("Format", "XML"),
    lambda p: p.__setitem__("Zz", "new"),
    lambda p: p.__delitem__("Format"),
    lambda p: p.update(Format="XML"),
    lambda p: p.setdefault("Zz", "new"),
    lambda p: p.pop("Format"),
    lambda p: p.popitem(),
    lambda p: p.clear(),
    lambda p: p.__ior__({"Format": "XML"}),
]


@pytest.mark.parametrize("mutate", MUTATIONS)
def test_parameters_changed_after_parsing_are_signed_as_changed(
    mutate: Callable[[dict[str, str]], object],
) -> None:
    req = _signed_request({"Format": "JSON"})
    params = parse_params(req)
    assert _takes_short_cut(params)
    mutate(params)
    assert not _takes_short_cut(params)
    assert v1_string_to_sign("GET", params) == _reference_string_to_sign("GET", dict(params))


def test_a_change_undone_takes_the_short_cut_again() -> None:
    params = parse_params(_signed_request({"Format": "JSON"}))
    params["Format"] = "XML"
    params["Format"] = "JSON"
    assert _takes_short_cut(params)
    assert v1_string_to_sign("GET", params) == v1_string_to_sign("GET", dict(params))


V1_FIELDS = {
    "Action": "DescribeUserUsageDetailDataExportTask",
    "Version": "2018-05-10",
    "AccessKeyId": "LTAIbench0000000001",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureVersion": "1.0",
    "Timestamp": "2026-11-27T15:40:23Z",
    "SignatureNonce": "",
    "Signature": "",
}


def _signed_request(
    extra: dict[str, str], secret: str = SECRET, quote_via: Callable[..., str] = quote
) -> RpcRequest:
    params = {**V1_FIELDS, "SignatureNonce": uuid.uuid4().hex, **extra}
    del params["Signature"]
    sts = _reference_string_to_sign("GET", params)
    mac = hmac.digest(f"{secret}&".encode(), sts.encode(), "sha1")
    params["Signature"] = base64.b64encode(mac).decode()
    raw_query = urlencode(params, quote_via=quote_via, safe="~")
    return RpcRequest("GET", "/", raw_query, {"host": "cdn.example.test"}, b"")


@pytest.mark.parametrize("quote_via", [quote, quote_plus], ids=["percent-20", "plus"])
def test_generated_signed_requests_verify_and_fail_alike(quote_via: Callable[..., str]) -> None:
    rnd = random.Random(14)
    taken = 0
    for _ in range(300):
        # Any text as values: urlencode escapes whatever needs it.
        names = [name for name in NAMES if name not in V1_FIELDS]
        extra = {rnd.choice(names): _value(rnd, unusual=True) for _ in range(rnd.randint(0, 4))}
        req = _signed_request(extra, quote_via=quote_via)
        params = parse_params(req)
        taken += _takes_short_cut(params)
        verify(req, params, extract(req, params), SECRET)
        failures = []
        for given in (params, dict(params)):
            with pytest.raises(errors.SignatureDoesNotMatch) as caught:
                verify(req, given, extract(req, given), "otherSecret")
            failures.append(caught.value.message)
        assert failures[0] == failures[1]
        expected_sts = _reference_string_to_sign("GET", dict(params))
        assert failures[0].split("is:", 1)[1] == expected_sts
    assert taken > 50


@pytest.mark.parametrize("length", [*range(0, 70), 100, 128, 200])
def test_sign_v1_is_hmac_sha1_for_any_secret_length(length: int) -> None:
    rnd = random.Random(length)
    secret = "".join(rnd.choice(UNRESERVED + "é中&=") for _ in range(length))
    params = {"Action": "X", "Timestamp": "2026-11-27T15:40:23Z", "Name": "é 中+&=" * length}
    sts = _reference_string_to_sign("POST", params)
    mac = hmac.digest(f"{secret}&".encode(), sts.encode(), "sha1")
    assert sign_v1("POST", params, secret) == base64.b64encode(mac).decode()
