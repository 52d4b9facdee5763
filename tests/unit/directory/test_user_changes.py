"""How a change to a user is announced, and what of a user is shown."""

import uuid
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from services.directory.domain.custom_fields import values_by_key, values_shown
from services.directory.domain.users import UserChange, announced_change, shows_deactivation
from shared.contracts.custom_fields import FieldType
from shared.contracts.users import UserStatus

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_one_event_per_user_and_a_change_of_status_says_more_than_an_update() -> None:
    assert announced_change(UserChange.UPDATED, UserChange.ACTIVATED) is UserChange.ACTIVATED
    assert announced_change(UserChange.ACTIVATED, UserChange.UPDATED) is UserChange.ACTIVATED
    assert announced_change(UserChange.CREATED, UserChange.UPDATED) is UserChange.CREATED
    assert announced_change(UserChange.UPDATED, UserChange.UPDATED) is UserChange.UPDATED


def test_each_change_is_announced_by_the_user_event_of_its_name() -> None:
    assert {c.value for c in UserChange} == {
        "user.created",
        "user.updated",
        "user.activated",
        "user.deactivated",
        "user.reactivated",
        "user.logged_in",
    }


def user(**values: Any) -> Any:
    return SimpleNamespace(**{"status": UserStatus.ACTIVE, "deactivated_at": None, **values})


def test_a_deactivation_is_shown_while_the_user_is_deactivated() -> None:
    assert shows_deactivation(user(status=UserStatus.DEACTIVATED, deactivated_at=T0))
    assert not shows_deactivation(user(status=UserStatus.ACTIVE, deactivated_at=T0))


def field(key: str, position: int) -> Any:
    return SimpleNamespace(
        id=uuid.uuid4(),
        key=key,
        label=key.title(),
        type=FieldType.TEXT,
        required=False,
        choices=[],
        position=position,
        created_at=T0,
    )


def test_values_stored_by_field_id_are_shown_by_key_in_the_fields_order() -> None:
    unit, hired, gone = field("unit", 0), field("hired", 1), field("gone", 2)
    values = {str(hired.id): "2020-01-15", str(unit.id): "2A", str(uuid.uuid4()): "orphan"}
    assert values_by_key(values, [unit, hired, gone]) == {"unit": "2A", "hired": "2020-01-15"}
    shown = values_shown(values, [unit, hired, gone])
    assert [(v.key, v.label, v.type, v.value) for v in shown] == [
        ("unit", "Unit", "text", "2A"),
        ("hired", "Hired", "text", "2020-01-15"),
    ]
