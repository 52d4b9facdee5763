"""Amazon SES through SNS: both signature versions, the subscription handshake (a local
server stands for SNS, allowed by the test-only setting), and what SNS itself must not
be able to make the service do."""

import asyncio
import json
import tempfile
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest

from services.bounces.app import create_app
from tests.support.bounce_notices import (
    ProviderSecrets,
    Report,
    Signed,
    What,
    ses_event_id,
    ses_request,
    subscription_confirmation,
)
from tests.support.bounces import (
    BouncesStack,
    bounces_settings,
    mailed,
    new_database,
    post,
    raw_count,
)
from tests.support.bus import BusSpy, EventPublisher
from tests.support.infra import Infrastructure, drop_database
from tests.support.servers import RunningServer


@pytest.mark.parametrize("version", ["1", "2"])
async def test_a_notification_signed_with_either_version_is_accepted(
    version: str,
    secrets: ProviderSecrets,
    bounces: RunningServer,
    sql: asyncpg.Pool,
    events: EventPublisher,
    bus: BusSpy,
) -> None:
    message = await mailed(events, sql, datetime.now(UTC))
    report = Report(What.HARD_BOUNCE, message.address, message.message_id, message.tags)
    request = ses_request([report], secrets.sns[0], version=version)
    response = await post(bounces.url, "ses", request)
    assert response.json()["published"] == 1, response.text
    [event] = await bus.wait_for("email.bounced", provider_event_id=ses_event_id(report))
    assert event.data["smtp_status"] == "5.1.1"
    assert "User unknown" in event.data["reason"]


@pytest.mark.parametrize("version", ["1", "2"])
async def test_a_subscription_is_confirmed(
    version: str, secrets: ProviderSecrets, bounces_stack: BouncesStack, sql: asyncpg.Pool
) -> None:
    token = uuid.uuid4().hex
    url = bounces_stack.sns.subscribe_url(token)
    response = await post(
        bounces_stack.server.url, "ses", subscription_confirmation(url, secrets.sns[1], version)
    )
    assert response.status_code == 200, response.text
    assert response.json()["outcome"] == "subscription_confirmed"
    assert token in bounces_stack.sns.confirmed
    stored = await sql.fetchval(
        "SELECT outcome FROM raw_events WHERE convert_from(body, 'UTF8') LIKE '%' || $1 || '%'",
        token,
    )
    assert stored == "subscription_confirmed"


async def test_a_subscription_of_another_topic_is_refused_without_calling_out(
    secrets: ProviderSecrets, bounces_stack: BouncesStack, sql: asyncpg.Pool
) -> None:
    token = uuid.uuid4().hex
    request = subscription_confirmation(bounces_stack.sns.subscribe_url(token), secrets.sns[1])
    envelope = json.loads(request.body)
    envelope["TopicArn"] = "arn:aws:sns:us-east-1:999999999999:someone-elses"
    resigned = secrets.sns[1].sign({k: v for k, v in envelope.items() if k != "Signature"}, "1")
    before = await raw_count(sql)
    response = await post(
        bounces_stack.server.url, "ses", Signed(json.dumps(resigned).encode(), {})
    )
    assert response.status_code == 401
    assert token not in bounces_stack.sns.confirmed
    assert await raw_count(sql) == before


async def test_a_subscribe_url_off_sns_is_never_visited(
    secrets: ProviderSecrets, bounces: RunningServer, sql: asyncpg.Pool
) -> None:
    """Signed by SNS's key or not, a GET goes only to an SNS host."""
    request = subscription_confirmation(
        "https://attacker.example/?Action=ConfirmSubscription", secrets.sns[1]
    )
    before = await raw_count(sql)
    response = await post(bounces.url, "ses", request)
    assert response.status_code == 401
    assert await raw_count(sql) == before


async def test_when_sns_fails_the_confirmation_is_asked_again(
    secrets: ProviderSecrets, bounces_stack: BouncesStack, sql: asyncpg.Pool
) -> None:
    """A 5xx makes SNS send the confirmation again (it never retries a 4xx)."""
    token = uuid.uuid4().hex
    request = subscription_confirmation(bounces_stack.sns.subscribe_url(token), secrets.sns[1])
    before = await raw_count(sql)
    bounces_stack.sns.answer = 500
    try:
        response = await post(bounces_stack.server.url, "ses", request)
    finally:
        bounces_stack.sns.answer = 200
    assert response.status_code == 503
    assert await raw_count(sql) == before
    retried = await post(bounces_stack.server.url, "ses", request)
    assert retried.status_code == 200
    assert token in bounces_stack.sns.confirmed


async def test_headers_that_disagree_with_the_body_are_refused(
    secrets: ProviderSecrets, bounces: RunningServer, sql: asyncpg.Pool
) -> None:
    request = ses_request([Report(What.HARD_BOUNCE, "zoe@example.com")], secrets.sns[1])
    wrong = Signed(request.body, {**request.headers, "x-amz-sns-message-id": str(uuid.uuid4())})
    response = await post(bounces.url, "ses", wrong)
    assert response.status_code == 401


@pytest.fixture
async def quiet_service(
    infra: Infrastructure, private_vhost: str, secrets: ProviderSecrets
) -> AsyncIterator[tuple[RunningServer, asyncpg.Pool]]:
    """A second service, SES only, with SNS_CONFIRM_SUBSCRIPTIONS off (no outbound call),
    in a virtual host of its own (so it takes no message from the first one)."""
    name, url = await new_database(infra, "bounces_quiet")
    with tempfile.TemporaryDirectory() as folder:
        settings = bounces_settings(
            url,
            private_vhost,
            secrets,
            Path(folder) / "sns.pem",
            sns_confirm_subscriptions=False,
            sendgrid_verification_key="",
            mailgun_signing_key="",
            postmark_webhook_username="",
            postmark_webhook_password="",
            generic_webhook_secret="",
        )
        server = await RunningServer(create_app(settings)).start()
        pool = await asyncpg.create_pool(url, min_size=1, max_size=1)
        try:
            yield server, pool
        finally:
            await pool.close()
            await server.stop()
            await drop_database(infra, name)


async def test_with_confirmations_off_the_url_is_logged_for_an_operator(
    quiet_service: tuple[RunningServer, asyncpg.Pool],
    secrets: ProviderSecrets,
    bounces_stack: BouncesStack,
    caplog: pytest.LogCaptureFixture,
) -> None:
    server, pool = quiet_service
    token = uuid.uuid4().hex
    url = bounces_stack.sns.subscribe_url(token)
    response = await post(server.url, "ses", subscription_confirmation(url, secrets.sns[0]))
    assert response.status_code == 200, response.text
    assert response.json()["outcome"] == "subscription_to_confirm"
    await asyncio.sleep(0.2)
    assert token not in bounces_stack.sns.confirmed
    assert any(url in str(record.msg) for record in caplog.records)
    assert await pool.fetchval("SELECT outcome FROM raw_events") == "subscription_to_confirm"
    for provider in ("sendgrid", "mailgun", "postmark", "generic"):  # not configured there
        unconfigured = await post(server.url, provider, Signed(b"[]", {}))
        assert unconfigured.status_code == 404
