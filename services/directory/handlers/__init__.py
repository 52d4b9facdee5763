"""The directory's subscriptions, in one place: each queue, its bindings and handlers."""

from collections.abc import Sequence

from services.directory.handlers.email import on_email_notice, on_suppression_lifted
from services.directory.handlers.invitations import (
    accepting_invitations,
    completing_password_resets,
    on_invitation_failed,
    on_invitation_revoked,
    on_invitation_sent,
)
from services.directory.handlers.lms import on_enrollment, on_learning_activity
from shared.contracts.accounts import PASSWORD_RESET_COMPLETED
from shared.contracts.email import EMAIL_BOUNCED, EMAIL_COMPLAINED, EMAIL_DELIVERED
from shared.contracts.invitations import (
    INVITATION_ACCEPTED,
    INVITATION_FAILED,
    INVITATION_REVOKED,
    INVITATION_SENT,
)
from shared.contracts.lms import ACTIVITY_EVENTS, ENROLLMENT_EVENTS
from shared.contracts.suppressions import SUPPRESSION_LIFTED
from shared.messaging.consumer import EventHandler
from shared.messaging.topology import ConsumerQueue

INVITATIONS = ConsumerQueue(
    "directory.invitations",
    (
        INVITATION_SENT,
        INVITATION_FAILED,
        INVITATION_ACCEPTED,
        INVITATION_REVOKED,
        PASSWORD_RESET_COMPLETED,
    ),
)
EMAIL = ConsumerQueue(
    "directory.email", (EMAIL_BOUNCED, EMAIL_COMPLAINED, EMAIL_DELIVERED, SUPPRESSION_LIFTED)
)
LMS = ConsumerQueue("directory.lms", (ENROLLMENT_EVENTS, ACTIVITY_EVENTS))
QUEUES = tuple(queue.name for queue in (INVITATIONS, EMAIL, LMS))


def subscriptions(
    sealing_keys: Sequence[str],
) -> dict[ConsumerQueue, dict[str, EventHandler]]:
    """`sealing_keys`: the private keys that open the password hashes sealed for us."""
    return {
        INVITATIONS: {
            INVITATION_SENT: on_invitation_sent,
            INVITATION_FAILED: on_invitation_failed,
            INVITATION_ACCEPTED: accepting_invitations(sealing_keys),
            INVITATION_REVOKED: on_invitation_revoked,
            PASSWORD_RESET_COMPLETED: completing_password_resets(sealing_keys),
        },
        EMAIL: {
            EMAIL_BOUNCED: on_email_notice,
            EMAIL_COMPLAINED: on_email_notice,
            EMAIL_DELIVERED: on_email_notice,
            SUPPRESSION_LIFTED: on_suppression_lifted,
        },
        LMS: {
            ENROLLMENT_EVENTS: on_enrollment,
            ACTIVITY_EVENTS: on_learning_activity,
        },
    }
