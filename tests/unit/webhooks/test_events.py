"""Which events subscribers get from which bus events; user.role_changed is derived."""

import re
import uuid

import pytest

from services.webhooks.domain.events import (
    FED_BY,
    ROUTING_KEYS,
    WebhookEvent,
    events_for,
    parse_event,
    role_changed,
)
from shared.contracts import spec_for
from tests.unit.webhooks.users import snapshot

E = WebhookEvent


def test_the_eight_subscribable_events() -> None:
    assert [e.value for e in WebhookEvent] == [
        "user.created",
        "user.activated",
        "user.updated",
        "user.deactivated",
        "user.reactivated",
        "user.role_changed",
        "email.bounced",
        "export.completed",
    ]


def test_every_event_is_fed_by_a_bus_event_of_the_catalog() -> None:
    produced = {event for events in FED_BY.values() for event in events}
    assert produced == set(WebhookEvent)
    for key in ROUTING_KEYS:
        assert spec_for(key) is not None, key
    assert "user.logged_in" not in ROUTING_KEYS
    assert "user.role_changed" not in ROUTING_KEYS  # derived, never on the bus


def test_a_new_role_in_a_newer_snapshot_is_a_role_change() -> None:
    before = snapshot(role="learner", version=3)
    after = snapshot(role="instructor", version=4)
    assert role_changed(after, before)
    assert events_for("user.updated", after, before) == (E.USER_UPDATED, E.USER_ROLE_CHANGED)


def test_the_same_role_is_no_role_change() -> None:
    before, after = snapshot(version=3), snapshot(version=4, first_name="Marion")
    assert not role_changed(after, before)
    assert events_for("user.updated", after, before) == (E.USER_UPDATED,)


def test_without_a_previous_snapshot_no_role_change_can_be_seen() -> None:
    assert not role_changed(snapshot(), None)
    assert events_for("user.updated", snapshot(), None) == (E.USER_UPDATED,)


@pytest.mark.parametrize("previous_version", [4, 5])
def test_a_stale_or_repeated_snapshot_reveals_no_role_change(previous_version: int) -> None:
    before = snapshot(role="admin", version=previous_version)
    assert not role_changed(snapshot(role="learner", version=4), before)


def test_snapshots_of_two_users_are_not_compared() -> None:
    other = snapshot(id=uuid.uuid4(), role="admin", version=1)
    assert not role_changed(snapshot(version=4), other)


@pytest.mark.parametrize(
    ("key", "main"),
    [
        ("user.activated", E.USER_ACTIVATED),
        ("user.deactivated", E.USER_DEACTIVATED),
        ("user.reactivated", E.USER_REACTIVATED),
    ],
)
def test_any_later_user_event_can_carry_a_role_change(key: str, main: WebhookEvent) -> None:
    before, after = snapshot(role="learner", version=1), snapshot(role="admin", version=2)
    assert events_for(key, after, before) == (main, E.USER_ROLE_CHANGED)
    assert events_for(key, after, None) == (main,)


def test_a_created_user_has_no_role_change() -> None:
    before, after = snapshot(role="learner", version=1), snapshot(role="admin", version=2)
    assert events_for("user.created", after, before) == (E.USER_CREATED,)


def test_bounces_and_exports_map_one_to_one_and_other_keys_to_nothing() -> None:
    assert events_for("email.bounced") == (E.EMAIL_BOUNCED,)
    assert events_for("export.completed") == (E.EXPORT_COMPLETED,)
    assert events_for("user.logged_in", snapshot(), None) == ()
    assert events_for("export.failed") == ()
    assert events_for("email.complained") == ()


def test_a_client_naming_an_unknown_event_is_told_the_known_ones() -> None:
    assert parse_event("user.role_changed") is E.USER_ROLE_CHANGED
    with pytest.raises(
        ValueError, match=re.escape("Unknown event 'user.deleted': choose one of user.created")
    ):
        parse_event("user.deleted")
    with pytest.raises(ValueError, match=re.escape("export.completed")):
        parse_event("user_created")
