"""Amazon SES through SNS: the envelope, both SES shapes, SNS signatures v1 and v2."""

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.bounces.domain.errors import BatchTooLarge, MalformedNotice, NotAuthentic
from services.bounces.domain.notices import Ignored, Notice, NoticeType, Provider, ProviderTags
from services.bounces.domain.providers import ses
from services.bounces.domain.providers.sns import SnsMessageType, parse_envelope
from services.bounces.domain.verification import sns as signed
from shared.contracts.users import BounceKind
from tests.unit.bounces.keys import NOW, SnsSigner, payload

TOPIC = "arn:aws:sns:us-east-1:123456789012:ses-notifications"
CERT_URL = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-9c6465fa7f48f5cacd23014631ec1136.pem"
ENVELOPE: dict[str, str] = json.loads(payload("sns_notification.json"))


def _envelope(message: str | dict[str, Any], **changes: str) -> dict[str, str]:
    text = message if isinstance(message, str) else json.dumps(message)
    fields = {
        **ENVELOPE,
        "TopicArn": TOPIC,
        "SigningCertURL": CERT_URL,
        "Timestamp": NOW.isoformat().replace("+00:00", "Z"),
        "Message": text,
        **changes,
    }
    return {k: v for k, v in fields.items() if v != ""}


def _body(envelope: dict[str, str]) -> bytes:
    return json.dumps(envelope).encode()


def _ses(name: str, **changes: Any) -> dict[str, Any]:
    return {**json.loads(payload(name)), **changes}


def _notices(message: dict[str, Any] | str) -> list[Notice]:
    results = ses.parse(_body(_envelope(message)))
    assert all(isinstance(r, Notice) for r in results)
    return [r for r in results if isinstance(r, Notice)]


def test_a_permanent_bounce_from_the_ses_examples() -> None:
    [notice] = _notices(_ses("ses_bounce.json"))
    assert notice == Notice(
        provider=Provider.SES,
        provider_event_id="00000138111222aa-44455566-cccc-cccc-cccc-ddddaaaa068a-000000:jane@example.com",
        type=NoticeType.BOUNCED,
        recipient="jane@example.com",
        occurred_at=datetime(2016, 1, 27, 14, 59, 44, 101000, tzinfo=UTC),
        bounce_kind=BounceKind.HARD,
        reason="smtp; 550 5.1.1 <jane@example.com>... User unknown",
        smtp_status="5.1.1",
        message_id="<custom-message-ID>",
        provider_message_id="00000138111222aa-33322211-cccc-cccc-cccc-ddddaaaa0680-000000",
    )


def test_one_notification_gives_one_notice_per_recipient() -> None:
    message = _ses("ses_bounce.json")
    message["bounce"]["bouncedRecipients"] = [
        {"emailAddress": "Jane@Example.com", "status": "5.1.1"},
        {"emailAddress": "mary@example.com"},
    ]
    jane, mary = _notices(message)
    assert (jane.recipient, mary.recipient) == ("jane@example.com", "mary@example.com")
    assert jane.provider_event_id != mary.provider_event_id
    assert mary.reason == "Permanent/General"  # no diagnostic code from the remote MTA


@pytest.mark.parametrize(
    ("bounce_type", "kind"),
    [
        ("Permanent", BounceKind.HARD),
        ("Transient", BounceKind.SOFT),
        ("Undetermined", BounceKind.UNDETERMINED),
        ("SomethingNew", BounceKind.UNDETERMINED),
    ],
)
def test_bounce_types(bounce_type: str, kind: BounceKind) -> None:
    message = _ses("ses_bounce.json")
    message["bounce"]["bounceType"] = bounce_type
    [notice] = _notices(message)
    assert notice.bounce_kind is kind


def test_a_complaint_without_feedback_id_or_time_uses_the_envelopes() -> None:
    [notice] = _notices(_ses("ses_complaint.json"))
    assert notice.type is NoticeType.COMPLAINED
    assert notice.recipient == "richard@example.com"
    assert notice.feedback_type == "abuse"
    assert notice.provider_event_id == f"{ENVELOPE['MessageId']}:richard@example.com"
    assert notice.occurred_at == NOW


