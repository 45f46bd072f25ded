"""The action table: every RPC action the service answers, in one place."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from cdnexport.api import tasks, usage
from cdnexport.api.context import RequestContext
from cdnexport.api.params import CreateParams, DeleteParams, DescribeParams
from cdnexport.api.usage_params import Max95Params, MonitorParams, UsageDataParams

API_VERSION = "2018-05-10"
P = TypeVar("P")


class WireResult(Protocol):
    def to_wire(self) -> dict[str, object]: ...


@dataclass(frozen=True, slots=True)
class Action(Generic[P]):
    parse: Callable[[Mapping[str, str], int], P]
    handle: Callable[[RequestContext, P], WireResult]
    #: Run after ``handle`` succeeds, e.g. to wake the workers once a task is committed.
    after: Callable[[RequestContext], None] | None = None

    #: Calls per second per account, where the action has a documented limit of its own
    #: (else ``Settings.rate_limit_per_second``).
    rate_per_second: float | None = None

    def run(self, ctx: RequestContext, params: P) -> WireResult:
        """Handle already parsed parameters, then run ``after``."""
        result = self.handle(ctx, params)
        if self.after is not None:
            self.after(ctx)
        return result


def _wake_workers(ctx: RequestContext) -> None:
    ctx.services.wakeup.notify()


#: Every action; its parameter type is checked where the Action is built, not where it is run.
ACTIONS: Mapping[str, Action[Any]] = {
    "CreateUsageDetailDataExportTask": Action(
        CreateParams.from_wire, tasks.create_task, after=_wake_workers
    ),
    "DescribeUserUsageDetailDataExportTask": Action(
        lambda raw, _now: DescribeParams.from_wire(raw), tasks.describe_tasks
    ),
    "DeleteUsageDetailDataExportTask": Action(
        lambda raw, _now: DeleteParams.from_wire(raw), tasks.delete_task
    ),
    # The usage queries, with the per-action limits Alibaba documents.
    "DescribeDomainUsageData": Action(
        UsageDataParams.from_wire, usage.usage_data, rate_per_second=10
    ),
    "DescribeDomainMax95BpsData": Action(Max95Params.from_wire, usage.max95, rate_per_second=100),
    "DescribeDomainBpsData": Action(MonitorParams.from_wire, usage.bps_data, rate_per_second=150),
    "DescribeDomainTrafficData": Action(
        MonitorParams.from_wire, usage.traffic_data, rate_per_second=100
    ),
}
