"""The whole system as a newcomer runs it (`python -m stack`, every service a real process)
and used through the gateway alone: the first admin bootstrapped with the README's
command, a user invited, the e-mail read from the mail folder, the invitation accepted,
the user logged in; a REST-hook subscriber receives `user.activated`, signed; a bounce
notice for an e-mail the system sent turns the user's envelope orange in the console;
the users exported as CSV and as XLSX, both files downloaded."""

import asyncio
import email
import email.policy
import io
import re
from collections.abc import AsyncIterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook
from standardwebhooks import Webhook

from tests.support.bounce_notices import Report, What, generic_request, new_generic_secret
from tests.support.exports import export_and_wait, read_csv
from tests.support.infra import Infrastructure
from tests.support.invitations import ReceivedMail, choose_password
from tests.support.stack import RunningStack, create_admin, running_stack
from tests.support.webhooks import HookReceiver

TENANT, ADMIN, PASSPHRASE = "journey", "admin@journey.example.com", "a long passphrase"
USER_PASSWORD = "the user's own passphrase"
BOUNCE_SECRET = new_generic_secret()


@pytest.fixture
async def stack(
    own_server: Infrastructure,
    private_vhost: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[RunningStack]:
    """On a PostgreSQL server of its own: six services' pools need room the shared one
    may not have while other tests run."""
    # What an operator sets for a real provider (here the generic, Standard Webhooks one),
    # and what lets the webhooks service call a receiver on this machine over plain HTTP.
    monkeypatch.setenv("GENERIC_WEBHOOK_SECRET", BOUNCE_SECRET)
    monkeypatch.setenv("WEBHOOKS_ALLOW_HTTP_TARGETS", "true")
    monkeypatch.setenv("WEBHOOKS_ALLOW_PRIVATE_TARGETS", "true")
    async with running_stack(own_server, private_vhost, tmp_path / "state") as started:
        yield started


async def test_a_newcomer_runs_the_whole_journey_through_the_gateway(
    stack: RunningStack, hook_receiver: HookReceiver
) -> None:
    created = await asyncio.to_thread(create_admin, stack, TENANT, ADMIN, PASSPHRASE)
    assert f"admin {ADMIN} created in tenant {TENANT}" in created
    async with httpx.AsyncClient(base_url=stack.gateway, timeout=30) as admin:
        login = await admin.post(
            "/api/v1/auth/login", json={"tenant": TENANT, "email": ADMIN, "password": PASSPHRASE}
        )
        assert login.status_code == 200, login.text
        token = login.json()["access_token"]
        secret = await subscribe(
            stack.gateway, token, hook_receiver.url(f"/zap/activated/{TENANT}")
        )

        user = await invite(admin, "camille.tremblay@example.com", "Camille")
        mail = await mail_to(stack, "camille.tremblay@example.com")
        assert mail.link.startswith(f"{stack.gateway}/invite/")
        async with httpx.AsyncClient(timeout=30) as browser:
            accepted = await choose_password(browser, mail.link, USER_PASSWORD)
        assert accepted.status_code == 200, accepted.text
        await user_logs_in("camille.tremblay@example.com", stack.gateway)

        [hit] = await hook_receiver.wait_for(f"/zap/activated/{TENANT}", within=30)
        payload = Webhook(secret).verify(hit.body, hit.headers)
        assert payload["event"] == "user.activated"
        assert payload["user_id"] == user["id"]
        assert payload["email"] == "camille.tremblay@example.com"

        bounced = await invite(admin, "nobody.here@example.com", "Nobody")
        sent = await mail_to(stack, "nobody.here@example.com")
        await report_bounce(stack.gateway, sent)
        profile = await profile_when_bounced(admin, bounced["id"])
        assert profile["email_status"]["bounce_kind"] == "hard"

    page = await console_profile(stack.gateway, bounced["id"])
    assert re.search(r'<details class="envelope orange">', page), "the orange envelope"
    assert "Rebond permanent" in page, "the kind, in the admin's language (French here)"
    assert "550 5.1.1 user unknown" in page, "the provider's reason"

    csv_file = await download_export(stack.gateway, token, "csv")
    xlsx_file = await download_export(stack.gateway, token, "xlsx")
    rows = read_csv(csv_file)
    assert any("camille.tremblay@example.com" in row for row in rows[1:]), rows
    sheet = load_workbook(io.BytesIO(xlsx_file), read_only=True).active
    assert sheet is not None
    cells = {cell for row in sheet.iter_rows(values_only=True) for cell in row}
    assert {"camille.tremblay@example.com", "nobody.here@example.com"} <= cells


async def download_export(gateway: str, token: str, file_format: str) -> bytes:
    """Request an export of every user, wait until it is built, download the file."""
    bearer = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=gateway, timeout=30, headers=bearer) as admin:
        job = await export_and_wait(admin, {"format": file_format}, within=60)
        assert job["state"] == "done", job
        downloaded = await admin.get(job["file_url"])
    assert downloaded.status_code == 200, downloaded.text
    assert job["file_name"] in downloaded.headers["content-disposition"]
    return downloaded.content


