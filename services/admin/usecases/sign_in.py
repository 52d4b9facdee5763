"""Logging in and out of the console, and keeping the admin's access token fresh.

The directory issues the session (its cookie value) and short-lived access tokens; the
console keeps both in its own encrypted cookie and renews the token from the session
when it is about to expire, so a deactivated admin or a revoked session stops at once."""

import contextlib
import time
from dataclasses import dataclass

from services.admin.adapters.api_client import ApiClient, ApiProblem, SessionExpired
from services.admin.adapters.sealing import new_nonce
from services.admin.domain.session import LOCALES, Admin, ConsoleSession

ADMIN_PERMISSION = "users:read"


class NotAnAdmin(Exception):
    """The account exists and logged in, but may not use the console."""


class LoginRefused(Exception):
    def __init__(self, retry_after: int | None = None) -> None:
        super().__init__("login refused")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Login:
    tenant: str
    email: str
    password: str
    user_agent: str
    client_address: str | None = None  # the browser's, for the directory's throttle
    known_device: str | None = None  # the directory's known-device cookie, kept by the browser


@dataclass(frozen=True)
class DirectoryCookies:
    session: str
    device: str


@dataclass(frozen=True)
class SignedIn:
    session: ConsoleSession
    new_known_device: str | None  # for the browser to keep (the directory set a new one)


def _login_headers(login: Login, cookies: DirectoryCookies) -> dict[str, str]:
    """The console logs in for the browser: the directory must see the browser's address
    (its throttle counts per client) and the browser's known-device cookie (a device that
    logged in before gets in even while the account is attacked)."""
    headers = {"User-Agent": login.user_agent}
    if login.client_address:
        headers["X-Forwarded-For"] = login.client_address
    if login.known_device and login.known_device.isascii() and ";" not in login.known_device:
        headers["Cookie"] = f"{cookies.device}={login.known_device}"
    return headers


async def log_in(
    api: ApiClient, login: Login, cookies: DirectoryCookies, previous: ConsoleSession
) -> SignedIn:
    try:
        answer = await api.call(
            "POST",
            "/api/v1/auth/login",
            json={"tenant": login.tenant, "email": login.email, "password": login.password},
            headers=_login_headers(login, cookies),
        )
    except SessionExpired:
        raise LoginRefused() from None
    except ApiProblem as problem:
        raise LoginRefused(problem.retry_after if problem.status == 429 else None) from None
    body = answer.body
    user, token = body["user"], body["access_token"]
    if ADMIN_PERMISSION not in user.get("permissions", []):
        await api.call("POST", "/api/v1/auth/logout", token=token)
        raise NotAnAdmin()
    locale = user.get("locale")
    session = ConsoleSession(
        nonce=new_nonce(),  # a new CSRF nonce for the new session
        locale=locale if locale in LOCALES else previous.locale,
        directory_session=answer.cookies.get(cookies.session),
        access_token=token,
        token_expires_at=time.time() + int(body.get("expires_in", 0)),
        admin=Admin(
            id=user["id"],
            email=user["email"],
            name=f"{user.get('first_name', '')} {user.get('last_name', '')}".strip(),
            role=user.get("role", ""),
        ),
    )
    return SignedIn(session, answer.cookies.get(cookies.device))


class ResetThrottled(Exception):
    pass


async def ask_for_password_reset(
    api: ApiClient, tenant: str, email: str, client_address: str | None
) -> None:
    """The directory answers the same whatever exists; ResetThrottled when asked too often."""
    headers = {"X-Forwarded-For": client_address} if client_address else {}
    try:
        await api.call(
            "POST",
            "/api/v1/auth/password-reset",
            json={"tenant": tenant, "email": email},
            headers=headers,
        )
    except ApiProblem as problem:
        if problem.status == 429:
            raise ResetThrottled() from None
        raise


async def fresh_session(
    api: ApiClient, session: ConsoleSession, session_cookie: str
) -> ConsoleSession:
    """The session with an access token good for the next minute (renewed if needed);
    SessionExpired when the directory no longer knows the session."""
    now = time.time()
    if session.token_is_fresh(now):
        return session
    if session.directory_session is None:
        raise SessionExpired()
    answer = await api.call(
        "POST",
        "/api/v1/auth/token",
        headers={"Cookie": f"{session_cookie}={session.directory_session}"},
    )
    return session.with_token(answer.body["access_token"], now + int(answer.body["expires_in"]))


async def log_out(api: ApiClient, session: ConsoleSession, session_cookie: str) -> ConsoleSession:
    """Ends the directory session too; the console's cookie keeps only the language."""
    if session.directory_session:
        with contextlib.suppress(SessionExpired, ApiProblem):  # already over
            await api.call(
                "POST",
                "/api/v1/auth/logout",
                headers={"Cookie": f"{session_cookie}={session.directory_session}"},
            )
    return session.logged_out(new_nonce())
