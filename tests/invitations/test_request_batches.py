"""Requests arriving in a burst are recorded in batches (one transaction for many): one
that the database refuses is parked alone, with its reason, and every other one's
e-mail goes out, once."""

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import asyncpg

from services.invitations.usecases.request_invitation import request_invitations
from shared.contracts.invitations import INVITATION_REQUESTED
from shared.db import Database
from shared.unit_of_work import UnitOfWork, unit_of_work
from tests.support.bus import BusSpy, DeadLetters, EventPublisher, drained
from tests.support.invitations import (
    Invitee,
    RunningInvitations,
    SmtpSink,
    invitee_client,
    open_invite,
    sending_settled,
)
from tests.support.servers import RunningServer

QUEUE = "invitations.requests"
SECOND = timedelta(seconds=1)


async def test_a_request_the_database_refuses_is_parked_alone_and_the_burst_goes_out(
    invitations: RunningServer,
    smtp: SmtpSink,
    events: EventPublisher,
    invitations_amqp_url: str,
    invitations_sql: asyncpg.Pool,
) -> None:
    invitees = [Invitee() for _ in range(60)]
    poisoned = replace(Invitee(), first_name="Ma\x00rie")  # text can't hold a NUL
    parked = await DeadLetters(invitations_amqp_url, [QUEUE]).start()
    try:
        published = await asyncio.gather(
            *(
                events.publish(
                    INVITATION_REQUESTED,
                    invitee.tenant_id,
                    invitee.request(),
                    subject=str(invitee.id),
                )
                for invitee in [*invitees[:30], poisoned, *invitees[30:]]
            )
        )
        poison_id = published[30]["id"]

        refused = await parked.wait_for(poison_id, within=60)
        await drained(invitations_amqp_url, QUEUE)
        for invitee in invitees:
            await sending_settled(invitations_sql, invitee.id)
        await smtp.wait_for(invitees[-1].email, within=60)
    finally:
        await parked.stop()

    assert "0x00" in str(refused.headers["x-error"])  # PostgreSQL's words for the NUL
    assert parked.about(poison_id) == [refused]
    assert [len(smtp.to(invitee.email)) for invitee in invitees] == [1] * len(invitees)
    assert smtp.to(poisoned.email) == []


async def test_a_batch_holding_several_requests_of_a_user_ends_as_one_at_a_time_would(
    service: RunningInvitations,
    smtp: SmtpSink,
    bus: BusSpy,
    invitations_sql: asyncpg.Pool,
) -> None:
    """A batch recorded together (one statement per round of distinct users): a user's
    newer request, an older one arriving after it, the same request twice. Only the
    newest request of each user is sent, once."""
    marie, paul = Invitee(), Invitee(first_name="Paul")
    now = datetime.now(UTC)
    first, newest = marie.request(requested_at=now), marie.request(requested_at=now + SECOND)
    late = marie.request(requested_at=now - SECOND)
    pauls = paul.request(requested_at=now)
    batch = [first, pauls, newest, late, pauls]
    tenants = {marie.id: marie.tenant_id, paul.id: paul.tenant_id}
    db = Database(service.settings.sqlalchemy_url, pool_size=1, max_overflow=0)
    try:
        async with unit_of_work(db, UnitOfWork) as uow:
            await request_invitations(uow, [(tenants[r.user_id], r) for r in batch])
    finally:
        await db.dispose()

    await sending_settled(invitations_sql, [marie.id, paul.id])
    [to_marie] = await smtp.wait_for(marie.email)
    [to_paul] = await smtp.wait_for(paul.email)
    [sent] = await bus.wait_for("invitation.sent", subject=marie.id)
    assert sent.data["request_id"] == str(newest.request_id)
    [_] = await bus.wait_for("invitation.sent", subject=paul.id)
    rows = await invitations_sql.fetch(
        "SELECT id, revoked_at IS NOT NULL AS revoked FROM invitations WHERE user_id = $1",
        marie.id,
    )
    assert {row["id"]: row["revoked"] for row in rows} == {
        first.request_id: True,
        newest.request_id: False,
        late.request_id: True,
    }
    async with invitee_client() as browser:
        assert (await open_invite(browser, to_marie.link)).status == 200
        assert (await open_invite(browser, to_paul.link)).status == 200
