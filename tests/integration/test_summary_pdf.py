"""PDF usage summaries end to end in process: every figure read back from the PDF's text equals
an independent computation from the known samples, for 28-, 30- and 31-day months and an empty
one; page 1 is not blank; a zh-cn task without a CJK font fails with a clear message."""

from __future__ import annotations

import dataclasses
import json
import random
import re
import subprocess
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from cdnexport.clock import ManualClock
from cdnexport.db import accounts, queue
from cdnexport.db.accounts import Account
from cdnexport.domain.regions import REGION_ID
from cdnexport.services import Services
from cdnexport.usage.query import UsageQuery, UsageSource
from cdnexport.usage.samples import SampleBatch
from cdnexport.usage.series import Series
from cdnexport.usage.store import SqlUsageStore
from cdnexport.web.rpc import RpcEdge
from cdnexport.worker.runner import Worker
from tests.support import add_account, iso, make_services, v1_request

SLOT = 300
DAY = 86400
REGIONS = ("CN", "AP1", "AP2", "AP3", "NA", "EU", "MEAA", "SA")
NAMES = (
    "Chinese Mainland",
    "Asia Pacific 1",
    "Asia Pacific 2",
    "Asia Pacific 3",
    "North America",
    "Europe",
    "Middle East and Africa",
    "South America",
)
DOMAINS = tuple(f"d{n:02d}.example.com" for n in range(23))
# (domain index, region, share of slots with a sample); d22 has none at all.
PAIRS = [(n, "CN", 0.6) for n in range(22)] + [
    (0, "AP1", 0.5),
    (1, "NA", 0.3),
    (2, "EU", 0.2),
    (3, "SA", 0.05),
    (4, "AP1", 0.4),
]
ZONE = "Asia/Shanghai"
#: After every month used here, and less than a year after the earliest.
NOW = int(datetime(2026, 7, 2, tzinfo=UTC).timestamp())
Sample = tuple[int, str, str, int, int, int, int]  # ts, domain, region, traffic, 3 request kinds


def month(year: int, number: int) -> tuple[int, int]:
    start = datetime(year, number, 1, tzinfo=UTC)
    end = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=UTC)
    return int(start.timestamp()), int(end.timestamp())


def make_samples(start: int, end: int, seed: int, *, edges: bool = True) -> list[Sample]:
    """Random samples of ``PAIRS`` in [start, end); with ``edges`` also one just before and
    one just after, which must count nowhere."""
    rng = random.Random(seed)
    samples = []
    for index, region, density in PAIRS:
        for ts in range(start, end, SLOT):
            if rng.random() < density:
                traffic = rng.choice((0, rng.randrange(1, 10**6), rng.randrange(10**8, 10**11)))
                samples.append(
                    (
                        ts,
                        DOMAINS[index],
                        region,
                        traffic,
                        rng.randrange(10**4),
                        rng.randrange(10**3),
                        rng.randrange(10**5),
                    )
                )
    if edges:
        samples.append((start - SLOT, DOMAINS[0], "CN", 10**12, 1, 1, 1))
        samples.append((end, DOMAINS[1], "EU", 10**12, 1, 1, 1))
    return samples


# -- the independent computation: plain Python over the sample list ----------------------------


def bps(traffic: int) -> str:
    return f"{traffic * 8 / 300:,.2f}"


@dataclass(frozen=True)
class Expected:
    traffic: int
    peak: str
    peak_time: str
    p95: str
    average: str


def expect(series: list[int], slots: list[int], zone: ZoneInfo) -> Expected:
    total = sum(series)
    n = len(series)
    peak = max(series) if series else 0
    peak_time = "-"
    if peak > 0:
        first = series.index(peak)
        peak_time = datetime.fromtimestamp(slots[first], zone).strftime("%Y-%m-%d %H:%M")
    ranked = sorted(series, reverse=True)
    p95 = ranked[n // 20] if n else 0
    return Expected(total, bps(peak), peak_time, bps(p95), f"{total * 8 / (300 * n):,.2f}")


def per_slot(samples: list[Sample], start: int, end: int, keep: Any, metric: int) -> list[int]:
    values = dict.fromkeys(range(start, end, SLOT), 0)
    for sample in samples:
        if start <= sample[0] < end and keep(sample):
            value = sample[metric]
            assert isinstance(value, int)
            values[sample[0]] += value
    return [values[ts] for ts in range(start, end, SLOT)]


# -- reading the PDF back -----------------------------------------------------------------------

NUMBER = r"[0-9][0-9,]*"
DECIMAL = r"[0-9][0-9,]*\.[0-9]{2}"
TIME = r"(?:[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}|-)"


def pdf_text(path: Path) -> str:
    done = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
    )
    return done.stdout


