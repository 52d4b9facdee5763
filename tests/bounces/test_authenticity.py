"""Only the provider gets in: every provider's check, as it documents it. A refused
request (forged, signed with another key, unsigned, stale, replayed) gets 401 and changes
nothing; during a rotation both keys work."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest

from tests.bounces.posters import POSTERS, Poster
from tests.support.bounce_notices import ProviderSecrets, Report, Signed, What
from tests.support.bounces import mailed, outbox_count, post, raw_count
from tests.support.bus import BusSpy, EventPublisher
from tests.support.servers import RunningServer

TIMED = sorted(name for name, p in POSTERS.items() if p.signed_time)


async def _unchanged(sql: asyncpg.Pool) -> tuple[int, int, int, int]:
    return (
        await raw_count(sql),
        int(await sql.fetchval("SELECT count(*) FROM notices")),
        await outbox_count(sql),
        int(await sql.fetchval("SELECT count(*) FROM mailgun_tokens")),
    )


async def _refused(
    bounces: RunningServer, sql: asyncpg.Pool, provider: str, request: Signed
) -> None:
    before = await _unchanged(sql)
    response = await post(bounces.url, provider, request)
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert f"come from {provider}" in response.json()["detail"]
    if provider == "postmark":  # it sends the basic credentials of its webhook's URL
        assert response.headers["www-authenticate"].startswith("Basic ")
    assert await _unchanged(sql) == before


async def test_a_valid_request_is_accepted_and_its_event_published(
    poster: Poster,
    bounces: RunningServer,
    sql: asyncpg.Pool,
    events: EventPublisher,
    bus: BusSpy,
) -> None:
    message = await mailed(events, sql, datetime.now(UTC))
    report = Report(What.HARD_BOUNCE, message.address, message.message_id, message.tags)
    response = await post(bounces.url, poster.name, poster.signed([report]))
    assert response.status_code == 200, response.text
    assert response.json()["published"] == 1
    [event] = await bus.wait_for("email.bounced", provider_event_id=poster.event_id(report))
    assert event.body["tenantid"] == str(message.tenant_id)
    assert event.body["source"] == "/services/bounces"
    assert event.data["user_id"] == str(message.user_id)
    assert event.data["provider"] == poster.name
    assert event.data["kind"] == "hard"


async def test_a_forged_request_is_refused(
    poster: Poster, bounces: RunningServer, sql: asyncpg.Pool
) -> None:
    report = Report(What.HARD_BOUNCE, "zoe@example.com")
    await _refused(bounces, sql, poster.name, poster.forged([report]))


async def test_a_request_signed_with_another_key_is_refused(
    poster: Poster, bounces: RunningServer, sql: asyncpg.Pool
) -> None:
    report = Report(What.HARD_BOUNCE, "zoe@example.com")
    await _refused(bounces, sql, poster.name, poster.wrong_key([report]))


async def test_an_unsigned_request_is_refused(
    poster: Poster, bounces: RunningServer, sql: asyncpg.Pool
) -> None:
    report = Report(What.HARD_BOUNCE, "zoe@example.com")
    await _refused(bounces, sql, poster.name, poster.unsigned([report]))


@pytest.mark.parametrize("provider", TIMED)
@pytest.mark.parametrize("skew", [-timedelta(minutes=6), timedelta(minutes=6)])
async def test_a_request_signed_outside_the_window_is_refused(
    provider: str,
    skew: timedelta,
    secrets: ProviderSecrets,
    bounces: RunningServer,
    sql: asyncpg.Pool,
) -> None:
    poster = POSTERS[provider](secrets)
    report = Report(What.HARD_BOUNCE, "zoe@example.com")
    await _refused(bounces, sql, provider, poster.signed([report], at=datetime.now(UTC) + skew))


async def test_a_request_signed_a_little_while_ago_is_accepted(
    poster: Poster, bounces: RunningServer
) -> None:
    report = Report(What.HARD_BOUNCE, "zoe@example.com")
    at = datetime.now(UTC) - timedelta(minutes=4)
    response = await post(bounces.url, poster.name, poster.signed([report], at=at))
    assert response.status_code == 200, response.text


async def test_a_replayed_request_changes_nothing(
    poster: Poster,
    bounces: RunningServer,
    sql: asyncpg.Pool,
    events: EventPublisher,
) -> None:
    """Mailgun's tokens are single-use: its replay is refused. The other providers have
    no nonce (SNS even resends the very same signed message): a replay inside the window
    is a duplicate, which changes nothing; outside it, it is stale (above)."""
    message = await mailed(events, sql, datetime.now(UTC))
    request = poster.signed([Report(What.HARD_BOUNCE, message.address, message.message_id)])
    first = await post(bounces.url, poster.name, request)
    assert first.json()["published"] == 1
    outbox = await outbox_count(sql)
    second = await post(bounces.url, poster.name, request)
    if poster.name == "mailgun":
        assert second.status_code == 401
    else:
        assert second.status_code == 200, second.text
        assert second.json() == {**first.json(), "published": 0, "duplicates": 1}
    assert await outbox_count(sql) == outbox


async def test_both_keys_of_a_rotation_are_accepted(
    poster: Poster, bounces: RunningServer, sql: asyncpg.Pool, events: EventPublisher
) -> None:
    for key in (0, 1):  # the previous and the new secret, configured together
        message = await mailed(events, sql, datetime.now(UTC))
        report = Report(What.COMPLAINT, message.address, message.message_id, message.tags)
        response = await post(bounces.url, poster.name, poster.signed([report], key=key))
        assert response.status_code == 200, response.text
        assert response.json()["published"] == 1


async def test_a_provider_not_configured_or_unknown_is_not_found(bounces: RunningServer) -> None:
    async with httpx.AsyncClient(base_url=bounces.url) as client:
        response = await client.post("/webhooks/email/sparkpost", content=b"[]")
    assert response.status_code == 404
    assert "sparkpost" in response.json()["detail"]


async def test_a_body_larger_than_the_provider_sends_is_refused(
    poster: Poster, bounces: RunningServer, sql: asyncpg.Pool
) -> None:
    from services.bounces.domain.notices import Provider
    from services.bounces.domain.providers import LIMITS

    limit = LIMITS[Provider(poster.name)].max_body_bytes
    before = await raw_count(sql)
    async with httpx.AsyncClient(base_url=bounces.url, timeout=30) as client:
        declared = await client.post(f"/webhooks/email/{poster.name}", content=b" " * (limit + 1))

        async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it comes
            for _ in range(limit // 65536 + 2):
                yield b" " * 65536
                await asyncio.sleep(0)

        streamed = await client.post(f"/webhooks/email/{poster.name}", content=chunks())
    for response in (declared, streamed):
        assert response.status_code == 413, response.text
        assert str(limit) in response.json()["detail"]
    assert await raw_count(sql) == before
