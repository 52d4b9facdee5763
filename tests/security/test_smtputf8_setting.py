"""EMAIL_SMTPUTF8 decides whether an address with non-ASCII before the @ is taken, on
every path that brings one in: the invitation and edit routes (test_addresses.py), an
import's preview and the job that applies it (which judges each row again by its own
setting, the one in force when the rows are written)."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from services.directory.settings import DirectorySettings
from tests.security.conftest import OwnDirectory, own_directory
from tests.support.directory import Lms, new_tenant
from tests.support.infra import Infrastructure

NOT_SUPPORTED = "Internationalized characters before the @-sign are not supported"


def people(*emails: str) -> bytes:
    rows = "".join(f"{email},Jo,Núñez\n" for email in emails)
    return ("email,first_name,last_name\n" + rows).encode()


async def upload(admin: Any, content: bytes) -> dict[str, Any]:
    response = await admin.post("/api/v1/imports", files={"file": ("people.csv", content)})
    assert response.status_code == 201, response.text
    preview: dict[str, Any] = response.json()
    return preview


def plans(preview: dict[str, Any]) -> dict[str, tuple[str, str | None]]:
    return {row["email"]: (row["plan"], row["message"]) for row in preview["rows"]}


async def applied(admin: Any, import_id: str) -> dict[str, Any]:
    response = await admin.post(f"/api/v1/imports/{import_id}/apply", json={})
    assert response.status_code == 202, response.text
    for _ in range(300):
        body: dict[str, Any] = (await admin.get(f"/api/v1/imports/{import_id}")).json()
        if body["job"]["state"] not in ("queued", "running"):
            return body
        await asyncio.sleep(0.05)
    raise AssertionError(f"the import's job did not end: {body['job']}")


async def test_without_smtputf8_an_import_refuses_the_row_saying_why(lms: Lms) -> None:
    preview = await upload(lms.admin, people("josé@example.com", "jose@example.com"))
    found = plans(preview)
    assert found["jose@example.com"] == ("create", None)
    plan, message = found["josé@example.com"]
    assert plan == "error"
    assert message is not None
    assert NOT_SUPPORTED in message
    assert message.startswith("email:")
    # The other rules of the invitation route hold in a file too.
    more = await upload(lms.admin, people("ａdmin@example.com", "аdmin@example.com"))
    messages = {email: message for email, (_, message) in plans(more).items()}
    assert all(m and "can't be used" in m for m in messages.values()), messages


@pytest.fixture
async def directory_with_smtputf8(
    infra: Infrastructure, private_vhost: str, directory_config: DirectorySettings
) -> AsyncIterator[OwnDirectory]:
    private_key = directory_config.jwt_private_key
    async with own_directory(infra, private_vhost, private_key, "smtputf8") as own:
        await own.start(email_smtputf8=True)
        yield own


async def test_with_smtputf8_an_import_takes_it_and_its_job_judges_by_its_own_setting(
    directory_with_smtputf8: OwnDirectory,
) -> None:
    own = directory_with_smtputf8
    assert own.settings is not None
    tenant = await new_tenant(own.settings, own.url, "utf8")
    try:
        first = await upload(tenant.admin, people("josé@example.com"))
        assert plans(first)["josé@example.com"] == ("create", None)
        done = await applied(tenant.admin, first["id"])
        assert done["job"]["counts"] == {"created": 1}
        user_id = done["rows"][0]["user_id"]
        profile = (await tenant.admin.get(f"/api/v1/users/{user_id}")).json()
        assert profile["email"] == "josé@example.com"

        # Previewed while the setting was on, applied after it was turned off (the mail
        # server stopped offering SMTPUTF8): the job refuses the row, saying why.
        second = await upload(tenant.admin, people("zoë@example.com", "zoe@example.com"))
        assert plans(second)["zoë@example.com"] == ("create", None)
        await own.start(email_smtputf8=False)
        done = await applied(tenant.admin, second["id"])
        assert done["job"]["counts"] == {"created": 1, "refused": 1}
        outcomes = {r["email"]: (r["outcome"], r["outcome_message"]) for r in done["rows"]}
        assert outcomes["zoe@example.com"] == ("created", None)
        outcome, message = outcomes["zoë@example.com"]
        assert outcome == "refused"
        assert message is not None
        assert NOT_SUPPORTED in message
    finally:
        await tenant.admin.aclose()
