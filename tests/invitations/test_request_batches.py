"""Requests arriving in a burst are recorded in batches (one transaction for many): one
that the database refuses is parked alone, with its reason, and every other one's
e-mail goes out, once."""

import asyncio
from dataclasses import replace

import asyncpg

from shared.contracts.invitations import INVITATION_REQUESTED
from tests.support.bus import DeadLetters, EventPublisher, drained
from tests.support.invitations import Invitee, SmtpSink, sending_settled
from tests.support.servers import RunningServer

QUEUE = "invitations.requests"


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
