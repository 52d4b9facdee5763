"""The webhooks service's subscriptions: one queue, bound to every event a hook can be
fed by (user.*, email.bounced, export.completed)."""

from services.webhooks.domain.events import ROUTING_KEYS
from services.webhooks.handlers.events import on_event
from shared.messaging.consumer import EventHandler
from shared.messaging.topology import ConsumerQueue

EVENT_HANDLERS: dict[str, EventHandler] = dict.fromkeys(ROUTING_KEYS, on_event)

SUBSCRIPTIONS: dict[ConsumerQueue, dict[str, EventHandler]] = {
    # A user's deliveries to a hook keep the order of its events (see the claim): the
    # queue is consumed in arrival order, by one replica at a time (the others stand by).
    # It replaced `webhooks.events`, declared before without single-active-consumer.
    ConsumerQueue(
        "webhooks.events.ordered",
        ROUTING_KEYS,
        in_order=True,
        single_active_consumer=True,
        replaces="webhooks.events",
    ): EVENT_HANDLERS,
}
