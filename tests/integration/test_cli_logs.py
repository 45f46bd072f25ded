"""``cdnexport usage ingest-logs`` through typer's runner against a temporary data folder."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cdnexport.cli import app

runner = CliRunner()
T0 = 1_714_521_600  # 2024-05-01T00:00:00Z


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CDNEXPORT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CDNEXPORT_LOG_LEVEL", "WARNING")
    return tmp_path / "data"


def invoke(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.output


@pytest.fixture
def nginx_log(tmp_path: Path) -> Path:
    invoke("account", "create", "acme")
    invoke("domain", "add", "acme", "www.acme.example")
    path = tmp_path / "edge-fra-1.log.gz"
    lines = [
        f"{T0 + 1}.000\tedge-fra-1\twww.acme.example\thttps\t1000",
        "not a log line",
        f"{T0 + 2}.000\tedge-fra-1\tstranger.example\thttp\t5",
        f"{T0 + 301}.000\tedge-fra-1\twww.acme.example\thttp\t24",
    ]
    path.write_bytes(gzip.compress("".join(f"{line}\n" for line in lines).encode()))
    return path


def test_ingest_logs_reports_and_is_idempotent(nginx_log: Path) -> None:
    out = invoke(
        "usage", "ingest-logs", "acme", str(nginx_log), "--format", "nginx", "--region", "EU"
    )
    assert f"{nginx_log}: ingested" in out
    assert "4 lines: 2 counted, 1 malformed, 1 skipped" in out
    assert "2 samples for 1 domain(s), 1,024 bytes, 1 HTTPS requests" in out
    assert "malformed line 2: expected 5 tab-separated fields, found 1: 'not a log line'" in out
    assert "skipped 1 line(s): domain stranger.example is not a domain of the account" in out
    assert "time range 2024-05-01T00:00:00Z to 2024-05-01T00:10:00Z" in out
    again = invoke(
        "usage", "ingest-logs", "acme", str(nginx_log), "--format", "nginx", "--region", "EU"
    )
    assert f"{nginx_log}: already ingested" in again
    assert "0 samples written" in again


def test_a_node_map_file(nginx_log: Path, tmp_path: Path) -> None:
    nodes = tmp_path / "nodes.csv"
    nodes.write_text("node,region\nedge-fra-*,EU\n")
    out = invoke(
        "usage",
        "ingest-logs",
        "acme",
        str(nginx_log),
        "--format",
        "nginx",
        "--node-map",
        str(nodes),
    )
    assert "2 samples for 1 domain(s)" in out
    alibaba = tmp_path / "sin-1.log"
    alibaba.write_text("x\n")
    out = invoke(
        "usage",
        "ingest-logs",
        "acme",
        str(alibaba),
        "--format",
        "alibaba",
        "--node-map",
        str(nodes),
        code=2,
    )
    assert "no rule of the node map matches" in out


def test_option_errors_exit_2(nginx_log: Path) -> None:
    base = ("usage", "ingest-logs", "acme", str(nginx_log), "--format", "nginx")
    assert "exactly one of --region and --node-map" in invoke(*base, code=2)
    assert "'XX' is not one of" in invoke(*base, "--region", "XX", code=2)
    assert "no account 'nobody'" in invoke(
        "usage",
        "ingest-logs",
        "nobody",
        str(nginx_log),
        "--format",
        "nginx",
        "--region",
        "CN",
        code=2,
    )
    invoke("usage", "ingest-logs", "acme", str(nginx_log), "--region", "CN", code=2)


def test_a_rejected_file_exits_1(nginx_log: Path) -> None:
    out = invoke(
        "usage", "ingest-logs", "acme", str(nginx_log), "--format", "json", "--region", "CN", code=1
    )
    assert "rejected (no line is in the json format; is --format right?)" in out
    assert "1 file(s) rejected" in out
