"""SendGrid's Event Webhook: a JSON array of events; custom args merged into each event."""

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
    check_body_size,
    event_list,
    parse_json,
)
from shared.contracts.users import BounceKind

# SendGrid posts a batch "within approximately 30 seconds or when the batch size reaches
# 768 kilobytes" (Event Webhook docs); its smallest events are about 250 bytes, so 768 KB
# holds some 3,100 of them. The limits leave room above both.
MAX_BODY_BYTES = 1024 * 1024
MAX_EVENTS = 5000

# `dropped` reasons that say something about the address; the others (unsubscribed,
# spam content, quota, invalid SMTPAPI header) are about the message or the account.
_DROPPED = {
    "bounced address": NoticeType.BOUNCED,
    "invalid": NoticeType.BOUNCED,
    "spam reporting address": NoticeType.COMPLAINED,
}


def parse(body: bytes) -> list[ParseResult]:
    check_body_size(body, MAX_BODY_BYTES)
    events = event_list(parse_json(body), limit=MAX_EVENTS, single_allowed=False)
    return [_result(event) for event in events]


def _notice_type(event: Fields, name: str) -> tuple[NoticeType, BounceKind | None] | str:
    """What the event means, or why it is ignored."""
    if name == "bounce":
        blocked = event.optional_text("type") == "blocked"  # temporary; "bounce": permanent
        return NoticeType.BOUNCED, BounceKind.SOFT if blocked else BounceKind.HARD
    if name == "dropped":
        reason = (event.optional_text("reason") or "").lower()
        found = _DROPPED.get(reason)
        if found is None:
            return f"dropped for a reason that says nothing about the address: {reason!r}"
        return found, BounceKind.HARD if found is NoticeType.BOUNCED else None
    if name == "spamreport":
        return NoticeType.COMPLAINED, None
    if name == "delivered":
        return NoticeType.DELIVERED, None
    return "not an event the platform acts on"


def _tags(event: Fields) -> ProviderTags:
    """Custom args come merged into the event; older senders' `unique_args` may also come
    as an object of their own."""
    nested = event.data.get("unique_args") or event.data.get("custom_args")
    values = nested if isinstance(nested, dict) else {}
    return ProviderTags.from_values({**values, **event.data})


def _result(event: Fields) -> ParseResult:
    name = event.text("event")
    event_id = event.text("sg_event_id")
    meaning = _notice_type(event, name)
    if isinstance(meaning, str):
        return Ignored(Provider.SENDGRID, name, meaning, event_id)
    notice_type, kind = meaning
    return Notice(
        provider=Provider.SENDGRID,
        provider_event_id=event_id,
        type=notice_type,
        recipient=event.address("email"),
        occurred_at=event.unix_time("timestamp"),
        bounce_kind=kind,
        reason=event.optional_text("reason") or event.optional_text("response"),
        smtp_status=event.optional_text("status"),
        message_id=event.optional_text("smtp-id"),
        provider_message_id=event.optional_text("sg_message_id"),
        tags=_tags(event),
    )