def test_a_delivery() -> None:
    [notice] = _notices(_ses("ses_delivery.json"))
    assert notice.type is NoticeType.DELIVERED
    assert notice.reason == "250 ok:  Message 64111812 accepted"
    assert notice.occurred_at == datetime(2016, 1, 27, 14, 59, 38, 237000, tzinfo=UTC)
    assert notice.message_id is None  # SES included no headers


def test_event_publishing_gives_the_message_tags() -> None:
    tenant, user, invitation = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    message = _ses("ses_event_publishing_bounce.json")
    message["mail"]["tags"].update(
        {"tenant_id": [str(tenant)], "user_id": [str(user)], "invitation_id": [str(invitation)]}
    )
    [notice] = _notices(message)
    assert notice.bounce_kind is BounceKind.SOFT
    assert notice.smtp_status == "4.2.2"
    assert notice.tags == ProviderTags(tenant, user, invitation)


def test_without_tags_our_own_headers_give_them() -> None:
    tenant, user = uuid.uuid4(), uuid.uuid4()
    message = _ses("ses_bounce.json")
    message["mail"]["headers"] += [
        {"name": "X-LMS-Tenant", "value": str(tenant)},
        {"name": "X-LMS-User", "value": str(user)},
        {"name": "X-LMS-Mail-Kind", "value": "invitation"},
    ]
    [notice] = _notices(message)
    assert notice.tags == ProviderTags(tenant, user, None, "invitation")


@pytest.mark.parametrize("event_type", ["Send", "Reject", "Open", "Click", "DeliveryDelay"])
def test_other_published_events_are_ignored(event_type: str) -> None:
    [result] = ses.parse(_body(_envelope({"eventType": event_type, "mail": {"messageId": "m"}})))
    assert isinstance(result, Ignored)
    assert result.event == event_type


def test_the_topic_validation_message_is_ignored() -> None:
    [result] = ses.parse(_body(_envelope(ses.VALIDATION_MESSAGE)))
    assert isinstance(result, Ignored)


def _confirmation(message_type: str) -> dict[str, str]:
    envelope = _envelope(
        "You have chosen to subscribe to the topic " + TOPIC,
        Type=message_type,
        Token="2336412f37fb687f5d51e6e2425dacbba8b5ee1e4fa6",
        SubscribeURL="https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&Token=2336",
    )
    envelope.pop("Subject")
    return envelope


def test_a_subscription_confirmation_is_read_and_yields_no_notice() -> None:
    envelope = parse_envelope(_body(_confirmation("SubscriptionConfirmation")))
    assert envelope.type is SnsMessageType.SUBSCRIPTION_CONFIRMATION
    assert envelope.subscribe_url is not None
    assert envelope.subscribe_url.startswith("https://sns.us-east-1.amazonaws.com/?Action=Confirm")
    assert envelope.token == "2336412f37fb687f5d51e6e2425dacbba8b5ee1e4fa6"
    [result] = ses.notices(envelope)
    assert isinstance(result, Ignored)


def _malformed(envelope: dict[str, str]) -> str:
    with pytest.raises(MalformedNotice) as raised:
        ses.parse(_body(envelope))
    return str(raised.value)


def test_malformed_envelopes_and_messages_say_what_is_wrong() -> None:
    bounce = _ses("ses_bounce.json")
    no_recipients = {**bounce, "bounce": {**bounce["bounce"], "bouncedRecipients": None}}
    bad_address = json.loads(json.dumps(bounce))
    bad_address["bounce"]["bouncedRecipients"][0]["emailAddress"] = "jane"
    assert _malformed(_envelope(bounce, Type="Note")).startswith("$.Type: 'Note' is not one of")
    assert _malformed(_envelope(bounce, SigningCertURL="")) == "$.SigningCertURL: required"
    assert _malformed(_envelope("{not json")).startswith("$.Message: not valid JSON")
    assert _malformed(_envelope("[1]")) == "$.Message: expected an object, got an array"
    assert _malformed(_envelope({"mail": {}})) == "$.Message.notificationType: required"
    assert _malformed(_envelope({**bounce, "mail": None})) == "$.Message.mail: required"
    assert _malformed(_envelope(no_recipients)) == "$.Message.bounce.bouncedRecipients: required"
    assert _malformed(_envelope(bad_address)) == (
        "$.Message.bounce.bouncedRecipients[0].emailAddress: 'jane' is not an e-mail address"
    )
    assert _malformed(_envelope(bounce, Timestamp="soon")).startswith("$.Timestamp: 'soon'")
    with pytest.raises(MalformedNotice, match=r"^\$: expected an object"):
        ses.parse(b"[]")


