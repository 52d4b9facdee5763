"""The `email.*` events a matched notice becomes."""

from typing import Any

from services.bounces.domain.matching import Match, MatchedBy
from services.bounces.domain.notices import Notice, NoticeType
from shared.contracts import CloudEvent, new_event
from shared.contracts.email import (
    EMAIL_BOUNCED,
    EMAIL_COMPLAINED,
    EMAIL_DELIVERED,
    EmailBounced,
    EmailComplained,
    EmailDelivered,
)

SOURCE = "/services/bounces"


def _our_message_id(notice: Notice, match: Match) -> str | None:
    """The notice's own, else the one of the message the tags found. An address match is
    a guess about which message it was: no Message-ID is claimed for it."""
    if notice.message_id is not None:
        return notice.message_id
    return match.message.message_id if match.by is not MatchedBy.ADDRESS else None


def email_event(notice: Notice, match: Match) -> CloudEvent[Any]:
    """The tenant and the user are the matched message's, never the request's."""
    common: dict[str, Any] = {
        "provider": notice.provider.value,
        "provider_event_id": notice.provider_event_id,
        "email": notice.recipient,
        "message_id": _our_message_id(notice, match),
        "user_id": match.user_id,
        "occurred_at": notice.occurred_at,
    }
    data: EmailBounced | EmailComplained | EmailDelivered
    if notice.type is NoticeType.BOUNCED:
        assert notice.bounce_kind is not None
        reason = notice.reason or f"{notice.bounce_kind.value} bounce (no reason given)"
        data = EmailBounced(
            **common, kind=notice.bounce_kind, reason=reason, smtp_status=notice.smtp_status
        )
        event_type = EMAIL_BOUNCED
    elif notice.type is NoticeType.COMPLAINED:
        data = EmailComplained(**common, feedback_type=notice.feedback_type)
        event_type = EMAIL_COMPLAINED
    else:
        data = EmailDelivered(**common)
        event_type = EMAIL_DELIVERED
    return new_event(
        event_type,
        source=SOURCE,
        tenant_id=match.tenant_id,
        data=data,
        subject=str(match.user_id),
    )
