"""Sample payloads (Zapier's performList before any real event): the delivered shape."""

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from services.webhooks.domain.events import USER_EVENTS, WebhookEvent
from services.webhooks.domain.payloads import Payload, deliveries_for
from services.webhooks.domain.samples import sample_payload
from shared.contracts import CloudEvent, new_event
from shared.contracts.email import EmailBounced
from shared.contracts.exports import ExportCompleted
from shared.contracts.users import BounceKind
from tests.unit.webhooks.users import TENANT, deactivated, snapshot

E = WebhookEvent


def real_payload(event: WebhookEvent) -> Payload:
    """A payload of `event` built from a bus event, as a delivery would carry it."""
    data: Any
    previous = None
    routing_key = event.value
    if event is E.USER_ROLE_CHANGED:
        routing_key, previous = "user.updated", snapshot(role="learner", version=1)
        data = snapshot(role="admin", version=2)
    elif event is E.USER_DEACTIVATED:
        data = deactivated()
    elif event in USER_EVENTS:
        data = snapshot()
    elif event is E.EMAIL_BOUNCED:
        data = EmailBounced(
            provider="ses",
            provider_event_id="x",
            email="a@example.org",
            occurred_at=datetime.now(UTC),
            kind=BounceKind.SOFT,
            reason="full",
        )
    else:
        data = ExportCompleted(
            job_id=uuid.uuid4(),
            requested_by=uuid.uuid4(),
            format="csv",
            row_count=3,
            completed_at=datetime.now(UTC),
        )
    bus: CloudEvent[Any] = new_event(routing_key, source="/t", tenant_id=TENANT, data=data)
    return next(d.payload for d in deliveries_for(bus, previous) if d.event is event)


@pytest.mark.parametrize("event", list(WebhookEvent))
def test_a_sample_has_exactly_the_fields_of_a_real_delivery(event: WebhookEvent) -> None:
    sample = sample_payload(event)
    assert sample["event"] == event.value
    assert set(sample) == set(real_payload(event))
    assert json.loads(json.dumps(sample)) == sample


@pytest.mark.parametrize("event", list(WebhookEvent))
def test_sample_values_look_real(event: WebhookEvent) -> None:
    sample = sample_payload(event)
    assert uuid.UUID(sample["id"])
    assert datetime.fromisoformat(sample["occurred_at"]).tzinfo is not None
    assert all(value != "" for value in sample.values())


def test_samples_are_stable_and_each_event_has_its_own_id() -> None:
    assert sample_payload(E.USER_CREATED) == sample_payload(E.USER_CREATED)
    ids = {sample_payload(event)["id"] for event in WebhookEvent}
    assert len(ids) == len(WebhookEvent)


def test_user_samples_tell_a_consistent_story() -> None:
    created = sample_payload(E.USER_CREATED)
    assert (created["status"], created["invitation_state"], created["activated_at"]) == (
        "invited",
        "sent",
        None,
    )
    assert sample_payload(E.USER_ACTIVATED)["status"] == "active"
    assert sample_payload(E.USER_DEACTIVATED)["status"] == "deactivated"
    changed = sample_payload(E.USER_ROLE_CHANGED)
    assert changed["previous_role"] != changed["role"]
    assert created["groups"] == ["Cohorte automne 2025"]
    assert created["custom_fields"] == {"employee_number": "E-10482", "department": "Sales"}
