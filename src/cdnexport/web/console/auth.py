"""Console sign-in, sessions and CSRF, for customers and operators alike.

- Sessions live in the database (``db.console_sessions``); the cookie is HttpOnly,
  ``SameSite=Lax``, ``Secure`` when the public URL is https, and scoped to the console.
- Every POST carries a CSRF token: the session's own, or before sign-in the value of a
  pre-session cookie (double submit). A request whose ``Origin`` names another site is refused.
- Failed sign-ins are counted per client address and per key (or operator name); past the limit
  every attempt is refused for the rest of the window, with or without the right credentials.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from cdnexport.db import accounts, operators
from cdnexport.db import console_sessions as store
from cdnexport.db.console_sessions import Kind, Session
from cdnexport.services import Services

COOKIES = {Kind.CUSTOMER: "cdnexport_session", Kind.OPERATOR: "cdnexport_operator"}
PRE_CSRF_COOKIE = "cdnexport_csrf"
#: Failed sign-ins allowed per key (or operator name) and per client address in ``WINDOW``.
MAX_PER_KEY = 5
MAX_PER_ADDRESS = 20
WINDOW = 900


class SignInError(Exception):
    """Sign-in refused; ``reason`` is ``signin_failed`` or ``signin_throttled`` (i18n keys)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Signed:
    token: str
    session: Session


class Guard:
    def __init__(self, services: Services) -> None:
        self._services = services
        settings = services.settings
        self.secure = settings.base_url.startswith("https://")
        self._idle = settings.console_idle_seconds
        self._absolute = settings.console_session_seconds

    def _now(self) -> int:
        return int(self._services.clock.now())

    # -- sessions ---------------------------------------------------------------------------

    def current(self, request: Request, kind: Kind) -> Session | None:
        """The live session of the request's cookie (blocking: call in a thread)."""
        token = request.cookies.get(COOKIES[kind])
        if not token or len(token) > 100:
            return None
        now = self._now()
        db = self._services.db
        # Read first: a page view writes only when the row is stale or its idle clock is due.
        with db.read() as conn:
            found = store.lookup(conn, kind, token, now, self._idle, self._absolute)
        if found.stale:
            with db.write() as conn:
                store.close(conn, token)
        elif found.touch:
            with db.write() as conn:
                store.touch(conn, token, now)
        return found.session

    def sign_out(self, request: Request, kind: Kind) -> None:
        token = request.cookies.get(COOKIES[kind])
        if token:
            with self._services.db.write() as conn:
                store.close(conn, token)

    def set_session_cookie(self, response: Response, kind: Kind, token: str, root: str) -> None:
        response.set_cookie(
            COOKIES[kind],
            token,
            max_age=self._absolute,
            path=f"{root}/",
            httponly=True,
            secure=self.secure,
            samesite="lax",
        )

    def clear_session_cookie(self, response: Response, kind: Kind, root: str) -> None:
        response.delete_cookie(
            COOKIES[kind], path=f"{root}/", httponly=True, secure=self.secure, samesite="lax"
        )

    # -- sign-in ----------------------------------------------------------------------------

    def _throttle(self, subjects: tuple[str, ...]) -> None:
        with self._services.db.read() as conn:
            counts = store.recent_failures(conn, subjects, self._now() - WINDOW)
        limits = (MAX_PER_ADDRESS, MAX_PER_KEY)
        if any(counts.get(s, 0) >= limit for s, limit in zip(subjects, limits, strict=True)):
            raise SignInError("signin_throttled")

    def _failed(self, subjects: tuple[str, ...]) -> SignInError:
        now = self._now()
        with self._services.db.write() as conn:
            store.record_failure(conn, subjects, now)
            store.purge(conn, now, self._idle, self._absolute, WINDOW)
        return SignInError("signin_failed")

    def sign_in_customer(self, address: str, key_id: str, secret: str) -> Signed:
        key_id = key_id.strip()[:64]
        subjects = (f"customer-addr:{address}", f"key:{key_id}")
        self._throttle(subjects)
        account = accounts.find_access_key(self._services.db, key_id) if key_id else None
        expected = account.access_key_secret if account else secrets.token_hex(16)
        good = secrets.compare_digest(expected.encode(), secret.encode())
        if account is None or not good or not account.active:
            raise self._failed(subjects)
        now = self._now()
        with self._services.db.write() as conn:
            store.purge(conn, now, self._idle, self._absolute, WINDOW)
            token, session = store.open_session(
                conn, Kind.CUSTOMER, account.id, account.access_key_id, now
            )
        return Signed(token, session)

    def sign_in_operator(self, address: str, name: str, password: str) -> Signed:
        name = name.strip()[:128]
        subjects = (f"operator-addr:{address}", f"operator:{name}")
        self._throttle(subjects)
        with self._services.db.write() as conn:
            found = operators.verify(conn, name, password[:1024])
        if found is None:
            raise self._failed(subjects)
        now = self._now()
        with self._services.db.write() as conn:
            store.purge(conn, now, self._idle, self._absolute, WINDOW)
            token, session = store.open_session(conn, Kind.OPERATOR, found.id, found.name, now)
        return Signed(token, session)

    # -- CSRF -------------------------------------------------------------------------------

    def pre_session_token(self, request: Request) -> tuple[str, bool]:
        """The pre-session CSRF token, and whether it is new (to be set as a cookie)."""
        token = request.cookies.get(PRE_CSRF_COOKIE, "")
        if 20 <= len(token) <= 100:
            return token, False
        return secrets.token_urlsafe(32), True

    def set_pre_session_cookie(self, response: Response, token: str, root: str) -> None:
        response.set_cookie(
            PRE_CSRF_COOKIE,
            token,
            path=f"{root}/",
            httponly=True,
            secure=self.secure,
            samesite="strict",
        )


def same_origin(request: Request) -> bool:
    """False when the browser says the form came from another site."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.headers.get("host", "")


def token_matches(sent: object, expected: str) -> bool:
    return (
        isinstance(sent, str)
        and bool(expected)
        and secrets.compare_digest(sent.encode(), expected.encode())
    )


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"
