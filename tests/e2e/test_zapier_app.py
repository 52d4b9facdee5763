"""The Zapier app (integrations/zapier) passes its own tests, zapier-platform-core's app
tester run by `npm test`, against the real directory and webhooks services: this test
starts them, makes what a Zapier user would have (an API key made by the tenant's
administrator, a user on the platform), and hands them to `npm test` in LMS_* variables."""

import asyncio
import os
import re
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.directory import Tenant
from tests.support.servers import RunningServer
from tests.support.webhooks import WebhooksStack

APP = Path(__file__).resolve().parents[2] / "integrations" / "zapier"
INSTALL = "npm ci --prefix integrations/zapier"
NPM_TEST_TIMEOUT_SECONDS = 300
JS_TEST = re.compile(r"^test\(", re.MULTILINE)


def npm_or_fail() -> str:
    """npm, with the app's locked packages installed: never a skip, a clear failure."""
    npm, node = shutil.which("npm"), shutil.which("node")
    if node is None or npm is None:
        pytest.fail(
            "Node.js and npm are needed to test the Zapier app (integrations/zapier): install "
            f"Node.js 20 or later (Debian: apt-get install nodejs npm), then run `{INSTALL}`."
        )
    if not (APP / "node_modules" / "zapier-platform-core").is_dir():
        pytest.fail(f"The Zapier app's packages are not installed: run `{INSTALL}`.")
    return npm


async def new_key(admin: httpx.AsyncClient, name: str) -> dict[str, Any]:
    response = await admin.post("/api/v1/api-keys", json={"name": name})
    assert response.status_code == 201, response.text
    key: dict[str, Any] = response.json()
    return key


async def until_found(webhooks: str, key: str, email: str) -> None:
    """Until the webhooks service has seen the user's event (it reads it from the bus)."""
    async with httpx.AsyncClient(base_url=webhooks, headers={"X-API-Key": key}) as client:
        for _ in range(200):
            found = await client.get("/api/v1/integrations/users", params={"email": email})
            if found.json():
                return
            await asyncio.sleep(0.1)
    raise AssertionError(f"the webhooks service never saw {email}")


def js_tests() -> int:
    """How many tests the app's test files declare: all of them must run and pass."""
    return sum(len(JS_TEST.findall(path.read_text())) for path in APP.glob("test/*.test.js"))


async def run_npm_test(npm: str, env: dict[str, str]) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        npm,
        "test",
        cwd=APP,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    # Awaited, not run in a thread: the services answering it live on this event loop.
    output, _ = await asyncio.wait_for(process.communicate(), NPM_TEST_TIMEOUT_SECONDS)
    assert process.returncode is not None
    return process.returncode, output.decode()


async def test_the_zapier_app_passes_its_tests_against_the_running_services(
    tenant: Tenant, directory: RunningServer, webhooks_stack: WebhooksStack
) -> None:
    npm = npm_or_fail()
    token = (await tenant.admin.post("/api/v1/auth/token")).json()["access_token"]
    async with httpx.AsyncClient(
        base_url=webhooks_stack.url, headers={"Authorization": f"Bearer {token}"}
    ) as admin:
        key = await new_key(admin, "Zapier")
        revoked = await new_key(admin, "Zapier (old)")
        assert (await admin.delete(f"/api/v1/api-keys/{revoked['id']}")).status_code == 204
    known = await tenant.invite("Lea.Fortin@example.com", first_name="Léa", last_name="Fortin")
    await until_found(webhooks_stack.url, key["key"], known["email"])

    status, output = await run_npm_test(
        npm,
        {
            "LMS_BASE_URL": webhooks_stack.url,
            "LMS_API_KEY": key["key"],
            "LMS_REVOKED_API_KEY": revoked["key"],
            "LMS_TENANT_ID": str(tenant.id),
            "LMS_DIRECTORY_URL": directory.url,
            "LMS_ADMIN_TOKEN": token,
            "LMS_KNOWN_USER_EMAIL": known["email"],
            "LMS_KNOWN_USER_ID": known["id"],
        },
    )

    print(output)  # noqa: T201 - the app's own test report, shown with the result
    assert status == 0, output
    declared = js_tests()
    assert declared > 0
    summary = dict(re.findall(r"^# (tests|pass|fail) (\d+)$", output, re.MULTILINE))
    assert summary == {"tests": str(declared), "pass": str(declared), "fail": "0"}, output