def traffic_row(text: str, label: str) -> Expected:
    pattern = (
        rf"^\s*{re.escape(label)}\s+({NUMBER})\s+({DECIMAL})\s+({TIME})\s+({DECIMAL})"
        rf"\s+({DECIMAL})\s*$"
    )
    found = re.search(pattern, text, re.MULTILINE)
    assert found is not None, f"no traffic row {label!r} in:\n{text}"
    traffic, peak, time, p95, average = found.groups()
    return Expected(int(traffic.replace(",", "")), peak, time, p95, average)


def request_row(text: str, label: str) -> tuple[int, ...]:
    pattern = rf"^\s*{re.escape(label)}\s+({NUMBER})\s+({NUMBER})\s+({NUMBER})\s+({NUMBER})\s*$"
    found = re.search(pattern, text, re.MULTILINE)
    assert found is not None, f"no request row {label!r} in:\n{text}"
    return tuple(int(value.replace(",", "")) for value in found.groups())


# -- the service --------------------------------------------------------------------------------


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    svc = make_services(tmp_path, ManualClock(NOW), time_zone=ZONE)
    yield svc
    svc.db.dispose()


def load(services: Services, samples: list[Sample]) -> Account:
    account = add_account(services, "acme-summary", DOMAINS)
    with services.db.write() as conn:
        ids = accounts.domain_ids(conn, account.id, list(DOMAINS))
        assert ids is not None
        rows = [(ids[d], REGION_ID[r], ts, t, a, b, c) for ts, d, r, t, a, b, c in samples]
        assert isinstance(services.usage, SqlUsageStore)
        services.usage.upsert(conn, SampleBatch.from_rows(rows))
    return account


def rpc(services: Services, account: Account, action: str, **params: str) -> dict[str, Any]:
    request = v1_request(account, action, params, services.clock.now())
    body: dict[str, Any] = json.loads(RpcEdge(services).handle(request).body)
    return body


