"""Every event type on the bus and the contract of its data: the one place to look."""

from dataclasses import dataclass

from pydantic import BaseModel

from shared.contracts import (
    accounts,
    custom_fields,
    email,
    exports,
    invitations,
    lms,
    suppressions,
    users,
)


@dataclass(frozen=True)
class EventSpec:
    name: str
    data: type[BaseModel]
    description: str


CATALOG: tuple[EventSpec, ...] = (
    EventSpec(users.USER_CREATED, users.UserSnapshot, "A user was created (invited)."),
    EventSpec(users.USER_UPDATED, users.UserSnapshot, "A user's data or state changed."),
    EventSpec(users.USER_ACTIVATED, users.UserSnapshot, "A user accepted their invitation."),
    EventSpec(users.USER_DEACTIVATED, users.UserSnapshot, "An admin deactivated a user."),
    EventSpec(users.USER_REACTIVATED, users.UserSnapshot, "An admin reactivated a user."),
    EventSpec(users.USER_LOGGED_IN, users.UserSnapshot, "A user logged in."),
    EventSpec(
        users.USER_REPUBLISHED,
        users.UserSnapshot,
        "A user's current snapshot sent again, unchanged, to rebuild projections.",
    ),
    EventSpec(
        custom_fields.CUSTOM_FIELD_DEFINED,
        custom_fields.CustomFieldDefined,
        "An admin defined a custom field for the tenant's users.",
    ),
    EventSpec(
        custom_fields.CUSTOM_FIELD_CHANGED,
        custom_fields.CustomFieldDefined,
        "A custom field's label, choices, required flag or place changed.",
    ),
    EventSpec(
        custom_fields.CUSTOM_FIELD_DELETED,
        custom_fields.CustomFieldDefined,
        "A custom field was deleted with its values (the users holding one are updated).",
    ),
    EventSpec(
        custom_fields.CUSTOM_FIELD_REPUBLISHED,
        custom_fields.CustomFieldDefined,
        "A field's current definition sent again, unchanged, to rebuild projections.",
    ),
    EventSpec(
        invitations.INVITATION_REQUESTED,
        invitations.InvitationRequested,
        "Send an invitation e-mail (first or again).",
    ),
    EventSpec(invitations.INVITATION_SENT, invitations.InvitationSent, "The e-mail went out."),
    EventSpec(
        invitations.INVITATION_FAILED, invitations.InvitationFailed, "The e-mail can't be sent."
    ),
    EventSpec(
        invitations.INVITATION_ACCEPTED,
        invitations.InvitationAccepted,
        "The user chose a password.",
    ),
    EventSpec(
        invitations.INVITATION_REVOKED,
        invitations.InvitationRevoked,
        "Earlier invitation links no longer work.",
    ),
    EventSpec(
        accounts.PASSWORD_RESET_REQUESTED,
        accounts.PasswordResetRequested,
        "Mail the user a link to choose a new password.",
    ),
    EventSpec(
        accounts.PASSWORD_RESET_COMPLETED,
        accounts.PasswordResetCompleted,
        "The user chose a new password through a reset link.",
    ),
    EventSpec(
        accounts.LOGIN_FAILURES_NOTICED,
        accounts.LoginFailuresNoticed,
        "Logins to the account keep failing: warn the user by e-mail.",
    ),
    EventSpec(email.EMAIL_BOUNCED, email.EmailBounced, "A provider reported a bounce."),
    EventSpec(email.EMAIL_COMPLAINED, email.EmailComplained, "The recipient complained (spam)."),
    EventSpec(email.EMAIL_DELIVERED, email.EmailDelivered, "A provider reported delivery."),
    EventSpec(
        suppressions.SUPPRESSION_LIFTED,
        suppressions.SuppressionLifted,
        "An address may be mailed again (an admin lifted it, or a later delivery).",
    ),
    EventSpec(lms.ENROLLMENT_EVENTS, lms.EnrollmentChanged, "A course enrollment changed."),
    EventSpec(lms.ACTIVITY_EVENTS, lms.LearningActivity, "A learner did something."),
    EventSpec(exports.EXPORT_COMPLETED, exports.ExportCompleted, "An export file is ready."),
    EventSpec(exports.EXPORT_FAILED, exports.ExportFailed, "An export job failed."),
)


def topic_matches(pattern: str, routing_key: str) -> bool:
    """RabbitMQ topic matching: `*` is exactly one word, `#` zero or more."""
    return _match(pattern.split("."), routing_key.split("."))


def _match(pattern: list[str], words: list[str]) -> bool:
    if not pattern:
        return not words
    head, rest = pattern[0], pattern[1:]
    if head == "#":
        return any(_match(rest, words[i:]) for i in range(len(words) + 1))
    if not words:
        return False
    return (head in ("*", words[0])) and _match(rest, words[1:])


_BY_NAME = {spec.name: spec for spec in CATALOG}  # looked up for every message consumed


def spec_for(event_type: str) -> EventSpec | None:
    if (spec := _BY_NAME.get(event_type)) is not None:
        return spec
    return next((spec for spec in CATALOG if topic_matches(spec.name, event_type)), None)
