"""The flat payloads subscribers receive, built from bus events."""

import json
import re
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from services.webhooks.domain.events import WebhookEvent
from services.webhooks.domain.payloads import deliveries_for, iso, user_payload
from shared.contracts import CloudEvent, new_event
from shared.contracts.email import EmailBounced, EmailDelivered
from shared.contracts.exports import ExportCompleted
from shared.contracts.users import BounceKind, UserSnapshot
from tests.unit.webhooks.users import TENANT, USER, deactivated, snapshot

E = WebhookEvent
AT = datetime(2025, 3, 4, 10, 15, 30, 250000, tzinfo=UTC)


def bus_event(event_type: str, data: Any) -> CloudEvent[Any]:
    event = new_event(event_type, source="/services/directory", tenant_id=TENANT, data=data)
    return event.model_copy(update={"time": AT})


USER_KEYS = {
    "id",
    "event",
    "occurred_at",
    "tenant_id",
    "user_id",
    "email",
    "first_name",
    "last_name",
    "full_name",
    "phone",
    "locale",
    "role",
    "status",
    "groups",
    "custom_fields",
    "invitation_state",
    "invitation_sent_at",
    "invitation_expires_at",
    "invitation_accepted_at",
    "email_state",
    "email_bounce_kind",
    "email_state_reason",
    "email_delivered_at",
    "activated_at",
    "deactivated_at",
    "last_login_at",
    "created_at",
    "updated_at",
    "version",
}


def test_a_user_event_becomes_one_flat_payload_with_the_users_fields() -> None:
    event = bus_event("user.activated", snapshot())
    [delivery] = deliveries_for(event)
    assert delivery.event is E.USER_ACTIVATED
    assert delivery.id == event.id
    assert delivery.tenant_id == TENANT
    assert delivery.payload == {
        "id": event.id,
        "event": "user.activated",
        "occurred_at": "2025-03-04T10:15:30.250000Z",
        "tenant_id": str(TENANT),
        "user_id": str(USER),
        "email": "marie.dubois@example.org",
        "first_name": "Marie",
        "last_name": "Dubois",
        "full_name": "Marie Dubois",
        "phone": "+33 6 12 34 56 78",
        "locale": "fr",
        "role": "learner",
        "status": "active",
        "groups": ["Nurses 2025", "Lyon"],
        "custom_fields": {"badge": "B-77", "hours": 12.5, "mentor": False},
        "invitation_state": "accepted",
        "invitation_sent_at": "2025-03-01T09:00:05Z",
        "invitation_expires_at": "2025-03-08T09:00:00Z",
        "invitation_accepted_at": "2025-03-02T18:30:00Z",
        "email_state": "bounced",
        "email_bounce_kind": "soft",
        "email_state_reason": "mailbox full",
        "email_delivered_at": None,
        "activated_at": "2025-03-02T18:30:00Z",
        "deactivated_at": None,
        "last_login_at": None,
        "created_at": "2025-03-01T09:00:00Z",
        "updated_at": "2025-03-04T10:15:00Z",
        "version": 4,
    }


def test_payloads_are_flat_and_survive_json() -> None:
    [delivery] = deliveries_for(bus_event("user.updated", snapshot()))
    nested = {key for key, value in delivery.payload.items() if isinstance(value, dict | list)}
    assert nested == {"groups", "custom_fields"}
    assert all(isinstance(name, str) for name in delivery.payload["groups"])
    assert json.loads(json.dumps(delivery.payload)) == delivery.payload


@pytest.mark.parametrize(
    "key", ["user.created", "user.updated", "user.activated", "user.reactivated"]
)
def test_every_user_event_has_the_same_shape(key: str) -> None:
    [delivery] = deliveries_for(bus_event(key, snapshot()))
    assert set(delivery.payload) == USER_KEYS
    assert delivery.payload["event"] == key


def test_a_deactivated_user_says_when() -> None:
    [delivery] = deliveries_for(bus_event("user.deactivated", deactivated()))
    assert delivery.payload["status"] == "deactivated"
    assert delivery.payload["deactivated_at"] == "2025-04-01T00:00:00Z"


def test_a_role_change_is_a_second_delivery_with_its_own_stable_id() -> None:
    before = snapshot(role="learner", version=3)
    event = bus_event("user.updated", snapshot(role="instructor", version=4))
    updated, changed = deliveries_for(event, before)
    assert (updated.event, changed.event) == (E.USER_UPDATED, E.USER_ROLE_CHANGED)
    assert updated.id == event.id
    assert changed.id != event.id
    assert uuid.UUID(changed.id)
    assert changed.id == deliveries_for(event, before)[1].id  # a redelivered message, same id
    assert changed.payload["id"] == changed.id
    assert (changed.payload["role"], changed.payload["previous_role"]) == ("instructor", "learner")
    assert set(changed.payload) == USER_KEYS | {"previous_role"}
    assert "previous_role" not in updated.payload


