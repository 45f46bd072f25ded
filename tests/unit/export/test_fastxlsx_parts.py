"""The package parts, escaping rules and bulk cell rendering of the fast writer."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cdnexport.export import xlsxparts
from cdnexport.export.xlsxrows import RepeatedFloatTexts, float_texts, int_texts, join_rows

QUICK = settings(max_examples=200, derandomize=True, database=None, deadline=None)


def texts(array: object) -> list[str]:
    return array.to_pylist()  # type: ignore[attr-defined,no-any-return]


def significant_digits(text: str) -> str:
    mantissa = text.upper().split("E")[0]
    return mantissa.replace("-", "").replace(".", "").strip("0")


@QUICK
@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=50))
def test_float_texts_read_back_as_the_same_float(values: list[float]) -> None:
    rendered = texts(float_texts(np.array(values, dtype=np.float64)))
    for value, text in zip(values, rendered, strict=True):
        assert float(text) == value
        assert math.copysign(1, float(text)) == math.copysign(1, value)
        assert set(text) <= set("0123456789.-+E"), text
        # Shortest form: the same significant digits as Python's shortest round-trip repr.
        assert significant_digits(text) == significant_digits(repr(value))


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.1, "0.1"),
        (1e20, "1E+20"),
        (1e-7, "1E-7"),
        (5e-324, "5E-324"),
        (1.7976931348623157e308, "1.7976931348623157E+308"),
        (1802993.8666666667, "1802993.8666666667"),
        (45292.0, "45292"),
        (-0.0, "-0"),
    ],
)
def test_float_texts_known_values(value: float, text: str) -> None:
    assert texts(float_texts(np.array([value]))) == [text]


def test_int_texts_are_exact_over_all_of_int64() -> None:
    values = np.array([0, -1, 2**53 + 1, 2**63 - 1, -(2**63)], dtype=np.int64)
    assert [int(text) for text in texts(int_texts(values))] == values.tolist()


def test_repeated_float_texts_reuse_shifted_and_shorter_repeats() -> None:
    memo = RepeatedFloatTexts()
    base = np.arange(10, dtype=np.float64) / 7
    assert texts(memo.texts(base)) == texts(float_texts(base))
    assert texts(memo.texts(base[3:8].copy())) == texts(float_texts(base[3:8]))
    changed = base.copy()
    changed[5] = 99.5
    assert texts(memo.texts(changed)) == texts(float_texts(changed))
    # Equal as floats but not as bits: zero and minus zero keep their own texts.
    assert texts(memo.texts(np.array([0.0, 1.0]))) == ["0", "1"]
    assert texts(memo.texts(np.array([-0.0, 1.0]))) == ["-0", "1"]
    assert texts(memo.texts(np.array([], dtype=np.float64))) == []


def test_join_rows_concatenates_row_by_row() -> None:
    numbers = int_texts(np.array([7, 8], dtype=np.int64))
    assert bytes(join_rows(["<r>", numbers, "<", "/r>"], 2)) == b"<r>7</r><r>8</r>"
    assert bytes(join_rows(["<r/>"], 3)) == b"<r/><r/><r/>"
    assert bytes(join_rows(["<r>", numbers, "</r>"], 0)) == b""
    with pytest.raises(ValueError, match="2 texts in a chunk of 3"):
        join_rows([numbers], 3)


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("a&b<c>d", "a&amp;b&lt;c&gt;d"),
        ("\"quoted\" 'single'", "\"quoted\" 'single'"),
        ("cr\r", "cr_x000D_"),
        ("nul\x00bell\x07", "nul_x0000_bell_x0007_"),
        ("tab\tnewline\n", "tab\tnewline\n"),
        ("_x0041_", "_x005F_x0041_"),
        ("_x12_ _xZZZZ_", "_x12_ _xZZZZ_"),
        ("\ufffe\uffff", "_xFFFE__xFFFF_"),
        ("lone \ud800 surrogate", "lone \ufffd surrogate"),
        ("明细 😀", "明细 😀"),
    ],
)
def test_text_escaping_follows_excel(raw: str, escaped: str) -> None:
    assert xlsxparts.escape_text(raw) == escaped


@QUICK
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]) | st.just("\r")))
def test_every_shared_string_is_well_formed_xml(value: str) -> None:
    element = ET.fromstring(xlsxparts.shared_string(value).encode())
    text = element[0].text or ""
    if "_x" not in value and "\r" not in value and all(ord(c) >= 32 or c in "\t\n" for c in value):
        assert text == value.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")


def test_leading_or_trailing_space_is_preserved() -> None:
    assert xlsxparts.shared_string(" a") == '<si><t xml:space="preserve"> a</t></si>'
    assert xlsxparts.shared_string("a") == "<si><t>a</t></si>"


def test_attributes_escape_quotes() -> None:
    assert xlsxparts.escape_attribute('a"&') == "a&quot;&amp;"


@pytest.mark.parametrize(("index", "letters"), [(0, "A"), (25, "Z"), (26, "AA"), (16_383, "XFD")])
def test_column_letters(index: int, letters: str) -> None:
    assert xlsxparts.column_letters(index) == letters


@pytest.mark.parametrize(
    ("width", "stored"), [(18, 18.7109375), (32, 32.7109375), (0.5, 0.85546875), (0, 0.0)]
)
def test_column_widths_are_stored_as_excel_does(width: float, stored: float) -> None:
    assert xlsxparts.column_width(width) == stored


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "empty"),
        ("'quoted", "apostrophe"),
        ("x" * 32, "longer than 31"),
        ("😀" * 16, "longer than 31"),
        ("a/b", "holds one of"),
        ("a[1]", "holds one of"),
        ("tab\t", "holds one of"),
        ("history", "reserves"),
        ("DETAIL", "already used"),
    ],
)
def test_sheet_names_excel_refuses(name: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        xlsxparts.check_sheet_name(name, ["Detail"])


def test_good_sheet_names_pass() -> None:
    for name in ("明细", "明细 (2)", "x" * 31, "😀" * 15, "it's"):
        xlsxparts.check_sheet_name(name, ["明细 (3)"])


def test_the_sheet_prefix_always_fills_its_room() -> None:
    for columns, rows in ((0, 1), (1, 1), (5, 1_048_576), (16_384, 1_048_576)):
        prefix = xlsxparts.sheet_prefix(columns, rows)
        assert len(prefix) == xlsxparts.SHEET_PREFIX_SIZE
    assert b'<dimension ref="A1:E1048576"/>' in xlsxparts.sheet_prefix(5, 1_048_576)
    assert b'<dimension ref="A1"/>' in xlsxparts.sheet_prefix(1, 1)
    assert b'<dimension ref="A1"/>' in xlsxparts.sheet_prefix(0, 1)


def test_fixed_parts_are_well_formed_xml() -> None:
    parts = [
        xlsxparts.ROOT_RELS,
        xlsxparts.CORE_PROPS,
        xlsxparts.APP_PROPS,
        xlsxparts.STYLES,
        xlsxparts.content_types(3),
        xlsxparts.workbook(["a&b", '"q"', "明细 (2)"]),
        xlsxparts.workbook_rels(3),
        xlsxparts.shared_strings_start(2, 1) + b"<si><t>x</t></si>" + xlsxparts.SHARED_STRINGS_END,
        xlsxparts.sheet_prefix(2, 3)
        + xlsxparts.sheet_head([10, 20], [0, 1], selected=True)
        + xlsxparts.SHEET_TAIL,
    ]
    for part in parts:
        ET.fromstring(part)
    names = [s.get("name") for s in ET.fromstring(parts[5]).iter() if s.tag.endswith("sheet")]
    assert names == ["a&b", '"q"', "明细 (2)"]
