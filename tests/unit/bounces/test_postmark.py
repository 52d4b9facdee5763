"""Postmark: documented bounce, spam complaint and delivery records; basic auth."""

import base64
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from services.bounces.domain.errors import BatchTooLarge, MalformedNotice, NotAuthentic
from services.bounces.domain.notices import Ignored, Notice, NoticeType, Provider, ProviderTags
from services.bounces.domain.providers import postmark
from services.bounces.domain.verification import postmark as basic_auth
from shared.contracts.users import BounceKind
from tests.unit.bounces.keys import payload

BOUNCE = payload("postmark_bounce.json")
SPAM = payload("postmark_spam_complaint.json")
DELIVERY = payload("postmark_delivery.json")


def _one(body: bytes) -> Notice:
    [result] = postmark.parse(body)
    assert isinstance(result, Notice)
    return result


def _record(changes: dict[str, Any]) -> bytes:
    return json.dumps({"RecordType": "Bounce", **json.loads(BOUNCE), **changes}).encode()


def test_a_hard_bounce_from_the_webhook_page() -> None:
    assert _one(BOUNCE) == Notice(
        provider=Provider.POSTMARK,
        provider_event_id="Bounce:42:john@example.com",
        type=NoticeType.BOUNCED,
        recipient="john@example.com",
        occurred_at=datetime(2014, 8, 1, 17, 28, 10, 273539, tzinfo=UTC),
        bounce_kind=BounceKind.HARD,
        reason="Test bounce details",
        provider_message_id="883953f4-6105-42a2-a16a-77a8eac79483",
        tags=ProviderTags(),  # {"user_id": 43} is someone else's tag
    )


def test_a_spam_complaint() -> None:
    notice = _one(SPAM)
    assert notice.type is NoticeType.COMPLAINED
    assert notice.bounce_kind is None
    assert notice.recipient == "spam@example.com"
    assert notice.provider_event_id == "SpamComplaint:901542550:spam@example.com"
    assert notice.occurred_at == datetime(2016, 4, 27, 20, 28, 50, 396393, tzinfo=UTC)


def test_a_delivery_has_recipient_and_no_id_of_its_own() -> None:
    notice = _one(DELIVERY)
    assert notice.type is NoticeType.DELIVERED
    assert notice.recipient == "recipient@example.com"
    expected_id = "Delivery:883953f4-6105-42a2-a16a-77a8eac79483:recipient@example.com"
    assert notice.provider_event_id == expected_id
    assert notice.occurred_at == datetime(2014, 8, 1, 17, 28, 10, 273539, tzinfo=UTC)


@pytest.mark.parametrize(
    ("bounce_type", "inactive", "expected"),
    [
        ("HardBounce", False, (NoticeType.BOUNCED, BounceKind.HARD)),
        ("BadEmailAddress", False, (NoticeType.BOUNCED, BounceKind.HARD)),
        ("SoftBounce", False, (NoticeType.BOUNCED, BounceKind.SOFT)),
        ("Transient", False, (NoticeType.BOUNCED, BounceKind.SOFT)),
        ("DnsError", False, (NoticeType.BOUNCED, BounceKind.SOFT)),
        ("SpamNotification", False, (NoticeType.BOUNCED, BounceKind.SOFT)),
        ("Blocked", False, (NoticeType.BOUNCED, BounceKind.SOFT)),
        ("SoftBounce", True, (NoticeType.BOUNCED, BounceKind.HARD)),  # deactivated by Postmark
        ("SpamComplaint", True, (NoticeType.COMPLAINED, None)),
        ("AutoResponder", False, None),
        ("AddressChange", False, None),
        ("ChallengeVerification", False, None),
    ],
)
def test_classification(
    bounce_type: str, inactive: bool, expected: tuple[NoticeType, BounceKind | None] | None
) -> None:
    [result] = postmark.parse(_record({"Type": bounce_type, "Inactive": inactive}))
    if expected is None:
        assert isinstance(result, Ignored)
        assert bounce_type in result.why
    else:
        assert isinstance(result, Notice)
        assert (result.type, result.bounce_kind) == expected


