"""Our own format behind a Standard Webhooks relay, and its signature check."""

import base64
import json
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook

from services.bounces.domain.errors import BatchTooLarge, InvalidKey, MalformedNotice, NotAuthentic
from services.bounces.domain.notices import Ignored, Notice, NoticeType, Provider, ProviderTags
from services.bounces.domain.providers import generic
from services.bounces.domain.verification import standard_webhooks as signed
from shared.contracts.users import BounceKind
from tests.unit.bounces.keys import NOW, unix

TENANT, USER, INVITATION = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
BOUNCED: dict[str, Any] = {
    "id": "evt_2Hq9c1",
    "type": "email.bounced",
    "timestamp": "2026-03-01T12:00:00+01:00",
    "data": {
        "email": "Zoé@Bücher.example",
        "bounce_kind": "hard",
        "reason": "550 5.1.1 user unknown",
        "smtp_status": "5.1.1",
        "message_id": "a1b2@learn.example.com",
        "provider_message_id": "0102018e-relay",
        "tags": {
            "tenant_id": str(TENANT),
            "user_id": str(USER),
            "invitation_id": str(INVITATION),
            "kind": "invitation",
        },
    },
}


def _body(value: object) -> bytes:
    return json.dumps(value).encode()


def test_a_single_bounce() -> None:
    assert generic.parse(_body(BOUNCED)) == [
        Notice(
            provider=Provider.GENERIC,
            provider_event_id="evt_2Hq9c1",
            type=NoticeType.BOUNCED,
            recipient="zoé@bücher.example",
            occurred_at=datetime(2026, 3, 1, 11, 0, tzinfo=UTC),
            bounce_kind=BounceKind.HARD,
            reason="550 5.1.1 user unknown",
            smtp_status="5.1.1",
            message_id="<a1b2@learn.example.com>",
            provider_message_id="0102018e-relay",
            tags=ProviderTags(TENANT, USER, INVITATION, "invitation"),
        )
    ]


def test_a_list_of_events_including_one_ignored() -> None:
    complained = {
        "id": "evt_2",
        "type": "email.complained",
        "timestamp": "2026-03-01T12:05:00Z",
        "data": {"email": "zoe@example.com", "feedback_type": "abuse"},
    }
    delivered = {**complained, "id": "evt_3", "type": "email.delivered"}
    opened = {**complained, "id": "evt_4", "type": "email.opened"}
    results = generic.parse(_body([BOUNCED, complained, delivered, opened]))
    assert [r.type for r in results if isinstance(r, Notice)] == [
        NoticeType.BOUNCED,
        NoticeType.COMPLAINED,
        NoticeType.DELIVERED,
    ]
    assert isinstance(results[1], Notice)
    assert results[1].feedback_type == "abuse"
    assert results[3] == Ignored(
        Provider.GENERIC, "email.opened", "not an event the platform acts on", "evt_4"
    )


@pytest.mark.parametrize("kind", list(BounceKind))
def test_every_bounce_kind(kind: BounceKind) -> None:
    [notice] = generic.parse(_body({**BOUNCED, "data": {**BOUNCED["data"], "bounce_kind": kind}}))
    assert isinstance(notice, Notice)
    assert notice.bounce_kind is kind


def _with(**data: Any) -> bytes:
    return _body({**BOUNCED, "data": {**BOUNCED["data"], **data}})


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"42", "$: expected an object or an array of objects, got a number"),
        (_body([BOUNCED, 1]), "$[1]: expected an object, got a number"),
        (_body({**BOUNCED, "id": None}), "$.id: required"),
        (_body({**BOUNCED, "data": None}), "$.data: required"),
        (
            _body({**BOUNCED, "timestamp": "2026-03-01T12:00:00"}),
            "$.timestamp: '2026-03-01T12:00:00' has no time zone",
        ),
        (_with(bounce_kind=None), "$.data.bounce_kind: required"),
        (
            _with(bounce_kind="permanent"),
            "$.data.bounce_kind: 'permanent' is not one of hard, soft, undetermined",
        ),
        (
            _with(email="zoe example.com"),
            "$.data.email: 'zoe example.com' is not an e-mail address",
        ),
        (_with(tags=["x"]), "$.data.tags: expected an object, got an array"),
        (_with(reason=12), "$.data.reason: expected a string, got a number"),
    ],
)
def test_malformed_events_say_what_is_wrong(body: bytes, message: str) -> None:
    with pytest.raises(MalformedNotice) as raised:
        generic.parse(body)
    assert str(raised.value) == message


