"""The action table: every RPC action the service answers, in one place."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from cdnexport.api import tasks
from cdnexport.api.context import RequestContext
from cdnexport.api.params import CreateParams, DeleteParams, DescribeParams

API_VERSION = "2018-05-10"
P = TypeVar("P")


class WireResult(Protocol):
    def to_wire(self) -> dict[str, object]: ...


@dataclass(frozen=True, slots=True)
class Action(Generic[P]):
    parse: Callable[[Mapping[str, str], int], P]
    handle: Callable[[RequestContext, P], WireResult]

    def __call__(self, ctx: RequestContext, raw: Mapping[str, str]) -> dict[str, object]:
        return self.handle(ctx, self.parse(raw, ctx.now)).to_wire()


ACTIONS: Mapping[str, Action[CreateParams] | Action[DescribeParams] | Action[DeleteParams]] = {
    "CreateUsageDetailDataExportTask": Action(CreateParams.from_wire, tasks.create_task),
    "DescribeUserUsageDetailDataExportTask": Action(
        lambda raw, _now: DescribeParams.from_wire(raw), tasks.describe_tasks
    ),
    "DeleteUsageDetailDataExportTask": Action(
        lambda raw, _now: DeleteParams.from_wire(raw), tasks.delete_task
    ),
}
