"""The events a client can subscribe to, and which bus events feed them."""

from collections.abc import Mapping
from enum import StrEnum

from shared.contracts import email, exports, users
from shared.contracts.users import UserSnapshot


class WebhookEvent(StrEnum):
    USER_CREATED = "user.created"
    USER_ACTIVATED = "user.activated"
    USER_UPDATED = "user.updated"
    USER_DEACTIVATED = "user.deactivated"
    USER_REACTIVATED = "user.reactivated"
    USER_ROLE_CHANGED = "user.role_changed"  # derived: not on the bus
    EMAIL_BOUNCED = "email.bounced"
    EXPORT_COMPLETED = "export.completed"


USER_EVENTS = frozenset(
    {
        WebhookEvent.USER_CREATED,
        WebhookEvent.USER_ACTIVATED,
        WebhookEvent.USER_UPDATED,
        WebhookEvent.USER_DEACTIVATED,
        WebhookEvent.USER_REACTIVATED,
        WebhookEvent.USER_ROLE_CHANGED,
    }
)

# Bus routing key -> the events it can produce. A snapshot of a user we knew before can
# also reveal a new role (user.role_changed); a created user has no "before".
FED_BY: Mapping[str, tuple[WebhookEvent, ...]] = {
    users.USER_CREATED: (WebhookEvent.USER_CREATED,),
    users.USER_ACTIVATED: (WebhookEvent.USER_ACTIVATED, WebhookEvent.USER_ROLE_CHANGED),
    users.USER_UPDATED: (WebhookEvent.USER_UPDATED, WebhookEvent.USER_ROLE_CHANGED),
    users.USER_DEACTIVATED: (WebhookEvent.USER_DEACTIVATED, WebhookEvent.USER_ROLE_CHANGED),
    users.USER_REACTIVATED: (WebhookEvent.USER_REACTIVATED, WebhookEvent.USER_ROLE_CHANGED),
    email.EMAIL_BOUNCED: (WebhookEvent.EMAIL_BOUNCED,),
    exports.EXPORT_COMPLETED: (WebhookEvent.EXPORT_COMPLETED,),
}
ROUTING_KEYS: tuple[str, ...] = tuple(FED_BY)
"""The keys the service's queue is bound to."""


def parse_event(name: str) -> WebhookEvent:
    """The event a client named, or ValueError listing the ones that exist."""
    try:
        return WebhookEvent(name)
    except ValueError:
        known = ", ".join(event.value for event in WebhookEvent)
        raise ValueError(f"Unknown event {name!r}: choose one of {known}.") from None


def role_changed(current: UserSnapshot, previous: UserSnapshot | None) -> bool:
    """Whether `current` shows a new role compared with the user's previous snapshot.

    Only an older snapshot of the same user counts: a stale or duplicate message (same or
    lower version) reveals nothing.
    """
    if previous is None or previous.id != current.id or previous.version >= current.version:
        return False
    return previous.role != current.role


def events_for(
    routing_key: str,
    current: UserSnapshot | None = None,
    previous: UserSnapshot | None = None,
) -> tuple[WebhookEvent, ...]:
    """The subscribable events one bus event produces (none for keys we don't deliver)."""
    produced = FED_BY.get(routing_key, ())
    return tuple(
        event
        for event in produced
        if event is not WebhookEvent.USER_ROLE_CHANGED
        or (current is not None and role_changed(current, previous))
    )
