"""What a subscriber receives: one flat JSON object per event, the same shape for a
delivery, a stored recent payload and a sample (Zapier's `perform` and `performList`)."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic_core import to_jsonable_python

from services.webhooks.domain.events import USER_EVENTS, WebhookEvent, events_for
from shared.contracts import CloudEvent
from shared.contracts.email import EmailBounced
from shared.contracts.exports import ExportCompleted
from shared.contracts.users import UserSnapshot

Payload = dict[str, Any]

# Derived deliveries get ids of their own, computed (not random) so that a redelivered
# bus message yields the same ids: receivers de-duplicate on `id` / `webhook-id`.
_DERIVED_IDS = uuid.UUID("6f1d2a3e-5b0c-4c87-9a51-0d6b2e8f4c11")


@dataclass(frozen=True)
class Delivery:
    """One event to deliver to every subscription of its tenant and name."""

    event: WebhookEvent
    id: str  # the payload's `id` and the `webhook-id` header, the same on every retry
    tenant_id: uuid.UUID
    occurred_at: datetime
    ordering_key: str  # deliveries with the same key reach a target in order
    payload: Payload


def iso(moment: datetime | None) -> str | None:
    """UTC, ISO 8601 with a `Z`: one format for every date in a payload."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def delivery_id(source_event_id: str, event: WebhookEvent, routing_key: str) -> str:
    """The bus event's own id, or for an event derived from it a stable id of its own."""
    if event.value == routing_key:
        return source_event_id
    return str(uuid.uuid5(_DERIVED_IDS, f"{source_event_id}/{event.value}"))


def user_ordering_key(user_id: uuid.UUID) -> str:
    """Deliveries about one user reach a hook in order."""
    return f"user:{user_id}"


def _head(event: WebhookEvent, event_id: str, occurred_at: datetime, tenant: uuid.UUID) -> Payload:
    return {
        "id": event_id,
        "event": event.value,
        "occurred_at": iso(occurred_at),
        "tenant_id": str(tenant),
    }


def user_payload(
    event: WebhookEvent,
    event_id: str,
    occurred_at: datetime,
    user: UserSnapshot,
    previous_role: str | None = None,
) -> Payload:
    """The flat payload of a `user.*` event; `user.role_changed` adds `previous_role`."""
    invitation, mail = user.invitation, user.email_status
    payload = _head(event, event_id, occurred_at, user.tenant_id) | {
        "user_id": str(user.id),
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "full_name": f"{user.first_name} {user.last_name}".strip(),
        "phone": user.phone,
        "locale": user.locale,
        "role": user.role,
        "status": user.status.value,
        "groups": [group.name for group in user.groups],
        "custom_fields": {
            field.key: to_jsonable_python(field.value) for field in user.custom_fields
        },
        "invitation_state": invitation.state.value,
        "invitation_sent_at": iso(invitation.last_sent_at),
        "invitation_expires_at": iso(invitation.expires_at),
        "invitation_accepted_at": iso(invitation.accepted_at),
        "email_state": mail.state.value,
        "email_bounce_kind": mail.bounce_kind.value if mail.bounce_kind else None,
        "email_state_reason": mail.reason,
        "email_delivered_at": iso(mail.delivered_at),
        "activated_at": iso(user.activated_at),
        "deactivated_at": iso(user.deactivation.at) if user.deactivation else None,
        "last_login_at": iso(user.last_login_at),
        "created_at": iso(user.created_at),
        "updated_at": iso(user.updated_at),
        "version": user.version,
    }
    if event is WebhookEvent.USER_ROLE_CHANGED:
        payload["previous_role"] = previous_role
    return payload


def email_bounced_payload(
    event_id: str, occurred_at: datetime, tenant_id: uuid.UUID, bounce: EmailBounced
) -> Payload:
    return _head(WebhookEvent.EMAIL_BOUNCED, event_id, occurred_at, tenant_id) | {
        "email": bounce.email,
        "user_id": str(bounce.user_id) if bounce.user_id else None,
        "bounce_kind": bounce.kind.value,
        "reason": bounce.reason,
        "provider": bounce.provider,
        "message_id": bounce.message_id,
        "bounced_at": iso(bounce.occurred_at),
    }


def export_completed_payload(
    event_id: str, occurred_at: datetime, tenant_id: uuid.UUID, export: ExportCompleted
) -> Payload:
    return _head(WebhookEvent.EXPORT_COMPLETED, event_id, occurred_at, tenant_id) | {
        "export_id": str(export.job_id),
        "requested_by": str(export.requested_by),
        "format": export.format,
        "row_count": export.row_count,
        "completed_at": iso(export.completed_at),
    }


def deliveries_for(event: CloudEvent[Any], previous: UserSnapshot | None = None) -> list[Delivery]:
    """What one bus event (its data already validated against its contract) gives
    subscribers; `previous` is the user's snapshot we held before it, if any."""
    data = event.data
    current = data if isinstance(data, UserSnapshot) else None
    deliveries = []
    for name in events_for(event.type, current, previous):
        event_id = delivery_id(event.id, name, event.type)
        payload, key = _payload(name, event_id, event, previous)
        deliveries.append(Delivery(name, event_id, event.tenantid, event.time, key, payload))
    return deliveries


def _payload(
    name: WebhookEvent, event_id: str, event: CloudEvent[Any], previous: UserSnapshot | None
) -> tuple[Payload, str]:
    data = event.data
    if name in USER_EVENTS and isinstance(data, UserSnapshot):
        before = previous.role if previous else None
        return user_payload(name, event_id, event.time, data, before), user_ordering_key(data.id)
    if name is WebhookEvent.EMAIL_BOUNCED and isinstance(data, EmailBounced):
        payload = email_bounced_payload(event_id, event.time, event.tenantid, data)
        key = user_ordering_key(data.user_id) if data.user_id else f"email:{data.email}"
        return payload, key
    if name is WebhookEvent.EXPORT_COMPLETED and isinstance(data, ExportCompleted):
        payload = export_completed_payload(event_id, event.time, event.tenantid, data)
        return payload, f"export:{data.job_id}"
    raise TypeError(f"{event.type} carries {type(data).__name__}, not the data of {name.value}")
