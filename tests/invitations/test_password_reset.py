"""Password-reset links (issue 9.3): mailed in the user's language through the same
sending, token, page and suppression machinery as invitations; single use, one hour;
the new password goes to the directory sealed, in `password_reset.completed`."""

import json
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg

from shared.contracts.accounts import LoginFailuresNoticed
from shared.contracts.email import EMAIL_BOUNCED, EmailBounced
from shared.contracts.users import BounceKind
from tests.support.bus import BusSpy, EventPublisher, drained
from tests.support.invitations import (
    Invitee,
    SmtpSink,
    choose_password,
    invitee_client,
    open_invite,
    request_password_reset,
    sending_settled,
)
from tests.support.servers import RunningServer

NEW_PASSWORD = "a brand new passphrase"


async def reset_and_receive(
    events: EventPublisher, smtp: SmtpSink, invitee: Invitee
) -> tuple[uuid.UUID, str]:
    before = len(smtp.to(invitee.email))
    requested = await request_password_reset(events, invitee)
    mail = (await smtp.wait_for(invitee.email, count=before + 1))[-1]
    return requested.request_id, mail.link


async def test_the_reset_e_mail_in_french_then_the_page_then_the_sealed_password(
    invitations: RunningServer, smtp: SmtpSink, events: EventPublisher, bus: BusSpy
) -> None:
    invitee = Invitee(first_name="Éloïse", locale="fr", tenant_name="Académie Nord")
    request_id, link = await reset_and_receive(events, smtp, invitee)
    [mail] = smtp.to(invitee.email)
    assert mail.subject == "Choisissez un nouveau mot de passe pour Académie Nord"
    assert "réinitialiser le mot de passe" in mail.text
    assert link in mail.html
    sent_at = datetime.now(UTC)

    async with invitee_client() as browser:
        page = await open_invite(browser, link)
        assert page.status == 200
        assert "Choisissez un nouveau mot de passe" in page.html
        assert "Enregistrer mon nouveau mot de passe" in page.html
        assert "activer votre compte" not in page.html
        expires = await _link_expiry(invitations, link)
        assert timedelta(minutes=59) < expires - sent_at <= timedelta(minutes=61)

        done = await choose_password(browser, link, NEW_PASSWORD, csrf=page.csrf)
        assert done.status_code == 200, done.text
        assert "Votre mot de passe est changé" in done.text
        again = await choose_password(browser, link, "another new passphrase", csrf=page.csrf)
    assert again.status_code == 404, "a reset link works once"

    [completed] = await bus.wait_for("password_reset.completed", subject=str(invitee.id))
    assert completed.data["request_id"] == str(request_id)
    assert completed.data["sealed_password_hash"]
    assert "$argon2id$" not in json.dumps(completed.body)
    assert not bus.matching("invitation.sent", subject=str(invitee.id))
    assert not bus.matching("invitation.accepted", subject=str(invitee.id))


async def _link_expiry(invitations: RunningServer, link: str) -> datetime:
    """When the link stops working, as the page says it in the database's terms."""
    from services.invitations.db import deliveries
    from shared.security.tokens import token_hash

    runtime = invitations.app.state.runtime
    async with runtime.unit_of_work() as uow:
        found = await deliveries.find_by_token(uow.session, token_hash(link.rsplit("/", 1)[1]))
    assert found is not None
    assert found.expires_at is not None
    return found.expires_at


async def test_an_expired_reset_link_says_to_ask_again(
    invitations: RunningServer,
    smtp: SmtpSink,
    events: EventPublisher,
    invitations_sql: asyncpg.Pool,
) -> None:
    invitee = Invitee(locale="en")
    _, link = await reset_and_receive(events, smtp, invitee)
    await invitations_sql.execute(
        "UPDATE deliveries d SET token_expires_at = now() - interval '1 second'"
        " FROM invitations i WHERE i.tenant_id = d.tenant_id AND i.id = d.invitation_id"
        " AND i.user_id = $1",
        invitee.id,
    )
    async with invitee_client() as browser:
        page = await open_invite(browser, link)
    assert page.status == 410
    assert "This link has expired" in page.html
    assert "Ask for a new one on the login page" in page.html


async def test_a_newer_reset_makes_the_older_link_useless(
    invitations: RunningServer, smtp: SmtpSink, events: EventPublisher
) -> None:
    invitee = Invitee(locale="en")
    _, first = await reset_and_receive(events, smtp, invitee)
    _, second = await reset_and_receive(events, smtp, invitee)
    async with invitee_client() as browser:
        assert (await open_invite(browser, first)).status == 404
        assert (await open_invite(browser, second)).status == 200


async def test_a_suppressed_address_gets_no_reset_e_mail_and_the_directory_no_failure(
    invitations: RunningServer,
    smtp: SmtpSink,
    events: EventPublisher,
    bus: BusSpy,
    invitations_amqp_url: str,
    invitations_sql: asyncpg.Pool,
) -> None:
    invitee = Invitee(locale="en")
    bounce = EmailBounced(
        provider="test",
        provider_event_id=uuid.uuid4().hex,
        email=invitee.email,
        user_id=invitee.id,
        occurred_at=datetime.now(UTC),
        kind=BounceKind.HARD,
        reason="550 5.1.1 mailbox does not exist",
    )
    await events.publish(EMAIL_BOUNCED, invitee.tenant_id, bounce)
    await drained(invitations_amqp_url, "invitations.email")

    await request_password_reset(events, invitee)
    await drained(invitations_amqp_url, "invitations.requests")
    await sending_settled(invitations_sql, invitee.id)

    assert smtp.to(invitee.email) == []
    state = await invitations_sql.fetchval(
        "SELECT d.state FROM deliveries d JOIN invitations i"
        " ON i.tenant_id = d.tenant_id AND i.id = d.invitation_id WHERE i.user_id = $1",
        invitee.id,
    )
    assert state == "cancelled"
    assert not bus.matching("invitation.failed", subject=str(invitee.id))


async def test_repeated_failed_logins_are_told_to_the_user_with_a_reset_link(
    invitations: RunningServer, smtp: SmtpSink, events: EventPublisher, bus: BusSpy
) -> None:
    invitee = Invitee(first_name="Ada", locale="en", tenant_name="Platform Nord")
    notice = LoginFailuresNoticed(
        **invitee.reset_request().model_dump(exclude={"requested_by"}), failures=10
    )
    await events.publish(
        "login.failures_noticed", invitee.tenant_id, notice, subject=str(invitee.id)
    )
    [mail] = await smtp.wait_for(invitee.email)
    assert mail.subject == "Failed logins to your account on Platform Nord"
    assert "Several attempts to log in" in mail.text
    assert "the browsers you already logged in from are not" in mail.text
    async with invitee_client() as browser:
        page = await open_invite(browser, mail.link)
        assert page.status == 200
        assert "Choose a new password" in page.html
        done = await choose_password(browser, mail.link, NEW_PASSWORD, csrf=page.csrf)
    assert done.status_code == 200
    await bus.wait_for("password_reset.completed", subject=str(invitee.id))
    assert not bus.matching("invitation.sent", subject=str(invitee.id))
