"""The bounces service's subscriptions, in one place: each queue, its bindings and handlers."""

from services.bounces.handlers.invitations import on_invitation_sent
from shared.contracts.invitations import INVITATION_SENT
from shared.messaging.consumer import EventHandler
from shared.messaging.topology import ConsumerQueue

INVITATION_HANDLERS: dict[str, EventHandler] = {INVITATION_SENT: on_invitation_sent}

SUBSCRIPTIONS: dict[ConsumerQueue, dict[str, EventHandler]] = {
    ConsumerQueue("bounces.invitations", tuple(INVITATION_HANDLERS)): INVITATION_HANDLERS,
}

QUEUES = tuple(queue.name for queue in SUBSCRIPTIONS)
