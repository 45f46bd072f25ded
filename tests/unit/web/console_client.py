"""A TestClient session of the web console that reads CSRF tokens from the pages it gets."""

from __future__ import annotations

import re
from typing import Any

from starlette.testclient import TestClient

from cdnexport.db.accounts import Account

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
ORIGIN = "http://testserver"


def csrf_of(html: str) -> str:
    """The first CSRF token of a page (the page's forms all carry the same one, bar the
    language switch, which carries the pre-session token)."""
    found: list[str] = _CSRF.findall(html)
    assert found, "no form with a CSRF token on the page"
    return found[-1]


def post(client: TestClient, path: str, page: str, data: dict[str, Any]) -> Any:
    """POST a console form with the token of the page ``page`` shows, as a browser would."""
    html = client.get(page).text
    return client.post(
        path,
        data={**data, "csrf": csrf_of(html)},
        headers={"origin": ORIGIN},
        follow_redirects=False,
    )


def sign_in(client: TestClient, account: Account, secret: str | None = None) -> Any:
    html = client.get("/console/signin").text
    return client.post(
        "/console/signin",
        data={
            "access_key_id": account.access_key_id,
            "access_key_secret": account.access_key_secret if secret is None else secret,
            "csrf": csrf_of(html),
        },
        headers={"origin": ORIGIN},
        follow_redirects=False,
    )


def operator_sign_in(client: TestClient, name: str, password: str) -> Any:
    html = client.get("/console/operator/signin").text
    return client.post(
        "/console/operator/signin",
        data={"name": name, "password": password, "csrf": csrf_of(html)},
        headers={"origin": ORIGIN},
        follow_redirects=False,
    )
