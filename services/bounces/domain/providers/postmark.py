"""Postmark's bounce, spam complaint and delivery webhooks: one JSON object per request."""

from services.bounces.domain.errors import MalformedNotice
from services.bounces.domain.notices import (
    Ignored,
    Notice,
    NoticeType,
    ParseResult,
    Provider,
    ProviderTags,
)
from services.bounces.domain.payload import Fields, as_object, check_body_size, parse_json
from services.bounces.domain.smtp import enhanced_status
from shared.contracts.users import BounceKind

# One record per request; a bounce may carry the returned message's dump (`Content`).
MAX_BODY_BYTES = 1024 * 1024
MAX_EVENTS = 1

# Bounce `Type`s (postmark.js BounceTypeCode). The rest (AutoResponder, AddressChange,
# Subscribe, Unsubscribe, ChallengeVerification, OpenRelayTest...) say nothing about
# whether the address works.
_HARD = {"HardBounce", "BadEmailAddress"}
_SOFT = {
    "SoftBounce",
    "Transient",
    "DnsError",
    "SpamNotification",
    "Blocked",
    "VirusNotification",
    "DMARCPolicy",
    "Unknown",
}


def parse(body: bytes) -> list[ParseResult]:
    check_body_size(body, MAX_BODY_BYTES)
    return [_result(as_object(parse_json(body), "$"))]


def _record_type(record: Fields) -> str:
    """The webhook example of Postmark's site leaves `RecordType` out of a bounce."""
    if not record.has("RecordType") and record.has("BouncedAt") and record.has("Type"):
        return "Bounce"
    return record.text("RecordType")


def _bounce_kind(record: Fields) -> BounceKind | str:
    bounce_type = record.text("Type")
    if bounce_type in _HARD or record.boolean("Inactive"):
        return BounceKind.HARD  # Postmark refuses further sends to an inactive address
    if bounce_type in _SOFT:
        return BounceKind.SOFT
    return f"a {bounce_type} bounce says nothing about the address"


def _meaning(record: Fields, record_type: str) -> tuple[NoticeType, BounceKind | None] | str:
    if record_type == "SpamComplaint" or (
        record_type == "Bounce" and record.optional_text("Type") == "SpamComplaint"
    ):
        return NoticeType.COMPLAINED, None
    if record_type == "Bounce":
        kind = _bounce_kind(record)
        return (NoticeType.BOUNCED, kind) if isinstance(kind, BounceKind) else kind
    if record_type == "Delivery":
        return NoticeType.DELIVERED, None
    return "not an event the platform acts on"


def _tags(record: Fields) -> ProviderTags:
    metadata = record.optional_object("Metadata")
    return ProviderTags.from_values(metadata.data) if metadata else ProviderTags()


def _recipient_key(record: Fields) -> str:
    """Delivery records say `Recipient`, bounces and complaints `Email`."""
    if record.has("Email"):
        return "Email"
    if record.has("Recipient"):
        return "Recipient"
    raise MalformedNotice(record.at("Email"), "required (or $.Recipient)")


def _result(record: Fields) -> ParseResult:
    record_type = _record_type(record)
    meaning = _meaning(record, record_type)
    message_id = record.text("MessageID")
    record_id = record.optional_identifier("ID")
    if isinstance(meaning, str):
        return Ignored(Provider.POSTMARK, record_type, meaning, record_id)
    notice_type, kind = meaning
    key = _recipient_key(record)
    recipient = record.address(key)
    delivered = notice_type is NoticeType.DELIVERED
    details = record.optional_text("Details")
    return Notice(
        provider=Provider.POSTMARK,
        # Delivery records have no ID of their own.
        provider_event_id=f"{record_type}:{record_id or message_id}:{recipient}",
        type=notice_type,
        recipient=recipient,
        occurred_at=record.iso_time("DeliveredAt" if delivered else "BouncedAt"),
        bounce_kind=kind,
        reason=details or record.optional_text("Description"),
        smtp_status=enhanced_status(details),
        provider_message_id=message_id,
        tags=_tags(record),
    )
