"""The directory's subscriptions, in one place: each queue, its bindings and handlers."""

from functools import partial

from services.directory.handlers.email import on_email_event
from services.directory.handlers.invitations import (
    on_invitation_accepted,
    on_invitation_failed,
    on_invitation_revoked,
    on_invitation_sent,
)
from services.directory.handlers.lms import on_enrollment, on_learning_activity
from shared.contracts.email import EMAIL_BOUNCED, EMAIL_COMPLAINED, EMAIL_DELIVERED
from shared.contracts.invitations import (
    INVITATION_ACCEPTED,
    INVITATION_FAILED,
    INVITATION_REVOKED,
    INVITATION_SENT,
)
from shared.contracts.lms import ACTIVITY_EVENTS, ENROLLMENT_EVENTS
from shared.messaging.consumer import EventHandler
from shared.messaging.topology import ConsumerQueue

EMAIL_HANDLERS: dict[str, EventHandler] = {
    EMAIL_BOUNCED: on_email_event,
    EMAIL_COMPLAINED: on_email_event,
    EMAIL_DELIVERED: on_email_event,
}
LMS_HANDLERS: dict[str, EventHandler] = {
    ENROLLMENT_EVENTS: on_enrollment,
    ACTIVITY_EVENTS: on_learning_activity,
}


def subscriptions(sealing_keys: list[str]) -> dict[ConsumerQueue, dict[str, EventHandler]]:
    invitation_handlers: dict[str, EventHandler] = {
        INVITATION_SENT: on_invitation_sent,
        INVITATION_FAILED: on_invitation_failed,
        INVITATION_ACCEPTED: partial(on_invitation_accepted, sealing_keys=sealing_keys),
        INVITATION_REVOKED: on_invitation_revoked,
    }
    return {
        ConsumerQueue("directory.invitations", tuple(invitation_handlers)): invitation_handlers,
        ConsumerQueue("directory.email", tuple(EMAIL_HANDLERS)): EMAIL_HANDLERS,
        ConsumerQueue("directory.lms", tuple(LMS_HANDLERS)): LMS_HANDLERS,
    }


QUEUES = tuple(queue.name for queue in subscriptions([]))