def test_more_events_than_the_limit_are_refused() -> None:
    assert len(generic.parse(_body([BOUNCED] * generic.MAX_EVENTS))) == 1000
    with pytest.raises(BatchTooLarge, match="1001 events in one request, at most 1000"):
        generic.parse(_body([BOUNCED] * (generic.MAX_EVENTS + 1)))


# --- Standard Webhooks ---------------------------------------------------------------

# The published Standard Webhooks / Svix example.
VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_HEADERS = {
    "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
    "webhook-timestamp": "1614265330",
    "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
}
VECTOR_BODY = b'{"test": 2432232314}'


def test_the_published_example_verifies_at_its_time() -> None:
    at = datetime.fromtimestamp(1614265330, tz=UTC)
    secret = signed.load_secret(VECTOR_SECRET)
    assert signed.verify(VECTOR_BODY, VECTOR_HEADERS, secrets=[secret], now=at) == (
        "msg_p5jXN8AQM9LWM0D4loKWxJek"
    )
    with pytest.raises(NotAuthentic, match="tolerance 300 s"):
        signed.verify(VECTOR_BODY, VECTOR_HEADERS, secrets=[secret], now=NOW)


def _secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _headers(secret: str, body: bytes, at: datetime = NOW, msg_id: str = "msg_1") -> dict[str, str]:
    signature = Webhook(secret).sign(msg_id, at, body)
    return {"Webhook-Id": msg_id, "Webhook-Timestamp": unix(at), "Webhook-Signature": signature}


def _verify(body: bytes, headers: dict[str, str], *keys: str, **options: Any) -> str:
    loaded = [signed.load_secret(k) for k in keys]
    return signed.verify(body, headers, secrets=loaded, now=options.pop("now", NOW), **options)


def test_a_signed_batch_verifies_and_returns_the_message_id() -> None:
    secret, body = _secret(), _body([BOUNCED, BOUNCED])
    assert _verify(body, _headers(secret, body, msg_id="msg_42"), secret) == "msg_42"


def test_a_forged_body_is_refused() -> None:
    secret, body = _secret(), _body(BOUNCED)
    headers = _headers(secret, body)
    with pytest.raises(NotAuthentic, match="matches a configured secret"):
        _verify(body.replace(b"hard", b"soft"), headers, secret)


def test_another_secret_is_refused() -> None:
    body = _body(BOUNCED)
    with pytest.raises(NotAuthentic, match="matches a configured secret"):
        _verify(body, _headers(_secret(), body), _secret())


@pytest.mark.parametrize("age", [timedelta(minutes=6), timedelta(minutes=-6)])
def test_stale_or_future_messages_are_refused(age: timedelta) -> None:
    secret, body = _secret(), _body(BOUNCED)
    headers = _headers(secret, body, at=NOW - age)
    with pytest.raises(NotAuthentic, match="360 s"):
        _verify(body, headers, secret)
    _verify(body, headers, secret, tolerance=timedelta(minutes=7))


def test_during_a_rotation_both_secrets_are_accepted() -> None:
    old, new, body = _secret(), _secret(), _body(BOUNCED)
    assert _verify(body, _headers(old, body), old, new) == "msg_1"
    assert _verify(body, _headers(new, body), old, new) == "msg_1"


def test_a_sender_rotating_sends_two_signatures_and_one_is_enough() -> None:
    old, new, body = _secret(), _secret(), _body(BOUNCED)
    headers = _headers(new, body)
    headers["Webhook-Signature"] = (
        f"{_headers(old, body)['Webhook-Signature']} {headers['Webhook-Signature']}"
    )
    assert _verify(body, headers, new) == "msg_1"


@pytest.mark.parametrize(
    ("drop", "garble", "reason"),
    [
        ("Webhook-Id", None, "no webhook-id header"),
        ("Webhook-Timestamp", None, "no webhook-timestamp header"),
        ("Webhook-Signature", None, "no webhook-signature header"),
        (None, ("Webhook-Timestamp", "1e9"), "webhook-timestamp header '1e9' is not Unix seconds"),
        (None, ("Webhook-Signature", "v1,AAAA"), "no webhook-signature entry matches"),
    ],
)
def test_unsigned_or_garbled_requests_are_refused(
    drop: str | None, garble: tuple[str, str] | None, reason: str
) -> None:
    secret, body = _secret(), _body(BOUNCED)
    headers = _headers(secret, body)
    if drop:
        del headers[drop]
    if garble:
        headers[garble[0]] = garble[1]
    with pytest.raises(NotAuthentic) as raised:
        _verify(body, headers, secret)
    assert raised.value.reason.startswith(reason)


@pytest.mark.parametrize("secret", ["", "whsec_"])
def test_an_empty_secret_is_a_settings_error(secret: str) -> None:
    with pytest.raises(InvalidKey):
        signed.load_secret(secret)
