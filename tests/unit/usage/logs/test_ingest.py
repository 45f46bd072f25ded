"""``ingest_logs`` end to end on SQLite and PostgreSQL."""

from __future__ import annotations

import gzip
import threading
from pathlib import Path

import pytest
from sqlalchemy import Connection, insert, select

from cdnexport.clock import ManualClock
from cdnexport.db.engine import Database
from cdnexport.db.schema import domain, ingested_log
from cdnexport.domain.regions import REGION_ID
from cdnexport.usage.logs.formats import LogFormat
from cdnexport.usage.logs.ingest import LogIngestError, ingest_logs, region_source
from cdnexport.usage.logs.nodemap import FixedRegion, NodeMap, NodeMapError, RegionSource
from cdnexport.usage.logs.report import FileStatus, RunReport
from cdnexport.usage.samples import SampleBatch
from cdnexport.usage.store import SqlUsageStore
from tests.unit.usage.helpers import T0, add_account, sample_rows
from tests.unit.usage.logs.lines import alibaba, at, json_line, local, nginx

CN, EU, NA = REGION_ID["CN"], REGION_ID["EU"], REGION_ID["NA"]
NOW = T0 + 86_400
IN_CN = FixedRegion(CN)


@pytest.fixture
def ids(db: Database) -> dict[str, int]:
    owned = add_account(db, 1, "acme", ("a.example", "b.example"))
    add_account(db, 2, "other", ("theirs.example",))
    return owned


def write(path: Path, lines: list[str], *, packed: bool = False) -> Path:
    data = "".join(f"{line}\n" for line in lines).encode()
    path.write_bytes(gzip.compress(data) if packed else data)
    return path


def run(
    db: Database,
    paths: list[Path],
    log_format: LogFormat = LogFormat.NGINX,
    regions: RegionSource = IN_CN,
    store: SqlUsageStore | None = None,
) -> RunReport:
    return ingest_logs(db, 1, paths, log_format, regions, clock=ManualClock(NOW), store=store)


def recorded(db: Database) -> list[tuple[object, ...]]:
    with db.read() as conn:
        query = select(
            ingested_log.c.domain_id,
            ingested_log.c.lines,
            ingested_log.c.traffic_bytes,
            ingested_log.c.static_https,
            ingested_log.c.ingested_at,
        ).order_by(ingested_log.c.file_digest, ingested_log.c.domain_id)
        return [tuple(row) for row in conn.execute(query)]


def same_requests(log_format: LogFormat) -> list[str]:
    """Four requests of a.example in two slots (one HTTPS) and one of b.example."""
    moments = [(T0, "a.example", 100, "https"), (T0 + 299, "a.example", 20, "http")]
    moments += [(T0 + 300, "a.example", 3, "http"), (T0 + 301, "b.example", 4, "https")]
    if log_format is LogFormat.ALIBABA:
        return [alibaba(local(t, 8), h, s, scheme=sc) for t, h, s, sc in moments]
    if log_format is LogFormat.JSON:
        return [json_line(t, h, s, scheme=sc) for t, h, s, sc in moments]
    return [nginx(t, h, s, scheme=sc) for t, h, s, sc in moments]


