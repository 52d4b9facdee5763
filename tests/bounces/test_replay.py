"""`python -m services.bounces replay --since ...`: stored requests normalised again (after
a parser or mapping fix) without publishing anything twice."""

import asyncio
import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg

from tests.bounces.posters import SendGrid
from tests.support.bounce_notices import ProviderSecrets, Report, What
from tests.support.bounces import BouncesStack, mailed, outbox_count, outbox_events, post
from tests.support.bus import BusSpy, EventPublisher


async def _replay(stack: BouncesStack, since: datetime, until: datetime) -> str:
    """The command, as an operator runs it."""
    url = str(stack.settings.database_url)
    done = await asyncio.to_thread(
        subprocess.run,
        [
            sys.executable,
            *("-m", "services.bounces", "replay"),
            *("--since", since.isoformat(), "--until", until.isoformat()),
        ],
        env={"DATABASE_URL": url, "PATH": os.environ.get("PATH", ""), "LOG_LEVEL": "WARNING"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


async def test_a_replay_publishes_nothing_twice(
    bounces_stack: BouncesStack,
    sql: asyncpg.Pool,
    secrets: ProviderSecrets,
    events: EventPublisher,
    bus: BusSpy,
) -> None:
    since = datetime.now(UTC)
    messages = [await mailed(events, sql, datetime.now(UTC)) for _ in range(2)]
    reports = [Report(What.HARD_BOUNCE, m.address, m.message_id, m.tags) for m in messages]
    reports += [
        Report(What.HARD_BOUNCE, f"nobody-{uuid.uuid4().hex[:8]}@example.com"),
        Report(What.IGNORED, messages[0].address),
    ]
    response = await post(bounces_stack.server.url, "sendgrid", SendGrid(secrets).signed(reports))
    assert response.json()["published"] == 2
    for report in reports[:2]:
        await bus.wait_for("email.bounced", provider_event_id=report.event_id)
    before = await outbox_count(sql)

    output = await _replay(bounces_stack, since, datetime.now(UTC) + timedelta(seconds=1))
    assert "replayed 1 requests (0 still unreadable): 0 published, 3 already recorded" in output
    assert await outbox_count(sql) == before
    await asyncio.sleep(1.0)
    for report in reports[:2]:
        assert len(bus.matching("email.bounced", provider_event_id=report.event_id)) == 1


async def test_a_request_an_older_parser_refused_is_published_once_by_a_replay(
    bounces_stack: BouncesStack,
    sql: asyncpg.Pool,
    secrets: ProviderSecrets,
    events: EventPublisher,
    bus: BusSpy,
) -> None:
    """Stored as the service stores what it can't read (outcome malformed), as if the
    parser of the time had refused it; the parser of now reads it."""
    since = datetime.now(UTC)
    message = await mailed(events, sql, datetime.now(UTC))
    report = Report(What.HARD_BOUNCE, message.address, message.message_id, message.tags)
    request = SendGrid(secrets).signed([report])
    await sql.execute(
        "INSERT INTO raw_events (id, provider, received_at, headers, body, outcome, detail)"
        " VALUES ($1, 'sendgrid', now(), $2, $3, 'malformed', '$[0].type: unknown')",
        uuid.uuid4(),
        json.dumps({k.lower(): v for k, v in request.headers.items()}),
        request.body,
    )
    unreadable = uuid.uuid4()
    await sql.execute(
        "INSERT INTO raw_events (id, provider, received_at, headers, body, outcome)"
        " VALUES ($1, 'sendgrid', now(), '{}', $2, 'malformed')",
        unreadable,
        b'[{"event": "bounce"}]',
    )
    until = datetime.now(UTC) + timedelta(seconds=1)

    output = await _replay(bounces_stack, since, until)
    assert "replayed 2 requests (1 still unreadable): 1 published" in output
    [event] = await bus.wait_for("email.bounced", provider_event_id=report.event_id)
    assert event.data["user_id"] == str(message.user_id)
    still = await sql.fetchrow("SELECT outcome, detail FROM raw_events WHERE id = $1", unreadable)
    assert still is not None
    assert (still["outcome"], still["detail"]) == ("malformed", "$[0].sg_event_id: required")

    again = await _replay(bounces_stack, since, until)
    assert "0 published, 1 already recorded" in again
    assert len(await outbox_events(sql, report.event_id)) == 1
