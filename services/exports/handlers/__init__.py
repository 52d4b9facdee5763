"""The exports service's subscriptions: every event that carries a user's snapshot, and the
custom-field definitions (on the same queue: a field defined before users got a value for
it is usually known before their snapshots come)."""

from services.exports.handlers.fields import on_field_definition
from services.exports.handlers.users import on_user_snapshot
from shared.contracts import custom_fields, users
from shared.messaging.consumer import EventHandler
from shared.messaging.topology import ConsumerQueue

SNAPSHOT_EVENTS = (
    users.USER_CREATED,
    users.USER_UPDATED,
    users.USER_ACTIVATED,
    users.USER_DEACTIVATED,
    users.USER_REACTIVATED,
    users.USER_LOGGED_IN,
    users.USER_REPUBLISHED,
)
FIELD_EVENTS = (
    custom_fields.CUSTOM_FIELD_DEFINED,
    custom_fields.CUSTOM_FIELD_CHANGED,
    custom_fields.CUSTOM_FIELD_DELETED,
    custom_fields.CUSTOM_FIELD_REPUBLISHED,
)
USER_HANDLERS: dict[str, EventHandler] = {
    **dict.fromkeys(SNAPSHOT_EVENTS, on_user_snapshot),
    **dict.fromkeys(FIELD_EVENTS, on_field_definition),
}

SUBSCRIPTIONS: dict[ConsumerQueue, dict[str, EventHandler]] = {
    ConsumerQueue("exports.users", SNAPSHOT_EVENTS + FIELD_EVENTS): USER_HANDLERS,
}
