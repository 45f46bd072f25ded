"""The operators' console: accounts and AccessKeys, domains and groups, usage freshness, the queue.

Each action calls the same ``db`` functions as the ``cdnexport`` commands; disabling an account
or rotating its key also ends that account's console sessions at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cdnexport.db import accounts, operations
from cdnexport.db import console_sessions as sessions
from cdnexport.db.console_sessions import Kind, Session
from cdnexport.web.console.auth import SignInError, client_address
from cdnexport.web.console.base import ConsoleBase, Forbidden, forbidden_page
from cdnexport.web.console.pages import console_root

MAX_NAME = 128
#: What a form post came to: a response to send as it is, or the page's extra context.
Outcome = tuple[Response | None, dict[str, Any] | None, Session | None]


class OperatorConsole(ConsoleBase):
    kind = Kind.OPERATOR
    signin_path = "/operator/signin"

    def routes(self) -> list[Route]:
        return [
            Route("/", self.home, methods=["GET"]),
            Route("/signin", self.signin_page, methods=["GET"]),
            Route("/signin", self.signin, methods=["POST"]),
            Route("/signout", self.signout, methods=["POST"]),
            Route("/accounts", self.accounts_page, methods=["GET"]),
            Route("/accounts", self.create_account, methods=["POST"]),
            Route("/accounts/{account_id:int}/{verb}", self.account_action, methods=["POST"]),
            Route("/domains", self.domains_page, methods=["GET"]),
            Route("/domains", self.add_domains, methods=["POST"]),
            Route("/groups", self.create_group, methods=["POST"]),
            Route("/freshness", self.freshness_page, methods=["GET"]),
            Route("/queue", self.queue_page, methods=["GET"]),
            Route("/queue.json", self.queue_status, methods=["GET"]),
            Route("/queue/{task_id:int}/retry", self.retry, methods=["POST"]),
        ]

    async def home(self, request: Request) -> Response:
        session = await self.session(request)
        if session is None:
            return self.to_signin(request, False)
        return self.redirect(request, "/operator/accounts")

    # -- sign-in ----------------------------------------------------------------------------

    async def signin_page(self, request: Request) -> Response:
        ended = request.query_params.get("ended") == "1"
        context = {"error": "session_ended" if ended else "", "name": ""}
        return self.page(request, "operator_signin.html", None, context)

    async def signin(self, request: Request) -> Response:
        try:
            form = await self.form(request, None)
        except Forbidden:
            return forbidden_page(request)
        name = str(form.get("name", ""))
        password = str(form.get("password", ""))
        try:
            signed = await run_in_threadpool(
                self.guard.sign_in_operator, client_address(request), name, password
            )
        except SignInError as exc:
            context = {"error": exc.reason, "name": name[:MAX_NAME]}
            status = 429 if exc.reason == "signin_throttled" else 401
            return self.page(request, "operator_signin.html", None, context, status)
        await run_in_threadpool(self.guard.sign_out, request, self.kind)
        response = self.redirect(request, "/operator/accounts")
        self.guard.set_session_cookie(response, self.kind, signed.token, console_root(request))
        return response

    # -- plumbing ---------------------------------------------------------------------------

    async def _view(
        self, request: Request, template: str, load: Callable[[], dict[str, Any]], active: str
    ) -> Response:
        session = await self.session(request)
        if session is None:
            return self.to_signin(request, self.had_cookie(request))
        context = await run_in_threadpool(load)
        return self.page(request, template, session, {**context, "active": active})

    async def _act(
        self, request: Request, change: Callable[[Session, Any], dict[str, Any] | None], back: str
    ) -> Outcome:
        """Check the session and CSRF token, then run ``change(session, form)`` in a thread."""
        session = await self.session(request)
        if session is None:
            return self.to_signin(request, self.had_cookie(request)), None, None
        try:
            form = await self.form(request, session)
        except Forbidden:
            return forbidden_page(request), None, None
        try:
            result = await run_in_threadpool(change, session, form)
        except (accounts.NotFound, accounts.Conflict, ValueError) as exc:
            return None, {"error": str(exc)}, session
        if result is None:
            return self.redirect(request, back, done="done"), None, session
        return None, result, session

    # -- accounts ---------------------------------------------------------------------------

    def _accounts(self) -> dict[str, Any]:
        with self.services.db.read() as conn:
            return {"accounts": accounts.list_accounts(conn), "new_key": None}

    async def accounts_page(self, request: Request) -> Response:
        return await self._view(request, "operator_accounts.html", self._accounts, "accounts")

    async def _accounts_after(self, request: Request, outcome: Outcome) -> Response:
        response, extra, session = outcome
        if response is not None:
            return response
        context = {**(await run_in_threadpool(self._accounts)), **(extra or {})}
        status = 400 if context.get("error") else 200
        return self.page(
            request, "operator_accounts.html", session, {**context, "active": "accounts"}, status
        )

    async def create_account(self, request: Request) -> Response:
        def change(_session: Session, form: Any) -> dict[str, Any]:
            name = str(form.get("name", "")).strip()
            if not name or len(name) > MAX_NAME:
                raise ValueError(f"an account name has 1 to {MAX_NAME} characters")
            with self.services.db.write() as conn:
                return {"new_key": accounts.create_account(conn, name, self.now())}

        outcome = await self._act(request, change, "/operator/accounts")
        return await self._accounts_after(request, outcome)

    async def account_action(self, request: Request) -> Response:
        account_id = int(request.path_params["account_id"])
        verb = request.path_params["verb"]
        if verb not in ("disable", "enable", "rotate"):
            return Response("Not Found", status_code=404)

        def change(_session: Session, _form: Any) -> dict[str, Any] | None:
            with self.services.db.write() as conn:
                if accounts.get_account(conn, account_id) is None:
                    raise accounts.NotFound(f"no account {account_id}")
                if verb == "rotate":
                    fresh = accounts.rotate_key(conn, account_id)
                    sessions.close_all(conn, Kind.CUSTOMER, account_id)
                    return {"new_key": fresh}
                accounts.set_active(conn, account_id, verb == "enable")
                if verb == "disable":
                    sessions.close_all(conn, Kind.CUSTOMER, account_id)
            return None

        outcome = await self._act(request, change, "/operator/accounts")
        return await self._accounts_after(request, outcome)

    # -- domains and groups -----------------------------------------------------------------

    def _domains(self) -> dict[str, Any]:
        with self.services.db.read() as conn:
            rows = []
            for acct, _count in accounts.list_accounts(conn):
                domains = [name for _, name in accounts.account_domains(conn, acct.id)]
                rows.append((acct, domains, accounts.account_groups(conn, acct.id)))
        return {"rows": rows}

    async def domains_page(self, request: Request) -> Response:
        return await self._view(request, "operator_domains.html", self._domains, "domains")

    async def _domains_after(self, request: Request, outcome: Outcome) -> Response:
        response, extra, session = outcome
        if response is not None:
            return response
        context = {**(await run_in_threadpool(self._domains)), **(extra or {})}
        return self.page(
            request, "operator_domains.html", session, {**context, "active": "domains"}, 400
        )

    async def add_domains(self, request: Request) -> Response:
        def change(_session: Session, form: Any) -> None:
            names = [n.strip() for n in str(form.get("domains", "")).split(",") if n.strip()]
            if not names:
                raise ValueError("name at least one domain")
            with self.services.db.write() as conn:
                owner = accounts.by_name(conn, str(form.get("account", "")))
                accounts.add_domains(conn, owner.id, names)

        return await self._domains_after(
            request, await self._act(request, change, "/operator/domains")
        )

    async def create_group(self, request: Request) -> Response:
        def change(_session: Session, form: Any) -> None:
            group = str(form.get("group", "")).strip()
            if not group or len(group) > MAX_NAME:
                raise ValueError(f"a group name has 1 to {MAX_NAME} characters")
            names = [n.strip() for n in str(form.get("domains", "")).split(",") if n.strip()]
            with self.services.db.write() as conn:
                owner = accounts.by_name(conn, str(form.get("account", "")))
                accounts.create_group(conn, owner.id, group, names)

        return await self._domains_after(
            request, await self._act(request, change, "/operator/domains")
        )

    # -- freshness and queue ----------------------------------------------------------------

    def _freshness(self) -> dict[str, Any]:
        with self.services.db.read() as conn:
            return {"rows": operations.freshness(conn, self.now())}

    async def freshness_page(self, request: Request) -> Response:
        return await self._view(request, "operator_freshness.html", self._freshness, "freshness")

    def _queue(self) -> dict[str, Any]:
        with self.services.db.read() as conn:
            return {"queue": operations.queue(conn, self.now())}

    async def queue_page(self, request: Request) -> Response:
        return await self._view(request, "operator_queue.html", self._queue, "queue")

    async def queue_status(self, request: Request) -> Response:
        session = await self.session(request)
        if session is None:
            return JSONResponse({"signedIn": False}, status_code=401)
        view = (await run_in_threadpool(self._queue))["queue"]
        tasks = [
            {"id": str(item.task.id), "status": state, "progress": item.task.progress}
            for state, items in (("waiting", view.waiting), ("running", view.running))
            for item in items
        ]
        return JSONResponse({"signedIn": True, "tasks": tasks})

    async def retry(self, request: Request) -> Response:
        task_id = int(request.path_params["task_id"])

        def change(_session: Session, _form: Any) -> None:
            with self.services.db.write() as conn:
                if not operations.retry_failed(conn, task_id, self.now()):
                    raise ValueError(f"task {task_id} is not a failed task")
            self.services.wakeup.notify()

        response, extra, session = await self._act(request, change, "/operator/queue")
        if response is not None:
            return response
        context = {**(await run_in_threadpool(self._queue)), **(extra or {})}
        return self.page(
            request, "operator_queue.html", session, {**context, "active": "queue"}, 400
        )
