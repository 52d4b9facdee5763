"""Mailgun: documented events, HMAC signature, the token for replay detection."""

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.bounces.domain.errors import BatchTooLarge, MalformedNotice, NotAuthentic
from services.bounces.domain.notices import Ignored, Notice, NoticeType, Provider, ProviderTags
from services.bounces.domain.providers import mailgun
from services.bounces.domain.verification import mailgun as signed
from shared.contracts.users import BounceKind
from tests.unit.bounces.keys import NOW, mailgun_body, payload, unix

FAILED_PERMANENT = payload("mailgun_failed_permanent.json")

# anymail's test_failed_temporary_event (fields shown in PROVIDERS.md).
TEMPORARY: dict[str, Any] = {
    "event": "failed",
    "severity": "temporary",
    "reason": "generic",
    "timestamp": 1534111899.659519,
    "recipient": "undeliverable@nomx.example.com",
    "delivery-status": {
        "attempt-no": 3,
        "description": "No MX for nomx.example.com",
        "retry-seconds": 1800,
        "code": 498,
        "message": "No MX for nomx.example.com",
    },
}
# anymail's test_complained_event.
COMPLAINED: dict[str, Any] = {
    "event": "complained",
    "id": "ncV2XwymRUKbPek_MIM-Gw",
    "timestamp": 1377214260.049634,
    "recipient": "recipient@example.com",
    "message": {"headers": {"message-id": "20130718032413.263EE2E0926@example.org"}},
}
DELIVERED: dict[str, Any] = {
    "event": "delivered",
    "id": "W3X4JOhFT-OZidZGKKr9iA",
    "timestamp": 1534109600.089676,
    "recipient": "zoe@example.com",
    "delivery-status": {"code": 250, "message": "OK", "attempt-no": 1, "description": ""},
    "user-variables": {},
}
KEY = "key-3ax6xnjp29jd6fds4gc373sgvjxteol0"


def _parse(event_data: dict[str, Any]) -> Notice | Ignored:
    [result] = mailgun.parse(mailgun_body(event_data, KEY, unix(NOW)))
    return result


def test_a_permanent_failure_is_a_hard_bounce() -> None:
    [notice] = mailgun.parse(FAILED_PERMANENT)
    assert notice == Notice(
        provider=Provider.MAILGUN,
        # No event-data.id in this event: the signature's token identifies it.
        provider_event_id="e0b5477167110d68991efc6b9f89f0a11066af27834600e123",
        type=NoticeType.BOUNCED,
        recipient="invalid@example.com",
        occurred_at=datetime(2018, 8, 12, 21, 47, 2, 389832, tzinfo=UTC),
        bounce_kind=BounceKind.HARD,
        reason=(
            "5.1.1 The email account that you tried to reach does not exist. Please try\n"
            "5.1.1 double-checking the recipient's email address for typos"
        ),
        smtp_status="5.1.1",
        message_id="<20180812214658.1.0DF563D0B3597700@example.org>",
        provider_message_id="20180812214658.1.0DF563D0B3597700@example.org",
    )


def test_a_temporary_failure_is_ignored_mailgun_still_retries() -> None:
    result = _parse(TEMPORARY)
    assert isinstance(result, Ignored)
    assert result.event == "failed"
    assert "temporary" in result.why


def test_a_complaint_has_an_id_stable_across_days() -> None:
    notice = _parse(COMPLAINED)
    assert isinstance(notice, Notice)
    assert notice.type is NoticeType.COMPLAINED
    assert notice.provider_event_id == "ncV2XwymRUKbPek_MIM-Gw:1377214260.049634"
    assert notice.message_id == "<20130718032413.263EE2E0926@example.org>"
    assert notice.occurred_at == datetime(2013, 8, 22, 23, 31, 0, 49634, tzinfo=UTC)


def test_the_same_event_signed_twice_keeps_its_id() -> None:
    first = mailgun.parse(mailgun_body(COMPLAINED, KEY, unix(NOW)))
    retried = mailgun.parse(mailgun_body(COMPLAINED, KEY, unix(NOW + timedelta(minutes=5))))
    assert first == retried


def test_a_delivery() -> None:
    notice = _parse(DELIVERED)
    assert isinstance(notice, Notice)
    assert notice.type is NoticeType.DELIVERED
    assert notice.smtp_status == "250"
    assert notice.reason == "OK"


@pytest.mark.parametrize(
    ("reason", "code", "expected"),
    [
        ("bounce", 550, (NoticeType.BOUNCED, BounceKind.HARD)),
        ("generic", 554, (NoticeType.BOUNCED, BounceKind.HARD)),  # any 5xx
        ("suppress-bounce", 605, (NoticeType.BOUNCED, BounceKind.HARD)),
        ("old", 498, (NoticeType.BOUNCED, BounceKind.SOFT)),  # retries used up, no 5xx
        ("generic", None, (NoticeType.BOUNCED, BounceKind.SOFT)),
        ("suppress-complaint", 607, (NoticeType.COMPLAINED, None)),
        ("suppress-unsubscribe", 606, None),
    ],
)
def test_classification_of_permanent_failures(
    reason: str, code: int | None, expected: tuple[NoticeType, BounceKind | None] | None
) -> None:
    status = {"code": code, "message": "", "description": ""} if code else {}
    event = {**TEMPORARY, "severity": "permanent", "reason": reason, "delivery-status": status}
    result = _parse(event)
    if expected is None:
        assert isinstance(result, Ignored)
    else:
        assert isinstance(result, Notice)
        assert (result.type, result.bounce_kind) == expected


