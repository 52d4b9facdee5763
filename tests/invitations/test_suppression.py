"""The suppression list: an address that bounced for good or complained is not mailed
again, and `invitation.failed` says why (the directory shows it: tests/e2e)."""

import uuid
from datetime import UTC, datetime

from shared.contracts.email import EMAIL_BOUNCED, EMAIL_COMPLAINED, EmailBounced, EmailComplained
from shared.contracts.users import BounceKind
from tests.support.bus import BusSpy, EventPublisher, drained
from tests.support.invitations import Invitee, SmtpSink, invite_and_receive, request_invitation
from tests.support.servers import RunningServer


def _bounce(invitee: Invitee, kind: BounceKind) -> EmailBounced:
    return EmailBounced(
        provider="test",
        provider_event_id=uuid.uuid4().hex,
        email=invitee.email,
        user_id=invitee.id,
        occurred_at=datetime.now(UTC),
        kind=kind,
        reason="550 5.1.1 mailbox does not exist",
    )


async def test_a_hard_bounced_address_is_not_mailed_and_the_failure_says_why(
    invitations: RunningServer,
    smtp: SmtpSink,
    bus: BusSpy,
    events: EventPublisher,
    invitations_amqp_url: str,
) -> None:
    invitee, _ = await invite_and_receive(events, smtp)
    await events.publish(EMAIL_BOUNCED, invitee.tenant_id, _bounce(invitee, BounceKind.HARD))
    await drained(invitations_amqp_url, "invitations.email")

    await request_invitation(events, invitee, is_resend=True)
    [failed] = await bus.wait_for("invitation.failed", subject=invitee.id)
    assert failed.data["suppressed"] is True
    assert "bounced permanently" in failed.data["reason"]
    assert "mailbox does not exist" in failed.data["reason"]
    assert "suppression list" in failed.data["reason"]
    assert len(smtp.to(invitee.email)) == 1  # only the first, before the bounce


async def test_a_complaint_suppresses_the_address(
    invitations: RunningServer,
    smtp: SmtpSink,
    bus: BusSpy,
    events: EventPublisher,
    invitations_amqp_url: str,
) -> None:
    invitee, _ = await invite_and_receive(events, smtp)
    complaint = EmailComplained(
        provider="test",
        provider_event_id=uuid.uuid4().hex,
        email=invitee.email.upper(),
        occurred_at=datetime.now(UTC),
        feedback_type="abuse",
    )
    await events.publish(EMAIL_COMPLAINED, invitee.tenant_id, complaint)
    await drained(invitations_amqp_url, "invitations.email")

    await request_invitation(events, invitee, is_resend=True)
    [failed] = await bus.wait_for("invitation.failed", subject=invitee.id)
    assert failed.data["suppressed"] is True
    assert "spam" in failed.data["reason"]
    assert len(smtp.to(invitee.email)) == 1


async def test_a_soft_bounce_does_not_suppress(
    invitations: RunningServer,
    smtp: SmtpSink,
    events: EventPublisher,
    invitations_amqp_url: str,
) -> None:
    invitee, _ = await invite_and_receive(events, smtp)
    await events.publish(EMAIL_BOUNCED, invitee.tenant_id, _bounce(invitee, BounceKind.SOFT))
    await drained(invitations_amqp_url, "invitations.email")
    await request_invitation(events, invitee, is_resend=True)
    await smtp.wait_for(invitee.email, count=2)


async def test_suppression_stays_within_its_tenant(
    invitations: RunningServer,
    smtp: SmtpSink,
    events: EventPublisher,
    invitations_amqp_url: str,
) -> None:
    invitee = Invitee()
    elsewhere = Invitee(email=invitee.email)  # the same address in another tenant
    await events.publish(EMAIL_BOUNCED, elsewhere.tenant_id, _bounce(elsewhere, BounceKind.HARD))
    await drained(invitations_amqp_url, "invitations.email")
    await invite_and_receive(events, smtp, invitee)
