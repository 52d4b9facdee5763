"""E-mail providers as they post to the bounces service: each provider's documented payload
(tests/unit/bounces/payloads) with the recipient, ids, tags and time a test needs, signed
the way that provider signs, with keys made here."""

import base64
import json
import random
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from standardwebhooks.webhooks import Webhook

from tests.unit.bounces.keys import SendGridKey, SnsSigner, mailgun_body, payload, unix

TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:ses-notifications"
CERT_URL = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0123456789abcdef.pem"


class What(StrEnum):
    """What the provider reports."""

    HARD_BOUNCE = "hard_bounce"
    SOFT_BOUNCE = "soft_bounce"
    COMPLAINT = "complaint"
    DELIVERED = "delivered"
    IGNORED = "ignored"  # an event the platform does not act on (an open, a deferral)


@dataclass(frozen=True)
class Report:
    """One event about one message to one recipient."""

    what: What
    address: str
    message_id: str | None = None  # ours, as we sent it: <id@host>
    tags: dict[str, str] | None = None  # the X-LMS-* tags: tenant_id, user_id, invitation_id
    event_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    occurred_at: datetime = field(default_factory=lambda: datetime.now(UTC))


def tags_of(tenant_id: uuid.UUID, user_id: uuid.UUID, invitation_id: uuid.UUID) -> dict[str, str]:
    return {
        "tenant_id": str(tenant_id),
        "user_id": str(user_id),
        "invitation_id": str(invitation_id),
        "kind": "invitation",
    }


@dataclass(frozen=True)
class Signed:
    body: bytes
    headers: dict[str, str]


def _document(name: str) -> Any:
    return json.loads(payload(name))


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# SendGrid: a JSON array of events, custom args merged into each; ECDSA over timestamp+body.


def sendgrid_event(report: Report) -> dict[str, Any]:
    bounce: dict[str, Any] = _document("sendgrid_bounce.json")[0]
    others: list[dict[str, Any]] = _document("sendgrid_dropped_delivered_deferred_spamreport.json")
    delivered, deferred, spam = others[1:]
    documented = {
        What.HARD_BOUNCE: bounce,
        What.SOFT_BOUNCE: {**bounce, "type": "blocked", "reason": "452 4.2.2 mailbox full"},
        What.COMPLAINT: spam,
        What.DELIVERED: delivered,
        What.IGNORED: deferred,
    }[report.what]
    event = {
        **documented,
        "email": report.address,
        "timestamp": int(report.occurred_at.timestamp()),
        "sg_event_id": report.event_id,
        **(report.tags or {}),
    }
    if report.message_id:
        event["smtp-id"] = report.message_id
    else:
        event.pop("smtp-id", None)
    return event


def sendgrid_request(
    reports: Sequence[Report], key: SendGridKey, *, signed_at: datetime | None = None
) -> Signed:
    body = json.dumps([sendgrid_event(r) for r in reports]).encode()
    timestamp = unix(signed_at or datetime.now(UTC))
    return Signed(
        body,
        {
            "Content-Type": "application/json",
            "X-Twilio-Email-Event-Webhook-Signature": key.sign(timestamp, body),
            "X-Twilio-Email-Event-Webhook-Timestamp": timestamp,
        },
    )


# Mailgun: one event per request, the signature (HMAC of timestamp+token) in the body.


def mailgun_event(report: Report) -> dict[str, Any]:
    event: dict[str, Any] = _document("mailgun_failed_permanent.json")["event-data"]
    event.update(
        recipient=report.address,
        timestamp=report.occurred_at.timestamp(),
        id=report.event_id,
    )
    event["message"]["headers"]["to"] = report.address
    if report.message_id:  # Mailgun gives it without the angle brackets
        event["message"]["headers"]["message-id"] = report.message_id.strip("<>")
    else:
        del event["message"]["headers"]["message-id"]
    if report.tags:
        event["user-variables"] = report.tags
    status = event["delivery-status"]
    if report.what is What.SOFT_BOUNCE:  # retries used up, no 5xx: permanent but soft
        event["reason"] = "generic"
        status.update(code=452, message="4.2.2 The email account is over quota")
    elif report.what is What.COMPLAINT:
        event.update(event="complained", severity=None, reason=None)
    elif report.what is What.DELIVERED:
        event.update(event="delivered", severity=None, reason=None)
        status.update(code=250, message="OK")
    elif report.what is What.IGNORED:
        event.update(event="opened", severity=None, reason=None)
    return {k: v for k, v in event.items() if v is not None}


def mailgun_request(
    report: Report, signing_key: str, *, signed_at: datetime | None = None
) -> Signed:
    body = mailgun_body(mailgun_event(report), signing_key, unix(signed_at or datetime.now(UTC)))
    return Signed(body, {"Content-Type": "application/json"})


# Postmark: one record per request; HTTP basic credentials (from the webhook's URL).


