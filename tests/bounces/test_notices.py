"""What a valid request becomes, for every provider: stored raw, normalised, de-duplicated,
published through the outbox; what the platform ignores is acknowledged and dropped; what
it can't read is refused with the reason, and kept."""

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from tests.bounces.posters import POSTERS, Poster
from tests.support.bounce_notices import ProviderSecrets, Report, Signed, What
from tests.support.bounces import mailed, notice_row, outbox_events, post, raw_count
from tests.support.bus import BusSpy, EventPublisher
from tests.support.servers import RunningServer


async def _stored_outcome(sql: asyncpg.Pool, body: bytes) -> str:
    outcome: str = await sql.fetchval(
        "SELECT outcome FROM raw_events WHERE body = $1 ORDER BY received_at DESC LIMIT 1", body
    )
    return outcome


async def test_each_kind_of_notice_becomes_its_event(
    poster: Poster,
    bounces: RunningServer,
    sql: asyncpg.Pool,
    events: EventPublisher,
    bus: BusSpy,
) -> None:
    expected = {
        What.HARD_BOUNCE: ("email.bounced", {"kind": "hard"}),
        What.SOFT_BOUNCE: ("email.bounced", {"kind": "soft"}),
        What.COMPLAINT: ("email.complained", {}),
        What.DELIVERED: ("email.delivered", {}),
    }
    for what, (event_type, fields) in expected.items():
        message = await mailed(events, sql, datetime.now(UTC) - timedelta(minutes=1))
        when = datetime.now(UTC).replace(microsecond=0)
        report = Report(what, message.address, message.message_id, message.tags, occurred_at=when)
        response = await post(bounces.url, poster.name, poster.signed([report]))
        assert response.json()["published"] == 1, (what, response.text)
        [event] = await bus.wait_for(event_type, provider_event_id=poster.event_id(report))
        assert event.body["tenantid"] == str(message.tenant_id)
        assert event.body["subject"] == str(message.user_id)
        assert event.data["email"] == message.address
        assert datetime.fromisoformat(event.data["occurred_at"]) == when
        assert fields.items() <= event.data.items(), event.data
        if what is What.HARD_BOUNCE:
            assert event.data["reason"]
        if poster.message_ids:
            assert event.data["message_id"] == message.message_id


async def test_the_raw_request_is_kept_with_its_outcome(
    poster: Poster, bounces: RunningServer, sql: asyncpg.Pool
) -> None:
    request = poster.signed([Report(What.HARD_BOUNCE, f"{uuid.uuid4().hex}@example.com")])
    response = await post(bounces.url, poster.name, request)
    assert response.status_code == 200, response.text
    row = await sql.fetchrow("SELECT * FROM raw_events WHERE body = $1", request.body)
    assert row is not None
    assert row["provider"] == poster.name
    assert row["outcome"] == "processed"
    headers = json.loads(row["headers"])
    assert "authorization" not in headers  # Postmark's credentials are never stored
    signature_headers = {"webhook-signature", "x-twilio-email-event-webhook-signature"}
    for name, value in request.headers.items():
        if name.lower() in signature_headers:
            assert headers[name.lower()] == value


async def test_a_malformed_request_is_refused_with_what_is_wrong_and_kept(
    poster: Poster, bounces: RunningServer, sql: asyncpg.Pool
) -> None:
    report = Report(What.HARD_BOUNCE, "not an address")
    request = poster.signed([report])
    response = await post(bounces.url, poster.name, request)
    assert response.status_code == 400, response.text
    problem = response.json()
    assert "is not an e-mail address" in problem["detail"]
    assert problem["errors"][0]["field"].startswith("$")
    assert await _stored_outcome(sql, request.body) == "malformed"  # for a replay after a fix
    assert await outbox_events(sql, poster.event_id(report)) == []


async def test_a_batch_publishes_every_event(
    poster: Poster,
    bounces: RunningServer,
    sql: asyncpg.Pool,
    events: EventPublisher,
    bus: BusSpy,
) -> None:
    """Several events in one request where the provider batches them (a JSON array, an
    SES notification with several recipients); one request each where it does not."""
    messages = [await mailed(events, sql, datetime.now(UTC)) for _ in range(3)]
    reports = [Report(What.HARD_BOUNCE, m.address) for m in messages]  # matched by address
    requests = poster.requests(reports)
    assert len(requests) == (1 if poster.batches else 3)
    for request in requests:
        response = await post(bounces.url, poster.name, request)
        assert response.status_code == 200, response.text
    for message, report in zip(messages, reports, strict=True):
        event_id = poster.event_id(report, reports)
        [event] = await bus.wait_for("email.bounced", provider_event_id=event_id)
        assert event.data["user_id"] == str(message.user_id)


@pytest.mark.parametrize(("provider", "status"), [("mailgun", 401), ("postmark", 400)])
async def test_a_provider_that_never_batches_refuses_an_array(
    provider: str, status: int, secrets: ProviderSecrets, bounces: RunningServer
) -> None:
    """Mailgun's signature is inside its one object: an array carries none."""
    request = POSTERS[provider](secrets).signed([Report(What.HARD_BOUNCE, "zoe@example.com")])
    batch = Signed(b"[" + request.body + b"]", request.headers)
    response = await post(bounces.url, provider, batch)
    assert response.status_code == status, response.text


