"""The action table: every RPC action the service answers, in one place."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar, runtime_checkable

from cdnexport.api import tasks
from cdnexport.api.context import RequestContext
from cdnexport.api.params import CreateParams, DeleteParams, DescribeParams

API_VERSION = "2018-05-10"
P = TypeVar("P")


class WireResult(Protocol):
    def to_wire(self) -> dict[str, object]: ...


@runtime_checkable
class LastingResult(WireResult, Protocol):
    """A result that stays right, while the database does not change, until ``fresh_until``
    (epoch seconds, inclusive); the edge may then answer the same call again from it."""

    @property
    def fresh_until(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Action(Generic[P]):
    parse: Callable[[Mapping[str, str], int], P]
    handle: Callable[[RequestContext, P], WireResult]
    #: Run after ``handle`` succeeds, e.g. to wake the workers once a task is committed.
    after: Callable[[RequestContext], None] | None = None

    #: Reads only, so a result for the same account and parameters may be reused while it
    #: lasts (``LastingResult``) and nothing in the database changed.
    reads_only: bool = False

    def run(self, ctx: RequestContext, params: P) -> WireResult:
        """Handle already parsed parameters, then run ``after``."""
        result = self.handle(ctx, params)
        if self.after is not None:
            self.after(ctx)
        return result


def _wake_workers(ctx: RequestContext) -> None:
    ctx.services.wakeup.notify()


ACTIONS: Mapping[str, Action[CreateParams] | Action[DescribeParams] | Action[DeleteParams]] = {
    "CreateUsageDetailDataExportTask": Action(
        CreateParams.from_wire, tasks.create_task, after=_wake_workers
    ),
    "DescribeUserUsageDetailDataExportTask": Action(
        lambda raw, _now: DescribeParams.from_wire(raw), tasks.describe_tasks, reads_only=True
    ),
    "DeleteUsageDetailDataExportTask": Action(
        lambda raw, _now: DeleteParams.from_wire(raw), tasks.delete_task
    ),
}
