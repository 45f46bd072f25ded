"""Rendering: the Jinja2 environment (autoescaped), the page's language and the console headers.

Every console response carries a Content-Security-Policy without inline script or style,
``frame-ancestors 'none'`` and, except for the static files, ``Cache-Control: no-store``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cdnexport.web.console import i18n

LANG_COOKIE = "cdnexport_lang"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
_STATIC = "/static/"


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("cdnexport.web.console", "templates"),
        autoescape=select_autoescape(default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["utc"] = format_time
    env.filters["size"] = format_size
    env.filters["num"] = lambda value: f"{value:,}"
    return env


def format_time(epoch: int | None) -> str:
    if epoch is None:
        return ""
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(epoch))


def format_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"


ENV = _environment()


def console_root(request: Request) -> str:
    """The path the console is mounted at (``/console``), as seen from any page of it."""
    return str(request.scope.get("console_root", ""))


def language(request: Request) -> str:
    return i18n.pick(request.headers.get("accept-language", ""), request.cookies.get(LANG_COOKIE))


def render(
    request: Request, template: str, context: Mapping[str, Any], status: int = 200
) -> HTMLResponse:
    """The page ``template`` in the request's language."""
    lang = language(request)

    def t(key: str) -> str:
        return i18n.translate(lang, key)

    root = console_root(request)
    html = ENV.get_template(template).render(
        {**context, "t": t, "lang": lang, "root": root, "path": request.url.path}
    )
    return HTMLResponse(html, status_code=status)


class ConsoleHeaders:
    """ASGI middleware adding the console's security headers to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        root = scope.get("root_path", "")
        scope["console_root"] = root
        static = scope["path"].startswith(root + _STATIC)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"content-security-policy", CSP.encode()),
                    (b"x-frame-options", b"DENY"),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"same-origin"),
                    (b"cache-control", b"no-cache" if static else b"no-store"),
                ]
                message["headers"] = headers
            await send(message)

        await self._app(scope, receive, with_headers)
