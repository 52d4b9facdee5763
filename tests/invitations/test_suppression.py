"""The suppression list: an address that bounced for good, bounced softly three times in a
row or complained is not mailed again, and `invitation.failed` says why (the directory
shows it: tests/e2e); a later delivery lifts a bounce, never a complaint; notices count in
the order they happened, whatever the order they arrive in."""

import uuid
from datetime import UTC, datetime, timedelta

from shared.contracts.email import (
    EMAIL_BOUNCED,
    EMAIL_COMPLAINED,
    EMAIL_DELIVERED,
    EmailBounced,
    EmailComplained,
    EmailDelivered,
)
from shared.contracts.users import BounceKind
from tests.support.bus import BusSpy, EventPublisher, drained
from tests.support.invitations import (
    Invitee,
    SmtpSink,
    invite_and_receive,
    request_invitation,
)
from tests.support.servers import RunningServer

MINUTE = timedelta(minutes=1)


def _bounce(invitee: Invitee, kind: BounceKind, at: datetime | None = None) -> EmailBounced:
    return EmailBounced(
        provider="test",
        provider_event_id=uuid.uuid4().hex,
        email=invitee.email,
        user_id=invitee.id,
        occurred_at=at or datetime.now(UTC),
        kind=kind,
        reason="550 5.1.1 mailbox does not exist"
        if kind is BounceKind.HARD
        else "452 4.2.2 mailbox full",
    )


def _delivered(invitee: Invitee, at: datetime) -> EmailDelivered:
    return EmailDelivered(
        provider="test",
        provider_event_id=uuid.uuid4().hex,
        email=invitee.email,
        user_id=invitee.id,
        occurred_at=at,
    )


def _complaint(invitee: Invitee, at: datetime | None = None) -> EmailComplained:
    return EmailComplained(
        provider="test",
        provider_event_id=uuid.uuid4().hex,
        email=invitee.email.upper(),
        occurred_at=at or datetime.now(UTC),
        feedback_type="abuse",
    )


async def _notify(
    events: EventPublisher, url: str, invitee: Invitee, *notices: EmailBounced | EmailDelivered
) -> None:
    """Publish the notices in this order and wait until the service has applied them."""
    for notice in notices:
        routing_key = EMAIL_DELIVERED if isinstance(notice, EmailDelivered) else EMAIL_BOUNCED
        await events.publish(routing_key, invitee.tenant_id, notice)
        await drained(url, "invitations.email")


async def _resend_fails(bus: BusSpy, events: EventPublisher, invitee: Invitee) -> str:
    """Ask for the invitation again: refused because the address is suppressed."""
    request = await request_invitation(events, invitee, is_resend=True)
    [failed] = await bus.wait_for("invitation.failed", request_id=request.request_id)
    assert failed.data["suppressed"] is True
    reason: str = failed.data["reason"]
    return reason


async def _resend_goes_out(smtp: SmtpSink, events: EventPublisher, invitee: Invitee) -> None:
    await invite_and_receive(events, smtp, invitee, is_resend=True)


async def test_a_hard_bounced_address_is_not_mailed_and_the_failure_says_why(
    invitations: RunningServer,
    smtp: SmtpSink,
    bus: BusSpy,
    events: EventPublisher,
    invitations_amqp_url: str,
) -> None:
    invitee, _ = await invite_and_receive(events, smtp)
    await _notify(events, invitations_amqp_url, invitee, _bounce(invitee, BounceKind.HARD))

    reason = await _resend_fails(bus, events, invitee)
    assert "bounced permanently" in reason
    assert "mailbox does not exist" in reason
    assert "suppression list" in reason
    assert len(smtp.to(invitee.email)) == 1  # only the first, before the bounce


async def test_a_complaint_suppresses_the_address_and_no_delivery_lifts_it(
    invitations: RunningServer,
    smtp: SmtpSink,
    bus: BusSpy,
    events: EventPublisher,
    invitations_amqp_url: str,
) -> None:
    invitee, _ = await invite_and_receive(events, smtp)
    complained_at = datetime.now(UTC)
    await events.publish(EMAIL_COMPLAINED, invitee.tenant_id, _complaint(invitee, complained_at))
    await drained(invitations_amqp_url, "invitations.email")
    later = _delivered(invitee, complained_at + timedelta(hours=1))
    await _notify(events, invitations_amqp_url, invitee, later)

    assert "spam" in await _resend_fails(bus, events, invitee)
    assert len(smtp.to(invitee.email)) == 1
    assert not bus.matching("suppression.lifted", email=invitee.email)


