"""Messages out of order, and a sender that died holding a claim."""

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from tests.support.bus import BusSpy, EventPublisher, drained
from tests.support.directory import Tenant
from tests.support.invitations import (
    SmtpSink,
    invite_and_receive,
    invitee_client,
    open_invite,
    sending_settled,
)
from tests.support.servers import RunningServer


def _request(requested: dict[str, Any], at: datetime) -> dict[str, Any]:
    """Another request for the same user, as the directory would publish it."""
    data = {**requested["data"], "request_id": str(uuid.uuid4()), "requested_at": at.isoformat()}
    return {**requested, "id": str(uuid.uuid4()), "data": data}


async def _publish(events: EventPublisher, envelope: dict[str, Any]) -> None:
    body = json.dumps(envelope).encode()
    await events.publish_raw(envelope["type"], body, envelope["id"])


async def test_an_older_request_arriving_last_sends_nothing(
    tenant: Tenant,
    invitations: RunningServer,
    smtp: SmtpSink,
    bus: BusSpy,
    events: EventPublisher,
    amqp_url: str,
    invitations_sql: asyncpg.Pool,
) -> None:
    user, first = await invite_and_receive(tenant, smtp)
    [requested] = await bus.wait_for("invitation.requested", subject=user["id"])
    now = datetime.now(UTC)
    newer, older = (
        _request(requested.body, now + timedelta(seconds=1)),
        _request(requested.body, now),
    )
    await _publish(events, newer)
    await _publish(events, older)
    await drained(amqp_url, "invitations.requests")
    await sending_settled(invitations_sql, user["id"])

    mails = smtp.to(user["email"])
    assert len(mails) == 2
    sent = await bus.wait_for("invitation.sent", subject=user["id"], count=2)
    assert {s.data["request_id"] for s in sent} == {
        requested.data["request_id"],
        newer["data"]["request_id"],
    }
    async with invitee_client() as browser:
        assert (await open_invite(browser, first.link)).status == 404
        assert (await open_invite(browser, mails[1].link)).status == 200


async def test_a_request_older_than_the_users_deactivation_is_revoked_not_sent(
    tenant: Tenant,
    invitations: RunningServer,
    smtp: SmtpSink,
    bus: BusSpy,
    events: EventPublisher,
    amqp_url: str,
) -> None:
    user, _ = await invite_and_receive(tenant, smtp)
    [requested] = await bus.wait_for("invitation.requested", subject=user["id"])
    [created] = await bus.wait_for("user.created", subject=user["id"])
    now = datetime.now(UTC)
    snapshot = {
        **created.data,
        "status": "deactivated",
        "version": 1000,
        "updated_at": now.isoformat(),
    }
    deactivated = {**created.body, "id": str(uuid.uuid4()), "type": "user.deactivated"}
    await _publish(events, {**deactivated, "version": 1000, "data": snapshot})
    await drained(amqp_url, "invitations.users")

    late = _request(requested.body, now - timedelta(milliseconds=1))  # after the first
    await _publish(events, late)
    [revoked] = await bus.wait_for(
        "invitation.revoked", subject=user["id"], request_id=late["data"]["request_id"]
    )
    assert revoked.data["reason"] == "user deactivated"
    assert len(smtp.to(user["email"])) == 1


async def test_a_claim_left_by_a_dead_sender_is_sent_again_with_its_message_id(
    tenant: Tenant,
    invitations: RunningServer,
    smtp: SmtpSink,
    bus: BusSpy,
    invitations_sql: asyncpg.Pool,
) -> None:
    user, first = await invite_and_receive(tenant, smtp)
    await bus.wait_for("invitation.sent", subject=user["id"])
    # As if the process had died after the SMTP server accepted, before the record.
    await invitations_sql.execute(
        "UPDATE deliveries d SET state = 'sending', next_attempt_at = now()"
        " FROM invitations i WHERE i.tenant_id = d.tenant_id AND i.id = d.invitation_id"
        " AND i.user_id = $1",
        uuid.UUID(user["id"]),
    )
    [_, again] = await smtp.wait_for(user["email"], count=2)
    assert again.message["Message-ID"] == first.message["Message-ID"]
    await sending_settled(invitations_sql, user["id"])
    async with invitee_client() as browser:
        assert (await open_invite(browser, again.link)).status == 200
        assert (await open_invite(browser, first.link)).status == 404