def postmark_record(report: Report) -> dict[str, Any]:
    if report.what is What.DELIVERED:
        record: dict[str, Any] = _document("postmark_delivery.json")
        record.update(Recipient=report.address, DeliveredAt=_iso(report.occurred_at))
        record["MessageID"] = report.event_id  # a delivery's only id is its message's
    else:
        name = (
            "postmark_spam_complaint.json"
            if report.what is What.COMPLAINT
            else ("postmark_bounce.json")
        )
        record = _document(name)
        record.update(
            Email=report.address,
            BouncedAt=_iso(report.occurred_at),
            ID=int(report.event_id) if report.event_id.isdigit() else report.event_id,
        )
        record.setdefault("RecordType", "Bounce")
    if report.what is What.SOFT_BOUNCE:
        record.update(Type="SoftBounce", TypeCode=4096, Inactive=False)
    elif report.what is What.IGNORED:
        record = {"RecordType": "Open", "MessageID": report.event_id, "Recipient": report.address}
    record["Metadata"] = report.tags or {}
    return record


def postmark_request(report: Report, username: str, password: str) -> Signed:
    credentials = base64.b64encode(f"{username}:{password}".encode()).decode()
    body = json.dumps(postmark_record(report)).encode()
    return Signed(
        body, {"Content-Type": "application/json", "Authorization": f"Basic {credentials}"}
    )


def mailgun_event_id(report: Report) -> str:
    """The key the service de-duplicates a Mailgun event on (its id is unique per day)."""
    return f"{report.event_id}:{report.occurred_at.timestamp():.6f}"


def postmark_event_id(report: Report) -> str:
    """The key the service de-duplicates a Postmark record on."""
    kind = {What.DELIVERED: "Delivery", What.COMPLAINT: "SpamComplaint"}.get(report.what, "Bounce")
    return f"{kind}:{report.event_id}:{report.address}"


# Amazon SES through SNS: the SES notification as a string in a signed SNS envelope.


def ses_message(reports: Sequence[Report]) -> dict[str, Any]:
    """One SES notification: one message, one type, one or several recipients."""
    first = reports[0]
    mail = _document("ses_bounce.json")["mail"]
    headers = [{"name": "Subject", "value": "Invitation"}]
    if first.message_id:
        headers.append({"name": "Message-ID", "value": first.message_id})
        mail["commonHeaders"]["messageId"] = first.message_id
    else:
        del mail["commonHeaders"]["messageId"]
    for header, tag in (("X-LMS-Tenant", "tenant_id"), ("X-LMS-User", "user_id")):
        if first.tags:
            headers.append({"name": header, "value": first.tags[tag]})
    if first.tags:
        headers.append({"name": "X-LMS-Invitation", "value": first.tags["invitation_id"]})
    mail.update(headers=headers, destination=[r.address for r in reports])
    when = _iso(first.occurred_at)
    if first.what in (What.HARD_BOUNCE, What.SOFT_BOUNCE):
        bounce = _document("ses_bounce.json")["bounce"]
        recipient = bounce["bouncedRecipients"][0]
        bounce.update(
            bounceType="Permanent" if first.what is What.HARD_BOUNCE else "Transient",
            bouncedRecipients=[{**recipient, "emailAddress": r.address} for r in reports],
            timestamp=when,
            feedbackId=first.event_id,
        )
        return {"notificationType": "Bounce", "bounce": bounce, "mail": mail}
    if first.what is What.COMPLAINT:
        complaint = _document("ses_complaint.json")["complaint"]
        complaint.update(
            complainedRecipients=[{"emailAddress": r.address} for r in reports],
            timestamp=when,
            feedbackId=first.event_id,
        )
        return {"notificationType": "Complaint", "complaint": complaint, "mail": mail}
    if first.what is What.DELIVERED:
        delivery = _document("ses_delivery.json")["delivery"]
        delivery.update(recipients=[r.address for r in reports], timestamp=when)
        return {"notificationType": "Delivery", "delivery": delivery, "mail": mail}
    return {"eventType": "Open", "open": {"timestamp": when}, "mail": mail}


def sns_envelope(message: str, message_id: str, sent_at: datetime) -> dict[str, str]:
    envelope: dict[str, str] = _document("sns_notification.json")
    envelope.update(
        MessageId=message_id,
        TopicArn=TOPIC_ARN,
        Message=message,
        Timestamp=_iso(sent_at),
        SigningCertURL=CERT_URL,
    )
    return envelope


def sns_request(envelope: dict[str, str], signer: SnsSigner, version: str = "1") -> Signed:
    signed = signer.sign(envelope, version)
    return Signed(
        json.dumps(signed).encode(),
        {
            "Content-Type": "text/plain; charset=UTF-8",
            "x-amz-sns-message-type": signed["Type"],
            "x-amz-sns-message-id": signed["MessageId"],
            "x-amz-sns-topic-arn": signed["TopicArn"],
        },
    )