@pytest.mark.parametrize("packed", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("log_format", list(LogFormat))
def test_each_format_plain_or_gzipped_gives_the_same_samples(
    db: Database, ids: dict[str, int], tmp_path: Path, log_format: LogFormat, packed: bool
) -> None:
    path = write(tmp_path / "access.log", same_requests(log_format), packed=packed)
    report = run(db, [path], log_format, FixedRegion(EU))
    (file,) = report.files
    assert (file.status, file.lines, file.counted, file.samples) == (FileStatus.INGESTED, 4, 4, 3)
    assert (file.traffic_bytes, file.https_requests) == (127, 2)
    assert (file.first_slot, file.last_slot) == (T0, T0 + 300)
    a, b = ids["a.example"], ids["b.example"]
    assert sample_rows(db) == sorted(
        [(a, EU, T0, 120, 1, 0, 0), (a, EU, T0 + 300, 3, 0, 0, 0), (b, EU, T0 + 300, 4, 1, 0, 0)]
    )
    assert sorted(recorded(db)) == [(a, 4, 123, 1, NOW), (b, 4, 4, 1, NOW)]


def test_reading_the_same_file_again_adds_nothing(
    db: Database, ids: dict[str, int], tmp_path: Path
) -> None:
    path = write(tmp_path / "access.log", same_requests(LogFormat.NGINX))
    run(db, [path])
    before = sample_rows(db)
    again = run(db, [path, path])
    assert [f.status for f in again.files] == [FileStatus.ALREADY_INGESTED] * 2
    assert again.files[0].domains_before == 2
    assert again.files[0].samples == 0
    assert sample_rows(db) == before


def test_the_same_content_plain_and_gzipped_is_one_file(
    db: Database, ids: dict[str, int], tmp_path: Path
) -> None:
    lines = same_requests(LogFormat.NGINX)
    plain = write(tmp_path / "access.log.1", lines)
    packed = write(tmp_path / "access.log.2.gz", lines, packed=True)
    report = run(db, [plain, packed])
    assert [f.status for f in report.files] == [FileStatus.INGESTED, FileStatus.ALREADY_INGESTED]
    assert report.files[0].digest == report.files[1].digest
    assert sum(row[3] for row in sample_rows(db)) == 127


def test_two_edge_nodes_serving_one_domain_and_slot_add_up(
    db: Database, ids: dict[str, int], tmp_path: Path
) -> None:
    one = write(tmp_path / "edge1.log", [nginx(T0 + 1, "a.example", 10, scheme="https")])
    two = write(tmp_path / "edge2.log", [nginx(T0 + 2, "a.example", 5, scheme="https", node="e2")])
    run(db, [one])
    run(db, [two])
    run(db, [one, two])
    assert sample_rows(db) == [(ids["a.example"], CN, T0, 15, 2, 0, 0)]


def test_foreign_domains_are_skipped_and_reported_per_domain(
    db: Database, ids: dict[str, int], tmp_path: Path
) -> None:
    path = write(
        tmp_path / "access.log",
        [
            nginx(T0, "a.example", 1),
            nginx(T0, "theirs.example", 2),
            nginx(T0, "theirs.example", 2),
            nginx(T0, "nobody.example", 4),
        ],
    )
    (file,) = run(db, [path]).files
    assert [(s.name, s.lines) for s in file.skipped] == [
        ("theirs.example", 2),
        ("nobody.example", 1),
    ]
    assert (file.lines, file.counted, file.skipped_lines) == (4, 1, 3)
    assert sample_rows(db) == [(ids["a.example"], CN, T0, 1, 0, 0, 0)]


def test_a_domain_given_to_the_account_later_is_taken_from_a_file_read_before(
    db: Database, ids: dict[str, int], tmp_path: Path
) -> None:
    path = write(tmp_path / "access.log", [nginx(T0, "a.example", 1), nginx(T0, "late.example", 2)])
    run(db, [path])
    with db.write() as conn:
        conn.execute(insert(domain).values(account_id=1, name="late.example"))
        late = conn.execute(select(domain.c.id).where(domain.c.name == "late.example")).scalar()
    (file,) = run(db, [path]).files
    assert (file.status, file.domains_added, file.domains_before) == (FileStatus.INGESTED, 1, 1)
    assert sample_rows(db) == sorted(
        [(ids["a.example"], CN, T0, 1, 0, 0, 0), (late, CN, T0, 2, 0, 0, 0)]
    )


class CrashingStore(SqlUsageStore):
    """Writes its samples, then fails, as a process killed before the commit would."""

    def add(self, conn: Connection, samples: SampleBatch) -> int:
        super().add(conn, samples)
        raise RuntimeError("killed")


def test_a_crash_before_the_commit_leaves_neither_samples_nor_the_record(
    db: Database, ids: dict[str, int], tmp_path: Path
) -> None:
    path = write(tmp_path / "access.log", same_requests(LogFormat.NGINX))
    with pytest.raises(RuntimeError, match="killed"):
        run(db, [path], store=CrashingStore(db))
    assert sample_rows(db) == []
    assert recorded(db) == []
    (file,) = run(db, [path]).files
    assert file.status is FileStatus.INGESTED
    assert sum(row[3] for row in sample_rows(db)) == 127


def test_concurrent_runs_on_one_file_add_it_once(
    db: Database, ids: dict[str, int], tmp_path: Path
) -> None:
    path = write(tmp_path / "access.log", same_requests(LogFormat.NGINX) * 200)
    reports: list[RunReport] = []
    threads = [threading.Thread(target=lambda: reports.append(run(db, [path]))) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(r.files[0].status for r in reports)
    assert statuses.count(FileStatus.INGESTED) == 1
    assert statuses.count(FileStatus.ALREADY_INGESTED) == 2
    assert sum(row[3] for row in sample_rows(db)) == 127 * 200


def test_a_file_with_no_line_of_the_format_is_rejected_and_not_recorded(
    db: Database, ids: dict[str, int], tmp_path: Path
) -> None:
    path = write(tmp_path / "access.log", same_requests(LogFormat.NGINX))
    report = run(db, [path], LogFormat.ALIBABA, FixedRegion(CN))
    (file,) = report.files
    assert file.status is FileStatus.REJECTED
    assert "is --format right?" in file.message
    assert (file.malformed, [m.line for m in file.examples]) == (4, [1, 2, 3, 4])
    assert report.rejected == (file,)
    assert recorded(db) == []
    assert run(db, [path]).files[0].status is FileStatus.INGESTED


def test_an_unreadable_file_is_rejected_and_the_others_go_on(
    db: Database, ids: dict[str, int], tmp_path: Path
) -> None:
    broken = tmp_path / "broken.log.gz"
    broken.write_bytes(gzip.compress(b"x" * 10_000)[:-30])
    good = write(tmp_path / "good.log", [nginx(T0, "a.example", 9)])
    report = run(db, [broken, good])
    assert [f.status for f in report.files] == [FileStatus.REJECTED, FileStatus.INGESTED]
    assert "broken.log.gz" in report.files[0].message
    assert sample_rows(db) == [(ids["a.example"], CN, T0, 9, 0, 0, 0)]


def test_empty_or_wholly_skipped_files_add_nothing_and_record_nothing(
    db: Database, ids: dict[str, int], tmp_path: Path
) -> None:
    empty = write(tmp_path / "empty.log", [])
    foreign = write(tmp_path / "foreign.log", [nginx(T0, "theirs.example", 1)])
    report = run(db, [empty, foreign])
    assert [f.status for f in report.files] == [FileStatus.NOTHING_TO_ADD] * 2
    assert recorded(db) == [] and sample_rows(db) == []


def test_alibaba_files_take_their_region_from_their_names(
    db: Database, ids: dict[str, int], tmp_path: Path
) -> None:
    node_map = NodeMap.parse("fra-*,EU\nnyc-*,NA\n")
    moment = at("2024-05-01T00:00:00")
    fra = write(tmp_path / "fra-1.log", [alibaba(moment, "a.example", 10)])
    nyc = write(tmp_path / "nyc-1.log.gz", [alibaba(moment, "a.example", 20)], packed=True)
    unmapped = write(tmp_path / "sin-1.log", [alibaba(moment, "a.example", 40)])
    with pytest.raises(LogIngestError, match=r"no rule of the node map matches .*sin-1\.log"):
        run(db, [fra, unmapped], LogFormat.ALIBABA, node_map)
    assert sample_rows(db) == []
    run(db, [fra, nyc], LogFormat.ALIBABA, node_map)
    a = ids["a.example"]
    assert sample_rows(db) == [(a, NA, T0, 20, 0, 0, 0), (a, EU, T0, 10, 0, 0, 0)]


def test_nginx_and_json_lines_take_their_region_from_their_node(
    db: Database, ids: dict[str, int], tmp_path: Path
) -> None:
    node_map = NodeMap.parse("fra-*,EU\n")
    nginx_log = write(
        tmp_path / "n.log",
        [nginx(T0, "a.example", 1, node="fra-1"), nginx(T0, "a.example", 2, node="sha-1")],
    )
    json_log = write(
        tmp_path / "j.log",
        [json_line(T0, "a.example", 4, node="fra-2"), json_line(T0, "a.example", 8)],
    )
    (nginx_file,) = run(db, [nginx_log], LogFormat.NGINX, node_map).files
    (json_file,) = run(db, [json_log], LogFormat.JSON, node_map).files
    assert [(s.reason, s.name) for s in nginx_file.skipped] == [("node", "sha-1")]
    assert [(s.reason, s.name) for s in json_file.skipped] == [("node", "")]
    assert sample_rows(db) == [(ids["a.example"], EU, T0, 5, 0, 0, 0)]


def test_region_source_from_cli_options(tmp_path: Path) -> None:
    assert region_source("eu", None) == FixedRegion(EU)
    path = tmp_path / "nodes.csv"
    path.write_text("edge-*,NA\n")
    assert region_source(None, path) == NodeMap.parse("edge-*,NA")
    with pytest.raises(LogIngestError, match="exactly one"):
        region_source(None, None)
    with pytest.raises(LogIngestError, match="exactly one"):
        region_source("CN", path)
    with pytest.raises(LogIngestError, match="'XX' is not one of"):
        region_source("XX", None)
    path.write_text("edge-*,XX\n")
    with pytest.raises(NodeMapError, match="line 1"):
        region_source(None, path)
