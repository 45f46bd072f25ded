"""The bench's pure parts: shapes, wrk summaries, /proc parsing, the report, signed calls."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pytest
from bench import load, procs, report, writers
from bench.dataset import MONTH_ROWS, Key, shape_for
from bench.rpc_client import DESCRIBE, signed_path
from sqlalchemy import text

from cdnexport.clock import ManualClock
from cdnexport.domain.task import ExportType, Language
from cdnexport.export.builder import WorkbookPlan
from cdnexport.protocol.request import RpcRequest
from cdnexport.usage.series import Series
from cdnexport.web.rpc import RpcEdge
from tests.support import add_account, make_services


def test_shapes_give_exact_row_counts() -> None:
    for rows in (100_000, 1_000_000, 3_000_000, MONTH_ROWS):
        assert shape_for(rows).rows == rows
    assert shape_for(MONTH_ROWS).domains == 1
    with pytest.raises(ValueError, match="region"):
        shape_for(100_001)


def test_wrk_summary_is_read_from_the_marker_line() -> None:
    data = {
        "requests": 5000,
        "duration_us": 2_000_000,
        "connect": 0,
        "read": 1,
        "write": 0,
        "status": 3,
        "timeout": 2,
        "p50_us": 1500,
        "p99_us": 9000,
        "max_us": 12000,
        "wrapped": 0,
    }
    result = load.parse_summary(f"Running 2s test\n{load.MARKER}{json.dumps(data)}\n")
    assert result.per_second == 2500
    assert (result.p99_ms, result.errors, result.non_2xx) == (9.0, 3, 3)
    with pytest.raises(ValueError, match="BENCH-JSON"):
        load.parse_summary("no summary")


def test_proc_status_fields() -> None:
    text = "Name:\tpython\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\n"
    assert procs.parse_status_kib(text, "VmHWM") == 204800
    with pytest.raises(KeyError):
        procs.parse_status_kib(text, "VmSwap")


def test_cpu_times_count_user_time_of_descendants() -> None:
    # A shell whose child does a fixed amount of work in user space (a few tenths of a second
    # of CPU however busy the machine: a loop timed by a clock got too little CPU here when it
    # was, and one reading the process's CPU clock spends it in system calls), then waits.
    burn = "import sys\nfor _ in range(40): sum(range(10**6))\nsys.stdin.read()"
    shell = ["/bin/sh", "-c", '"$0" -c "$1"; true', sys.executable, burn]
    parent = subprocess.Popen(shell, stdin=subprocess.PIPE)
    try:
        user = system = 0.0
        for _ in range(1200):  # up to a minute on a busy machine; usually a fraction of it
            user, system = procs.cpu_times(parent.pid)
            if user >= 0.1:
                break
            time.sleep(0.05)
        assert user >= 0.1  # the grandchild's, counted through the shell
        assert 0.0 <= system < user
    finally:
        parent.communicate(b"")


def test_report_marks_each_target() -> None:
    figures = [
        report.judged("fast", 12.0, "12×", "≥ 10×", lambda x: x >= 10),
        report.judged("small", 200.0, "200 MB", "< 150 MB", lambda x: x < 150, "peak"),
        report.Figure("info", "1/s"),
    ]
    text = report.table(figures)
    assert "| fast | 12× | ≥ 10× | PASS |" in text
    assert "| small | 200 MB (peak) | < 150 MB | MISS |" in text
    assert not report.all_passed(figures)
    assert report.all_passed(figures[::2])


def test_signed_paths_pass_the_real_edge(tmp_path: Path) -> None:
    clock = ManualClock(1_780_000_000)
    services = make_services(tmp_path, clock)
    try:
        account = add_account(services, "alice")
        key = Key(account.access_key_id, account.access_key_secret)
        first = signed_path(key, DESCRIBE, {}, clock.now())
        second = signed_path(key, DESCRIBE, {}, clock.now())
        assert first != second  # a fresh nonce each
        query = urlsplit(first).query
        resp = RpcEdge(services).handle(RpcRequest("GET", "/", query, {"host": "x"}, b""))
        assert resp.status == 200, resp.body
    finally:
        services.db.dispose()


def test_replay_script_is_shipped() -> None:
    assert load.SCRIPT.is_file()
    assert "BENCH-JSON" in load.SCRIPT.read_text()


def test_ceiling_generates_the_rows_sheet_xml(tmp_path: Path) -> None:
    start = 1_780_000_200
    plan = WorkbookPlan(ExportType.FLOW, Language.EN_US, "UTC", start, start + 900, "domain")
    series = [
        Series("a.example.com", 0, (np.array([1, 2, 3], dtype=np.int64),)),
        Series("a.example.com", 4, (np.array([0, 10**12, 7], dtype=np.int64),)),
    ]
    loaded = writers.Loaded(plan, series, 6)
    ceiling = writers.ceiling(loaded, repeats=1)
    xml = writers._sheet_xml(*writers._columns(loaded)).to_pybytes().decode()
    assert xml.count("<row>") == 6 and ceiling.xml_bytes == len(xml)
    assert '<c t="s"><v>1</v></c>' in xml  # region 4 follows the one label in the strings
    # Shortest round-trip text (Arrow may use an exponent, which a cell value allows).
    bandwidth = xml.split("<c><v>1000000000000</v></c><c><v>")[1].split("<")[0]
    assert float(bandwidth) == 10**12 * 8 / 300
    assert 0 < ceiling.compressed_bytes < ceiling.xml_bytes
    assert ceiling.rows_per_second > 0 and ceiling.method == "Arrow kernels"
    generate = writers._native(tmp_path)
    if generate is not None:  # where a C compiler is installed: the same cell values
        native = bytes(generate(*writers._native_inputs(loaded))).decode()
        values = [part.split("<")[0] for part in native.split("<v>")[1:]]
        expected = [part.split("<")[0] for part in xml.split("<v>")[1:]]
        # Nine decimals stand in for the shortest text (see sheetxml.c).
        assert [float(v) for v in values] == pytest.approx([float(v) for v in expected])
        assert native.count("<row>") == 6


def test_usage_bench_writes_whole_months_of_samples(tmp_path: Path) -> None:
    from bench import usage_queries

    services = make_services(tmp_path, ManualClock(usage_queries.NOW))
    try:
        written = usage_queries._insert(services.db, 9, 10, usage_queries.START, [(0, 1), (5, 10)])
        assert written == 3 * usage_queries.SLOTS  # two domains in CN, the tenth also in EU
        with services.db.read() as conn:
            first, last = conn.execute(text("SELECT min(ts), max(ts) FROM usage_sample")).one()
        assert (first, last) == (usage_queries.START, usage_queries.END - 300)
    finally:
        services.db.dispose()
