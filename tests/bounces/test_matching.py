"""Which user a notice lands on: by the e-mail's tags, else its Message-ID, else its address
among the addresses mailed in the last 30 days. The tenant always comes from the message
the platform sent, never from the request."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from tests.bounces.posters import Generic, SendGrid
from tests.support.bounce_notices import ProviderSecrets, Report, What, tags_of
from tests.support.bounces import (
    Mailed,
    mailed,
    notice_row,
    outbox_events,
    post,
    wait_until_indexed,
)
from tests.support.bus import BusSpy, EventPublisher
from tests.support.servers import RunningServer


@pytest.fixture
def sendgrid(secrets: ProviderSecrets) -> SendGrid:
    return SendGrid(secrets)


async def _published_for(
    bus: BusSpy, report: Report, message: Mailed, event_type: str = "email.bounced"
) -> None:
    [event] = await bus.wait_for(event_type, provider_event_id=report.event_id)
    assert event.body["tenantid"] == str(message.tenant_id)
    assert event.data["user_id"] == str(message.user_id)


async def _back_date(sql: asyncpg.Pool, message: Mailed, days: int) -> None:
    """Time travel: the e-mail went out `days` ago."""
    await sql.execute(
        "UPDATE sent_messages SET sent_at = sent_at - make_interval(days => $2)"
        " WHERE message_id = $1",
        message.message_id,
        days,
    )


async def test_the_tags_win_over_the_message_id_of_another_message_of_the_tenant(
    sendgrid: SendGrid,
    bounces: RunningServer,
    sql: asyncpg.Pool,
    events: EventPublisher,
    bus: BusSpy,
) -> None:
    tenant = uuid.uuid4()
    tagged = await mailed(events, sql, datetime.now(UTC), tenant_id=tenant)
    other = await mailed(events, sql, datetime.now(UTC), tenant_id=tenant)
    report = Report(What.HARD_BOUNCE, tagged.address, other.message_id, tagged.tags)
    await post(bounces.url, "sendgrid", sendgrid.signed([report]))
    await _published_for(bus, report, tagged)


async def test_without_tags_the_message_id_finds_the_message(
    sendgrid: SendGrid,
    bounces: RunningServer,
    sql: asyncpg.Pool,
    events: EventPublisher,
    bus: BusSpy,
) -> None:
    message = await mailed(events, sql, datetime.now(UTC))
    report = Report(What.HARD_BOUNCE, message.address, message.message_id)
    response = await post(bounces.url, "sendgrid", sendgrid.signed([report]))
    assert response.json()["published"] == 1
    await _published_for(bus, report, message)
    row = await notice_row(sql, "sendgrid", report.event_id)
    assert row["matched_by"] == "message_id"


async def test_by_address_the_latest_message_to_it_wins(
    sendgrid: SendGrid,
    bounces: RunningServer,
    sql: asyncpg.Pool,
    events: EventPublisher,
    bus: BusSpy,
) -> None:
    address = f"shared-{uuid.uuid4().hex[:8]}@example.com"
    older = await mailed(events, sql, datetime.now(UTC), address=address)
    newer = await mailed(events, sql, datetime.now(UTC), address=address)
    await _back_date(sql, older, 3)
    report = Report(What.HARD_BOUNCE, address.upper())
    await post(bounces.url, "sendgrid", sendgrid.signed([report]))
    await _published_for(bus, report, newer)


async def test_a_notice_days_later_still_lands_on_the_right_user(
    sendgrid: SendGrid,
    bounces: RunningServer,
    sql: asyncpg.Pool,
    events: EventPublisher,
    bus: BusSpy,
) -> None:
    by_address = await mailed(events, sql, datetime.now(UTC))
    by_message_id = await mailed(events, sql, datetime.now(UTC))
    await _back_date(sql, by_address, 29)
    await _back_date(sql, by_message_id, 90)  # a Message-ID or tags have no window
    first = Report(What.HARD_BOUNCE, by_address.address)
    second = Report(What.COMPLAINT, by_message_id.address, by_message_id.message_id)
    response = await post(bounces.url, "sendgrid", sendgrid.signed([first, second]))
    assert response.json()["published"] == 2
    await _published_for(bus, first, by_address)
    await _published_for(bus, second, by_message_id, "email.complained")


async def test_an_address_mailed_more_than_30_days_before_does_not_match(
    sendgrid: SendGrid, bounces: RunningServer, sql: asyncpg.Pool, events: EventPublisher
) -> None:
    message = await mailed(events, sql, datetime.now(UTC))
    await _back_date(sql, message, 31)
    report = Report(What.HARD_BOUNCE, message.address)
    response = await post(bounces.url, "sendgrid", sendgrid.signed([report]))
    assert response.json()["unmatched"] == 1
    assert await outbox_events(sql, report.event_id) == []


async def test_tags_naming_another_tenant_than_the_message_id_are_refused(
    sendgrid: SendGrid,
    bounces: RunningServer,
    sql: asyncpg.Pool,
    events: EventPublisher,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Answered 2xx all the same: the request is authentic and well-formed, and a provider
    retries any other answer for hours (SendGrid's whole batch with it) to the same end."""
    ours = await mailed(events, sql, datetime.now(UTC))
    theirs = await mailed(events, sql, datetime.now(UTC))  # another tenant's message
    report = Report(What.HARD_BOUNCE, ours.address, ours.message_id, theirs.tags)
    response = await post(bounces.url, "sendgrid", sendgrid.signed([report]))
    assert response.status_code == 200, response.text
    assert response.json()["refused"] == 1
    row = await notice_row(sql, "sendgrid", report.event_id)
    assert row["status"] == "refused"
    assert str(ours.tenant_id) in row["detail"]
    assert str(theirs.tenant_id) in row["detail"]
    assert row["tenant_id"] is None
    assert await outbox_events(sql, report.event_id) == []
    assert any("notice refused" in str(r.msg) for r in caplog.records)


