from __future__ import annotations

import pytest

from cdnexport.usage.logs.formats import (
    NGINX_JSON_LOG_FORMAT,
    NGINX_LOG_FORMAT,
    AlibabaParser,
    JsonParser,
    LineError,
    LogFormat,
    NginxParser,
    make_parser,
    normalize_host,
)
from tests.unit.usage.helpers import utc
from tests.unit.usage.logs.lines import alibaba, at, json_line, nginx

# The sample line of Alibaba Cloud's offline-log documentation.
DOC_LINE = (
    b'[9/Jun/2015:01:58:09 +0800] 188.165.15.75 - 1542 "-" "GET http://www.aliyun.com/index.html" '
    b'200 191 2830 MISS "Mozilla/5.0 (compatible; AhrefsBot/5.0; +http://ahrefs.com/robot/)" '
    b'"text/html"'
)


def test_the_documented_alibaba_line_converts_its_time_zone_to_utc() -> None:
    assert AlibabaParser()(DOC_LINE) == (
        utc("2015-06-08T17:58:09Z"),
        b"www.aliyun.com",
        False,
        2830,
        b"",
    )


def test_an_alibaba_line_without_the_client_ip_as_older_documentation_shows() -> None:
    line = DOC_LINE.replace(b"188.165.15.75 ", b"")
    assert AlibabaParser()(line) == AlibabaParser()(DOC_LINE)


@pytest.mark.parametrize(
    ("offset", "expected"),
    [(8, "2024-04-30T16:00:00Z"), (0, "2024-05-01T00:00:00Z"), (-5, "2024-05-01T05:00:00Z")],
)
def test_alibaba_offsets(offset: int, expected: str) -> None:
    line = alibaba(at("2024-05-01T00:00:00", offset), "a.example", 1).encode()
    assert AlibabaParser()(line)[0] == utc(expected)


def test_alibaba_https_port_and_quotes_in_the_user_agent() -> None:
    line = alibaba(
        at("2024-05-01T00:00:00"), "A.Example:8443", 7, scheme="HTTPS", agent='say "hi" x'
    )
    assert AlibabaParser()(line.encode())[1:4] == (b"A.Example:8443", True, 7)


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b"", "Alibaba Cloud CDN log format"),
        (DOC_LINE.replace(b" 2830 ", b" - "), "Alibaba Cloud CDN log format"),
        (DOC_LINE.replace(b" - 1542 ", b" "), "Alibaba Cloud CDN log format"),
        (DOC_LINE.replace(b'"text/html"', b'"text/ht'), "Alibaba Cloud CDN log format"),
        (DOC_LINE.replace(b"Jun", b"Foo"), "is not like 9/Jun/2015"),
        (DOC_LINE.replace(b"9/Jun", b"31/Jun"), "is not a valid time"),
        (DOC_LINE.replace(b"http://", b"ftp://"), "neither http nor https"),
    ],
)
def test_alibaba_malformed(line: bytes, reason: str) -> None:
    with pytest.raises(LineError, match=reason):
        AlibabaParser()(line)


def test_nginx_line_drops_the_milliseconds_and_keeps_the_node() -> None:
    line = nginx(1_714_521_899.999, "a.example", 512, scheme="https", node="fra-1")
    assert NginxParser()(line.encode()) == (1_714_521_899, b"a.example", True, 512, b"fra-1")


def test_nginx_ignores_fields_after_the_fifth() -> None:
    line = nginx(1_714_521_600, "a.example", 1) + "\tGET /x HTTP/1.1\t200"
    assert NginxParser()(line.encode())[3] == 1


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b"", "expected 5 tab-separated fields, found 1"),
        (b"1714521600.000 edge a.example http 1", "found 1"),
        (b"17145x1600.000\tedge\ta.example\thttp\t1", r"\$msec"),
        (b"1714521600.1x\tedge\ta.example\thttp\t1", r"\$msec"),
        (b"-1714521600.000\tedge\ta.example\thttp\t1", r"\$msec"),
        (b"1714521600.000\tedge\t\thttp\t1", r"\$host is empty"),
        (b"1714521600.000\tedge\ta.example\tftp\t1", "neither http nor https"),
        (b"1714521600.000\tedge\ta.example\thttp\t-", r"\$bytes_sent"),
        (b"1714521600.000\tedge\ta.example\thttp\t1_000", r"\$bytes_sent"),
        (b"1714521600.000\tedge\ta.example\thttp\t" + b"9" * 19, r"\$bytes_sent"),
    ],
)
def test_nginx_malformed(line: bytes, reason: str) -> None:
    with pytest.raises(LineError, match=reason):
        NginxParser()(line)


