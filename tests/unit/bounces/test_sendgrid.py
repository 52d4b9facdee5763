"""SendGrid: the documented event batches, and the Signed Event Webhook."""

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from services.bounces.domain.errors import BatchTooLarge, InvalidKey, MalformedNotice, NotAuthentic
from services.bounces.domain.notices import Ignored, Notice, NoticeType, Provider, ProviderTags
from services.bounces.domain.providers import sendgrid
from services.bounces.domain.verification import sendgrid as signed
from shared.contracts.users import BounceKind
from tests.unit.bounces.keys import NOW, SendGridKey, payload, unix

# sendgrid/docs event.md: a bounce.
BOUNCE = payload("sendgrid_bounce.json")

# A real blocked event (Discourse's fix): no `status` at all.
BLOCKED = payload("sendgrid_blocked_discourse.json")

# event.md: dropped, delivered, deferred, spamreport in one batch.
MIXED = payload("sendgrid_dropped_delivered_deferred_spamreport.json")

DOC_TIME = datetime(2017, 12, 15, 0, 59, 29, tzinfo=UTC)


def _one(body: bytes) -> Notice:
    [result] = sendgrid.parse(body)
    assert isinstance(result, Notice)
    return result


def test_a_bounce_is_a_hard_bounce_with_reason_status_and_both_message_ids() -> None:
    assert _one(BOUNCE) == Notice(
        provider=Provider.SENDGRID,
        provider_event_id="6g4ZI7SA-xmRDv57GoPIPw==",
        type=NoticeType.BOUNCED,
        recipient="example@test.com",
        occurred_at=DOC_TIME,
        bounce_kind=BounceKind.HARD,
        reason="500 unknown recipient",
        smtp_status="5.0.0",
        message_id="<14c5d75ce93.dfd.64b469@ismtpd-555>",
        provider_message_id="14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0",
    )


def test_a_blocked_bounce_is_soft_even_without_a_status() -> None:
    notice = _one(BLOCKED)
    assert notice.bounce_kind is BounceKind.SOFT
    assert notice.smtp_status is None
    assert notice.recipient == "noemail@this.does.not.exist.tld"
    assert (notice.reason or "").startswith("unable to get mx info")
    assert notice.occurred_at == datetime(2025, 2, 23, 8, 45, 20, tzinfo=UTC)


def test_the_documented_blocked_variant_is_soft() -> None:
    blocked = BOUNCE.replace(b'"type":"bounce"', b'"type":"blocked"')
    assert _one(blocked).bounce_kind is BounceKind.SOFT


def test_a_batch_maps_each_event_and_ignores_deferred() -> None:
    dropped, delivered, deferred, spam = sendgrid.parse(MIXED)
    assert isinstance(dropped, Notice)
    assert dropped.type is NoticeType.BOUNCED
    assert dropped.bounce_kind is BounceKind.HARD
    assert dropped.reason == "Bounced Address"
    assert isinstance(delivered, Notice)
    assert delivered.type is NoticeType.DELIVERED
    assert delivered.reason == "250 OK"
    assert delivered.bounce_kind is None
    assert deferred == Ignored(
        Provider.SENDGRID,
        "deferred",
        "not an event the platform acts on",
        "t7LEShmowp86DTdUW8M-GQ==",
    )
    assert isinstance(spam, Notice)
    assert spam.type is NoticeType.COMPLAINED
    assert spam.provider_event_id == "37nvH5QBz858KGVYCM4uOA=="


def _event(**fields: object) -> dict[str, object]:
    base: dict[str, object] = {
        "email": "zoe@example.com",
        "timestamp": 1513299569,
        "event": "bounce",
        "sg_event_id": f"id-{uuid.uuid4()}",
    }
    return {**base, **fields}


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"event": "dropped", "reason": "Invalid"}, (NoticeType.BOUNCED, BounceKind.HARD)),
        ({"event": "dropped", "reason": "Spam Reporting Address"}, (NoticeType.COMPLAINED, None)),
        ({"event": "dropped", "reason": "Unsubscribed Address"}, None),
        ({"event": "dropped", "reason": "Spam Content"}, None),
        ({"event": "bounce"}, (NoticeType.BOUNCED, BounceKind.HARD)),  # no type: permanent
        ({"event": "processed"}, None),
        ({"event": "open"}, None),
        ({"event": "click", "url": "https://learn.example.com/"}, None),
        ({"event": "group_unsubscribe"}, None),
    ],
)
def test_classification(
    fields: dict[str, object], expected: tuple[NoticeType, BounceKind | None] | None
) -> None:
    [result] = sendgrid.parse(json.dumps([_event(**fields)]).encode())
    if expected is None:
        assert isinstance(result, Ignored)
        assert result.event == fields["event"]
    else:
        assert isinstance(result, Notice)
        assert (result.type, result.bounce_kind) == expected


