"""Hand-written fast paths of the wire layer give exactly what the library calls gave."""

from __future__ import annotations

import random
import uuid
from urllib.parse import parse_qsl, quote

from cdnexport.protocol.render import new_request_id
from cdnexport.protocol.request import form_pairs
from cdnexport.protocol.signature import percent_encode, v1_string_to_sign

TOKENS = ["a", "Z", "0", "=", "&", "+", "%", "%2", "%2F", "%3d", "%E4%B8%AD", "%ff", "%zz", " "]
TEXT = ["a", "Z", "9", "-", "_", ".", "~", " ", "%", "&", "=", "+", "/", ":", "é", "中", "\x00"]


def test_form_pairs_is_parse_qsl() -> None:
    rnd = random.Random(7)
    for _ in range(5000):
        text = "".join(rnd.choice(TOKENS) for _ in range(rnd.randint(0, 12)))
        expected = parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="replace")
        assert form_pairs(text) == expected, text


def test_percent_encode_is_quote() -> None:
    rnd = random.Random(8)
    for _ in range(5000):
        text = "".join(rnd.choice(TEXT) for _ in range(rnd.randint(0, 10)))
        assert percent_encode(text) == quote(text, safe=""), text


def test_string_to_sign_encodes_the_canonical_query_whole() -> None:
    rnd = random.Random(9)
    for _ in range(500):
        params = {
            "".join(rnd.choice(TEXT) for _ in range(3)): "".join(
                rnd.choice(TEXT) for _ in range(rnd.randint(0, 6))
            )
            for _ in range(4)
        }
        canonical = "&".join(
            f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in sorted(params.items())
        )
        expected = f"GET&%2F&{quote(canonical, safe='')}"
        assert v1_string_to_sign("GET", {**params, "Signature": "x"}) == expected


def test_request_ids_are_upper_case_uuid4() -> None:
    seen = set()
    for _ in range(1000):
        text = new_request_id()
        parsed = uuid.UUID(text)
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122
        assert str(parsed).upper() == text
        seen.add(text)
    assert len(seen) == 1000
