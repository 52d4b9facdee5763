"""The whole invitation, as people live it: the admin invites, the e-mail arrives, the
user chooses a password on the page, the directory shows them active, they log in."""

import json
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


async def test_invited_user_chooses_a_password_and_logs_in(
    tenant: Tenant, invitations: RunningServer, smtp: SmtpSink, bus: BusSpy
) -> None:
    user = await tenant.invite("camille.roy@example.com", first_name="Camille", locale="fr")

    [mail] = await smtp.wait_for("camille.roy@example.com")
    assert mail.link.startswith(f"{invitations.url}/invite/")
    sent = await bus.wait_for("invitation.sent", subject=user["id"])
    assert sent[0].data["message_id"] == mail.message["Message-ID"]

    async with invitee_client() as browser:
        page = await open_invite(browser, mail.link)
        assert page.status == 200
        assert "Choisissez votre mot de passe" in page.html
        accepted = await choose_password(browser, mail.link, csrf=page.csrf)
    assert accepted.status_code == 200, accepted.text
    assert "Votre compte est activé" in accepted.text

    await bus.wait_for("user.activated", subject=user["id"])
    [accepted_event] = bus.matching("invitation.accepted", subject=user["id"])
    raw = json.dumps(accepted_event.body)
    assert "$argon2id$" not in raw, "the password hash never travels readable on the bus"
    assert accepted_event.data["sealed_password_hash"]
    profile = (await tenant.admin.get(f"/api/v1/users/{user['id']}")).json()
    assert profile["status"] == "active"
    assert profile["invitation"]["state"] == "accepted"
    assert profile["invitation"]["first_sent_at"] is not None

    client = await tenant.login("camille.roy@example.com", NEW_PASSWORD)
    await client.aclose()


async def test_an_invitation_that_cannot_be_sent_shows_as_failed_in_the_directory(
    tenant: Tenant, invitations: RunningServer, smtp: SmtpSink, bus: BusSpy, amqp_url: str
) -> None:
    address = f"nobody-{uuid.uuid4().hex[:8]}@example.com"
    smtp.refuse_recipients[address] = "550 5.1.1 No such user"
    try:
        user = await tenant.invite(address)
        await bus.wait_for("invitation.failed", subject=user["id"])
    finally:
        del smtp.refuse_recipients[address]
    await drained(amqp_url, "directory.invitations")
    profile = (await tenant.admin.get(f"/api/v1/users/{user['id']}")).json()
    assert profile["invitation"]["state"] == "failed"
    assert "550 5.1.1 No such user" in profile["invitation"]["failure_reason"]
    assert smtp.to(address) == []


async def test_a_password_is_kept_exactly_as_typed_spaces_at_its_ends_included(
    tenant: Tenant, invitations: RunningServer, smtp: SmtpSink, bus: BusSpy
) -> None:
    address = f"edge-{uuid.uuid4().hex[:8]}@example.com"
    password = "  two spaces before, one after, and cafe\u0301 "
    user = await tenant.invite(address, locale="en")
    [mail] = await smtp.wait_for(address)

    async with invitee_client() as browser:
        accepted = await choose_password(browser, mail.link, password)
    assert accepted.status_code == 200, accepted.text
    await bus.wait_for("user.activated", subject=user["id"])

    client = await tenant.login(address, password)
    await client.aclose()
    composed = password.replace("e\u0301", "\u00e9")  # the same text from another keyboard
    client = await tenant.login(address, composed)
    await client.aclose()
    for altered in (password.strip(), password.rstrip(), password.lstrip()):
        async with httpx.AsyncClient(base_url=tenant.base_url) as stranger:
            refused = await stranger.post(
                "/api/v1/auth/login",
                json={"tenant": tenant.slug, "email": address, "password": altered},
            )
        assert refused.status_code == 401, "a trimmed password is another password"
