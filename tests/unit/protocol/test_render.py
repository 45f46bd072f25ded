"""Format negotiation and the JSON/XML success and error bodies."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, urlsplit

import pytest

from cdnexport import errors
from cdnexport.protocol.render import (
    Format,
    negotiate_format,
    new_request_id,
    render_body,
    render_error,
)

REQUEST_ID = "ED61C6C3-8241-4187-AAA7-5157AE175CEC"
HOST_ID = "cdn.aliyuncs.com"
DESCRIBE = {
    "RequestId": REQUEST_ID,
    "UsageDataPerPage": {
        "PageSize": 10,
        "PageNumber": 1,
        "TotalCount": 2,
        "Data": {
            "DataItem": [
                {
                    "TaskId": "11",
                    "TaskName": "测试 <a & b>",
                    "Status": "success",
                    "DownloadUrl": None,
                    "TaskConfig": {"StartTime": "2024-05-01T00:00:00Z"},
                },
                {"TaskId": "12", "Status": "created", "Done": False},
            ]
        },
    },
}


def _parse(data: bytes) -> ET.Element:
    # Our own output, never untrusted input, so the stdlib parser is fine here.
    return ET.fromstring(data)


# --- negotiation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [("JSON", "JSON"), ("json", "JSON"), ("Json", "JSON"), ("XML", "XML"), ("xml", "XML")],
)
@pytest.mark.parametrize("version", ["v1", "v3"])
def test_format_parameter_any_case(fmt: str, expected: Format, version: str) -> None:
    assert negotiate_format({"Format": fmt}, {"accept": "application/xml"}, version) == expected


def test_format_parameter_beats_accept() -> None:
    assert negotiate_format({"Format": "XML"}, {"accept": "application/json"}, "v3") == "XML"


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("application/json", "JSON"),
        ("text/html, Application/JSON;q=0.9", "JSON"),
        ("*/*", "XML"),
        ("application/xml", "XML"),
        ("", "XML"),
    ],
)
def test_v3_without_format_follows_accept(accept: str, expected: Format) -> None:
    assert negotiate_format({}, {"accept": accept}, "v3") == expected


def test_v1_without_format_defaults_to_xml_whatever_accept_says() -> None:
    assert negotiate_format({}, {"accept": "application/json"}, "v1") == "XML"
    assert negotiate_format({}, {}, "v1") == "XML"


def test_blank_format_counts_as_absent() -> None:
    assert negotiate_format({"Format": ""}, {"accept": "application/json"}, "v3") == "JSON"


@pytest.mark.parametrize("fmt", ["YAML", "jsonp", "raw"])
def test_unknown_format_is_rejected(fmt: str) -> None:
    with pytest.raises(errors.UnsupportedFormat) as caught:
        negotiate_format({"Format": fmt}, {}, "v1")
    assert caught.value.code == "InvalidParameter.Format"
    assert caught.value.http_status == 400


# --- success bodies --------------------------------------------------------------------------


def test_json_body_is_compact_utf8() -> None:
    data, content_type = render_body("DescribeUserUsageDetailDataExportTask", DESCRIBE, "JSON")
    assert content_type == "application/json;charset=utf-8"
    text = data.decode("utf-8")
    assert "测试" in text
    assert ": " not in text
    assert ", " not in text
    assert json.loads(text) == DESCRIBE


def test_json_keeps_key_order_and_types() -> None:
    data, _ = render_body("X", {"B": 1, "A": "1", "C": True}, "JSON")
    assert data == b'{"B":1,"A":"1","C":true}'


def test_json_rejects_nan() -> None:
    with pytest.raises(ValueError, match="JSON"):
        render_body("X", {"A": float("nan")}, "JSON")


def test_xml_body_shape() -> None:
    data, content_type = render_body("DescribeUserUsageDetailDataExportTask", DESCRIBE, "XML")
    assert content_type == "text/xml;charset=utf-8"
    assert data.startswith(
        b"<?xml version='1.0' encoding='UTF-8'?><DescribeUserUsageDetailDataExportTaskResponse>"
    )
    root = _parse(data)
    assert root.tag == "DescribeUserUsageDetailDataExportTaskResponse"
    assert root.findtext("RequestId") == REQUEST_ID
    page = root.find("UsageDataPerPage")
    assert page is not None
    assert page.findtext("TotalCount") == "2"
    items = page.findall("Data/DataItem")
    assert [i.findtext("TaskId") for i in items] == ["11", "12"]
    assert items[0].findtext("TaskName") == "测试 <a & b>"
    assert items[0].find("DownloadUrl") is None
    assert items[0].findtext("TaskConfig/StartTime") == "2024-05-01T00:00:00Z"
    assert items[1].findtext("Done") == "false"


def test_xml_list_renders_as_repeated_elements_without_wrapper() -> None:
    data, _ = render_body("A", {"Data": {"DataItem": ["x", "y"]}, "On": True}, "XML")
    assert data.endswith(
        b"<AResponse><Data><DataItem>x</DataItem><DataItem>y</DataItem></Data>"
        b"<On>true</On></AResponse>"
    )


def test_xml_empty_list_leaves_an_empty_parent() -> None:
    data, _ = render_body("A", {"Data": {"DataItem": []}}, "XML")
    root = _parse(data)
    data_element = root.find("Data")
    assert data_element is not None
    assert list(data_element) == []


def test_xml_replaces_characters_xml_cannot_carry() -> None:
    data, _ = render_body("A", {"Name": "a\x00b\x1fc\td"}, "XML")
    assert _parse(data).findtext("Name") == "a\ufffdb\ufffdc\td"


def test_xml_rejects_keys_that_are_not_element_names() -> None:
    with pytest.raises(ValueError, match="XML element name"):
        render_body("A", {"bad key": 1}, "XML")


# --- error bodies ----------------------------------------------------------------------------


def test_json_error_body() -> None:
    err = errors.MissingParameter("Type")
    data, content_type = render_error(err, REQUEST_ID, HOST_ID, "JSON")
    assert content_type == "application/json;charset=utf-8"
    body = json.loads(data)
    assert list(body) == ["RequestId", "HostId", "Code", "Message", "Recommend"]
    assert body["Code"] == "MissingType"
    assert body["Message"] == "Type is mandatory for this action."
    assert body["HostId"] == HOST_ID
    assert body["Recommend"] == (
        f"https://api.aliyun.com/troubleshoot?q=MissingType&product=Cdn&requestId={REQUEST_ID}"
    )


def test_recommend_url_encodes_its_values() -> None:
    err = errors.ServiceError("m", code="Weird Code&x=1")
    body = json.loads(render_error(err, "id/with space", HOST_ID, "JSON")[0])
    query = parse_qs(urlsplit(body["Recommend"]).query)
    assert query == {"q": ["Weird Code&x=1"], "product": ["Cdn"], "requestId": ["id/with space"]}


def test_xml_error_body() -> None:
    err = errors.SignatureDoesNotMatch("POST&%2F&A%3D1")
    data, content_type = render_error(err, REQUEST_ID, HOST_ID, "XML")
    assert content_type == "text/xml;charset=utf-8"
    assert data.startswith(b"<?xml version='1.0' encoding='UTF-8'?><Error>")
    root = _parse(data)
    assert root.tag == "Error"
    assert [child.tag for child in root] == ["RequestId", "HostId", "Code", "Message", "Recommend"]
    assert root.findtext("Code") == "SignatureDoesNotMatch"
    assert (root.findtext("Message") or "").endswith("server string to sign is:POST&%2F&A%3D1")
    assert "&product=Cdn&" in (root.findtext("Recommend") or "")


def test_new_request_id_shape() -> None:
    ids = {new_request_id() for _ in range(50)}
    assert len(ids) == 50
    pattern = re.compile(r"[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}")
    assert all(pattern.fullmatch(i) for i in ids)
