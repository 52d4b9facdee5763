"""A forgotten password, as people live it (issue 9.3): the user asks on the login page,
the e-mail arrives in their language, the link opens the page, they choose a new
password; every earlier session ends and the new password logs in."""

import uuid

import httpx

from tests.support.bus import BusSpy, drained
from tests.support.directory import Tenant
from tests.support.invitations import (
    NEW_PASSWORD,
    SmtpSink,
    choose_password,
    invitee_client,
    open_invite,
)
from tests.support.servers import RunningServer

RESET_PASSWORD = "a fresh start passphrase "


async def test_a_user_resets_a_forgotten_password(
    tenant: Tenant, invitations: RunningServer, smtp: SmtpSink, bus: BusSpy, amqp_url: str
) -> None:
    address = f"oubli-{uuid.uuid4().hex[:8]}@example.com"
    user = await tenant.invite(address, first_name="Gaël", locale="fr")
    [invitation] = await smtp.wait_for(address)
    async with invitee_client() as browser:
        assert (await choose_password(browser, invitation.link)).status_code == 200
    await bus.wait_for("user.activated", subject=user["id"])
    old_session = await tenant.login(address, NEW_PASSWORD)

    async with httpx.AsyncClient(base_url=tenant.base_url) as login_page:
        asked = await login_page.post(
            "/api/v1/auth/password-reset", json={"tenant": tenant.slug, "email": address}
        )
    assert asked.status_code == 202

    [_, mail] = await smtp.wait_for(address, count=2)
    assert mail.subject == f"Choisissez un nouveau mot de passe pour Platform {tenant.slug}"
    assert "Bonjour Gaël" in mail.text
    assert mail.link.startswith(f"{invitations.url}/invite/")
    async with invitee_client() as browser:
        page = await open_invite(browser, mail.link)
        assert "Choisissez un nouveau mot de passe" in page.html
        done = await choose_password(browser, mail.link, RESET_PASSWORD, csrf=page.csrf)
        assert done.status_code == 200, done.text
        assert "Votre mot de passe est changé" in done.text
        reused = await choose_password(browser, mail.link, "yet another passphrase", csrf=page.csrf)
        assert reused.status_code == 404, "the link works once"

    await bus.wait_for("password_reset.completed", subject=user["id"])
    await drained(amqp_url, "directory.invitations")
    assert (await old_session.get("/api/v1/auth/me")).status_code == 401, "old sessions end"
    await old_session.aclose()
    async with httpx.AsyncClient(base_url=tenant.base_url) as stranger:
        old = await stranger.post(
            "/api/v1/auth/login",
            json={"tenant": tenant.slug, "email": address, "password": NEW_PASSWORD},
        )
    assert old.status_code == 401, "the old password no longer works"
    client = await tenant.login(address, RESET_PASSWORD)
    assert (await client.get("/api/v1/auth/me")).json()["email"] == address
    await client.aclose()
