"""The admin console against a real directory (the root fixtures' one), reached as the
console reaches the APIs in production: one base URL (here the directory itself stands
for the gateway, so exports, keys, hooks and suppressions are absent: 404)."""

from collections.abc import AsyncIterator

import pytest

from tests.support.admin import ConsoleBrowser, admin_settings, start_admin
from tests.support.directory import Tenant
from tests.support.servers import RunningServer


@pytest.fixture(scope="session")
async def console(directory: RunningServer) -> AsyncIterator[RunningServer]:
    server = await start_admin(admin_settings(directory.url))
    yield server
    await server.stop()


@pytest.fixture
async def browser(console: RunningServer) -> AsyncIterator[ConsoleBrowser]:
    client = ConsoleBrowser(console.url)
    yield client
    await client.aclose()


@pytest.fixture
async def signed_in(browser: ConsoleBrowser, tenant: Tenant) -> ConsoleBrowser:
    response = await browser.log_in(tenant)
    assert response.status_code == 303, response.text
    # The tenant's admin reads French (their locale); the tests read English.
    await browser.post("/language", {"locale": "en", "next": "/users"})
    return browser
