"""The invitations service's subscriptions, in one place: each queue, its bindings and handlers."""

from services.invitations.handlers.email import (
    on_email_bounced,
    on_email_complained,
    on_email_delivered,
)
from services.invitations.handlers.requests import (
    on_invitation_requested,
    on_login_failures_noticed,
    on_password_reset_requested,
)
from services.invitations.handlers.users import on_user_changed
from shared.contracts.accounts import LOGIN_FAILURES_NOTICED, PASSWORD_RESET_REQUESTED
from shared.contracts.email import EMAIL_BOUNCED, EMAIL_COMPLAINED, EMAIL_DELIVERED
from shared.contracts.invitations import INVITATION_REQUESTED
from shared.contracts.users import USER_DEACTIVATED, USER_REACTIVATED, USER_UPDATED
from shared.messaging.consumer import EventHandler
from shared.messaging.topology import ConsumerQueue

REQUEST_BATCH = 100
REQUEST_HANDLERS: dict[str, EventHandler] = {
    INVITATION_REQUESTED: on_invitation_requested,
    PASSWORD_RESET_REQUESTED: on_password_reset_requested,
    LOGIN_FAILURES_NOTICED: on_login_failures_noticed,
}
EMAIL_HANDLERS: dict[str, EventHandler] = {
    EMAIL_BOUNCED: on_email_bounced,
    EMAIL_COMPLAINED: on_email_complained,
    EMAIL_DELIVERED: on_email_delivered,
}
USER_HANDLERS: dict[str, EventHandler] = {
    USER_UPDATED: on_user_changed,
    USER_DEACTIVATED: on_user_changed,
    USER_REACTIVATED: on_user_changed,
}

SUBSCRIPTIONS: dict[ConsumerQueue, dict[str, EventHandler]] = {
    # A bulk invitation is thousands of requests at once: one transaction per batch.
    ConsumerQueue(
        "invitations.requests", tuple(REQUEST_HANDLERS), batch_size=REQUEST_BATCH
    ): REQUEST_HANDLERS,
    ConsumerQueue("invitations.email", tuple(EMAIL_HANDLERS)): EMAIL_HANDLERS,
    ConsumerQueue("invitations.users", tuple(USER_HANDLERS)): USER_HANDLERS,
}
