"""The envelope beside a user: blue when the invitation went out, orange when a bounce or
complaint arrived, and the words for a failed (or suppressed) invitation. Each has a text
label: the icon is never the only signal."""

from dataclasses import dataclass
from typing import Any

from services.admin.domain.messages import N_

BOUNCE_KINDS = {
    "hard": N_("Permanent bounce"),
    "soft": N_("Temporary bounce"),
    "undetermined": N_("Bounce of unknown kind"),
}


@dataclass(frozen=True)
class EnvelopeView:
    colour: str  # blue, orange or failed (the CSS class)
    label: str  # message id: what a screen reader and the popover say
    first_sent_at: str | None = None
    last_sent_at: str | None = None
    delivered_at: str | None = None
    problem: str | None = None  # message id: bounce kind or "complaint"
    reason: str | None = None  # the provider's or sender's words, shown as they are
    problem_at: str | None = None
    can_resend: bool = False


def envelope_of(user: dict[str, Any]) -> EnvelopeView | None:
    invitation: dict[str, Any] = user.get("invitation") or {}
    email: dict[str, Any] = user.get("email_status") or {}
    can_resend = user.get("status") == "invited"
    dates = {
        "first_sent_at": invitation.get("first_sent_at"),
        "last_sent_at": invitation.get("last_sent_at"),
        "delivered_at": email.get("delivered_at"),
    }
    if email.get("state") in ("bounced", "complained"):
        complained = email["state"] == "complained"
        return EnvelopeView(
            colour="orange",
            label=N_("Complaint received") if complained else N_("E-mail bounced"),
            problem=N_("Complaint")
            if complained
            else BOUNCE_KINDS.get(str(email.get("bounce_kind")), BOUNCE_KINDS["undetermined"]),
            reason=email.get("reason"),
            problem_at=email.get("changed_at"),
            can_resend=can_resend,
            **dates,
        )
    if invitation.get("state") == "failed":
        return EnvelopeView(
            colour="failed",
            label=N_("Invitation not sent"),
            reason=invitation.get("failure_reason"),
            can_resend=can_resend,
            **dates,
        )
    if user.get("envelope") == "blue" or invitation.get("first_sent_at"):
        return EnvelopeView(
            colour="blue",
            label=N_("Invitation delivered") if dates["delivered_at"] else N_("Invitation sent"),
            can_resend=can_resend,
            **dates,
        )
    return None


# The kinds of the suppression list (the invitations service's `kind`).
SUPPRESSION_KINDS = {
    "hard_bounce": N_("Permanent bounce"),
    "soft_bounces": N_("Temporary bounces, 3 in a row"),
    "complaint": N_("Complaint"),
}


@dataclass(frozen=True)
class SuppressionView:
    email: str
    kind: str  # message id
    reason: str  # the provider's words, shown as they are
    listed_at: str | None
    complaint: bool  # the person asked for no more e-mail: lifting needs their word


def suppression_view(item: dict[str, Any]) -> SuppressionView:
    kind = str(item.get("kind") or "")
    return SuppressionView(
        email=str(item.get("email") or ""),
        kind=SUPPRESSION_KINDS.get(kind, N_("Bounce of unknown kind")),
        reason=str(item.get("reason") or ""),
        listed_at=item.get("created_at"),
        complaint=kind == "complaint",
    )
