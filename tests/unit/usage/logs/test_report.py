from __future__ import annotations

import io

from cdnexport.usage.logs.aggregate import Malformed, Skipped, SkipReason
from cdnexport.usage.logs.progress import NoProgress, progress_for, terminal_progress
from cdnexport.usage.logs.report import FileReport, FileStatus, RunReport, render_report
from tests.unit.usage.helpers import T0


def test_the_summary_names_every_line_that_was_not_counted() -> None:
    added = FileReport(
        "a.log.gz",
        FileStatus.INGESTED,
        lines=20,
        malformed=12,
        examples=(Malformed(3, "not valid JSON", "{oops"),),
        skipped=(Skipped(SkipReason.DOMAIN, "x.example", 2), Skipped(SkipReason.NODE, "n9", 1)),
        skipped_lines=3,
        samples=2,
        domains_added=1,
        traffic_bytes=1_234_567,
        https_requests=4,
        first_slot=T0,
        last_slot=T0 + 300,
    )
    rejected = FileReport("b.log", FileStatus.REJECTED, "cannot read b.log: gone")
    again = FileReport("c.log", FileStatus.ALREADY_INGESTED, lines=1, domains_before=2)
    lines = render_report(RunReport((added, rejected, again)))
    assert lines == [
        "a.log.gz: ingested",
        "  20 lines: 5 counted, 12 malformed, 3 skipped",
        "  2 samples for 1 domain(s), 1,234,567 bytes, 4 HTTPS requests, "
        "2024-05-01T00:00:00Z to 2024-05-01T00:10:00Z",
        "  malformed line 3: not valid JSON: '{oops'",
        "  ... and 11 more malformed line(s)",
        "  skipped 2 line(s): domain x.example is not a domain of the account",
        "  skipped 1 line(s): node 'n9' matches no rule of the node map",
        "b.log: rejected (cannot read b.log: gone)",
        "c.log: already ingested",
        "  1 lines: 1 counted, 0 malformed, 0 skipped",
        "  2 domain(s) already added from this content earlier",
        "total: 3 file(s), 21 lines, 9 parsed, 12 malformed, 2 skipped for domains, "
        "1 skipped for nodes, 2 samples written, 1,234,567 bytes, 4 HTTPS requests, "
        "time range 2024-05-01T00:00:00Z to 2024-05-01T00:10:00Z",
        "1 file(s) rejected: nothing of them was added",
    ]


def test_an_empty_run() -> None:
    assert render_report(RunReport(())) == [
        "total: 0 file(s), 0 lines, 0 parsed, 0 malformed, 0 skipped for domains, "
        "0 skipped for nodes, 0 samples written, 0 bytes, 0 HTTPS requests, time range none"
    ]


def test_progress_is_drawn_only_on_a_terminal() -> None:
    with progress_for(io.StringIO(), 100) as progress:
        assert isinstance(progress, NoProgress)
        progress.file_started("a.log")
        progress.advanced(10)
    stream = io.StringIO()
    with terminal_progress(100, stream) as bar:
        bar.file_started("a.log")
        bar.advanced(100)
    assert not isinstance(bar, NoProgress)


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_a_bar() -> None:
    with progress_for(Terminal(), 10) as progress:
        assert not isinstance(progress, NoProgress)
        progress.advanced(10)
