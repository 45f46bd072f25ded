"""Alibaba RPC request signatures: V1 (HMAC-SHA1 over the parameters) and V3 (ACS3-HMAC-SHA256).

Hand-written because the official SDKs only sign; nothing maintained verifies on the server side.
The byte-exact rules are pinned by captured SDK requests in the tests; the HMACs are the
standard library's.
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote

from cdnexport import errors
from cdnexport.protocol.request import RpcRequest, form_pairs

V1_METHOD = "HMAC-SHA1"
V1_VERSION = "1.0"
V3_ALGORITHM = "ACS3-HMAC-SHA256"
V3_PREFIX = "ACS3-"
# Without these in SignedHeaders a captured V3 request could be replayed for another action,
# version or moment, or with a fresh nonce.
V3_REQUIRED_SIGNED_HEADERS = (
    "host",
    "x-acs-action",
    "x-acs-version",
    "x-acs-date",
    "x-acs-signature-nonce",
)


# Not frozen: every call builds one, and a frozen dataclass takes several times as long to
# build. Nothing changes it once made.
@dataclass(slots=True)
class SignedInfo:
    """Who signed a request, with which scheme, and the signed nonce, time, action and version."""

    version: Literal["v1", "v3"]
    access_key_id: str
    nonce: str
    timestamp: str
    action: str
    api_version: str


@dataclass(frozen=True)
class _Authorization:
    credential: str
    signed_headers: tuple[str, ...]
    signature: str


_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]*")


def percent_encode(text: str) -> str:
    """RFC 3986 encoding of UTF-8 text: only ``A-Z a-z 0-9 - _ . ~`` stay as they are."""
    # Most names and values (keys, nonces, versions) need no escaping; quote() is slow.
    if _UNRESERVED.fullmatch(text):
        return text
    return quote(text, safe="")


def _encode_canonical(canonical: str) -> str:
    """``percent_encode`` of a canonical query: its names and values are already encoded, so
    only the ``%``, ``=`` and ``&`` between them remain to escape."""
    return canonical.replace("%", "%25").replace("=", "%3D").replace("&", "%26")


def _canonical_pairs(pairs: Sequence[tuple[str, str]]) -> str:
    # Sorted by the decoded name, as the Python and Java SDKs do; for the ASCII names the API
    # uses this is the same order as sorting the encoded names.
    return "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(pairs))


def _required(source: Mapping[str, str], key: str, name: str | None = None) -> str:
    value = source.get(key, "").strip()
    if not value:
        raise errors.MissingParameter(name or key)
    return value


def _signature_field(value: str | None, what: str) -> str:
    stripped = "" if value is None else value.strip()
    if not stripped:
        raise errors.IncompleteSignature(f"{what} is missing.")
    return stripped


def _parse_authorization(value: str) -> _Authorization:
    algorithm, space, rest = value.strip().partition(" ")
    if algorithm != V3_ALGORITHM:
        raise errors.InvalidSignatureMethod()
    if not space:
        raise errors.IncompleteSignature("The Authorization header has no credentials.")
    fields: dict[str, str] = {}
    for part in rest.split(","):
        name, equals, content = part.strip().partition("=")
        if not equals or not name:
            raise errors.IncompleteSignature("The Authorization header is malformed.")
        fields[name] = content.strip()
    credential = fields.get("Credential", "")
    if not credential:
        raise errors.MissingParameter("AccessKeyId")
    signed = tuple(h.strip().lower() for h in fields.get("SignedHeaders", "").split(";"))
    if not all(signed):
        raise errors.IncompleteSignature("SignedHeaders in the Authorization header is malformed.")
    signature = _signature_field(fields.get("Signature"), "Signature in the Authorization header")
    return _Authorization(credential, signed, signature)


def _extract_v1(params: Mapping[str, str]) -> SignedInfo:
    action = _required(params, "Action")
    api_version = _required(params, "Version")
    access_key_id = _required(params, "AccessKeyId")
    method = _signature_field(params.get("SignatureMethod"), "SignatureMethod")
    if method.upper() != V1_METHOD:
        raise errors.InvalidSignatureMethod()
    if params.get("SignatureVersion", "").strip() != V1_VERSION:
        raise errors.IncompleteSignature(f"SignatureVersion must be {V1_VERSION}.")
    _signature_field(params.get("Signature"), "Signature")
    nonce = _signature_field(params.get("SignatureNonce"), "SignatureNonce")
    timestamp = _required(params, "Timestamp")
    return SignedInfo("v1", access_key_id, nonce, timestamp, action, api_version)


def _extract_v3(headers: Mapping[str, str], authorization: str) -> SignedInfo:
    action = _required(headers, "x-acs-action", "Action")
    api_version = _required(headers, "x-acs-version", "Version")
    auth = _parse_authorization(authorization)
    nonce = _signature_field(headers.get("x-acs-signature-nonce"), "x-acs-signature-nonce")
    timestamp = _signature_field(headers.get("x-acs-date"), "x-acs-date")
    return SignedInfo("v3", auth.credential, nonce, timestamp, action, api_version)


def signature_version(headers: Mapping[str, str]) -> Literal["v1", "v3"]:
    """``"v3"`` when ``Authorization`` starts with ``ACS3-``, else ``"v1"``.

    Lets the caller pick an error format before ``extract`` has succeeded.
    """
    return "v3" if headers.get("authorization", "").startswith(V3_PREFIX) else "v1"


def extract(req: RpcRequest, params: Mapping[str, str]) -> SignedInfo:
    """Read the signature fields, choosing V3 when ``Authorization`` starts with ``ACS3-``.

    V1 reads ``Action``/``Version`` from the parameters; V3 reads them from the
    ``x-acs-action``/``x-acs-version`` headers only, since the tea SDK never puts them in the
    query. Raises MissingParameter, IncompleteSignature or InvalidSignatureMethod.
    """
    if signature_version(req.headers) == "v3":
        return _extract_v3(req.headers, req.headers["authorization"])
    return _extract_v1(params)


def v1_string_to_sign(method: str, params: Mapping[str, str]) -> str:
    """``METHOD&%2F&<encoded canonical query>`` over every parameter except ``Signature``."""
    pairs = [(k, v) for k, v in params.items() if k != "Signature"]
    return f"{method}&%2F&{_encode_canonical(_canonical_pairs(pairs))}"


def _v1_signature(string_to_sign: str, secret: str) -> bytes:
    """The base64 HMAC-SHA1 of the string to sign, keyed with ``secret&``, as ASCII bytes."""
    # SHA-1 is what V1 signatures are made with (HMAC-SHA1).
    digest = hmac.digest(f"{secret}&".encode(), string_to_sign.encode(), "sha1")
    return binascii.b2a_base64(digest, newline=False)


def sign_v1(method: str, params: Mapping[str, str], secret: str) -> str:
    """The V1 ``Signature`` value for these parameters (any ``Signature`` among them is ignored)."""
    return _v1_signature(v1_string_to_sign(method, params), secret).decode("ascii")


def v3_canonical_request(
    method: str,
    path: str,
    raw_query: str,
    headers: Mapping[str, str],
    signed_headers: Sequence[str],
    body_sha256: str,
) -> str:
    """The V3 canonical request; the query is re-encoded, the body enters only as its hash.

    ``headers`` must have lower-case names. The headers block ends with a newline before the
    join adds another, which is where the spec's empty line comes from.
    """
    query = _canonical_pairs(form_pairs(raw_query))
    block = "".join(f"{name}:{headers.get(name, '').strip()}\n" for name in signed_headers)
    lines = [method, path or "/", query, block, ";".join(signed_headers), body_sha256]
    return "\n".join(lines)


def v3_string_to_sign(canonical_request: str) -> str:
    """``ACS3-HMAC-SHA256`` and the hex SHA-256 of the canonical request, on two lines."""
    digest = hashlib.sha256(canonical_request.encode()).hexdigest()
    return f"{V3_ALGORITHM}\n{digest}"


def _v3_digest(string_to_sign: str, secret: str) -> str:
    return hmac.new(secret.encode(), string_to_sign.encode(), hashlib.sha256).hexdigest()


def sign_v3(
    method: str,
    raw_query: str,
    headers: Mapping[str, str],
    body: bytes,
    secret: str,
    access_key_id: str,
    signed_headers: Sequence[str] | None = None,
    path: str = "/",
) -> str:
    """The V3 ``Authorization`` header value for a request a client is about to send.

    ``headers`` must already hold ``x-acs-content-sha256`` and the other common headers;
    ``signed_headers`` defaults to every header given (a list of names, not a joined string).
    """
    lowered = {name.lower(): value for name, value in headers.items()}
    chosen = lowered if signed_headers is None else signed_headers
    names = sorted({name.lower() for name in chosen} - {"authorization"})
    canonical = v3_canonical_request(
        method, path, raw_query, lowered, names, hashlib.sha256(body).hexdigest()
    )
    signature = _v3_digest(v3_string_to_sign(canonical), secret)
    return (
        f"{V3_ALGORITHM} Credential={access_key_id},"
        f"SignedHeaders={';'.join(names)},Signature={signature}"
    )


def _verify_v1(req: RpcRequest, params: Mapping[str, str], secret: str) -> None:
    string_to_sign = v1_string_to_sign(req.method, params)
    expected = _v1_signature(string_to_sign, secret)
    given = params.get("Signature", "")
    if not hmac.compare_digest(expected, given.encode()):
        raise errors.SignatureDoesNotMatch(string_to_sign)


def _verify_v3(req: RpcRequest, secret: str) -> None:
    auth = _parse_authorization(req.headers.get("authorization", ""))
    unsigned = [h for h in V3_REQUIRED_SIGNED_HEADERS if h not in auth.signed_headers]
    if unsigned:
        raise errors.IncompleteSignature(f"SignedHeaders must include {', '.join(unsigned)}.")
    body_sha256 = hashlib.sha256(req.body).hexdigest()
    declared = _signature_field(req.headers.get("x-acs-content-sha256"), "x-acs-content-sha256")
    # A wrong declared hash is a malformed request rather than a bad key, so it gets its own
    # message instead of a string to sign the client could not reproduce anyway.
    if declared.lower() != body_sha256:
        raise errors.IncompleteSignature("x-acs-content-sha256 does not match the request body.")
    canonical = v3_canonical_request(
        req.method, req.path, req.raw_query, req.headers, auth.signed_headers, body_sha256
    )
    string_to_sign = v3_string_to_sign(canonical)
    expected = _v3_digest(string_to_sign, secret)
    if not hmac.compare_digest(expected.encode(), auth.signature.lower().encode()):
        raise errors.SignatureDoesNotMatch(string_to_sign)


def verify(req: RpcRequest, params: Mapping[str, str], info: SignedInfo, secret: str) -> None:
    """Recompute the signature ``info`` describes and raise unless it matches, in constant time.

    Mismatches raise SignatureDoesNotMatch carrying the server's string to sign (the legacy SDK
    compares it with its own). V3 also raises IncompleteSignature when a required header is
    unsigned or ``x-acs-content-sha256`` is missing or is not the body's hash.
    """
    if info.version == "v1":
        _verify_v1(req, params, secret)
    else:
        _verify_v3(req, secret)