def test_events_of_one_user_share_an_ordering_key() -> None:
    before = snapshot(role="learner", version=3)
    keys = {
        d.ordering_key
        for d in deliveries_for(
            bus_event("user.updated", snapshot(role="admin", version=4)), before
        )
        + deliveries_for(bus_event("user.created", snapshot(id=USER)))
    }
    assert keys == {f"user:{USER}"}
    other = deliveries_for(bus_event("user.created", snapshot(id=uuid.uuid4())))[0]
    assert other.ordering_key not in keys


def bounce(user_id: uuid.UUID | None = USER) -> EmailBounced:
    return EmailBounced(
        provider="mailgun",
        provider_event_id="mg-1",
        email="marie.dubois@example.org",
        message_id="<m1@mail.example.org>",
        user_id=user_id,
        occurred_at=datetime(2025, 3, 4, 10, 14, tzinfo=UTC),
        kind=BounceKind.HARD,
        reason="550 5.1.1 no such user",
    )


def test_a_bounce_becomes_a_flat_payload() -> None:
    event = bus_event("email.bounced", bounce())
    [delivery] = deliveries_for(event)
    assert delivery.payload == {
        "id": event.id,
        "event": "email.bounced",
        "occurred_at": "2025-03-04T10:15:30.250000Z",
        "tenant_id": str(TENANT),
        "email": "marie.dubois@example.org",
        "user_id": str(USER),
        "bounce_kind": "hard",
        "reason": "550 5.1.1 no such user",
        "provider": "mailgun",
        "message_id": "<m1@mail.example.org>",
        "bounced_at": "2025-03-04T10:14:00Z",
    }
    assert delivery.ordering_key == f"user:{USER}"


def test_a_bounce_for_an_address_of_no_user_is_ordered_by_address() -> None:
    [delivery] = deliveries_for(bus_event("email.bounced", bounce(user_id=None)))
    assert delivery.payload["user_id"] is None
    assert delivery.ordering_key == "email:marie.dubois@example.org"


def test_a_completed_export_becomes_a_flat_payload() -> None:
    job, admin = uuid.uuid4(), uuid.uuid4()
    data = ExportCompleted(
        job_id=job,
        requested_by=admin,
        format="csv",
        row_count=42,
        completed_at=datetime(2025, 3, 4, 10, 15, 29, tzinfo=UTC),
    )
    event = bus_event("export.completed", data)
    [delivery] = deliveries_for(event)
    assert delivery.payload == {
        "id": event.id,
        "event": "export.completed",
        "occurred_at": "2025-03-04T10:15:30.250000Z",
        "tenant_id": str(TENANT),
        "export_id": str(job),
        "requested_by": str(admin),
        "format": "csv",
        "row_count": 42,
        "completed_at": "2025-03-04T10:15:29Z",
    }


def test_bus_events_nobody_subscribes_to_give_no_delivery() -> None:
    delivered = EmailDelivered(
        provider="ses", provider_event_id="x", email="a@example.org", occurred_at=AT
    )
    assert deliveries_for(bus_event("email.delivered", delivered)) == []
    assert deliveries_for(bus_event("user.logged_in", snapshot())) == []


def test_data_of_the_wrong_contract_is_an_error_not_a_strange_payload() -> None:
    with pytest.raises(TypeError, match=re.escape("user.updated carries EmailBounced")):
        deliveries_for(bus_event("user.updated", bounce()))
    with pytest.raises(TypeError, match=re.escape("email.bounced carries UserSnapshot")):
        deliveries_for(bus_event("email.bounced", snapshot()))


def test_dates_are_utc_with_a_z_whatever_zone_they_came_in() -> None:
    montreal = timezone(timedelta(hours=-4))
    assert iso(datetime(2025, 3, 4, 6, 15, tzinfo=montreal)) == "2025-03-04T10:15:00Z"
    assert iso(datetime(2025, 3, 4, 10, 15)) == "2025-03-04T10:15:00Z"  # naive: taken as UTC
    assert iso(None) is None


def test_a_role_change_payload_can_be_built_directly() -> None:
    user: UserSnapshot = snapshot(role="admin")
    payload = user_payload(E.USER_ROLE_CHANGED, "evt-1", AT, user, previous_role="learner")
    assert (payload["event"], payload["role"], payload["previous_role"]) == (
        "user.role_changed",
        "admin",
        "learner",
    )