def items(services: Services, account: Account, action: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = rpc(services, account, action)["UsageDataPerPage"]["Data"][
        "DataItem"
    ]
    return found


def make_pdf(
    services: Services, account: Account, start: int, end: int, language: str = "en-us"
) -> tuple[dict[str, Any], Path]:
    created = rpc(
        services,
        account,
        "CreateUserUsageDataExportTask",
        StartTime=iso(start),
        EndTime=iso(end),
        Language=language,
        TaskName="monthly",
    )
    task_id = created["TaskId"]
    assert task_id.startswith("summary-")
    assert Worker(services).run_once()
    [item] = [i for i in items(services, account, "DescribeUserUsageDataExportTask")]
    assert item["TaskId"] == task_id
    path = services.settings.exports_dir / f"{account.id}/{task_id.removeprefix('summary-')}.pdf"
    return item, path


@pytest.mark.parametrize(
    ("year", "number", "slots"),
    [(2026, 2, 8064), (2026, 4, 8640), (2026, 5, 8928)],
    ids=["28-days", "30-days", "31-days"],
)
def test_every_figure_equals_an_independent_computation(
    services: Services, year: int, number: int, slots: int
) -> None:
    start, end = month(year, number)
    assert (end - start) // SLOT == slots
    samples = make_samples(start, end, seed=number)
    account = load(services, samples)
    item, path = make_pdf(services, account, start, end)
    assert item["Status"] == "success", item
    text = pdf_text(path)
    zone = ZoneInfo(ZONE)
    times = list(range(start, end, SLOT))

    def traffic_of(keep: Any) -> list[int]:
        return per_slot(samples, start, end, keep, 3)

    for code, name in zip(REGIONS, NAMES, strict=True):
        assert traffic_row(text, name) == expect(
            traffic_of(lambda s, c=code: s[2] == c), times, zone
        ), name
        want = tuple(
            sum(per_slot(samples, start, end, lambda s, c=code: s[2] == c, m)) for m in (4, 5, 6)
        )
        assert request_row(text, name) == (*want, sum(want)), name
    areas = {
        "Chinese Mainland (CN)": lambda s: s[2] == "CN",
        "Outside the mainland": lambda s: s[2] != "CN",
        "Overall": lambda s: True,
    }
    for label, keep in areas.items():
        assert traffic_row(text, label) == expect(traffic_of(keep), times, zone), label
        want = tuple(sum(per_slot(samples, start, end, keep, m)) for m in (4, 5, 6))
        assert request_row(text, label) == (*want, sum(want)), label

    # The daily table: calendar days of the report zone.
    overall = traffic_of(lambda s: True)
    days: dict[str, list[int]] = defaultdict(list)
    for index, ts in enumerate(times):
        days[datetime.fromtimestamp(ts, zone).strftime("%Y-%m-%d")].append(index)
    for day, indexes in days.items():
        values = [overall[i] for i in indexes]
        peak = max(values)
        when = "-"
        if peak > 0:
            first = indexes[values.index(peak)]
            when = datetime.fromtimestamp(times[first], zone).strftime("%Y-%m-%d %H:%M")
        row = rf"^\s*{day}\s+{len(indexes)}\s+{sum(values):,}\s+{re.escape(bps(peak))}\s+{when}\s"
        assert re.search(row, text, re.MULTILINE), f"day {day}"

    # The 20 largest domains by traffic, with their peak and 95th over all their regions.
    per_domain = {
        domain: traffic_of(lambda s, d=domain: s[1] == d)
        for domain in DOMAINS
        if any(s[1] == domain and start <= s[0] < end for s in samples)
    }
    ranked = sorted(per_domain, key=lambda d: (-sum(per_domain[d]), d))[:20]
    listed = re.findall(r"^\s*(d[0-9]{2}\.example\.com)\s", text, re.MULTILINE)
    assert listed == ranked
    for domain in ranked:
        figures = expect(per_domain[domain], times, zone)
        row = (
            rf"^\s*{re.escape(domain)}\s+{figures.traffic:,}\s+{re.escape(figures.peak)}\s+"
            rf"{figures.peak_time}\s+{re.escape(figures.p95)}\s"
        )
        assert re.search(row, text, re.MULTILINE), domain
    assert f"of {len(per_domain)} with usage" in text
    # The rule in words, with this window's n.
    dropped = slots // 20
    assert f"Here n = {slots:,}: {dropped:,} dropped, value number {dropped + 1:,}" in text
    assert "PROVISIONAL" not in text


def test_empty_month_shows_zeros_and_no_chart(services: Services) -> None:
    start, end = month(2026, 4)
    # Data in the month before only: the account has a watermark, this month nothing.
    account = load(services, make_samples(start - 3 * DAY, start, seed=7, edges=False))
    item, path = make_pdf(services, account, start, end)
    assert item["Status"] == "success", item
    text = pdf_text(path)
    assert "no usage in this window" in text
    for label in (*NAMES, "Chinese Mainland (CN)", "Outside the mainland", "Overall"):
        assert traffic_row(text, label) == Expected(0, "0.00", "-", "0.00", "0.00")
        assert request_row(text, label) == (0, 0, 0, 0)
    # The watermark lies before the window, so the window runs past it.
    assert "PROVISIONAL" in text


def test_provisional_while_the_window_runs_past_the_watermark(services: Services) -> None:
    start, end = month(2026, 5)
    account = load(services, make_samples(start, end - 4 * DAY, seed=3))
    _, path = make_pdf(services, account, start, end - 3 * DAY)
    text = pdf_text(path)
    assert "PROVISIONAL" in text
    assert "the window runs past the newest data" in text


def test_chinese_page_one_has_glyphs(services: Services, tmp_path: Path) -> None:
    start = month(2026, 5)[0]
    account = load(services, make_samples(start, start + 2 * DAY, seed=5))
    item, path = make_pdf(services, account, start, start + 2 * DAY, "zh-cn")
    assert item["TaskConfig"]["Language"] == "zh-cn"
    text = pdf_text(path)
    # Typst spaces CJK from Latin letters and digits; pdftotext turns that into a space.
    flat = re.sub(r"\s+", "", text)
    for words in ("CDN用量汇总", "中国内地合计", "中国内地以外合计", "全部合计", "计算规则"):
        assert words in flat
    subprocess.run(
        ["pdftoppm", "-r", "40", "-gray", "-f", "1", "-l", "1", str(path), str(tmp_path / "p")],
        check=True,
    )
    [image] = tmp_path.glob("p*.pgm")
    pixels = gray_pixels(image.read_bytes())
    # Not blank: a good share of the page is ink, not paper.
    dark = sum(1 for value in pixels if value < 128)
    assert dark > len(pixels) // 100


def gray_pixels(pgm: bytes) -> bytes:
    """The pixel bytes of a binary PGM (``P5``, 8-bit) as pdftoppm writes it."""
    fields = pgm.split(maxsplit=4)
    assert fields[0] == b"P5" and fields[3] == b"255", fields[:4]
    width, height = int(fields[1]), int(fields[2])
    return pgm[-width * height :]


def test_zh_cn_without_a_cjk_font_fails_clearly(tmp_path: Path) -> None:
    empty = tmp_path / "no-fonts"
    empty.mkdir()
    services = make_services(tmp_path, ManualClock(NOW), report_font_dir=empty)
    try:
        start = month(2026, 5)[0]
        account = load(services, make_samples(start, start + DAY, seed=1))
        item, _ = make_pdf(services, account, start, start + DAY, "zh-cn")
        assert item["Status"] == "failed"
        assert "needs a CJK font" in item["ErrorMessage"]
        assert "fonts-noto-cjk" in item["ErrorMessage"]
        # English still works with Typst's own fonts.
        rpc(services, account, "DeleteUserUsageDataExportTask", TaskId=item["TaskId"])
        item, path = make_pdf(services, account, start, start + DAY, "en-us")
        assert item["Status"] == "success"
        assert "Overall" in pdf_text(path)
    finally:
        services.db.dispose()


def test_families_keep_their_own_ids_and_lists(services: Services) -> None:
    start = month(2026, 5)[0]
    account = load(services, make_samples(start, start + DAY, seed=2))
    window = {"StartTime": iso(start), "EndTime": iso(start + DAY)}
    detail = rpc(services, account, "CreateUsageDetailDataExportTask", Type="flow", **window)
    pdf = rpc(services, account, "CreateUserUsageDataExportTask", Type="flow", **window)
    assert detail["TaskId"].isdigit() and pdf["TaskId"].startswith("summary-")
    detail_ids = [
        i["TaskId"] for i in items(services, account, "DescribeUserUsageDetailDataExportTask")
    ]
    pdf_ids = [i["TaskId"] for i in items(services, account, "DescribeUserUsageDataExportTask")]
    assert detail_ids == [detail["TaskId"]] and pdf_ids == [pdf["TaskId"]]
    # Neither family's Delete takes the other's ids.
    wrong = rpc(services, account, "DeleteUserUsageDataExportTask", TaskId=detail["TaskId"])
    assert wrong["Code"] == "InvalidTaskId.Malformed"
    wrong = rpc(services, account, "DeleteUsageDetailDataExportTask", TaskId=pdf["TaskId"])
    assert wrong["Code"] == "InvalidTaskId.Malformed"
    number = pdf["TaskId"].removeprefix("summary-")
    wrong = rpc(services, account, "DeleteUsageDetailDataExportTask", TaskId=number)
    assert wrong["Code"] == "InvalidTaskId.Malformed"
    assert len(items(services, account, "DescribeUserUsageDataExportTask")) == 1
    # Both run on the same workers, oldest first.
    assert Worker(services).run_once() and Worker(services).run_once()
    for action in ("DescribeUserUsageDetailDataExportTask", "DescribeUserUsageDataExportTask"):
        assert [i["Status"] for i in items(services, account, action)] == ["success"]
    rpc(services, account, "DeleteUserUsageDataExportTask", TaskId=pdf["TaskId"])
    assert items(services, account, "DescribeUserUsageDataExportTask") == []
    assert not list(services.settings.exports_dir.rglob("*.pdf"))
    assert len(items(services, account, "DescribeUserUsageDetailDataExportTask")) == 1


def test_a_crashed_summary_is_run_again_by_the_next_worker(services: Services) -> None:
    start = month(2026, 5)[0]
    clock = services.clock
    assert isinstance(clock, ManualClock)
    account = load(services, make_samples(start, start + DAY, seed=4))
    rpc(
        services,
        account,
        "CreateUserUsageDataExportTask",
        StartTime=iso(start),
        EndTime=iso(start + DAY),
    )
    # A worker claims it and dies without a word: its lease runs out.
    with services.db.write() as conn:
        held = queue.claim(conn, "dead-worker", int(clock.now()), 30, 5)
    assert held is not None
    assert not Worker(services).run_once()
    clock.advance(31)
    assert Worker(services).run_once()
    [item] = items(services, account, "DescribeUserUsageDataExportTask")
    assert item["Status"] == "success"


def test_pdf_figures_equal_the_workbook_summary_of_the_same_window(services: Services) -> None:
    start, end = month(2026, 2)
    account = load(services, make_samples(start, end, seed=28))
    window = {"StartTime": iso(start), "EndTime": iso(end), "Language": "en-us"}
    detail = rpc(services, account, "CreateUsageDetailDataExportTask", Type="flow", **window)
    _, path = make_pdf(services, account, start, end)
    assert Worker(services).run_once()
    text = pdf_text(path)
    book = openpyxl.load_workbook(
        services.settings.exports_dir / f"{account.id}/{detail['TaskId']}.xlsx", read_only=True
    )
    try:
        rows = list(book["Summary"].iter_rows(values_only=True))
    finally:
        book.close()
    compared = 0
    for row in rows:
        if row[0] == account.name and row[1] in NAMES:
            label = str(row[1])
        elif row[0] == "Total" and row[1] == "All regions":
            label = "Overall"
        else:
            continue
        traffic, peak, when, p95, average = row[2:7]
        assert isinstance(when, datetime)
        assert traffic_row(text, label) == Expected(
            traffic,
            f"{peak:,.2f}",
            when.strftime("%Y-%m-%d %H:%M"),
            f"{p95:,.2f}",
            f"{average:,.2f}",
        ), label
        compared += 1
    assert compared == 1 + len({region for _, _, region, *_ in make_samples(start, end, seed=28)})


@dataclass
class DeletingSource:
    """The real usage store, but the task is deleted through the API once reading begins."""

    inner: UsageSource
    delete: Callable[[], None]

    def newest_sample(self, domain_ids: Sequence[int]) -> int | None:
        return self.inner.newest_sample(domain_ids)

    def count_series(self, query: UsageQuery) -> int:
        return self.inner.count_series(query)

    def iter_series(self, query: UsageQuery) -> Iterator[Series]:
        self.delete()
        yield from self.inner.iter_series(query)


def test_a_summary_deleted_while_it_runs_leaves_no_file(services: Services) -> None:
    start = month(2026, 5)[0]
    account = load(services, make_samples(start, start + DAY, seed=6))
    created = rpc(
        services,
        account,
        "CreateUserUsageDataExportTask",
        StartTime=iso(start),
        EndTime=iso(start + DAY),
    )

    def delete() -> None:
        answer = rpc(services, account, "DeleteUserUsageDataExportTask", TaskId=created["TaskId"])
        assert "Code" not in answer, answer

    deleting = dataclasses.replace(services, usage=DeletingSource(services.usage, delete))
    assert Worker(deleting).run_once()
    assert items(services, account, "DescribeUserUsageDataExportTask") == []
    assert not [p for p in services.settings.exports_dir.rglob("*") if p.is_file()]
    assert not list((services.settings.data_dir / "tmp").iterdir())