def test_custom_args_merged_into_the_event_are_the_tags() -> None:
    tenant, user, invitation = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    event = _event(
        tenant_id=str(tenant),
        user_id=str(user),
        invitation_id=str(invitation),
        kind="invitation",
    )
    notice = _one(json.dumps([event]).encode())
    assert notice.tags == ProviderTags(tenant, user, invitation, "invitation")


def test_tags_that_are_not_ours_are_left_out() -> None:
    notice = _one(json.dumps([_event(user_id="12345", kind="x")]).encode())
    assert notice.tags == ProviderTags(kind="x")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "$: not valid JSON"),
        (b"[{]", "$: not valid JSON"),
        (b"\xff\xfe\x00", "$: not"),
        (b'{"event": "bounce"}', "$: expected an array of events, got an object"),
        (b'[{"event":"bounce"}, "x"]', "$[1]: expected an object, got a string"),
        (json.dumps([_event(), _event(email=None)]).encode(), "$[1].email: required"),
        (json.dumps([_event(email="nobody")]).encode(), "$[0].email: 'nobody' is not an e-mail"),
        (json.dumps([_event(timestamp="soon")]).encode(), "$[0].timestamp: expected a number"),
        (json.dumps([_event(timestamp=10**20)]).encode(), "$[0].timestamp: 1e+20 is not a valid"),
        (json.dumps([_event(sg_event_id="")]).encode(), "$[0].sg_event_id: must not be empty"),
        (json.dumps([_event(event=3)]).encode(), "$[0].event: expected a string, got a number"),
        (b'[{"email":"a@b.c","timestamp":NaN,"event":"bounce","sg_event_id":"x"}]', "$: not valid"),
    ],
)
def test_malformed_bodies_say_what_is_wrong(body: bytes, message: str) -> None:
    with pytest.raises(MalformedNotice) as raised:
        sendgrid.parse(body)
    assert str(raised.value).startswith(message)


def test_a_batch_over_the_limit_is_refused_and_one_at_the_limit_is_read() -> None:
    event = _event(event="delivered")
    assert len(sendgrid.parse(json.dumps([event] * sendgrid.MAX_EVENTS).encode())) == 5000
    with pytest.raises(BatchTooLarge) as raised:
        sendgrid.parse(json.dumps([event] * (sendgrid.MAX_EVENTS + 1)).encode())
    assert str(raised.value) == "5001 events in one request, at most 5000"
    with pytest.raises(BatchTooLarge):
        sendgrid.parse(b" " * (sendgrid.MAX_BODY_BYTES + 1))


# The @sendgrid/eventwebhook test vector (a key and signature SendGrid's library tests use).
VECTOR_KEY = (
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2LjtURuePQzplybdC+u4CwrqDqBaWjcMMsTbhdbcwHBcepx"
    "o7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA=="
)
VECTOR_SIGNATURE = (
    "MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSzoQsbVRamr2nlxFDW"
    "YNH2j/0="
)
VECTOR_TIMESTAMP = "1588788367"
VECTOR_PAYLOAD = b'{"category":"example_payload","event":"test_event","message_id":"message_id"}'


def test_sendgrids_own_test_vector_verifies() -> None:
    key = signed.load_public_key(VECTOR_KEY)
    at = datetime.fromtimestamp(int(VECTOR_TIMESTAMP), tz=UTC)
    signed.verify(
        VECTOR_PAYLOAD, signature=VECTOR_SIGNATURE, timestamp=VECTOR_TIMESTAMP, keys=[key], now=at
    )
    with pytest.raises(NotAuthentic, match="matches no configured verification key"):
        signed.verify(
            VECTOR_PAYLOAD + b" ",
            signature=VECTOR_SIGNATURE,
            timestamp=VECTOR_TIMESTAMP,
            keys=[key],
            now=at,
        )


def _verify(body: bytes, signature: str | None, timestamp: str | None, *keys: SendGridKey) -> None:
    loaded = [signed.load_public_key(k.console_text) for k in keys]
    signed.verify(body, signature=signature, timestamp=timestamp, keys=loaded, now=NOW)


def test_a_batch_signed_with_the_key_verifies_and_parses() -> None:
    key, timestamp = SendGridKey.new(), unix(NOW)
    _verify(MIXED, key.sign(timestamp, MIXED), timestamp, key)
    assert len(sendgrid.parse(MIXED)) == 4


