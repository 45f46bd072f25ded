"""The PDF summary as the worker makes it: read the account's usage once, take the figures,
write the words, render with Typst. The worker's queue, lease, fencing and retries are the same
as for a workbook; only this step differs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from sqlalchemy import select

from cdnexport.db import accounts
from cdnexport.db.schema import account
from cdnexport.domain.task import ExportTask, summary_task_id
from cdnexport.export.builder import ExportCancelled
from cdnexport.export.timecells import slot_serials
from cdnexport.report import document, figures, render
from cdnexport.services import Services
from cdnexport.usage.prefetch import Prefetch
from cdnexport.usage.query import UsageQuery
from cdnexport.usage.series import Series

#: Series read ahead of the figures; each is one (domain, region) with every metric.
SERIES_AHEAD = 2


def write_summary(
    services: Services,
    task: ExportTask,
    out: Path,
    on_progress: Callable[[int], None],
    should_stop: Callable[[], bool],
) -> None:
    """Write the task's PDF to ``out``. Raises ``FontMissing``
    (a permanent failure) before reading any usage when a Chinese report has no CJK font."""
    spec = task.spec
    settings = services.settings
    fonts = render.load_fonts(settings.report_font_dir)
    families = render.choose_fonts(spec.language, fonts)
    with services.db.read() as conn:
        name = conn.execute(select(account.c.name).where(account.c.id == task.account_id)).scalar()
        domain_ids = tuple(accounts.all_domain_ids(conn, task.account_id))
    generated_at = int(services.clock.now())
    watermark = services.usage.newest_sample(domain_ids)
    query = UsageQuery(spec.export_type, spec.start, spec.end, domain_ids, every_metric=True)
    count = services.usage.count_series(query)
    done = [0]

    def counted(source: Iterator[Series]) -> Iterator[Series]:
        for item in source:
            if should_stop():
                raise ExportCancelled()
            yield item
            done[0] += 1
            on_progress(min(99, done[0] * 100 // max(count, done[0])))

    serials = slot_serials(spec.start, spec.end, spec.time_zone)
    with Prefetch(services.usage.iter_series(query), SERIES_AHEAD, "usage-read") as ahead:
        gathered = figures.gather(counted(iter(ahead)), spec.start, spec.end, serials)
    facts = document.ReportFacts(
        account=str(name or ""),
        task_id=summary_task_id(task.id),
        task_name=spec.name,
        language=spec.language,
        time_zone=spec.time_zone,
        generated_at=generated_at,
        watermark=watermark,
    )
    content = document.build(gathered, facts, families)
    if should_stop():
        raise ExportCancelled()
    out.write_bytes(render.render_pdf(content, fonts, generated_at))