async def test_tags_alone_never_make_a_tenant(
    sendgrid: SendGrid, bounces: RunningServer, sql: asyncpg.Pool, events: EventPublisher
) -> None:
    """Tags naming a tenant the index doesn't know, about an address another tenant
    mailed: published to neither."""
    message = await mailed(events, sql, datetime.now(UTC))
    invented = tags_of(uuid.uuid4(), uuid.uuid4(), uuid.uuid4())
    report = Report(What.HARD_BOUNCE, message.address, tags=invented)
    response = await post(bounces.url, "sendgrid", sendgrid.signed([report]))
    assert response.json()["unmatched"] == 1
    assert await outbox_events(sql, report.event_id) == []


async def test_a_notice_that_comes_before_its_message_is_published_when_it_is_recorded(
    secrets: ProviderSecrets,
    bounces: RunningServer,
    sql: asyncpg.Pool,
    events: EventPublisher,
    bus: BusSpy,
) -> None:
    """A provider can be faster than the bus (or the broker was away): the notice waits
    for `invitation.sent`, then is published once."""
    from shared.contracts.invitations import InvitationSent

    generic = Generic(secrets)
    tenant, user, invitation = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    address, message_id = f"early-{uuid.uuid4().hex[:8]}@example.com", f"<{uuid.uuid4()}@lms.test>"
    report = Report(What.DELIVERED, address, message_id, tags_of(tenant, user, invitation))
    response = await post(bounces.url, "generic", generic.signed([report]))
    assert response.json()["unmatched"] == 1

    now = datetime.now(UTC)
    sent = InvitationSent(
        request_id=invitation,
        user_id=user,
        email=address,
        message_id=message_id,
        first_sent_at=now,
        sent_at=now,
        expires_at=now + timedelta(days=7),
        attempt=1,
    )
    await events.publish("invitation.sent", tenant, sent, subject=str(user))
    await wait_until_indexed(sql, message_id)
    message = Mailed(tenant, user, invitation, address, message_id)
    await _published_for(bus, report, message, "email.delivered")
    assert (await notice_row(sql, "generic", report.event_id))["status"] == "published"

    again = await post(bounces.url, "generic", generic.signed([report]))
    assert again.json()["duplicates"] == 1
    assert len(await outbox_events(sql, report.event_id)) == 1


async def test_a_notice_and_its_message_arriving_at_once_never_miss_each_other(
    sendgrid: SendGrid, bounces: RunningServer, sql: asyncpg.Pool, bus: BusSpy
) -> None:
    """`invitation.sent` being recorded (its transaction holds the address's lock, as the
    handler's does) while the notice comes: the notice waits, then sees the message."""
    tenant, user, invitation = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    address, message_id = f"race-{uuid.uuid4().hex[:8]}@example.com", f"<{uuid.uuid4()}@lms.test>"
    report = Report(What.HARD_BOUNCE, address)
    async with sql.acquire() as connection, connection.transaction():
        await connection.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", f"address:{address}"
        )
        posting = asyncio.create_task(post(bounces.url, "sendgrid", sendgrid.signed([report])))
        await asyncio.sleep(0.5)
        assert not posting.done()  # waiting for the message's transaction
        await connection.execute(
            "INSERT INTO sent_messages (tenant_id, message_id, user_id, invitation_id, address,"
            " sent_at, is_reminder) VALUES ($1, $2, $3, $4, $5, now(), false)",
            tenant,
            message_id,
            user,
            invitation,
            address,
        )
    response = await posting
    assert response.json()["published"] == 1, response.text
    await _published_for(bus, report, Mailed(tenant, user, invitation, address, message_id))
