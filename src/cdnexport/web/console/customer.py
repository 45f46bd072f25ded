"""The customers' console: sign-in with an AccessKey pair, and the Exports page.

Export tasks are created, listed and deleted through the API's own action table
(``api.table.ACTIONS``): the same parameter parsing, rules, messages and hooks as the RPC calls.
"""

from __future__ import annotations

import secrets
import time
import uuid
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cdnexport import errors
from cdnexport.api.context import RequestContext
from cdnexport.api.params import DescribeParams
from cdnexport.api.table import ACTIONS
from cdnexport.api.tasks import DescribeResult
from cdnexport.db import accounts
from cdnexport.db.console_sessions import Kind, Session
from cdnexport.web.console.auth import SignInError, client_address
from cdnexport.web.console.base import ConsoleBase, Forbidden, forbidden_page, wire_time
from cdnexport.web.console.pages import console_root
from cdnexport.web.console.summaries import SummaryPages

PAGE_SIZE = 50
CREATE = "CreateUsageDetailDataExportTask"
DESCRIBE = "DescribeUserUsageDetailDataExportTask"
DELETE = "DeleteUsageDetailDataExportTask"
#: The export form's fields, as the API names them.
FORM_FIELDS = (
    "Type", "StartTime", "EndTime", "Group", "Language", "TimeZone", "TaskName", "FileFormat",
)  # fmt: skip


