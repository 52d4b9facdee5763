"""The console's only way to the data: the platform's public HTTP APIs, through the
gateway, with the logged-in admin's access token, as any API client would."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from http.cookiejar import CookieJar, DefaultCookiePolicy
from http.cookies import SimpleCookie
from typing import Any

import httpx

from shared.logging import correlation_id, get_logger

log = get_logger(__name__)

Params = list[tuple[str, str]] | dict[str, str] | None


class ApiProblem(Exception):
    """The API refused: its status and its RFC 9457 problem."""

    def __init__(
        self,
        status: int,
        detail: str,
        errors: list[dict[str, str]] | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(f"{status}: {detail}")
        self.status = status
        self.detail = detail
        self.errors = errors or []
        self.retry_after = retry_after


class ServiceUnavailable(Exception):
    """The service behind this path is absent (not deployed yet) or not answering."""


class SessionExpired(Exception):
    """The API no longer knows this session (logged out, expired, user deactivated)."""


@dataclass(frozen=True)
class ApiAnswer:
    status: int
    body: Any
    headers: Mapping[str, str] = field(default_factory=dict)
    cookies: Mapping[str, str] = field(default_factory=dict)


class ApiClient:
    def __init__(self, base_url: str, timeout_seconds: float) -> None:
        self._http = httpx.AsyncClient(
            base_url=base_url,
            timeout=timeout_seconds,
            trust_env=False,
            follow_redirects=False,
            cookies=_no_cookie_jar(),
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def call(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        json: Any = None,
        params: Params = None,
        headers: Mapping[str, str] | None = None,
        absent_on_404: bool = False,
    ) -> ApiAnswer:
        """The API's answer; raises ApiProblem (a refusal), SessionExpired (401) or
        ServiceUnavailable (nothing answers, 502-504, or a 404 on a collection that must
        exist when its service does)."""
        sent = dict(headers or {})
        if token:
            sent["Authorization"] = f"Bearer {token}"
        if cid := correlation_id():
            sent["X-Request-ID"] = cid
        try:
            response = await self._http.request(
                method,
                path,
                json=json,
                params=httpx.QueryParams(list(_pairs(params))),
                headers=sent,
            )
        except httpx.HTTPError as error:
            log.warning("API unreachable", path=path, error=repr(error))
            raise ServiceUnavailable(path) from error
        return _answer(response, absent_on_404=absent_on_404)

    async def upload(
        self,
        path: str,
        token: str,
        file: tuple[str, bytes, str],
        data: Mapping[str, str] | None = None,
    ) -> ApiAnswer:
        """A file as multipart/form-data (`file`: name, bytes, media type), with form fields."""
        sent = {"Authorization": f"Bearer {token}"}
        if cid := correlation_id():
            sent["X-Request-ID"] = cid
        try:
            response = await self._http.post(
                path, files={"file": file}, data=dict(data or {}), headers=sent
            )
        except httpx.HTTPError as error:
            log.warning("API unreachable", path=path, error=repr(error))
            raise ServiceUnavailable(path) from error
        return _answer(response, absent_on_404=False)

    async def download(self, path: str, token: str) -> httpx.Response:
        """A file, read whole (exports are capped by their service)."""
        try:
            response = await self._http.get(path, headers={"Authorization": f"Bearer {token}"})
        except httpx.HTTPError as error:
            raise ServiceUnavailable(path) from error
        if response.status_code != 200:
            _answer(response, absent_on_404=False)
        return response

    async def is_up(self, path: str) -> bool:
        try:
            return (await self._http.get(path)).status_code == 200
        except httpx.HTTPError:
            return False


def _no_cookie_jar() -> CookieJar:
    """One client serves every admin: it must keep no cookie between calls (each call
    sends the cookies of the browser it acts for, and nothing else)."""
    return CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))


def _pairs(params: Params) -> list[tuple[str, str]]:
    if params is None:
        return []
    return list(params.items()) if isinstance(params, dict) else list(params)


def _answer(response: httpx.Response, *, absent_on_404: bool) -> ApiAnswer:
    status = response.status_code
    if status in (502, 503, 504) or (status == 404 and absent_on_404):
        raise ServiceUnavailable(str(response.request.url.path))
    body = _body(response)
    if status == 401:
        raise SessionExpired()
    if status >= 400:
        problem = body if isinstance(body, dict) else {}
        retry = response.headers.get("Retry-After", "")
        raise ApiProblem(
            status,
            str(problem.get("detail") or response.reason_phrase),
            [e for e in problem.get("errors", []) if isinstance(e, dict)],
            int(retry) if retry.isdigit() else None,
        )
    return ApiAnswer(status, body, dict(response.headers), _set_cookies(response))


def _set_cookies(response: httpx.Response) -> dict[str, str]:
    """The cookies the API set, read from the headers as sent (a Secure cookie over the
    gateway's plain HTTP in development is still the session the console must keep)."""
    found: dict[str, str] = {}
    for header in response.headers.get_list("set-cookie"):
        parsed: SimpleCookie = SimpleCookie()
        parsed.load(header)
        found.update({name: morsel.value for name, morsel in parsed.items()})
    return found


def _body(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return None
