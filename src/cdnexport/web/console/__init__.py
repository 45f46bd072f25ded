"""The web console at ``/console/``: customers' usage and exports, and the operators' pages.

Server-rendered (Jinja2) over the services the API uses; a small script of its own
(``static/console.js``) adds hover read-outs on the chart and live export progress.
"""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from cdnexport.services import Services
from cdnexport.web.console import i18n
from cdnexport.web.console.auth import Guard, same_origin, token_matches
from cdnexport.web.console.base import forbidden_page
from cdnexport.web.console.customer import CustomerConsole
from cdnexport.web.console.operator import OperatorConsole
from cdnexport.web.console.pages import LANG_COOKIE, ConsoleHeaders, console_root
from cdnexport.web.console.usage_page import UsagePage

STATIC_DIR = Path(__file__).parent / "static"
ONE_YEAR = 365 * 86400


def create_console(services: Services) -> Starlette:
    """The console as an ASGI app, to be mounted at ``/console``."""
    guard = Guard(services)
    customer = CustomerConsole(services, guard)
    operator = OperatorConsole(services, guard)
    usage = UsagePage(services, guard)

    async def switch_language(request: Request) -> Response:
        """Remember the chosen language in a cookie and go back to the page it was chosen on."""
        form = await request.form(max_files=0, max_fields=10)
        expected = guard.pre_session_token(request)[0]
        if not same_origin(request) or not token_matches(form.get("csrf"), expected):
            return forbidden_page(request)
        root = console_root(request)
        lang = str(form.get("lang", ""))
        back = str(form.get("next", ""))
        # Only a path of the console itself: never an open redirect.
        if not back.startswith(f"{root}/") or back.startswith("//") or "\\" in back:
            back = f"{root}/"
        response = RedirectResponse(back, status_code=303)
        if lang in i18n.LANGUAGES:
            response.set_cookie(
                LANG_COOKIE,
                lang,
                max_age=ONE_YEAR,
                path=f"{root}/",
                secure=guard.secure,
                httponly=True,
                samesite="lax",
            )
        return response

    return Starlette(
        routes=[
            *customer.routes(),
            *usage.routes(),
            Route("/lang", switch_language, methods=["POST"]),
            Mount("/operator", routes=operator.routes()),
            Mount("/static", app=StaticFiles(directory=STATIC_DIR), name="static"),
        ],
        middleware=[Middleware(ConsoleHeaders)],
    )
