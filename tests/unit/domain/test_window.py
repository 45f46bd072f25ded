"""``parse_utc`` accepts exactly the strings strptime's ``%Y-%m-%dT%H:%M:%SZ`` reads as a real
moment, and gives the same epoch seconds."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from cdnexport.domain.window import format_utc, parse_utc


def reference(value: str) -> int | None:
    if len(value) != 20 or not value.isascii():
        return None
    try:
        return int(datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp())
    except ValueError:
        return None


FIELDS = st.tuples(
    st.integers(0, 9999), st.integers(0, 13), st.integers(0, 32),
    st.integers(0, 25), st.integers(0, 61), st.integers(0, 61),
)  # fmt: skip


@given(FIELDS)
def test_fields_in_and_out_of_range(fields: tuple[int, ...]) -> None:
    y, mo, d, h, mi, s = fields
    value = f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}Z"
    assert parse_utc(value) == reference(value)


@given(st.text(max_size=24))
def test_any_text(value: str) -> None:
    assert parse_utc(value) == reference(value)


def test_round_trip_and_shapes() -> None:
    assert parse_utc("2024-02-29T23:59:59Z") == 1709251199
    assert format_utc(1709251199) == "2024-02-29T23:59:59Z"
    bad = ["2023-02-29T00:00:00Z", "2026-11-01T00:00:00", "2026-11-01T00:00:00Z\n"]
    bad += ["2026-11-01 00:00:00Z", "٢٠٢٦-11-01T00:00:00Z", "0000-01-01T00:00:00Z"]
    for value in bad:
        assert parse_utc(value) is None, value
