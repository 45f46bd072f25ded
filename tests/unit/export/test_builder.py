from __future__ import annotations

from collections.abc import Callable

import pytest

from cdnexport.domain.task import ExportType, Language
from cdnexport.export import layout
from cdnexport.export.builder import (
    EXCEL_DATA_ROWS,
    BuildStats,
    ExportCancelled,
    build_workbook,
)
from cdnexport.export.timecells import slot_serials
from cdnexport.usage.series import Series
from tests.unit.export.fakes import RecordingWriter
from tests.unit.export.samples import JAN_1, numbered_flow_series, plan, series


def build(
    slots: int,
    items: list[Series],
    writer: RecordingWriter,
    *,
    max_rows_per_sheet: int = EXCEL_DATA_ROWS,
    on_progress: Callable[[int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> BuildStats:
    """Build a UTC, zh-cn flow workbook of ``slots`` slots per series."""
    return build_workbook(
        plan(slots),
        items,
        len(items),
        writer,
        max_rows_per_sheet=max_rows_per_sheet,
        on_progress=on_progress,
        should_stop=should_stop,
    )


def test_rows_follow_series_order_then_time() -> None:
    writer = RecordingWriter()
    items = [series("b.example.com", 5, [1, 2, 3]), series("a.example.com", 0, [4, 5, 6])]
    stats = build_workbook(plan(3), items, 2, writer)

    times = slot_serials(JAN_1, JAN_1 + 900, "UTC").tolist()
    assert stats == BuildStats(rows=6, sheets=1)
    assert writer.all_rows() == [
        (times[0], "b.example.com", "欧洲", 1, 8 / 300),
        (times[1], "b.example.com", "欧洲", 2, 16 / 300),
        (times[2], "b.example.com", "欧洲", 3, 24 / 300),
        (times[0], "a.example.com", "中国内地", 4, 32 / 300),
        (times[1], "a.example.com", "中国内地", 5, 40 / 300),
        (times[2], "a.example.com", "中国内地", 6, 48 / 300),
    ]
    assert writer.sheets[0].columns == layout.columns(
        ExportType.FLOW, Language.ZH_CN, "domain", "UTC"
    )


def test_bandwidth_is_bytes_times_eight_over_300_exactly() -> None:
    traffic = [0, 1, 7, 123_456_789, 987_654_321_987, 2**49 + 1]
    writer = RecordingWriter()
    build(len(traffic), [series("x", 0, traffic)], writer)
    assert [row[4] for row in writer.all_rows()] == [b * 8 / 300 for b in traffic]
    assert [row[3] for row in writer.all_rows()] == traffic


def test_vas_metrics_pass_through_in_column_order() -> None:
    writer = RecordingWriter()
    vas_plan = plan(2, export_type=ExportType.VAS, language=Language.EN_US, label_kind="group")
    item = series("edge", 4, [1, 2], [30, 40], [500, 600])
    build_workbook(vas_plan, [item], 1, writer)
    assert [row[1:] for row in writer.all_rows()] == [
        ("edge", "North America", 1, 30, 500),
        ("edge", "North America", 2, 40, 600),
    ]
    assert writer.sheets[0].name == "Detail"
    assert writer.sheets[0].columns[1].header == "Group"


def test_full_sheets_continue_on_numbered_sheets_with_the_same_header() -> None:
    items = numbered_flow_series(3, 7)
    writer = RecordingWriter()
    stats = build(7, items, writer, max_rows_per_sheet=10)

    assert stats == BuildStats(rows=21, sheets=3)
    assert [sheet.name for sheet in writer.sheets] == ["明细", "明细 (2)", "明细 (3)"]
    assert [len(sheet.rows) for sheet in writer.sheets] == [10, 10, 1]
    assert [sheet.batch_sizes for sheet in writer.sheets] == [[7, 3], [4, 6], [1]]
    assert all(sheet.columns == writer.sheets[0].columns for sheet in writer.sheets)

    unsplit = RecordingWriter()
    build(7, items, unsplit)
    assert writer.all_rows() == unsplit.all_rows()


def test_an_exactly_full_sheet_adds_no_empty_sheet() -> None:
    writer = RecordingWriter()
    stats = build(5, numbered_flow_series(2, 5), writer, max_rows_per_sheet=10)
    assert stats == BuildStats(rows=10, sheets=1)
    assert len(writer.sheets) == 1


def test_a_series_longer_than_a_sheet_spans_several() -> None:
    writer = RecordingWriter()
    stats = build(7, numbered_flow_series(1, 7), writer, max_rows_per_sheet=3)
    assert stats == BuildStats(rows=7, sheets=3)
    assert [len(sheet.rows) for sheet in writer.sheets] == [3, 3, 1]
    assert [row[3] for row in writer.all_rows()] == list(range(7))


def test_no_series_gives_one_sheet_with_only_the_header() -> None:
    writer = RecordingWriter()
    stats = build(4, [], writer)
    assert stats == BuildStats(rows=0, sheets=1)
    assert len(writer.sheets) == 1
    assert writer.sheets[0].rows == []
    assert writer.sheets[0].name == "明细"


def test_progress_is_reported_after_each_series() -> None:
    seen: list[int] = []
    build(2, numbered_flow_series(3, 2), RecordingWriter(), on_progress=seen.append)
    assert seen == [33, 66, 100]


def test_progress_never_passes_100_when_the_count_was_low() -> None:
    seen: list[int] = []
    items = numbered_flow_series(3, 2)
    build_workbook(plan(2), items, 1, RecordingWriter(), on_progress=seen.append)
    assert seen == [100, 100, 100]


def test_should_stop_is_asked_before_every_batch_and_cancels() -> None:
    asked: list[int] = []
    writer = RecordingWriter()

    def stop_at_third() -> bool:
        asked.append(len(writer.all_rows()))
        return len(asked) == 3

    with pytest.raises(ExportCancelled):
        build(
            7, numbered_flow_series(3, 7), writer, max_rows_per_sheet=10, should_stop=stop_at_third
        )
    # Batches of 7 and 3 rows went out; the third batch was never written.
    assert asked == [0, 7, 10]
    assert len(writer.all_rows()) == 10


def test_series_with_the_wrong_number_of_slots_is_rejected() -> None:
    with pytest.raises(ValueError, match="3 slots, window has 4"):
        build(4, [series("x", 0, [1, 2, 3])], RecordingWriter())


def test_series_with_the_wrong_number_of_metrics_is_rejected() -> None:
    with pytest.raises(ValueError, match="2 metrics"):
        build(2, [series("x", 0, [1, 2], [3, 4])], RecordingWriter())


@pytest.mark.parametrize("region", [-1, 8])
def test_unknown_region_is_rejected(region: int) -> None:
    with pytest.raises(ValueError, match="unknown region"):
        build(1, [series("x", region, [1])], RecordingWriter())


@pytest.mark.parametrize("limit", [0, 1_048_576])
def test_sheet_size_must_fit_excel(limit: int) -> None:
    with pytest.raises(ValueError, match="max_rows_per_sheet"):
        build(1, [], RecordingWriter(), max_rows_per_sheet=limit)
