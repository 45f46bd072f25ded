"""CSV and Parquet detail files: the workbook's detail rows, in its order and words, read back
with the csv module and pyarrow and compared with the workbook itself."""

from __future__ import annotations

import csv
import gzip
import io
import json
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cdnexport.domain.task import ExportType, FileFormat, Language
from cdnexport.export import layout
from cdnexport.export.builder import build_workbook
from cdnexport.export.csvfile import CsvDetailWriter, neutralise
from cdnexport.export.fastxlsx import FastXlsxWriter
from cdnexport.export.formats import open_writer
from cdnexport.export.parquetfile import GROUP_ROWS, ParquetDetailWriter
from cdnexport.export.plan import WorkbookPlan
from cdnexport.usage.series import Series
from tests.unit.export.reports import build, detail_rows, facts, read
from tests.unit.export.samples import numbered_flow_series, plan, series, utc

BERLIN = "Europe/Berlin"
#: 2024-10-27 00:00 UTC: Berlin turns its clocks back from 03:00 to 02:00 at 01:00 UTC.
FOLD_DAY = utc("2024-10-27 00:00")
HOSTILE = ("=cmd|'/C calc'!A0", "+1+1", "-2", "@SUM(A1)", "\tx", "\rx", 'a,"b"\nc')


def fold_plan(language: Language = Language.EN_US, **changes: Any) -> WorkbookPlan:
    """Four hours of Berlin time across the hour it repeats, with the summary's facts."""
    base = plan(48, start=FOLD_DAY, time_zone=BERLIN, language=language)
    return replace(base, facts=facts(), **changes)


def fold_series() -> list[Series]:
    return numbered_flow_series(3, 48)


def write(path: Path, file_format: FileFormat, p: WorkbookPlan, items: list[Series]) -> None:
    writer = open_writer(file_format, path, p, FastXlsxWriter)
    # Small sheets, so the workbook continues on numbered sheets the flat files must join.
    build_workbook(p, items, len(items), writer, max_rows_per_sheet=50)
    writer.close()


def workbook_rows(path: Path, p: WorkbookPlan, items: list[Series]) -> list[tuple[Any, ...]]:
    build(path, "fast", p, items, max_rows=50)
    base = "Detail" if p.language is Language.EN_US else "明细"
    return detail_rows(read(path), base)


def test_parquet_holds_the_workbooks_rows_typed(tmp_path: Path) -> None:
    p, items = fold_plan(), fold_series()
    expected = workbook_rows(tmp_path / "book.xlsx", p, items)
    write(tmp_path / "t.parquet", FileFormat.PARQUET, p, items)
    table = pq.read_table(tmp_path / "t.parquet")
    assert table.column_names == [
        "Time (Europe/Berlin)",
        "Domain",
        "Billing Region",
        "Traffic (Byte)",
        "Bandwidth (bps)",
    ]
    assert table.schema.types == [
        pa.timestamp("ms", tz=BERLIN),
        pa.string(),
        pa.string(),
        pa.int64(),
        pa.float64(),
    ]
    assert table.num_rows == len(expected) == 3 * 48
    times = table.column(0).to_pylist()
    rows = zip(times, *(table.column(i).to_pylist() for i in range(1, 5)), strict=True)
    for (moment, *rest), want in zip(rows, expected, strict=True):
        assert moment.replace(tzinfo=None) == want[0]  # the workbook's wall-clock time
        assert tuple(rest) == want[1:]
    # The repeated hour: the same wall clock twice, yet every instant 5 minutes after the last.
    instants = table.column(0).cast(pa.int64()).to_pylist()[:48]
    assert instants == [FOLD_DAY * 1000 + slot * 300_000 for slot in range(48)]
    assert len({moment.replace(tzinfo=None) for moment in times[:48]}) == 48 - 12


def test_parquet_metadata_states_the_task_and_the_95th_rule(tmp_path: Path) -> None:
    p, items = fold_plan(), fold_series()
    write(tmp_path / "t.parquet", FileFormat.PARQUET, p, items)
    meta = {
        key.decode(): value.decode()
        for key, value in pq.read_metadata(tmp_path / "t.parquet").metadata.items()
    }
    task = json.loads(meta["cdnexport.task"])
    assert task["account"] == "acme" and task["time_zone"] == BERLIN
    assert task["start"] == "2024-10-27T00:00:00Z" and task["type"] == "flow"
    rule = json.loads(meta["cdnexport.p95_rule"])
    assert (rule["slots"], rule["dropped"], rule["rank"]) == (48, 2, 3)
    assert "floor(n * 0.05)" in rule["rule"]
    assert meta["cdnexport.rows"] == str(3 * 48)
    notes = json.dumps(json.loads(meta["cdnexport.notes"]))
    assert "95th percentile rule" in notes
    assert "acme" in json.dumps(json.loads(meta["cdnexport.summary"]))