def ses_request(
    reports: Sequence[Report],
    signer: SnsSigner,
    *,
    version: str = "1",
    signed_at: datetime | None = None,
) -> Signed:
    """SNS's MessageId is the first report's event id: a delivery's key is built on it."""
    message = json.dumps(ses_message(reports))
    envelope = sns_envelope(message, reports[0].event_id, signed_at or datetime.now(UTC))
    return sns_request(envelope, signer, version)


def ses_event_id(report: Report, first: Report | None = None) -> str:
    return f"{(first or report).event_id}:{report.address}"


def subscription_confirmation(subscribe_url: str, signer: SnsSigner, version: str = "1") -> Signed:
    """What SNS posts when the topic subscribes this endpoint (SNS's documented fields)."""
    token = secrets.token_hex(64)
    envelope = {
        "Type": "SubscriptionConfirmation",
        "MessageId": str(uuid.uuid4()),
        "Token": token,
        "TopicArn": TOPIC_ARN,
        "Message": f"You have chosen to subscribe to the topic {TOPIC_ARN}.\n"
        "To confirm the subscription, visit the SubscribeURL included in this message.",
        "SubscribeURL": subscribe_url,
        "Timestamp": _iso(datetime.now(UTC)),
        "SigningCertURL": CERT_URL,
    }
    return sns_request(envelope, signer, version)


# generic: our documented format (services/bounces/domain/providers/generic.py), signed
# with Standard Webhooks.


def generic_event(report: Report) -> dict[str, Any]:
    kinds = {What.HARD_BOUNCE: "hard", What.SOFT_BOUNCE: "soft"}
    data: dict[str, Any] = {"email": report.address, "reason": "550 5.1.1 user unknown"}
    if report.what in kinds:
        data.update(bounce_kind=kinds[report.what], smtp_status="5.1.1")
    if report.message_id:
        data["message_id"] = report.message_id
    if report.tags:
        data["tags"] = report.tags
    event_type = {
        What.HARD_BOUNCE: "email.bounced",
        What.SOFT_BOUNCE: "email.bounced",
        What.COMPLAINT: "email.complained",
        What.DELIVERED: "email.delivered",
        What.IGNORED: "email.opened",
    }[report.what]
    return {
        "id": report.event_id,
        "type": event_type,
        "timestamp": _iso(report.occurred_at),
        "data": data,
    }


def generic_request(
    reports: Sequence[Report], secret: str, *, signed_at: datetime | None = None
) -> Signed:
    events = [generic_event(r) for r in reports]
    body = json.dumps(events[0] if len(events) == 1 else events).encode()
    moment = signed_at or datetime.now(UTC)
    message_id = f"msg_{uuid.uuid4().hex}"
    signature = Webhook(secret).sign(message_id, moment, body.decode())
    return Signed(
        body,
        {
            "Content-Type": "application/json",
            "webhook-id": message_id,
            "webhook-timestamp": unix(moment),
            "webhook-signature": signature,
        },
    )


def new_generic_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


@dataclass(frozen=True)
class ProviderSecrets:
    """Every provider's keys for one test run: two of each (a rotation in progress) and a
    stranger's, which the service must refuse."""

    sendgrid: tuple[SendGridKey, SendGridKey]
    sendgrid_stranger: SendGridKey
    mailgun: tuple[str, str]
    postmark_user: str
    postmark_passwords: tuple[str, str]
    sns: tuple[SnsSigner, SnsSigner]
    sns_stranger: SnsSigner
    generic: tuple[str, str]
    generic_stranger: str

    @classmethod
    def new(cls) -> "ProviderSecrets":
        valid_from = datetime.now(UTC) - timedelta(days=1)
        return cls(
            sendgrid=(SendGridKey.new(), SendGridKey.new()),
            sendgrid_stranger=SendGridKey.new(),
            mailgun=(f"key-{secrets.token_hex(16)}", f"key-{secrets.token_hex(16)}"),
            postmark_user="postmark",
            postmark_passwords=(secrets.token_urlsafe(16), secrets.token_urlsafe(16)),
            sns=(SnsSigner.new(valid_from=valid_from), SnsSigner.new(valid_from=valid_from)),
            sns_stranger=SnsSigner.new(valid_from=valid_from),
            generic=(new_generic_secret(), new_generic_secret()),
            generic_stranger=new_generic_secret(),
        )

    def environment(self, certificate_file: Path) -> dict[str, Any]:
        """The service's settings for these secrets (both of each pair accepted)."""
        certificate_file.write_bytes(b"".join(s.pem for s in self.sns))
        return {
            "sendgrid_verification_key": ",".join(k.console_text for k in self.sendgrid),
            "mailgun_signing_key": ",".join(self.mailgun),
            "postmark_webhook_username": self.postmark_user,
            "postmark_webhook_password": ",".join(self.postmark_passwords),
            "sns_topic_arns": TOPIC_ARN,
            "sns_certificate_file": certificate_file,
            "generic_webhook_secret": ",".join(self.generic),
        }


def postmark_id() -> str:
    """Postmark's bounce ids are integers."""
    return str(random.randrange(10**9, 10**10))