async def test_one_soft_bounce_does_not_suppress(
    invitations: RunningServer,
    smtp: SmtpSink,
    events: EventPublisher,
    invitations_amqp_url: str,
) -> None:
    invitee, _ = await invite_and_receive(events, smtp)
    await _notify(events, invitations_amqp_url, invitee, _bounce(invitee, BounceKind.SOFT))
    await _resend_goes_out(smtp, events, invitee)


async def test_three_soft_bounces_in_a_row_suppress_the_address(
    invitations: RunningServer,
    smtp: SmtpSink,
    bus: BusSpy,
    events: EventPublisher,
    invitations_amqp_url: str,
) -> None:
    invitee, _ = await invite_and_receive(events, smtp)
    start = datetime.now(UTC)
    bounces = [_bounce(invitee, BounceKind.SOFT, start + n * MINUTE) for n in (1, 2)]
    await _notify(events, invitations_amqp_url, invitee, *bounces)
    await _resend_goes_out(smtp, events, invitee)  # two in a row: still mailed

    third = _bounce(invitee, BounceKind.UNDETERMINED, start + 3 * MINUTE)
    await _notify(events, invitations_amqp_url, invitee, third)
    reason = await _resend_fails(bus, events, invitee)
    assert "bounced 3 times in a row" in reason
    assert "mailbox full" in reason


async def test_a_delivery_between_soft_bounces_starts_the_count_again_even_arriving_last(
    invitations: RunningServer,
    smtp: SmtpSink,
    bus: BusSpy,
    events: EventPublisher,
    invitations_amqp_url: str,
) -> None:
    invitee, _ = await invite_and_receive(events, smtp)
    start = datetime.now(UTC)

    def soft(minute: int) -> EmailBounced:
        return _bounce(invitee, BounceKind.SOFT, start + minute * MINUTE)

    # Soft bounces at 1, 2 and 4 arrive first (three: suppressed), then the delivery at 3.
    await _notify(events, invitations_amqp_url, invitee, soft(1), soft(2), soft(4))
    await _notify(events, invitations_amqp_url, invitee, _delivered(invitee, start + 3 * MINUTE))
    [lifted] = await bus.wait_for("suppression.lifted", email=invitee.email)
    assert lifted.data["cause"] == "soft_bounces"
    assert lifted.data["lifted_by"] is None  # the delivery lifted it, no one's hand

    await _notify(events, invitations_amqp_url, invitee, soft(5))  # 4 and 5: two in a row
    await _resend_goes_out(smtp, events, invitee)
    await _notify(events, invitations_amqp_url, invitee, soft(6))
    assert "3 times in a row" in await _resend_fails(bus, events, invitee)


async def test_a_later_delivery_lifts_a_hard_bounce_an_earlier_one_never_does(
    invitations: RunningServer,
    smtp: SmtpSink,
    bus: BusSpy,
    events: EventPublisher,
    invitations_amqp_url: str,
) -> None:
    invitee, _ = await invite_and_receive(events, smtp)
    bounced_at = datetime.now(UTC)
    await _notify(
        events, invitations_amqp_url, invitee, _bounce(invitee, BounceKind.HARD, bounced_at)
    )
    earlier = _delivered(invitee, bounced_at - MINUTE)  # happened before, arrives after
    await _notify(events, invitations_amqp_url, invitee, earlier)
    await _resend_fails(bus, events, invitee)

    await _notify(events, invitations_amqp_url, invitee, _delivered(invitee, bounced_at + MINUTE))
    [lifted] = await bus.wait_for("suppression.lifted", email=invitee.email)
    assert lifted.body["tenantid"] == str(invitee.tenant_id)
    assert lifted.data["cause"] == "hard_bounce"
    assert "mailbox does not exist" in lifted.data["reason"]
    await _resend_goes_out(smtp, events, invitee)


async def test_a_bounce_that_happened_before_a_known_delivery_suppresses_nothing(
    invitations: RunningServer,
    smtp: SmtpSink,
    events: EventPublisher,
    invitations_amqp_url: str,
) -> None:
    invitee, _ = await invite_and_receive(events, smtp)
    delivered_at = datetime.now(UTC)
    late = _bounce(invitee, BounceKind.HARD, delivered_at - MINUTE)
    await _notify(events, invitations_amqp_url, invitee, _delivered(invitee, delivered_at), late)
    await _resend_goes_out(smtp, events, invitee)


async def test_suppression_stays_within_its_tenant(
    invitations: RunningServer,
    smtp: SmtpSink,
    events: EventPublisher,
    invitations_amqp_url: str,
) -> None:
    invitee = Invitee()
    elsewhere = Invitee(email=invitee.email)  # the same address in another tenant
    await _notify(events, invitations_amqp_url, elsewhere, _bounce(elsewhere, BounceKind.HARD))
    await invite_and_receive(events, smtp, invitee)