@pytest.mark.parametrize("record_type", ["Open", "Click", "SubscriptionChange"])
def test_opens_clicks_and_subscription_changes_are_ignored(record_type: str) -> None:
    body = json.dumps({"RecordType": record_type, "MessageID": "m-1", "Recipient": "a@b.c"})
    [result] = postmark.parse(body.encode())
    assert result == Ignored(Provider.POSTMARK, record_type, "not an event the platform acts on")


def test_metadata_is_the_tags_and_the_status_comes_from_the_details() -> None:
    tenant, user, invitation = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    metadata = {"tenant_id": str(tenant), "user_id": str(user), "invitation_id": str(invitation)}
    details = "smtp;550 5.1.1 The email account that you tried to reach does not exist."
    notice = _one(_record({"Metadata": metadata, "Details": details}))
    assert notice.tags == ProviderTags(tenant, user, invitation)
    assert notice.smtp_status == "5.1.1"
    assert notice.reason == details


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"[]", "$: expected an object, got an array"),
        (b'{"ID": 1}', "$.RecordType: required"),
        (_record({"Email": None}), "$.Email: required (or $.Recipient)"),
        (_record({"Type": 1}), "$.Type: expected a string, got a number"),
        (_record({"BouncedAt": "2014-08-01 13:28"}), "$.BouncedAt: '2014-08-01 13:28' has no time"),
        (_record({"BouncedAt": "yesterday"}), "$.BouncedAt: 'yesterday' is not an ISO 8601"),
        (_record({"MessageID": ""}), "$.MessageID: must not be empty"),
        (
            _record({"Type": "SoftBounce", "Inactive": "yes"}),
            "$.Inactive: expected true or false, got a string",
        ),
        (_record({"Metadata": [1]}), "$.Metadata: expected an object, got an array"),
    ],
)
def test_malformed_records_say_what_is_wrong(body: bytes, message: str) -> None:
    with pytest.raises(MalformedNotice) as raised:
        postmark.parse(body)
    assert str(raised.value).startswith(message)


def test_a_body_larger_than_a_record_is_refused() -> None:
    with pytest.raises(BatchTooLarge):
        postmark.parse(b" " * (postmark.MAX_BODY_BYTES + 1))


def _basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


CREDENTIALS = [("postmark", "s3cret-one")]


def test_the_configured_credentials_are_accepted() -> None:
    basic_auth.verify(_basic("postmark", "s3cret-one"), credentials=CREDENTIALS)
    basic_auth.verify("basic " + _basic("postmark", "s3cret-one")[6:], credentials=CREDENTIALS)


@pytest.mark.parametrize(
    ("authorization", "reason"),
    [
        (None, "no Authorization header"),
        ("", "no Authorization header"),
        ("Bearer abc", "Authorization scheme 'Bearer', expected Basic"),
        ("Basic ???", "Basic credentials are not base64"),
        ("Basic " + base64.b64encode(b"postmark").decode(), "Basic credentials without a colon"),
        (_basic("postmark", "wrong"), "match no configured pair"),
        (_basic("other", "s3cret-one"), "match no configured pair"),
        (_basic("postmark", "s3cret-one "), "match no configured pair"),
    ],
)
def test_other_credentials_are_refused(authorization: str | None, reason: str) -> None:
    with pytest.raises(NotAuthentic) as raised:
        basic_auth.verify(authorization, credentials=CREDENTIALS)
    assert reason in raised.value.reason


def test_old_and_new_passwords_are_both_accepted() -> None:
    rotating = [("postmark", "old-password"), ("postmark", "new-password")]
    basic_auth.verify(_basic("postmark", "old-password"), credentials=rotating)
    basic_auth.verify(_basic("postmark", "new-password"), credentials=rotating)
    with pytest.raises(NotAuthentic):
        basic_auth.verify(_basic("postmark", "older-password"), credentials=rotating)


def test_no_configured_credentials_accept_nothing() -> None:
    with pytest.raises(NotAuthentic):
        basic_auth.verify(_basic("", ""), credentials=[])