def test_more_recipients_than_a_message_can_have_is_refused() -> None:
    message = _ses("ses_bounce.json")
    message["bounce"]["bouncedRecipients"] = [
        {"emailAddress": f"r{i}@example.com"} for i in range(ses.MAX_EVENTS + 1)
    ]
    with pytest.raises(BatchTooLarge):
        ses.parse(_body(_envelope(message)))


# --- signatures ------------------------------------------------------------------------


SIGNER = SnsSigner.new()


def _verify(envelope: dict[str, str], signer: SnsSigner = SIGNER, **options: Any) -> None:
    signed.verify(
        parse_envelope(_body(envelope)),
        options.pop("certificates", [signer.certificate]),
        allowed_topics=options.pop("allowed_topics", {TOPIC}),
        now=options.pop("now", NOW),
        **options,
    )


@pytest.mark.parametrize("version", ["1", "2"])
def test_a_signed_notification_verifies_in_both_versions(version: str) -> None:
    _verify(SIGNER.sign(_envelope(_ses("ses_bounce.json")), version))


@pytest.mark.parametrize("version", ["1", "2"])
@pytest.mark.parametrize("message_type", ["SubscriptionConfirmation", "UnsubscribeConfirmation"])
def test_signed_confirmations_verify(message_type: str, version: str) -> None:
    _verify(SIGNER.sign(_confirmation(message_type), version))


def test_a_notification_without_subject_is_signed_without_it() -> None:
    envelope = _envelope(_ses("ses_delivery.json"))
    envelope.pop("Subject")
    _verify(SIGNER.sign(envelope, "2"))


def test_the_string_to_sign() -> None:
    envelope = parse_envelope(_body(_envelope('{"a": "b\\nc"}', MessageId="m-1", Subject="S")))
    assert signed.string_to_sign(envelope) == (
        b'Message\n{"a": "b\\nc"}\nMessageId\nm-1\nSubject\nS\nTimestamp\n2026-03-02T09:30:00Z\n'
        b"TopicArn\n" + TOPIC.encode() + b"\nType\nNotification\n"
    )


@pytest.mark.parametrize("version", ["1", "2"])
def test_a_forged_message_is_refused(version: str) -> None:
    envelope = SIGNER.sign(_envelope(_ses("ses_bounce.json")), version)
    envelope["Message"] = envelope["Message"].replace("Permanent", "Transient")
    with pytest.raises(NotAuthentic, match="matches no signing certificate"):
        _verify(envelope)


def test_a_v1_signature_presented_as_v2_is_refused() -> None:
    envelope = SIGNER.sign(_envelope(_ses("ses_bounce.json")), "1")
    with pytest.raises(NotAuthentic, match="matches no signing certificate"):
        _verify({**envelope, "SignatureVersion": "2"})


def test_another_certificate_is_refused() -> None:
    envelope = SnsSigner.new().sign(_envelope(_ses("ses_bounce.json")), "2")
    with pytest.raises(NotAuthentic, match="matches no signing certificate"):
        _verify(envelope)


def test_old_and_new_certificates_are_both_trusted() -> None:
    old, new = SnsSigner.new(), SnsSigner.new()
    trusted = [old.certificate, new.certificate]
    for signer in (old, new):
        _verify(signer.sign(_envelope(_ses("ses_bounce.json")), "2"), certificates=trusted)


def test_a_topic_not_allowed_is_refused_though_validly_signed() -> None:
    envelope = SIGNER.sign(_envelope(_ses("ses_bounce.json"), TopicArn=TOPIC + "-other"), "2")
    with pytest.raises(NotAuthentic, match="is not in SNS_TOPIC_ARNS"):
        _verify(envelope)


def test_a_stale_message_is_refused() -> None:
    stale = (NOW - timedelta(minutes=6)).isoformat().replace("+00:00", "Z")
    envelope = SIGNER.sign(_envelope(_ses("ses_bounce.json"), Timestamp=stale), "2")
    with pytest.raises(NotAuthentic, match="360 s old"):
        _verify(envelope)
    _verify(envelope, tolerance=timedelta(minutes=10))


