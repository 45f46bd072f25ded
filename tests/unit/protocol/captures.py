"""Reads captured SDK requests (the shared capture logs or our trimmed copies) as test vectors."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from cdnexport.protocol.request import RpcRequest

# The published test secret the captures were signed with, not a credential.
SECRET = "testAccessKeySecret"
ACCESS_KEY_ID = "testAccessKeyId"
VECTORS = Path(__file__).resolve().parent / "vectors"

_BLOCK = "=" * 78 + "\n"
_DECODED = "-" * 30 + " decoded " + "-" * 30
_RESPONSE = "-" * 30 + " response sent " + "-" * 30
_V1_LINE = "V1 server StringToSign: "
_V3_LINE = "V3 check: "


@dataclass(frozen=True)
class Captured:
    """One captured request and the string to sign the capture server verified for it."""

    source: str
    request: RpcRequest
    v1_string_to_sign: str | None
    v3_canonical_request: str | None
    v3_string_to_sign: str | None


def _request(text: str) -> RpcRequest:
    lines = text.split("\n")
    method, target, _ = lines[0].split(" ")
    path, _, raw_query = target.partition("?")
    blank = lines.index("")
    headers = {}
    for line in lines[1:blank]:
        name, _, value = line.partition(": ")
        headers[name.lower()] = value
    # The capture server wrote the body as one text element followed by a newline.
    body = "\n".join(lines[blank + 1 :]).removesuffix("\n")
    return RpcRequest(method, path, raw_query, headers, body.encode())


def _evidence(tail: str) -> tuple[str | None, str | None, str | None]:
    v1 = None
    for line in tail.splitlines():
        if line.startswith(_V1_LINE):
            v1 = line.removeprefix(_V1_LINE)
    at = tail.find(_V3_LINE)
    if at < 0:
        return v1, None, None
    check, _ = json.JSONDecoder().raw_decode(tail[at + len(_V3_LINE) :])
    return v1, check["canonical_request"], check["string_to_sign"]


def load_file(path: Path) -> list[Captured]:
    """Every request block of one capture file, in file order."""
    chunks = path.read_text(encoding="utf-8").split(_BLOCK)[1:]
    name = path.name.removeprefix("capture_")
    found = []
    for index, chunk in enumerate(chunks):
        request_text, marker, tail = chunk.partition(_DECODED + "\n")
        assert marker, f"{name} block {index} has no decoded section"
        v1, v3_canonical, v3_sts = _evidence(tail.partition(_RESPONSE)[0])
        found.append(Captured(f"{name}#{index}", _request(request_text), v1, v3_canonical, v3_sts))
    return found


def load_folder(folder: Path, pattern: str) -> dict[str, list[Captured]]:
    """The blocks of every matching file, keyed by file name without the ``capture_`` prefix."""
    return {
        path.name.removeprefix("capture_"): load_file(path) for path in sorted(folder.glob(pattern))
    }


def load_vectors() -> list[Captured]:
    """All blocks of our trimmed copies in ``vectors/``."""
    return [block for blocks in load_folder(VECTORS, "*.txt").values() for block in blocks]
