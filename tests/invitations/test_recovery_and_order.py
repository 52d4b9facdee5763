"""Messages out of order, and a sender that died holding a claim."""

import functools
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg

from services.invitations.adapters.mail.mailer import MailWriter, SmtpMailer
from services.invitations.adapters.mail.message import MailFrom
from services.invitations.adapters.mail.rate import RateLimiter
from services.invitations.adapters.mail.render import MailRenderer
from services.invitations.app import sending_rules, smtp_config
from services.invitations.usecases.claim_emails import claim_emails
from services.invitations.usecases.record_attempts import release_emails
from services.invitations.workers.sender import Sender
from shared.contracts.users import USER_DEACTIVATED, UserStatus
from shared.db import Database
from shared.unit_of_work import UnitOfWork, unit_of_work
from tests.support.bus import BusSpy, EventPublisher, drained
from tests.support.invitations import (
    Invitee,
    RunningInvitations,
    SmtpSink,
    invite_and_receive,
    invitee_client,
    open_invite,
    request_invitation,
    sending_settled,
    wait_for_deliveries,
)
from tests.support.servers import RunningServer


async def test_an_older_request_arriving_last_sends_nothing(
    invitations: RunningServer,
    smtp: SmtpSink,
    bus: BusSpy,
    events: EventPublisher,
    invitations_amqp_url: str,
    invitations_sql: asyncpg.Pool,
) -> None:
    invitee, first = await invite_and_receive(events, smtp)
    now = datetime.now(UTC)
    newer = await request_invitation(events, invitee, requested_at=now + timedelta(seconds=1))
    older = await request_invitation(events, invitee, requested_at=now)
    await drained(invitations_amqp_url, "invitations.requests")
    await sending_settled(invitations_sql, invitee.id)

    mails = smtp.to(invitee.email)
    assert len(mails) == 2
    sent = await bus.wait_for("invitation.sent", subject=invitee.id, count=2)
    assert str(newer.request_id) in {s.data["request_id"] for s in sent}
    assert str(older.request_id) not in {s.data["request_id"] for s in sent}
    async with invitee_client() as browser:
        assert (await open_invite(browser, first.link)).status == 404
        assert (await open_invite(browser, mails[1].link)).status == 200


async def test_a_request_older_than_the_users_deactivation_is_revoked_not_sent(
    invitations: RunningServer,
    smtp: SmtpSink,
    bus: BusSpy,
    events: EventPublisher,
    invitations_amqp_url: str,
) -> None:
    invitee, _ = await invite_and_receive(events, smtp)
    now = datetime.now(UTC)
    gone = invitee.snapshot(1000, status=UserStatus.DEACTIVATED, updated_at=now)
    await events.publish(USER_DEACTIVATED, invitee.tenant_id, gone, subject=str(invitee.id))
    await drained(invitations_amqp_url, "invitations.users")

    late = await request_invitation(events, invitee, requested_at=now - timedelta(milliseconds=1))
    [revoked] = await bus.wait_for(
        "invitation.revoked", subject=invitee.id, request_id=late.request_id
    )
    assert revoked.data["reason"] == "user deactivated"
    assert len(smtp.to(invitee.email)) == 1


async def test_a_claim_left_by_a_dead_sender_is_sent_again_as_the_same_e_mail(
    service: RunningInvitations,
    smtp: SmtpSink,
    bus: BusSpy,
    events: EventPublisher,
    invitations_sql: asyncpg.Pool,
) -> None:
    """A sender claims the e-mail, the server accepts it, the sender dies before it can
    record that: when the claim's time is over, the very same e-mail goes again, and
    both copies' links work (a receiver keeping either copy is fine)."""
    sender: Sender = service.server.app.state.sender
    await sender.stop(5.0)
    try:
        invitee = Invitee()
        await request_invitation(events, invitee)
        await _queued(invitations_sql, invitee.id)
        await _send_and_die(service, invitee)
        [first] = smtp.to(invitee.email)
        await invitations_sql.execute(  # the dead sender's claim runs out
            "UPDATE deliveries d SET next_attempt_at = now() FROM invitations i"
            " WHERE i.tenant_id = d.tenant_id AND i.id = d.invitation_id AND i.user_id = $1",
            invitee.id,
        )
    finally:
        sender.start()
    [_, again] = await smtp.wait_for(invitee.email, count=2)
    assert again.message["Message-ID"] == first.message["Message-ID"]
    assert again.link == first.link
    [sent] = await bus.wait_for("invitation.sent", subject=invitee.id)
    assert sent.data["attempt"] == 2
    await sending_settled(invitations_sql, invitee.id)
    async with invitee_client() as browser:
        assert (await open_invite(browser, first.link)).status == 200


async def _queued(invitations_sql: asyncpg.Pool, user_id: uuid.UUID) -> None:
    await wait_for_deliveries(invitations_sql, user_id, lambda c: c.queued > 0)


async def _send_and_die(service: RunningInvitations, invitee: Invitee) -> None:
    """What a sender does up to the server's "250 OK", with the service's own code."""
    settings = service.settings
    db = Database(settings.sqlalchemy_url, pool_size=1, max_overflow=0)
    units = functools.partial(unit_of_work, db, UnitOfWork)
    try:
        async with units() as uow:
            claimed = await claim_emails(uow, sending_rules(settings), datetime.now(UTC), 500)
        ours = [email for email in claimed if email.user_id == invitee.id]
        async with units() as uow:  # anything else due is not this test's
            await release_emails(uow, [email for email in claimed if email not in ours])
        renderer = MailRenderer(settings.public_url, settings.display_timezone)
        writer = MailWriter(renderer, MailFrom(settings.sender_name, settings.sender_address))
        mailer = SmtpMailer(writer, smtp_config(settings), RateLimiter(0))
        [email] = ours
        assert await mailer.send(email) is None
        await mailer.close()
    finally:
        await db.dispose()
