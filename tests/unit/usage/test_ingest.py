from __future__ import annotations

import gzip
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cdnexport.db.engine import Database
from cdnexport.domain.regions import REGION_ID
from cdnexport.usage.ingest import IngestError, IngestReport, ingest_file
from tests.support import migrated_database as database
from tests.unit.usage.helpers import T0, add_account, sample_count, sample_rows, utc

HEADER = (
    "time,domain,region,traffic_bytes,static_https_requests,"
    "dynamic_http_requests,dynamic_https_requests"
)
GOOD = "2024-05-01T00:00:00Z,a.example,CN,100,1,2,3"


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    """Ingest logic does not depend on the engine, so most of these tests run on SQLite only."""
    with database(f"sqlite:///{tmp_path / 'ingest.db'}") as db:
        add_account(db, 1, "acme", ("a.example", "b.example"))
        add_account(db, 2, "other", ("theirs.example",))
        yield db


def csv_file(tmp_path: Path, *lines: str, name: str = "usage.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_csv_rows_are_applied_and_reported(db: Database, tmp_path: Path) -> None:
    ids = add_account(db, 1, "acme", ("a.example", "b.example"))
    path = csv_file(
        tmp_path,
        HEADER,
        GOOD,
        "2024-05-01T00:05:00+00:00,B.Example,eu,7,,0,1",
        "",
        "2024-05-01T00:10:00Z,a.example,Sa,0,0,0,0",
    )

    report = ingest_file(db, 1, path)

    assert report == IngestReport(3, ("a.example", "b.example"), T0, T0 + 600)
    a, b = ids["a.example"], ids["b.example"]
    assert sample_rows(db) == [
        (a, REGION_ID["CN"], T0, 100, 1, 2, 3),
        (a, REGION_ID["SA"], T0 + 600, 0, 0, 0, 0),
        (b, REGION_ID["EU"], T0 + 300, 7, 0, 0, 1),
    ]


def test_metric_columns_may_be_absent_and_columns_reordered(
    sqlite_db: Database, tmp_path: Path
) -> None:
    path = csv_file(
        tmp_path,
        "region,traffic_bytes,domain,time",
        "AP1,42,a.example,2024-05-01T00:00:00Z",
    )

    assert ingest_file(sqlite_db, 1, path).rows == 1
    assert sample_rows(sqlite_db)[0][1:] == (REGION_ID["AP1"], T0, 42, 0, 0, 0)


def test_gzipped_csv_is_read(sqlite_db: Database, tmp_path: Path) -> None:
    path = tmp_path / "usage.csv.gz"
    with gzip.open(path, "wt", encoding="utf-8") as out:
        out.write(f"{HEADER}\r\n{GOOD}\r\n")

    assert ingest_file(sqlite_db, 1, path).rows == 1
    assert sample_count(sqlite_db) == 1


def test_reingesting_replaces_the_values(sqlite_db: Database, tmp_path: Path) -> None:
    ingest_file(sqlite_db, 1, csv_file(tmp_path, HEADER, GOOD))
    ingest_file(sqlite_db, 1, csv_file(tmp_path, HEADER, GOOD.replace(",100,", ",555,")))

    rows = sample_rows(sqlite_db)
    assert [row[3] for row in rows] == [555]


def test_header_only_file_applies_nothing(sqlite_db: Database, tmp_path: Path) -> None:
    assert ingest_file(sqlite_db, 1, csv_file(tmp_path, HEADER)) == IngestReport(0, (), None, None)


def test_parquet_with_timestamp_and_text_times(sqlite_db: Database, tmp_path: Path) -> None:
    stamps = pa.array(
        [datetime(2024, 5, 1, 0, 0, tzinfo=UTC), datetime(2024, 5, 1, 0, 5)],
        pa.timestamp("s", tz="UTC"),
    )
    stamped = tmp_path / "stamped.parquet"
    pq.write_table(
        pa.table(
            {
                "time": stamps,
                "domain": ["a.example", "a.example"],
                "region": ["CN", "NA"],
                "traffic_bytes": pa.array([5, None], pa.int64()),
                "dynamic_https_requests": pa.array([1, 2], pa.int32()),
            }
        ),
        stamped,
    )
    texts = tmp_path / "texts.parquet"
    pq.write_table(
        pa.table(
            {
                "time": ["2024-05-01T00:10:00Z"],
                "domain": ["b.example"],
                "region": ["MEAA"],
                "traffic_bytes": ["12"],
            }
        ),
        texts,
    )

    assert ingest_file(sqlite_db, 1, stamped) == IngestReport(2, ("a.example",), T0, T0 + 300)
    assert ingest_file(sqlite_db, 1, texts).rows == 1
    assert [row[1:] for row in sample_rows(sqlite_db)] == [
        (REGION_ID["CN"], T0, 5, 0, 0, 1),
        (REGION_ID["NA"], T0 + 300, 0, 0, 0, 2),
        (REGION_ID["MEAA"], T0 + 600, 12, 0, 0, 0),
    ]


BAD_ROWS = {
    "bad-time": ("2024-05-01 00:05:00,a.example,CN,1,1,1,1", "ISO-8601"),
    "not-utc": ("2024-05-01T08:05:00+08:00,a.example,CN,1,1,1,1", "ISO-8601"),
    "no-such-date": ("2024-02-30T00:00:00Z,a.example,CN,1,1,1,1", "ISO-8601"),
    "misaligned": ("2024-05-01T00:06:00Z,a.example,CN,1,1,1,1", "5-minute"),
    "bad-region": ("2024-05-01T00:05:00Z,a.example,XX,1,1,1,1", "region 'XX'"),
    "negative": ("2024-05-01T00:05:00Z,a.example,CN,-5,1,1,1", "negative"),
    "fraction": ("2024-05-01T00:05:00Z,a.example,CN,1.5,1,1,1", "non-negative integer"),
    "exponent": ("2024-05-01T00:05:00Z,a.example,CN,1e3,1,1,1", "non-negative integer"),
    "underscore": ("2024-05-01T00:05:00Z,a.example,CN,1_000,1,1,1", "non-negative integer"),
    "too-large": ("2024-05-01T00:05:00Z,a.example,CN,9223372036854775808,0,0,0", "too large"),
    "foreign-domain": ("2024-05-01T00:05:00Z,theirs.example,CN,1,1,1,1", "not a domain"),
    "unknown-domain": ("2024-05-01T00:05:00Z,nobody.example,CN,1,1,1,1", "not a domain"),
    "short-row": ("2024-05-01T00:05:00Z,a.example,CN,1", "expected 7 fields, found 4"),
    "duplicate": (GOOD.replace(",100,", ",9,"), "duplicate of line 2"),
}


@pytest.mark.parametrize(("row", "message"), BAD_ROWS.values(), ids=BAD_ROWS.keys())
def test_a_bad_row_rejects_the_whole_file(
    sqlite_db: Database, tmp_path: Path, row: str, message: str
) -> None:
    path = csv_file(tmp_path, HEADER, GOOD, row, "2024-05-01T00:15:00Z,b.example,EU,1,1,1,1")

    with pytest.raises(IngestError, match=message) as caught:
        ingest_file(sqlite_db, 1, path)

    assert caught.value.line == 3
    assert sample_count(sqlite_db) == 0


BAD_HEADERS = {
    "unknown-column": (f"{HEADER},cache_hits", "unknown column 'cache_hits'"),
    "missing-header": (GOOD, "missing header"),
    "missing-required": ("time,domain,traffic_bytes", "missing required column region"),
    "repeated": ("time,domain,region,region", "more than once"),
}


@pytest.mark.parametrize(("header", "message"), BAD_HEADERS.values(), ids=BAD_HEADERS.keys())
def test_a_bad_header_is_line_one(
    sqlite_db: Database, tmp_path: Path, header: str, message: str
) -> None:
    with pytest.raises(IngestError, match=message) as caught:
        ingest_file(sqlite_db, 1, csv_file(tmp_path, header, GOOD))

    assert caught.value.line == 1
    assert sample_count(sqlite_db) == 0


def test_an_empty_file_has_no_header(sqlite_db: Database, tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")

    with pytest.raises(IngestError, match="missing header") as caught:
        ingest_file(sqlite_db, 1, path)
    assert caught.value.line == 1


def test_line_numbers_count_skipped_blank_lines(sqlite_db: Database, tmp_path: Path) -> None:
    path = csv_file(tmp_path, HEADER, "", GOOD, "", "2024-05-01T00:05:00Z,a.example,ZZ,1,1,1,1")

    with pytest.raises(IngestError) as caught:
        ingest_file(sqlite_db, 1, path)
    assert caught.value.line == 5


def test_parquet_rows_are_numbered_from_one(sqlite_db: Database, tmp_path: Path) -> None:
    path = tmp_path / "bad.parquet"
    table = pa.table(
        {
            "time": ["2024-05-01T00:00:00Z", "2024-05-01T00:05:00Z", "2024-05-01T00:10:00Z"],
            "domain": ["a.example"] * 3,
            "region": ["CN"] * 3,
            "traffic_bytes": pa.array([1.0, 2.5, 3.0], pa.float64()),
        }
    )
    pq.write_table(table, path)

    with pytest.raises(IngestError, match=r"traffic_bytes 1\.0 is not a non-negative integer") as e:
        ingest_file(sqlite_db, 1, path)
    assert e.value.line == 1
    assert sample_count(sqlite_db) == 0


def test_parquet_unknown_column_rejects_the_file(sqlite_db: Database, tmp_path: Path) -> None:
    path = tmp_path / "extra.parquet"
    table = pa.table({"time": [T0], "domain": ["a.example"], "region": ["CN"], "extra": [1]})
    pq.write_table(table, path)

    with pytest.raises(IngestError, match="unknown column 'extra'") as caught:
        ingest_file(sqlite_db, 1, path)
    assert caught.value.line == 0


def test_parquet_time_must_be_aligned(sqlite_db: Database, tmp_path: Path) -> None:
    path = tmp_path / "time.parquet"
    stamps = [datetime(2024, 5, 1, 0, 0, tzinfo=UTC), datetime(2024, 5, 1, 0, 0, 1, tzinfo=UTC)]
    table = pa.table(
        {
            "time": pa.array(stamps, pa.timestamp("ms", tz="UTC")),
            "domain": ["a.example"] * 2,
            "region": ["CN"] * 2,
        }
    )
    pq.write_table(table, path)

    with pytest.raises(IngestError, match="5-minute") as caught:
        ingest_file(sqlite_db, 1, path)
    assert caught.value.line == 2


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("usage.json", b"{}", "unsupported file type"),
        ("usage.parquet", b"not parquet", "not a readable Parquet file"),
        ("usage.csv.gz", b"not gzip", "cannot read the file"),
        ("usage.csv", HEADER.encode() + b"\n\xff\xfe,x\n", "cannot read the file"),
    ],
)
def test_unreadable_files_are_rejected(
    sqlite_db: Database, tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)

    with pytest.raises(IngestError, match=message):
        ingest_file(sqlite_db, 1, path)
    assert sample_count(sqlite_db) == 0


def test_iso_time_helper_matches_the_constant() -> None:
    assert utc("2024-05-01T00:00:00Z") == T0