@pytest.mark.parametrize("event", ["accepted", "rejected", "opened", "clicked", "unsubscribed"])
def test_events_the_platform_does_not_use_are_ignored(event: str) -> None:
    result = _parse({**DELIVERED, "event": event})
    assert isinstance(result, Ignored)
    assert result.event == event


def test_user_variables_are_the_tags() -> None:
    tenant, user, invitation = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    variables = {
        "tenant_id": str(tenant),
        "user_id": str(user),
        "invitation_id": str(invitation),
        "kind": "reminder",
    }
    notice = _parse({**DELIVERED, "user-variables": variables})
    assert isinstance(notice, Notice)
    assert notice.tags == ProviderTags(tenant, user, invitation, "reminder")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"token=abc&timestamp=1", "$: not valid JSON"),
        (b"[]", "$: expected an object, got an array"),
        (b'{"signature": {}}', "$.event-data: required"),
        (b'{"event-data": []}', "$.event-data: expected an object, got an array"),
        (
            json.dumps({"event-data": {**DELIVERED, "recipient": None}}).encode(),
            "$.event-data.recipient: required",
        ),
        (
            json.dumps({"event-data": {**DELIVERED, "timestamp": "yesterday"}}).encode(),
            "$.event-data.timestamp: expected a number, got a string",
        ),
        (
            json.dumps({"event-data": {**TEMPORARY, "severity": "permanent"}}).encode(),
            "$.event-data.id: required (or $.signature.token)",
        ),
        (
            json.dumps({"event-data": {**DELIVERED, "message": "x"}}).encode(),
            "$.event-data.message: expected an object, got a string",
        ),
    ],
)
def test_malformed_bodies_say_what_is_wrong(body: bytes, message: str) -> None:
    with pytest.raises(MalformedNotice) as raised:
        mailgun.parse(body)
    assert str(raised.value).startswith(message)


def test_a_body_larger_than_one_event_is_refused() -> None:
    with pytest.raises(BatchTooLarge):
        mailgun.parse(b" " * (mailgun.MAX_BODY_BYTES + 1))


def test_a_signed_request_returns_its_token_for_replay_detection() -> None:
    body = mailgun_body(DELIVERED, KEY, unix(NOW))
    token = signed.verify(body, signing_keys=[KEY], now=NOW)
    assert token == json.loads(body)["signature"]["token"]
    # Signed again (a new request), the same event comes with another token.
    again = mailgun_body(DELIVERED, KEY, unix(NOW))
    assert signed.verify(again, signing_keys=[KEY], now=NOW) != token


def test_the_signature_covers_timestamp_and_token() -> None:
    body = json.loads(mailgun_body(DELIVERED, KEY, unix(NOW)))
    body["signature"]["token"] = body["signature"]["token"][::-1]
    with pytest.raises(NotAuthentic, match="matches no configured signing key"):
        signed.verify(json.dumps(body).encode(), signing_keys=[KEY], now=NOW)


def test_the_documented_example_signature_is_not_accepted() -> None:
    at = datetime.fromtimestamp(1770920772, tz=UTC)
    with pytest.raises(NotAuthentic, match="matches no configured signing key"):
        signed.verify(FAILED_PERMANENT, signing_keys=[KEY], now=at)


def test_another_key_is_refused() -> None:
    body = mailgun_body(DELIVERED, "someone-else", unix(NOW))
    with pytest.raises(NotAuthentic, match="matches no configured signing key"):
        signed.verify(body, signing_keys=[KEY], now=NOW)


def test_a_stale_signature_is_refused() -> None:
    body = mailgun_body(DELIVERED, KEY, unix(NOW - timedelta(minutes=6)))
    with pytest.raises(NotAuthentic, match="360 s old"):
        signed.verify(body, signing_keys=[KEY], now=NOW)


def test_old_and_new_signing_keys_are_both_accepted() -> None:
    new_key = "key-new-" + uuid.uuid4().hex
    for key in (KEY, new_key):
        signed.verify(mailgun_body(DELIVERED, key, unix(NOW)), signing_keys=[KEY, new_key], now=NOW)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"not json", "the body is not JSON"),
        (b"[1]", "no signature object"),
        (json.dumps({"event-data": DELIVERED}).encode(), "no signature object"),
        (
            json.dumps({"signature": {"token": "t", "signature": "s"}}).encode(),
            "no signature.timestamp",
        ),
        (
            json.dumps({"signature": {"timestamp": "1", "token": "t", "signature": ""}}).encode(),
            "no signature.signature",
        ),
    ],
)
def test_unsigned_requests_are_refused(body: bytes, reason: str) -> None:
    with pytest.raises(NotAuthentic) as raised:
        signed.verify(body, signing_keys=[KEY], now=NOW)
    assert raised.value.reason.startswith(reason)
