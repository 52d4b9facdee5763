"""Running the admin console for tests, and using it as a browser without JavaScript would:
forms with their CSRF token, the console's own cookie."""

import re
from typing import Any

import httpx

from services.admin.app import create_app
from services.admin.settings import AdminSettings
from tests.support.directory import ADMIN_PASSWORD, Tenant
from tests.support.servers import RunningServer

COOKIE_SECRET = "test-cookie-secret-" + "x" * 32
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def admin_settings(gateway_url: str, **overrides: Any) -> AdminSettings:
    values: dict[str, Any] = {
        "gateway_url": gateway_url,
        "cookie_secret": COOKIE_SECRET,
        "cookie_secure": False,  # plain HTTP to 127.0.0.1
        "log_json": True,
        **overrides,
    }
    return AdminSettings(**values)


async def start_admin(settings: AdminSettings) -> RunningServer:
    return await RunningServer(create_app(settings)).start()


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has no CSRF token"
    return found.group(1)


class ConsoleBrowser:
    """The console seen through plain HTTP: GET pages, POST their forms with the token."""

    def __init__(self, base_url: str, locale: str = "en") -> None:
        self.http = httpx.AsyncClient(
            base_url=base_url, timeout=30, headers={"Accept-Language": locale}
        )
        self.csrf = ""

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        response = await self.http.get(path, **kwargs)
        if match := _CSRF.search(response.text):
            self.csrf = match.group(1)
        return response

    async def post(self, path: str, data: Any = None, **kwargs: Any) -> httpx.Response:
        if not self.csrf:
            await self.get("/login")
        pairs = data if isinstance(data, list) else list((data or {}).items())
        form: dict[str, list[str]] = {"csrf_token": [self.csrf]}
        for name, value in pairs:
            form.setdefault(name, []).append(value)
        response = await self.http.post(path, data=form, **kwargs)
        if match := _CSRF.search(response.text):
            self.csrf = match.group(1)
        return response

    async def log_in(self, tenant: Tenant, email: str | None = None) -> httpx.Response:
        await self.get("/login")
        response = await self.post(
            "/login",
            {
                "tenant": tenant.slug,
                "email": email or tenant.admin_email,
                "password": ADMIN_PASSWORD,
                "next": "/users",
            },
        )
        if response.status_code == 303:
            await self.get("/users")  # the new session's CSRF token
        return response

    async def aclose(self) -> None:
        await self.http.aclose()