@pytest.mark.parametrize(
    ("time", "second"),
    [
        (1_714_521_899.999, 1_714_521_899),
        (1_714_521_900, 1_714_521_900),
        ("2024-05-01T00:04:59.999Z", utc("2024-05-01T00:04:59Z")),
        ("2024-05-01T08:05:00+08:00", utc("2024-05-01T00:05:00Z")),
        ("2024-05-01T00:05:00.5-01:00", utc("2024-05-01T01:05:00Z")),
    ],
)
def test_json_times(time: object, second: int) -> None:
    line = json_line(time, "a.example", 10, scheme="https", node="n1").encode()
    assert JsonParser()(line) == (second, b"a.example", True, 10, b"n1")


def test_json_bytes_as_digit_text_and_no_node() -> None:
    assert JsonParser()(json_line(0, "a.example", "42").encode())[3:] == (42, b"")


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b"{not json", "not valid JSON"),
        (b"\xff\xfe", "not valid JSON"),
        (b"[1, 2]", "not a JSON object"),
        (json_line("2024-05-01T00:00:00", "a.example", 1).encode(), "no UTC offset"),
        (json_line("yesterday", "a.example", 1).encode(), "not ISO-8601"),
        (json_line(True, "a.example", 1).encode(), '"time" is missing'),
        (json_line(-5, "a.example", 1).encode(), "out of range"),
        (json_line(1e300, "a.example", 1).encode(), "out of range"),
        (b'{"time": NaN, "host": "a", "scheme": "http", "bytes_sent": 1}', "not a time"),
        (json_line(0, "", 1).encode(), '"host"'),
        (json_line(0, "a.example", -1).encode(), '"bytes_sent"'),
        (json_line(0, "a.example", 1.5).encode(), '"bytes_sent"'),
        (json_line(0, "a.example", True).encode(), '"bytes_sent"'),
        (json_line(0, "a.example", 1, scheme="gopher").encode(), "neither http nor https"),
        (b'{"time": 0, "host": "a", "bytes_sent": 1}', '"scheme"'),
        (b'{"time": 0, "host": "a", "scheme": "http", "bytes_sent": 1, "node": 5}', '"node"'),
    ],
)
def test_json_malformed(line: bytes, reason: str) -> None:
    with pytest.raises(LineError, match=reason):
        JsonParser()(line)


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        (b"WWW.Example.COM", "www.example.com"),
        (b"www.example.com.", "www.example.com"),
        (b"www.example.com:8080", "www.example.com"),
        (b"user@www.example.com:8080", "www.example.com"),
        (b"[::1]:443", None),
        (b"caf\xc3\xa9.example", None),
        (b":80", None),
    ],
)
def test_normalize_host(raw: bytes, name: str | None) -> None:
    assert normalize_host(raw) == name


def test_each_format_has_a_fresh_parser() -> None:
    assert isinstance(make_parser(LogFormat.ALIBABA), AlibabaParser)
    assert isinstance(make_parser(LogFormat.NGINX), NginxParser)
    assert isinstance(make_parser(LogFormat.JSON), JsonParser)
    assert make_parser(LogFormat.ALIBABA) is not make_parser(LogFormat.ALIBABA)


def test_the_documented_nginx_formats_name_the_fields_the_parsers_read() -> None:
    assert NGINX_LOG_FORMAT == (
        r"log_format cdnexport '$msec\t$hostname\t$host\t$scheme\t$bytes_sent';"
    )
    for name in ("time", "node", "host", "scheme", "bytes_sent"):
        assert f'"{name}":' in NGINX_JSON_LOG_FORMAT