async def subscribe(gateway: str, token: str, target_url: str) -> str:
    """An API key, then a REST hook on user.activated made with it (Zapier's way);
    returns the hook's signing secret."""
    bearer = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=gateway, timeout=30, headers=bearer) as client:
        key = await client.post("/api/v1/api-keys", json={"name": "Zapier"})
    assert key.status_code == 201, key.text
    api_key = {"X-API-Key": key.json()["key"]}
    async with httpx.AsyncClient(base_url=gateway, timeout=30, headers=api_key) as zapier:
        hook = await zapier.post(
            "/api/v1/hooks", json={"target_url": target_url, "event": "user.activated"}
        )
    assert hook.status_code == 201, hook.text
    secret: str = hook.json()["secret"]
    return secret


async def invite(admin: httpx.AsyncClient, address: str, first_name: str) -> dict[str, Any]:
    invited = await admin.post(
        "/api/v1/users/invitations",
        json={"email": address, "first_name": first_name, "last_name": "Test"},
    )
    assert invited.status_code == 201, invited.text
    user: dict[str, Any] = invited.json()
    return user


async def mail_to(stack: RunningStack, address: str, within: float = 30) -> ReceivedMail:
    """The message the mail catcher kept for `address` (an .eml file in the mail folder)."""
    folder = stack.state / "mail"
    async with asyncio.timeout(within):
        while True:
            for path in sorted(folder.glob("*.eml")):
                raw = path.read_bytes()
                message = email.message_from_bytes(raw, policy=email.policy.default)
                assert isinstance(message, EmailMessage)
                if address in str(message["To"]):
                    return ReceivedMail(raw, [address], 0.0)
            await asyncio.sleep(0.2)


async def user_logs_in(address: str, gateway: str) -> None:
    async with httpx.AsyncClient(base_url=gateway, timeout=30) as client:
        login = await client.post(
            "/api/v1/auth/login",
            json={"tenant": TENANT, "email": address, "password": USER_PASSWORD},
        )
        assert login.status_code == 200, login.text
        me = await client.get("/api/v1/auth/me")
    assert me.status_code == 200, me.text
    assert me.json()["email"] == address


async def report_bounce(gateway: str, mail: ReceivedMail) -> None:
    """The provider's webhook: a hard bounce of that very message (its Message-ID)."""
    [address] = mail.recipients
    report = Report(What.HARD_BOUNCE, address, message_id=str(mail.message["Message-ID"]))
    signed = generic_request([report], BOUNCE_SECRET)
    async with httpx.AsyncClient(timeout=30) as provider:
        response = await provider.post(
            f"{gateway}/webhooks/email/generic", content=signed.body, headers=signed.headers
        )
    assert response.status_code == 200, response.text


async def profile_when_bounced(
    admin: httpx.AsyncClient, user_id: str, within: float = 30
) -> dict[str, Any]:
    async with asyncio.timeout(within):
        while True:
            profile: dict[str, Any] = (await admin.get(f"/api/v1/users/{user_id}")).json()
            if profile["email_status"]["state"] == "bounced":
                return profile
            await asyncio.sleep(0.2)


async def console_profile(gateway: str, user_id: str) -> str:
    """The user's page in the admin console, as the admin's browser gets it."""
    async with httpx.AsyncClient(
        base_url=gateway, timeout=30, headers={"Accept-Language": "en"}
    ) as browser:
        form = await browser.get("/login")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert csrf, form.text
        fields = {"tenant": TENANT, "email": ADMIN, "password": PASSPHRASE, "next": "/users"}
        logged_in = await browser.post("/login", data={"csrf_token": csrf.group(1), **fields})
        assert logged_in.status_code == 303, logged_in.text
        page = await browser.get(f"/users/{user_id}")
    assert page.status_code == 200, page.text
    return page.text
