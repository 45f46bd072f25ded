"""Turn a task's scope (account, group or domains) into the usage query that feeds it, and into
the facts its summary sheet states."""

from __future__ import annotations

from sqlalchemy import Connection, select

from cdnexport.db import accounts
from cdnexport.db.schema import account
from cdnexport.domain.task import ExportTask, ScopeKind
from cdnexport.export.layout import LabelKind
from cdnexport.export.plan import ReportFacts
from cdnexport.usage.query import UsageQuery

#: A group with more domains than this is exported as the group's totals only.
GROUP_DETAIL_LIMIT = 100


def resolve(conn: Connection, task: ExportTask) -> tuple[UsageQuery, LabelKind]:
    spec = task.spec
    if spec.scope is ScopeKind.ACCOUNT:
        name = conn.execute(select(account.c.name).where(account.c.id == task.account_id)).scalar()
        every = tuple(accounts.all_domain_ids(conn, task.account_id))
        query = UsageQuery(spec.export_type, spec.start, spec.end, every, str(name))
        return query, "account"
    if spec.scope is ScopeKind.GROUP:
        members = accounts.group_domains(conn, task.account_id, spec.group) or {}
        ids = tuple(members.values())
        if len(ids) > GROUP_DETAIL_LIMIT:
            return UsageQuery(spec.export_type, spec.start, spec.end, ids, spec.group), "group"
        return UsageQuery(spec.export_type, spec.start, spec.end, ids), "domain"
    owned = accounts.domain_ids(conn, task.account_id, list(spec.domains))
    if owned is None:
        # A domain was removed from the account after the task was created: export the rest.
        owned = {
            name: ident
            for name in spec.domains
            if (found := accounts.domain_ids(conn, task.account_id, [name])) is not None
            for ident in found.values()
        }
    return UsageQuery(spec.export_type, spec.start, spec.end, tuple(owned.values())), "domain"


def report_facts(
    conn: Connection, task: ExportTask, *, generated_at: int, watermark: int | None
) -> ReportFacts:
    """What the summary states besides usage: the account's name and the scope as asked for."""
    spec = task.spec
    name = conn.execute(select(account.c.name).where(account.c.id == task.account_id)).scalar()
    names: tuple[str, ...] = ()
    if spec.scope is ScopeKind.GROUP:
        names = (spec.group,)
    elif spec.scope is ScopeKind.DOMAINS:
        names = spec.domains
    return ReportFacts(str(name or ""), spec.scope, names, generated_at, watermark)