def test_a_forged_body_is_refused() -> None:
    key, timestamp = SendGridKey.new(), unix(NOW)
    signature = key.sign(timestamp, MIXED)
    forged = MIXED.replace(b"Bounced Address", b"Unsubscribed Address")
    with pytest.raises(NotAuthentic, match="matches no configured verification key"):
        _verify(forged, signature, timestamp, key)


def test_a_changed_timestamp_is_refused() -> None:
    key, timestamp = SendGridKey.new(), unix(NOW)
    signature = key.sign(timestamp, BOUNCE)
    with pytest.raises(NotAuthentic, match="matches no configured"):
        _verify(BOUNCE, signature, unix(NOW - timedelta(seconds=1)), key)


def test_a_signature_by_another_key_is_refused() -> None:
    key, other, timestamp = SendGridKey.new(), SendGridKey.new(), unix(NOW)
    with pytest.raises(NotAuthentic, match="matches no configured verification key"):
        _verify(BOUNCE, other.sign(timestamp, BOUNCE), timestamp, key)


@pytest.mark.parametrize("age", [timedelta(seconds=301), timedelta(seconds=-301)])
def test_a_stale_or_future_timestamp_is_refused_though_signed(age: timedelta) -> None:
    key, timestamp = SendGridKey.new(), unix(NOW - age)
    with pytest.raises(NotAuthentic, match="tolerance 300 s"):
        _verify(BOUNCE, key.sign(timestamp, BOUNCE), timestamp, key)
    inside = unix(NOW - age * 299 / 301)
    _verify(BOUNCE, key.sign(inside, BOUNCE), inside, key)


def test_the_tolerance_is_a_parameter() -> None:
    key, timestamp = SendGridKey.new(), unix(NOW - timedelta(minutes=20))
    loaded = [signed.load_public_key(key.console_text)]
    signature = key.sign(timestamp, BOUNCE)
    signed.verify(
        BOUNCE,
        signature=signature,
        timestamp=timestamp,
        keys=loaded,
        now=NOW,
        tolerance=timedelta(minutes=30),
    )


@pytest.mark.parametrize(
    ("signature", "timestamp", "reason"),
    [
        (None, "1", "no X-Twilio-Email-Event-Webhook-Signature header"),
        ("", "1", "no X-Twilio-Email-Event-Webhook-Signature header"),
        ("not base64!", "1", "the signature is not base64"),
        ("MEUCIQ==", None, "no X-Twilio-Email-Event-Webhook-Timestamp header"),
        ("MEUCIQ==", "12.5", "'12.5' is not Unix seconds"),
    ],
)
def test_missing_or_garbled_headers_are_refused(
    signature: str | None, timestamp: str | None, reason: str
) -> None:
    with pytest.raises(NotAuthentic) as raised:
        _verify(BOUNCE, signature, timestamp, SendGridKey.new())
    assert reason in raised.value.reason


def test_during_a_rotation_the_old_and_the_new_key_are_both_accepted() -> None:
    old, new, retired = SendGridKey.new(), SendGridKey.new(), SendGridKey.new()
    timestamp = unix(NOW)
    _verify(BOUNCE, old.sign(timestamp, BOUNCE), timestamp, old, new)
    _verify(BOUNCE, new.sign(timestamp, BOUNCE), timestamp, old, new)
    with pytest.raises(NotAuthentic):
        _verify(BOUNCE, retired.sign(timestamp, BOUNCE), timestamp, old, new)


def test_keys_load_as_the_console_shows_them_or_as_pem() -> None:
    key = SendGridKey.new()
    pem = "-----BEGIN PUBLIC KEY-----\n" + key.console_text + "\n-----END PUBLIC KEY-----\n"
    timestamp = unix(NOW)
    signed.verify(
        BOUNCE,
        signature=key.sign(timestamp, BOUNCE),
        timestamp=timestamp,
        keys=[signed.load_public_key(pem)],
        now=NOW,
    )


def _der_text(key: ec.EllipticCurvePublicKey | rsa.RSAPublicKey) -> str:
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "not a public key"),
        ("not a key", "not a public key"),
        (VECTOR_KEY[:-8], "not a public key"),
        (_der_text(ec.generate_private_key(ec.SECP384R1()).public_key()), "not an ECDSA P-256"),
        (_der_text(rsa.generate_private_key(65537, 2048).public_key()), "not an ECDSA P-256"),
    ],
)
def test_a_key_that_is_not_p256_is_a_settings_error(text: str, message: str) -> None:
    with pytest.raises(InvalidKey, match=message):
        signed.load_public_key(text)
