"""The suppression list: addresses that must not be mailed again."""

from datetime import datetime
from enum import StrEnum

from shared.contracts.users import BounceKind


class SuppressionCause(StrEnum):
    HARD_BOUNCE = "hard_bounce"
    COMPLAINT = "complaint"


def suppresses(kind: BounceKind) -> bool:
    """Only a hard bounce means the address will never work; soft ones pass."""
    return kind is BounceKind.HARD


def failure_reason(email: str, cause: SuppressionCause, detail: str, since: datetime) -> str:
    what = {
        SuppressionCause.HARD_BOUNCE: "bounced permanently",
        SuppressionCause.COMPLAINT: "reported our e-mail as spam",
    }[cause]
    day = since.date().isoformat()
    detail_part = f" ({detail})" if detail else ""
    return (
        f"Not sent: {email} {what} on {day}{detail_part}, so it is on the suppression list. "
        "Correct the address, then send the invitation again."
    )