async def test_events_keep_the_time_they_happened_whatever_the_order_they_come_in(
    poster: Poster,
    bounces: RunningServer,
    sql: asyncpg.Pool,
    events: EventPublisher,
    bus: BusSpy,
) -> None:
    message = await mailed(events, sql, datetime.now(UTC) - timedelta(hours=2))
    earlier = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    later = earlier + timedelta(minutes=30)
    delivered = Report(What.DELIVERED, message.address, message.message_id, occurred_at=later)
    bounced = Report(What.SOFT_BOUNCE, message.address, message.message_id, occurred_at=earlier)
    for report in (delivered, bounced):  # the later event arrives first
        response = await post(bounces.url, poster.name, poster.signed([report]))
        assert response.json()["published"] == 1, response.text
    [first] = await bus.wait_for("email.delivered", provider_event_id=poster.event_id(delivered))
    [second] = await bus.wait_for("email.bounced", provider_event_id=poster.event_id(bounced))
    assert datetime.fromisoformat(first.data["occurred_at"]) == later
    assert datetime.fromisoformat(second.data["occurred_at"]) == earlier


async def test_an_event_seen_before_changes_nothing(
    poster: Poster,
    bounces: RunningServer,
    sql: asyncpg.Pool,
    events: EventPublisher,
) -> None:
    """The provider retries (a fresh signature, the same event): one event is published."""
    message = await mailed(events, sql, datetime.now(UTC))
    report = Report(What.HARD_BOUNCE, message.address, message.message_id, message.tags)
    answers: list[dict[str, Any]] = []
    for _ in range(3):
        response = await post(bounces.url, poster.name, poster.signed([report]))
        answers.append(response.json())
    assert [a["published"] for a in answers] == [1, 0, 0]
    assert [a["duplicates"] for a in answers] == [0, 1, 1]
    assert len(await outbox_events(sql, poster.event_id(report))) == 1
    if poster.batches:  # the same event twice in one batch
        again = Report(What.HARD_BOUNCE, message.address, event_id=uuid.uuid4().hex)
        [request] = poster.requests([again, again])
        response = await post(bounces.url, poster.name, request)
        assert response.json()["published"] == 1, response.text
        assert len(await outbox_events(sql, poster.event_id(again))) == 1


async def test_a_notice_for_an_address_never_mailed_is_kept_not_published(
    poster: Poster, bounces: RunningServer, sql: asyncpg.Pool
) -> None:
    report = Report(What.HARD_BOUNCE, f"never-mailed-{uuid.uuid4().hex[:8]}@example.com")
    response = await post(bounces.url, poster.name, poster.signed([report]))
    assert response.status_code == 200, response.text
    assert response.json()["unmatched"] == 1
    row = await notice_row(sql, poster.name, poster.event_id(report))
    assert row["status"] == "unmatched"
    assert row["recipient"] == report.address
    assert row["tenant_id"] is None
    assert await outbox_events(sql, poster.event_id(report)) == []


async def test_an_event_the_platform_ignores_is_acknowledged_and_dropped(
    poster: Poster, bounces: RunningServer, sql: asyncpg.Pool
) -> None:
    report = Report(What.IGNORED, "zoe@example.com")
    request = poster.signed([report])
    notices = await sql.fetchval("SELECT count(*) FROM notices")
    raw = await raw_count(sql)
    response = await post(bounces.url, poster.name, request)
    assert response.status_code == 200, response.text
    assert response.json()["ignored"] == 1
    assert response.json()["outcome"] == "ignored"
    assert await sql.fetchval("SELECT count(*) FROM notices") == notices
    assert await raw_count(sql) == raw + 1
    assert await _stored_outcome(sql, request.body) == "ignored"


async def test_requests_arriving_together_each_get_their_own_answer(
    poster: Poster,
    bounces: RunningServer,
    sql: asyncpg.Pool,
    events: EventPublisher,
) -> None:
    """Requests that come at the same moment share transactions (group commit): each is
    still answered for itself, and an event that two of them carry is published once."""
    messages = [await mailed(events, sql, datetime.now(UTC)) for _ in range(6)]
    reports = [Report(What.HARD_BOUNCE, m.address, m.message_id, m.tags) for m in messages]
    retried = [poster.signed([report]) for report in reports for _ in range(2)]
    ignored = poster.signed([Report(What.IGNORED, "zoe@example.com")])
    malformed = poster.signed([Report(What.HARD_BOUNCE, "not an address")])
    raw = await raw_count(sql)
    answers = await asyncio.gather(
        *(post(bounces.url, poster.name, request) for request in [*retried, ignored, malformed])
    )
    *pairs, ignored_answer, malformed_answer = answers
    for first, second in zip(pairs[::2], pairs[1::2], strict=True):
        assert first.status_code == second.status_code == 200, (first.text, second.text)
        counts = sorted((a.json()["published"], a.json()["duplicates"]) for a in (first, second))
        assert counts == [(0, 1), (1, 0)]
    assert ignored_answer.json()["ignored"] == 1, ignored_answer.text
    assert malformed_answer.status_code == 400, malformed_answer.text
    for report in reports:
        assert len(await outbox_events(sql, poster.event_id(report))) == 1
    assert await raw_count(sql) == raw + len(answers)  # every request kept
