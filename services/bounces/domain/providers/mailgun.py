"""Mailgun webhooks: one JSON object per request, `{"signature": ..., "event-data": ...}`."""

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

# One event per request. An event carries the message's headers, never its body.
MAX_BODY_BYTES = 256 * 1024
MAX_EVENTS = 1

# Observed `reason` values of permanent failures (Mailgun documents none of them).
_HARD_REASONS = {"bounce", "suppress-bounce"}
_COMPLAINT_REASONS = {"suppress-complaint"}
_IGNORED_REASONS = {"suppress-unsubscribe"}  # the recipient opted out: the address is fine


def parse(body: bytes) -> list[ParseResult]:
    check_body_size(body, MAX_BODY_BYTES)
    document = as_object(parse_json(body), "$")
    return [_result(document)]


def event_id(document: Fields, data: Fields) -> str:
    """`event-data.id` is "only guaranteed to be unique during a single day": with the
    event's timestamp it is stable across retries. The signature's token is the fallback."""
    if data.has("id"):
        return f"{data.text('id')}:{data.number('timestamp'):.6f}"
    signature = document.optional_object("signature")
    token = signature.optional_text("token") if signature else None
    if token is None:
        raise MalformedNotice(data.at("id"), "required (or $.signature.token)")
    return token


def _failure(data: Fields, code: float | None) -> tuple[NoticeType, BounceKind | None] | str:
    if data.optional_text("severity") != "permanent":
        return "a temporary failure: Mailgun is still retrying"
    reason = data.optional_text("reason") or ""
    if reason in _IGNORED_REASONS:
        return f"a permanent failure for reason {reason!r}, which says nothing about the address"
    if reason in _COMPLAINT_REASONS:
        return NoticeType.COMPLAINED, None
    hard = reason in _HARD_REASONS or (code is not None and 500 <= code < 600)
    return NoticeType.BOUNCED, BounceKind.HARD if hard else BounceKind.SOFT


def _meaning(
    data: Fields, name: str, code: float | None
) -> tuple[NoticeType, BounceKind | None] | str:
    if name == "failed":
        return _failure(data, code)
    if name == "complained":
        return NoticeType.COMPLAINED, None
    if name == "delivered":
        return NoticeType.DELIVERED, None
    return "not an event the platform acts on"


def _message_id(data: Fields) -> str | None:
    message = data.optional_object("message")
    headers = message.optional_object("headers") if message else None
    return headers.optional_text("message-id") if headers else None


def _tags(data: Fields) -> ProviderTags:
    variables = data.optional_object("user-variables")
    return ProviderTags.from_values(variables.data) if variables else ProviderTags()


def _result(document: Fields) -> ParseResult:
    data = document.object("event-data")
    name = data.text("event")
    status = data.optional_object("delivery-status")
    code = status.optional_number("code") if status else None
    meaning = _meaning(data, name, code)
    if isinstance(meaning, str):
        return Ignored(Provider.MAILGUN, name, meaning, event_id(document, data))
    notice_type, kind = meaning
    diagnostic = status.optional_text("message") if status else None
    description = status.optional_text("description") if status else None
    message_id = _message_id(data)
    return Notice(
        provider=Provider.MAILGUN,
        provider_event_id=event_id(document, data),
        type=notice_type,
        recipient=data.address("recipient"),
        occurred_at=data.unix_time("timestamp"),
        bounce_kind=kind,
        reason=diagnostic or description or data.optional_text("reason"),
        smtp_status=enhanced_status(diagnostic or description)
        or (f"{code:.0f}" if code is not None else None),
        message_id=message_id,
        provider_message_id=message_id,
        tags=_tags(data),
    )