def test_an_expired_certificate_is_refused() -> None:
    expired = SnsSigner.new(valid_from=NOW - timedelta(days=400))
    envelope = expired.sign(_envelope(_ses("ses_bounce.json")), "2")
    with pytest.raises(NotAuthentic, match="no signing certificate valid now"):
        _verify(envelope, expired)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"SignatureVersion": "3"}, "SignatureVersion '3' is unknown"),
        ({"Signature": "%%%"}, "the Signature is not base64"),
    ],
)
def test_unknown_versions_and_garbled_signatures_are_refused(
    changes: dict[str, str], reason: str
) -> None:
    envelope = SIGNER.sign(_envelope(_ses("ses_bounce.json")), "2")
    with pytest.raises(NotAuthentic) as raised:
        _verify({**envelope, **changes})
    assert raised.value.reason == reason


def test_headers_must_agree_with_the_body() -> None:
    envelope = SIGNER.sign(_envelope(_ses("ses_bounce.json")), "2")
    _verify(envelope, message_type_header="Notification", message_id_header=envelope["MessageId"])
    with pytest.raises(NotAuthentic, match="x-amz-sns-message-type"):
        _verify(envelope, message_type_header="SubscriptionConfirmation")
    with pytest.raises(NotAuthentic, match="x-amz-sns-message-id"):
        _verify(envelope, message_id_header="another-id")


@pytest.mark.parametrize(
    "url",
    [
        "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem",
        "https://sns.eu-west-3.amazonaws.com/SimpleNotificationService-abc.pem",
        "https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-abc.pem",
        "https://sns.us-gov-west-1.amazonaws.com/SimpleNotificationService-abc.pem",
    ],
)
def test_sns_certificate_urls_are_accepted(url: str) -> None:
    signed.check_signing_cert_url(url)


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://sns.us-east-1.amazonaws.com/cert.pem", "is not https"),
        ("https://sns.us-east-1.amazonaws.com.evil.example/cert.pem", "not on an Amazon SNS host"),
        ("https://evil.example/sns.us-east-1.amazonaws.com/cert.pem", "not on an Amazon SNS host"),
        ("https://sns.us-east-1.amazonaws.com@evil.example/cert.pem", "not on an Amazon SNS host"),
        ("https://user@sns.us-east-1.amazonaws.com/cert.pem", "not on an Amazon SNS host"),
        ("https://sns.us-east-1.amazonaws.com:8443/cert.pem", "not on an Amazon SNS host"),
        ("https://xsns.us-east-1.amazonaws.com/cert.pem", "not on an Amazon SNS host"),
        ("https://sns-us-east-1.amazonaws.com/cert.pem", "not on an Amazon SNS host"),
        ("https://sns.us.amazonaws.com/cert.pem", "not on an Amazon SNS host"),
        ("https://sns.us-east-1.amazonaws.co/cert.pem", "not on an Amazon SNS host"),
        ("https://sns.evil.example/x.amazonaws.com/cert.pem", "not on an Amazon SNS host"),
        ("https://sns.us-east-1.amazonaws.com./cert.pem", "not on an Amazon SNS host"),
        ("https://sns.us-east-1.amazonaws.com\\@evil.example/cert.pem", "not on an Amazon SNS"),
        ("https://sns.us-east-1.amazonaws.com/cert.pem?x=1", "is not a .pem file"),
        ("https://sns.us-east-1.amazonaws.com/cert.txt", "is not a .pem file"),
        ("https://sns.us-east-1.amazonaws.com", "is not a .pem file"),
    ],
)
def test_look_alike_certificate_urls_are_refused(url: str, why: str) -> None:
    with pytest.raises(NotAuthentic, match=why.replace(".", r"\.")):
        signed.check_signing_cert_url(url)


def test_a_message_naming_a_look_alike_certificate_url_is_refused() -> None:
    envelope = _envelope(
        _ses("ses_bounce.json"),
        SigningCertURL="https://sns.us-east-1.amazonaws.com.evil.example/c.pem",
    )
    with pytest.raises(NotAuthentic, match="not on an Amazon SNS host"):
        _verify(SIGNER.sign(envelope, "2"))
