"""The API's answers, and the shaping of what a use case read into them."""

from datetime import datetime

from pydantic import BaseModel, Field

from services.invitations.domain.suppression import SuppressionCause, SuppressionRecord
from shared.errors import Malformed
from shared.schemas import as_utc, decode_cursor, encode_cursor


class SourceEvent(BaseModel):
    id: str = Field(description="The CloudEvent id of the `email.*` event that listed it.")
    type: str = Field(description="`email.bounced` or `email.complained`.")
    provider: str | None
    provider_event_id: str | None = Field(description="The provider's own id of the notice.")


class SuppressionOut(BaseModel):
    email: str
    kind: SuppressionCause = Field(
        description="`hard_bounce`, `soft_bounces` (3 in a row) or `complaint`."
    )
    reason: str = Field(description="What the provider said (SMTP reply, feedback type).")
    occurred_at: datetime = Field(description="When the notice that listed it happened.")
    created_at: datetime = Field(description="When the address was first listed.")
    source_event: SourceEvent | None = Field(
        description="The notice that listed it (null for addresses listed before 0003)."
    )


class SuppressionPage(BaseModel):
    items: list[SuppressionOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page.")


def suppression_out(record: SuppressionRecord) -> SuppressionOut:
    source = None
    if record.source_event_id is not None:
        source = SourceEvent(
            id=record.source_event_id,
            type=record.source_event_type or "",
            provider=record.provider,
            provider_event_id=record.provider_event_id,
        )
    return SuppressionOut(
        email=record.email_normalized,
        kind=record.cause,
        reason=record.detail,
        occurred_at=record.since,
        created_at=record.created_at,
        source_event=source,
    )


def suppression_cursor(record: SuppressionRecord) -> str:
    return encode_cursor({"t": record.created_at.isoformat(), "e": record.email_normalized})


def suppression_position(cursor: str | None) -> tuple[datetime, str] | None:
    if not cursor:
        return None
    data = decode_cursor(cursor)
    try:
        email = data["e"]
        if not isinstance(email, str) or "\x00" in email:
            raise TypeError("email")
        return as_utc(datetime.fromisoformat(data["t"])), email
    except (KeyError, TypeError, ValueError, OverflowError):
        raise Malformed("The cursor is not valid; start again from the first page.") from None
