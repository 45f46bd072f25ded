"""The customer console's PDF summaries page: create, list, download and delete usage
summaries through the API's own actions (``CreateUserUsageDataExportTask`` and its family), so
the window rules and their messages are the API's."""

from __future__ import annotations

import secrets
import time
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cdnexport import errors
from cdnexport.api.params import DescribeParams
from cdnexport.api.table import ACTIONS
from cdnexport.api.tasks import DescribeResult
from cdnexport.db.console_sessions import Session
from cdnexport.domain.task import summary_task_id
from cdnexport.web.console.base import Forbidden, forbidden_page, wire_time

if TYPE_CHECKING:  # the customer console mounts these pages
    from cdnexport.web.console.customer import CustomerConsole

CREATE = "CreateUserUsageDataExportTask"
DESCRIBE = "DescribeUserUsageDataExportTask"
DELETE = "DeleteUserUsageDataExportTask"
PAGE_SIZE = 50
FORM_FIELDS = ("Language", "TaskName")


class SummaryPages:
    """The ``/summaries`` routes of a customer console (``console`` gives sessions, forms,
    pages and the caller's request context)."""

    def __init__(self, console: CustomerConsole) -> None:
        self.console = console

    def routes(self) -> list[Route]:
        return [
            Route("/summaries", self.summaries, methods=["GET"]),
            Route("/summaries", self.create, methods=["POST"]),
            Route("/summaries/{task_id}/delete", self.delete, methods=["POST"]),
        ]

    def _listing(self, session: Session, page: int) -> dict[str, Any]:
        ctx = self.console.context_of(session)
        result = ACTIONS[DESCRIBE].run(ctx, DescribeParams(PAGE_SIZE, page))
        assert isinstance(result, DescribeResult)
        return {
            "tasks": [(summary_task_id(view.task.id), view) for view in result.items],
            "total": result.total,
            "page_number": page,
            "pages": max(1, -(-result.total // PAGE_SIZE)),
        }

    @staticmethod
    def _form_values(form: dict[str, Any] | None, now: int) -> dict[str, Any]:
        """The form as posted, or (first view) the last whole month in UTC."""
        if form is None:
            year, month = time.gmtime(now)[:2]
            last_year, last_month = (year, month - 1) if month > 1 else (year - 1, 12)
            form = {
                "Start": f"{last_year:04d}-{last_month:02d}-01T00:00",
                "End": f"{year:04d}-{month:02d}-01T00:00",
            }
        return {
            "form": {name: str(form.get(name, "")) for name in (*FORM_FIELDS, "Start", "End")},
            "client_token": secrets.token_urlsafe(16),
        }

    async def summaries(
        self, request: Request, form: dict[str, Any] | None = None, error: str = "",
        error_title: str = "summary_failed",
    ) -> Response:  # fmt: skip
        console = self.console
        session = await console.session(request)
        if session is None:
            return console.to_signin(request, console.had_cookie(request))
        text = request.query_params.get("page", "1")
        page = int(text) if text.isdigit() and 0 < int(text) <= 10_000 else 1
        context = await run_in_threadpool(self._listing, session, page)
        context.update(self._form_values(form, console.now()))
        context.update(create_error=error, error_title=error_title, active="summaries")
        return console.page(request, "summaries.html", session, context)

    async def create(self, request: Request) -> Response:
        console = self.console
        session = await console.session(request)
        if session is None:
            return console.to_signin(request, console.had_cookie(request))
        try:
            form = await console.form(request, session)
        except Forbidden:
            return forbidden_page(request)
        raw = {name: str(form.get(name, ""))[:512] for name in FORM_FIELDS}
        raw["StartTime"] = wire_time(str(form.get("Start", "")))
        raw["EndTime"] = wire_time(str(form.get("End", "")))

        def create() -> None:
            ctx = console.context_of(session)
            action = ACTIONS[CREATE]
            action.run(ctx, action.parse(raw, ctx.now))

        try:
            await run_in_threadpool(create)
        except errors.ServiceError as exc:
            values = {**raw, "Start": str(form.get("Start", ""))[:32]}
            values["End"] = str(form.get("End", ""))[:32]
            response = await self.summaries(request, values, f"{exc.code}: {exc.message}")
            response.status_code = 400
            return response
        return console.redirect(request, "/summaries", done="summary_created")

    async def delete(self, request: Request) -> Response:
        console = self.console
        session = await console.session(request)
        if session is None:
            return console.to_signin(request, console.had_cookie(request))
        try:
            await console.form(request, session)
        except Forbidden:
            return forbidden_page(request)
        task_id = request.path_params["task_id"]

        def delete() -> None:
            ctx = console.context_of(session)
            action = ACTIONS[DELETE]
            action.run(ctx, action.parse({"TaskId": task_id}, ctx.now))

        try:
            await run_in_threadpool(delete)
        except errors.ServiceError as exc:
            response = await self.summaries(
                request, None, f"{exc.code}: {exc.message}", "delete_failed"
            )
            response.status_code = 400
            return response
        return console.redirect(request, "/summaries", done="summary_deleted")