def test_parquet_row_groups_are_bounded(tmp_path: Path) -> None:
    slots = 8928
    p = plan(slots)
    items = numbered_flow_series(GROUP_ROWS // slots + 3, slots)
    writer = ParquetDetailWriter(tmp_path / "t.parquet", p)
    build_workbook(p, items, len(items), writer)
    writer.close()
    meta = pq.read_metadata(tmp_path / "t.parquet")
    assert meta.num_rows == len(items) * slots
    assert meta.num_row_groups == 2
    sizes = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
    assert max(sizes) < GROUP_ROWS + slots


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data[3:].decode("utf-8"), newline="")))


def test_csv_is_the_workbooks_rows_with_iso_times(tmp_path: Path) -> None:
    p, items = fold_plan(Language.ZH_CN), fold_series()
    expected = workbook_rows(tmp_path / "book.xlsx", p, items)
    write(tmp_path / "t.csv", FileFormat.CSV, p, items)
    raw = (tmp_path / "t.csv").read_bytes()
    assert b"\r\n" in raw
    header, *rows = read_csv(raw)
    assert header == ["时间 (Europe/Berlin)", "域名", "计费区域", "流量(Byte)", "带宽(bps)"]
    assert len(rows) == len(expected)
    zone = ZoneInfo(BERLIN)
    for row, want in zip(rows, expected, strict=True):
        moment = datetime.fromisoformat(row[0])
        assert moment.utcoffset() is not None
        assert moment.astimezone(zone).replace(tzinfo=None) == want[0]
        assert (row[1], row[2], int(row[3]), float(row[4])) == want[1:]
    offsets = [row[0][-6:] for row in rows[:48]]
    assert offsets == ["+02:00"] * 12 + ["+01:00"] * 36
    # 00:00 UTC is 02:00 summer time; an hour later the clocks show 02:00 again.
    assert rows[0][0] == "2024-10-27T02:00:00+02:00"
    assert rows[12][0] == "2024-10-27T02:00:00+01:00"


def test_csv_gz_is_the_csv_gzipped(tmp_path: Path) -> None:
    p, items = fold_plan(), fold_series()
    write(tmp_path / "t.csv", FileFormat.CSV, p, items)
    write(tmp_path / "t.csv.gz", FileFormat.CSV_GZ, p, items)
    packed = (tmp_path / "t.csv.gz").read_bytes()
    assert packed[:2] == b"\x1f\x8b"
    assert gzip.decompress(packed) == (tmp_path / "t.csv").read_bytes()


@pytest.mark.parametrize("label", HOSTILE)
def test_csv_neutralises_formula_cells(tmp_path: Path, label: str) -> None:
    p = replace(plan(2), label_kind="group")
    writer = CsvDetailWriter(tmp_path / "t.csv", p)
    build_workbook(p, [series(label, 0, [1, 2])], 1, writer)
    writer.close()
    _, *rows = read_csv((tmp_path / "t.csv").read_bytes())
    assert [row[1] for row in rows] == [neutralise(label)] * 2
    if label[0] in "=+-@\t\r":
        assert rows[0][1] == "'" + label
    else:
        assert rows[0][1] == label  # quoted by RFC 4180 rules, read back whole
    assert [row[3] for row in rows] == ["1", "2"]


def test_vas_columns_are_integers(tmp_path: Path) -> None:
    p = plan(2, export_type=ExportType.VAS)
    items = [series("a.example.com", 1, [1, 2], [3, 4], [5, 6])]
    writer = ParquetDetailWriter(tmp_path / "t.parquet", p)
    build_workbook(p, items, 1, writer)
    writer.close()
    table = pq.read_table(tmp_path / "t.parquet")
    assert table.schema.types[3:] == [pa.int64()] * 3
    assert table.column(5).to_pylist() == [5, 6]
    assert b"cdnexport.p95_rule" not in (table.schema.metadata or {})


def test_rows_out_of_slot_order_fail_the_file(tmp_path: Path) -> None:
    p = plan(3)
    writer = CsvDetailWriter(tmp_path / "t.csv", p)
    writer.add_sheet("明细", layout.columns(p.export_type, p.language, "domain", "UTC"))
    late = np.array([45000.0])  # not the window's first slot
    with pytest.raises(ValueError, match="slot order"):
        writer.write_batch([late, ["a"], ["b"], np.array([1]), np.array([2.0])])
    writer.close()
