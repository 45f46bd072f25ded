"""What every console page shares: its session, its CSRF tokens, rendering and redirects."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from cdnexport.db.console_sessions import Kind, Session
from cdnexport.services import Services
from cdnexport.web.console import i18n
from cdnexport.web.console.auth import Guard, same_origin, token_matches
from cdnexport.web.console.pages import console_root, render

#: Outcomes a redirect may name in ``?done=``; only these keys are ever shown.
DONE_KEYS = frozenset(
    {"export_created", "export_deleted", "summary_created", "summary_deleted", "done"}
)
_MINUTES = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}$")
_SECONDS = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}$")


class Forbidden(Exception):
    """A state change without a valid CSRF token or from another origin."""


class ConsoleBase:
    kind: Kind
    signin_path: str

    def __init__(self, services: Services, guard: Guard) -> None:
        self.services = services
        self.guard = guard

    def now(self) -> int:
        return int(self.services.clock.now())

    async def session(self, request: Request) -> Session | None:
        return await run_in_threadpool(self.guard.current, request, self.kind)

    def to_signin(self, request: Request, ended: bool) -> Response:
        root = console_root(request)
        suffix = "?ended=1" if ended else ""
        response = RedirectResponse(f"{root}{self.signin_path}{suffix}", status_code=303)
        if ended:
            self.guard.clear_session_cookie(response, self.kind, root)
        return response

    def had_cookie(self, request: Request) -> bool:
        from cdnexport.web.console.auth import COOKIES

        return bool(request.cookies.get(COOKIES[self.kind]))

    async def form(self, request: Request, session: Session | None) -> FormData:
        """The posted form, once its CSRF token (the session's, else the pre-session cookie's)
        and its origin are checked."""
        form = await request.form(max_files=0, max_fields=300)
        expected = session.csrf if session else self.guard.pre_session_token(request)[0]
        if not same_origin(request) or not token_matches(form.get("csrf"), expected):
            raise Forbidden()
        return form

    def page(
        self,
        request: Request,
        template: str,
        session: Session | None,
        context: Mapping[str, Any],
        status: int = 200,
    ) -> Response:
        pre, new = self.guard.pre_session_token(request)
        done = request.query_params.get("done", "")
        values: dict[str, Any] = {
            "csrf": session.csrf if session else pre,
            "pre_csrf": pre,
            "who": session.name if session else "",
            "console": self.kind.value,
            "flash": done if done in DONE_KEYS else "",
            "error": "",
            "active": "",
        }
        values.update(context)
        response = render(request, template, values, status)
        if new:
            self.guard.set_pre_session_cookie(response, pre, console_root(request))
        return response

    async def signout(self, request: Request) -> Response:
        """End the session on the server and clear its cookie (either console)."""
        session = await self.session(request)
        try:
            await self.form(request, session)
        except Forbidden:
            return forbidden_page(request)
        await run_in_threadpool(self.guard.sign_out, request, self.kind)
        response = self.redirect(request, self.signin_path)
        self.guard.clear_session_cookie(response, self.kind, console_root(request))
        return response

    def redirect(self, request: Request, path: str, **query: str) -> Response:
        root = console_root(request)
        suffix = f"?{urlencode(query)}" if query else ""
        return RedirectResponse(f"{root}{path}{suffix}", status_code=303)


def wire_time(text: str) -> str:
    """A ``datetime-local`` value (UTC) in the API's ``YYYY-MM-DDThh:mm:ssZ`` form; anything
    else is passed on for the API's own check to name."""
    text = text.strip()
    if _MINUTES.match(text):
        return f"{text}:00Z"
    if _SECONDS.match(text):
        return f"{text}Z"
    return text


def forbidden_page(request: Request) -> Response:
    """The answer to a refused state change (no session context needed)."""
    from cdnexport.web.console.pages import language

    text = i18n.translate(language(request), "csrf_failed")
    return Response(text, status_code=403, media_type="text/plain; charset=utf-8")
