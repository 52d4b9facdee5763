"""Amazon SES notifications (the identity "Notification" shape and the configuration set
"event publishing" shape), as delivered by SNS."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from services.bounces.domain.notices import (
    Ignored,
    Notice,
    NoticeType,
    ParseResult,
    Provider,
    ProviderTags,
)
from services.bounces.domain.payload import (
    Fields,
    address_at,
    as_object,
    check_event_count,
    parse_json,
)
from services.bounces.domain.providers.sns import SnsEnvelope, parse_envelope
from services.bounces.domain.smtp import enhanced_status
from shared.contracts.users import BounceKind

MAX_BODY_BYTES = 512 * 1024
# One notification covers the recipients of one message; SES takes at most 50 per message.
MAX_EVENTS = 50

# What SES sends on a topic just after it is subscribed (anymail ignores it too).
VALIDATION_MESSAGE = "Successfully validated SNS topic for Amazon SES event publishing."

_BOUNCE_KINDS = {
    "Permanent": BounceKind.HARD,
    "Transient": BounceKind.SOFT,
    "Undetermined": BounceKind.UNDETERMINED,
}
# The X-LMS-* headers invitations adds (seen when "include original headers" is on).
_TAG_HEADERS = {
    "x-lms-tenant": "tenant_id",
    "x-lms-user": "user_id",
    "x-lms-invitation": "invitation_id",
    "x-lms-mail-kind": "kind",
}


def parse(body: bytes) -> list[ParseResult]:
    return notices(parse_envelope(body))


def notices(envelope: SnsEnvelope) -> list[ParseResult]:
    """The notices of an SNS message already checked as authentic."""
    if not envelope.is_notification:
        why = "an SNS subscription message, not an SES notification"
        return [Ignored(Provider.SES, envelope.type.value, why, envelope.message_id)]
    if envelope.message.strip() == VALIDATION_MESSAGE:
        why = "SES checking that it can publish to the topic"
        return [Ignored(Provider.SES, "validation", why, envelope.message_id)]
    ses = as_object(parse_json(envelope.message, "$.Message"), "$.Message")
    event_type = ses.optional_text("eventType") or ses.text("notificationType")
    if event_type not in ("Bounce", "Complaint", "Delivery"):
        why = "not an event the platform acts on"
        return [Ignored(Provider.SES, event_type, why, envelope.message_id)]
    return list(_recipients(ses, event_type, envelope))


def _headers(mail: Fields) -> dict[str, str]:
    if not mail.has("headers"):
        return {}
    found: dict[str, str] = {}
    for header in mail.objects("headers"):
        found.setdefault(header.text("name").lower(), header.optional_text("value") or "")
    return found


def _tags(mail: Fields, headers: dict[str, str]) -> ProviderTags:
    """Event publishing gives the message tags (each a list of values); otherwise the
    tags come from our own headers, when SES includes the original headers."""
    tags = mail.optional_object("tags")
    if tags is not None:
        values = {k: v[0] for k, v in tags.data.items() if isinstance(v, list) and v}
        found = ProviderTags.from_values(values)
        if not found.empty:
            return found
    return ProviderTags.from_values(
        {tag: headers[h] for h, tag in _TAG_HEADERS.items() if h in headers}
    )


def _message_id(mail: Fields, headers: dict[str, str]) -> str | None:
    common = mail.optional_object("commonHeaders")
    from_common = common.optional_text("messageId") if common else None
    return from_common or headers.get("message-id")


@dataclass(frozen=True)
class _Mail:
    """What every recipient's notice says about the message."""

    message_id: str | None
    provider_message_id: str
    tags: ProviderTags

    def notice(
        self,
        event_id: str,
        notice_type: NoticeType,
        recipient: str,
        occurred_at: datetime,
        *,
        bounce_kind: BounceKind | None = None,
        reason: str | None = None,
        smtp_status: str | None = None,
        feedback_type: str | None = None,
    ) -> Notice:
        return Notice(
            provider=Provider.SES,
            provider_event_id=event_id,
            type=notice_type,
            recipient=recipient,
            occurred_at=occurred_at,
            bounce_kind=bounce_kind,
            reason=reason,
            smtp_status=smtp_status,
            message_id=self.message_id,
            provider_message_id=self.provider_message_id,
            feedback_type=feedback_type,
            tags=self.tags,
        )


def _recipients(ses: Fields, event_type: str, envelope: SnsEnvelope) -> Iterator[Notice]:
    mail = ses.object("mail")
    headers = _headers(mail)
    common = _Mail(_message_id(mail, headers), mail.text("messageId"), _tags(mail, headers))
    if event_type == "Bounce":
        yield from _bounces(ses.object("bounce"), common)
    elif event_type == "Complaint":
        yield from _complaints(ses.object("complaint"), envelope, common)
    else:
        yield from _deliveries(ses.object("delivery"), envelope, common)


def _bounces(bounce: Fields, common: _Mail) -> Iterator[Notice]:
    bounce_type = bounce.text("bounceType")
    subtype = bounce.optional_text("bounceSubType")
    kind = _BOUNCE_KINDS.get(bounce_type, BounceKind.UNDETERMINED)  # SES may add types
    recipients = list(bounce.objects("bouncedRecipients"))
    check_event_count(len(recipients), MAX_EVENTS)
    feedback_id = bounce.text("feedbackId")
    occurred_at = bounce.iso_time("timestamp")
    for recipient in recipients:
        address = recipient.address("emailAddress")
        diagnostic = recipient.optional_text("diagnosticCode")
        yield common.notice(
            f"{feedback_id}:{address}",
            NoticeType.BOUNCED,
            address,
            occurred_at,
            bounce_kind=kind,
            reason=diagnostic or "/".join(filter(None, (bounce_type, subtype))),
            smtp_status=recipient.optional_text("status") or enhanced_status(diagnostic),
        )


def _complaints(complaint: Fields, envelope: SnsEnvelope, common: _Mail) -> Iterator[Notice]:
    recipients = list(complaint.objects("complainedRecipients"))
    check_event_count(len(recipients), MAX_EVENTS)
    feedback_id = complaint.optional_text("feedbackId") or envelope.message_id
    has_time = complaint.has("timestamp")
    occurred_at = complaint.iso_time("timestamp") if has_time else envelope.sent_at
    feedback_type = complaint.optional_text("complaintFeedbackType")
    for recipient in recipients:
        address = recipient.address("emailAddress")
        yield common.notice(
            f"{feedback_id}:{address}",
            NoticeType.COMPLAINED,
            address,
            occurred_at,
            reason=complaint.optional_text("complaintSubType"),
            feedback_type=feedback_type,
        )


def _deliveries(delivery: Fields, envelope: SnsEnvelope, common: _Mail) -> Iterator[Notice]:
    recipients = list(delivery.texts("recipients"))
    check_event_count(len(recipients), MAX_EVENTS)
    occurred_at = delivery.iso_time("timestamp")
    response = delivery.optional_text("smtpResponse")
    for path, raw in recipients:
        address = address_at(raw, path)
        yield common.notice(
            f"{envelope.message_id}:{address}",
            NoticeType.DELIVERED,
            address,
            occurred_at,
            reason=response,
            smtp_status=enhanced_status(response),
        )