class CustomerConsole(ConsoleBase):
    kind = Kind.CUSTOMER
    signin_path = "/signin"

    def routes(self) -> list[Route]:
        return [
            Route("/", self.home, methods=["GET"]),
            Route("/signin", self.signin_page, methods=["GET"]),
            Route("/signin", self.signin, methods=["POST"]),
            Route("/signout", self.signout, methods=["POST"]),
            Route("/exports", self.exports, methods=["GET"]),
            Route("/exports", self.create_export, methods=["POST"]),
            Route("/exports/status.json", self.export_status, methods=["GET"]),
            Route("/exports/{task_id}/delete", self.delete_export, methods=["POST"]),
            *SummaryPages(self).routes(),
        ]

    async def home(self, request: Request) -> Response:
        session = await self.session(request)
        if session is None:
            return self.to_signin(request, False)
        return self.redirect(request, "/usage")

    # -- sign-in ----------------------------------------------------------------------------

    async def signin_page(self, request: Request) -> Response:
        ended = request.query_params.get("ended") == "1"
        context = {"error": "session_ended" if ended else "", "key_id": ""}
        return self.page(request, "signin.html", None, context)

    async def signin(self, request: Request) -> Response:
        try:
            form = await self.form(request, None)
        except Forbidden:
            return forbidden_page(request)
        key_id = str(form.get("access_key_id", ""))
        secret = str(form.get("access_key_secret", ""))
        try:
            signed = await run_in_threadpool(
                self.guard.sign_in_customer, client_address(request), key_id, secret
            )
        except SignInError as exc:
            context = {"error": exc.reason, "key_id": key_id[:64]}
            status = 429 if exc.reason == "signin_throttled" else 401
            return self.page(request, "signin.html", None, context, status)
        # A session cookie sent before sign-in is ended, never adopted.
        await run_in_threadpool(self.guard.sign_out, request, self.kind)
        response = self.redirect(request, "/usage")
        self.guard.set_session_cookie(response, self.kind, signed.token, console_root(request))
        return response

    # -- exports ----------------------------------------------------------------------------

    def context_of(self, session: Session) -> RequestContext:
        with self.services.db.read() as conn:
            account = accounts.get_account(conn, session.principal_id)
        if account is None:
            raise errors.AccessKeyNotFound()
        return RequestContext(uuid.uuid4().hex, account, self.now(), self.services)

    def _listing(self, session: Session, page: int) -> dict[str, Any]:
        ctx = self.context_of(session)
        params = DescribeParams(PAGE_SIZE, page)
        result = ACTIONS[DESCRIBE].run(ctx, params)
        assert isinstance(result, DescribeResult)
        with self.services.db.read() as conn:
            domains = [name for _, name in accounts.account_domains(conn, ctx.account.id)]
            groups = [name for name, _ in accounts.account_groups(conn, ctx.account.id)]
        pages = max(1, -(-result.total // PAGE_SIZE))
        return {
            "tasks": result.items,
            "total": result.total,
            "page_number": page,
            "pages": pages,
            "domains": domains,
            "groups": groups,
            "default_zone": self.services.settings.time_zone,
        }

    def _create(self, session: Session, raw: dict[str, str]) -> None:
        ctx = self.context_of(session)
        action = ACTIONS[CREATE]
        action.run(ctx, action.parse(raw, ctx.now))

    async def exports(
        self,
        request: Request,
        form: dict[str, Any] | None = None,
        error: str = "",
        error_title: str = "export_failed",
    ) -> Response:
        session = await self.session(request)
        if session is None:
            return self.to_signin(request, self.had_cookie(request))
        text = request.query_params.get("page", "1")
        page = int(text) if text.isdigit() and 0 < int(text) <= 10_000 else 1
        context = await run_in_threadpool(self._listing, session, page)
        context.update(self._form_values(form, self.now()))
        context["create_error"] = error
        context["error_title"] = error_title
        return self.page(request, "exports.html", session, {**context, "active": "exports"})

    @staticmethod
    def _form_values(form: dict[str, Any] | None, now: int) -> dict[str, Any]:
        """The form as posted, or (first view) the last 7 whole days, flow, all domains."""
        today = now - now % 86400
        values = form or {
            "Type": "flow",
            "Start": time.strftime("%Y-%m-%dT%H:%M", time.gmtime(today - 7 * 86400)),
            "End": time.strftime("%Y-%m-%dT%H:%M", time.gmtime(today)),
        }
        return {
            "form": {name: str(values.get(name, "")) for name in FORM_FIELDS}
            | {"Start": values.get("Start", ""), "End": values.get("End", "")},
            "chosen": values.get("DomainNames", []),
            "client_token": secrets.token_urlsafe(16),
        }

    async def create_export(self, request: Request) -> Response:
        session = await self.session(request)
        if session is None:
            return self.to_signin(request, self.had_cookie(request))
        try:
            form = await self.form(request, session)
        except Forbidden:
            return forbidden_page(request)
        chosen = [str(d) for d in form.getlist("DomainNames")][:1000]
        raw = {name: str(form.get(name, "")) for name in FORM_FIELDS}
        raw["StartTime"] = wire_time(str(form.get("Start", "")))
        raw["EndTime"] = wire_time(str(form.get("End", "")))
        raw["DomainNames"] = ",".join(chosen)
        raw["ClientToken"] = str(form.get("ClientToken", ""))[:64]
        try:
            await run_in_threadpool(self._create, session, raw)
        except errors.ServiceError as exc:
            error = f"{exc.code}: {exc.message}"
            values: dict[str, Any] = {**raw, "DomainNames": chosen}
            values["Start"] = str(form.get("Start", ""))[:32]
            values["End"] = str(form.get("End", ""))[:32]
            response = await self.exports(request, values, error)
            response.status_code = 400
            return response
        return self.redirect(request, "/exports", done="export_created")

    async def delete_export(self, request: Request) -> Response:
        session = await self.session(request)
        if session is None:
            return self.to_signin(request, self.had_cookie(request))
        try:
            await self.form(request, session)
        except Forbidden:
            return forbidden_page(request)
        action = ACTIONS[DELETE]

        def delete() -> None:
            ctx = self.context_of(session)
            action.run(ctx, action.parse({"TaskId": request.path_params["task_id"]}, ctx.now))

        try:
            await run_in_threadpool(delete)
        except errors.ServiceError as exc:
            error = f"{exc.code}: {exc.message}"
            response = await self.exports(request, None, error, "delete_failed")
            response.status_code = 400
            return response
        return self.redirect(request, "/exports", done="export_deleted")

    async def export_status(self, request: Request) -> Response:
        """Status and progress of the first page of tasks, for the page's live progress."""
        session = await self.session(request)
        if session is None:
            return JSONResponse({"signedIn": False}, status_code=401)
        context = await run_in_threadpool(self._listing, session, 1)
        tasks = [
            {"id": str(v.task.id), "status": v.task.status.value, "progress": v.task.progress}
            for v in context["tasks"]
        ]
        return JSONResponse({"signedIn": True, "tasks": tasks})
