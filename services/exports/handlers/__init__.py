"""The exports service's subscriptions: every event that carries a user's snapshot."""

from services.exports.handlers.users import on_user_snapshot
from shared.contracts import users
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
USER_HANDLERS: dict[str, EventHandler] = dict.fromkeys(SNAPSHOT_EVENTS, on_user_snapshot)

SUBSCRIPTIONS: dict[ConsumerQueue, dict[str, EventHandler]] = {
    ConsumerQueue("exports.users", SNAPSHOT_EVENTS): USER_HANDLERS,
}
