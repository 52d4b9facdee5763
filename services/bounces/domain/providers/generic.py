"""Our own format, for a relay or provider not listed, signed with Standard Webhooks.

The body is one event or a JSON array of them (at most `MAX_EVENTS`), each shaped as the
Standard Webhooks spec recommends (`type`, `timestamp`, `data`) plus an `id`:

    {
      "id": "evt_2Hq9c1",                     required; unique per sender: the de-duplication key
      "type": "email.bounced",                email.bounced | email.complained | email.delivered;
                                              any other type is acknowledged and ignored
      "timestamp": "2026-03-01T12:00:00Z",    required; when it happened (ISO 8601 with offset)
      "data": {
        "email": "zoe@example.com",           required; the recipient
        "bounce_kind": "hard",                bounces: hard | soft | undetermined (required)
        "reason": "550 5.1.1 user unknown",   optional, shown to the admin
        "smtp_status": "5.1.1",               optional
        "message_id": "<a1b2@learn.example.com>",  optional; the Message-ID we sent
        "provider_message_id": "0102018e...", optional; the relay's own id for the message
        "feedback_type": "abuse",             optional; complaints
        "tags": {"tenant_id": "...", "user_id": "...", "invitation_id": "...", "kind": "invitation"}
      }                                       optional tags: the X-LMS-* headers of the e-mail
    }
"""

from services.bounces.domain.errors import MalformedNotice
from services.bounces.domain.notices import (
    Ignored,
    Notice,
    NoticeType,
    ParseResult,
    Provider,
    ProviderTags,
)
from services.bounces.domain.payload import Fields, check_body_size, event_list, parse_json
from shared.contracts.users import BounceKind

MAX_BODY_BYTES = 1024 * 1024
MAX_EVENTS = 1000

TYPES = {
    "email.bounced": NoticeType.BOUNCED,
    "email.complained": NoticeType.COMPLAINED,
    "email.delivered": NoticeType.DELIVERED,
}


def parse(body: bytes) -> list[ParseResult]:
    check_body_size(body, MAX_BODY_BYTES)
    events = event_list(parse_json(body), limit=MAX_EVENTS, single_allowed=True)
    return [_result(event) for event in events]


def _bounce_kind(data: Fields) -> BounceKind:
    value = data.text("bounce_kind")
    try:
        return BounceKind(value)
    except ValueError:
        allowed = ", ".join(kind.value for kind in BounceKind)
        raise MalformedNotice(
            data.at("bounce_kind"), f"{value!r} is not one of {allowed}"
        ) from None


def _result(event: Fields) -> ParseResult:
    event_id = event.text("id")
    name = event.text("type")
    notice_type = TYPES.get(name)
    if notice_type is None:
        return Ignored(Provider.GENERIC, name, "not an event the platform acts on", event_id)
    data = event.object("data")
    tags = data.optional_object("tags")
    bounced = notice_type is NoticeType.BOUNCED
    return Notice(
        provider=Provider.GENERIC,
        provider_event_id=event_id,
        type=notice_type,
        recipient=data.address("email"),
        occurred_at=event.iso_time("timestamp"),
        bounce_kind=_bounce_kind(data) if bounced else None,
        reason=data.optional_text("reason"),
        smtp_status=data.optional_text("smtp_status"),
        message_id=data.optional_text("message_id"),
        provider_message_id=data.optional_text("provider_message_id"),
        feedback_type=data.optional_text("feedback_type"),
        tags=ProviderTags.from_values(tags.data) if tags else ProviderTags(),
    )
