"""The user-list filters every service reads the same way (the directory's list, exports)."""

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from shared.contracts.custom_fields import FieldDefinition, FieldType
from shared.contracts.user_filters import InvitationFilter, UserFilters, UserSort
from shared.contracts.users import EmailState, UserStatus
from shared.errors import Invalid

FIELDS = {
    "department": FieldDefinition("department", "Service", FieldType.CHOICE, choices=("TI",)),
    "badge": FieldDefinition("badge", "Badge", FieldType.NUMBER),
    "remote": FieldDefinition("remote", "Télétravail", FieldType.YES_NO),
}


def refused(data: Any) -> str:
    with pytest.raises(ValidationError) as error:
        UserFilters.model_validate(data)
    return str(error.value)


def test_a_query_string_and_a_json_body_mean_the_same_filters() -> None:
    group = uuid.uuid4()
    from_query = UserFilters.from_query(
        [
            ("group", str(group)),
            ("status", "invited"),
            ("status", "active"),
            ("invitation", "expired"),
            ("email_status", "bounced"),
            ("q", "Marie  Tremblay"),
            ("created_from", "2024-01-01T00:00:00"),
            ("never_logged_in", "true"),
            ("field.department", "TI"),
        ]
    )
    from_json = UserFilters.model_validate(
        {
            "group": [str(group)],
            "status": ["invited", "active"],
            "invitation": ["expired"],
            "email_status": ["bounced"],
            "q": "Marie  Tremblay",
            "created_from": "2024-01-01T00:00:00Z",
            "never_logged_in": True,
            "field.department": "TI",
        }
    )
    assert from_query == from_json
    assert from_query.status == (UserStatus.INVITED, UserStatus.ACTIVE)
    assert from_query.invitation == (InvitationFilter.EXPIRED,)
    assert from_query.email_status == (EmailState.BOUNCED,)
    assert from_query.group == (group,)
    assert from_query.custom_fields == {"department": "TI"}


def test_filters_round_trip_through_json_as_an_export_job_stores_them() -> None:
    filters = UserFilters.from_query([("role", "admin"), ("field.badge", "7"), ("q", "zoé")])
    assert UserFilters.model_validate_json(filters.model_dump_json()) == filters


def test_free_text_is_its_words_lower_cased_without_one_letter_ones() -> None:
    assert UserFilters(q="  Zoé GAGNON a zoé 42 ").search_terms == ("zoé", "gagnon", "42")
    assert UserFilters(q="a b").search_terms == ()
    assert UserFilters(q="a b").is_empty
    assert UserFilters(email="   ").email_contains is None
    assert UserFilters(email=" @Example ").email_contains == "@Example"


def test_dates_are_in_utc_and_one_without_a_zone_is_utc() -> None:
    filters = UserFilters.from_query(
        [("created_from", "2024-01-01T00:00:00"), ("created_to", "2024-01-01T05:00:00-05:00")]
    )
    assert filters.created_from == datetime(2024, 1, 1, tzinfo=UTC)
    assert filters.created_to == datetime(2024, 1, 1, 10, tzinfo=UTC)


def test_no_filter_is_every_user_and_any_filter_is_not() -> None:
    assert UserFilters().is_empty
    assert not UserFilters(never_logged_in=False).is_empty
    assert not UserFilters.from_query([("field.badge", "7")]).is_empty


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"colour": "blue", "Status": "active"}, ["Unknown parameter(s): Status, colour"]),
        ({"status": ["asleep"]}, ["status"]),
        ({"invitation": ["lost"]}, ["invitation"]),
        ({"group": ["not-a-uuid"]}, ["group"]),
        ({"created_from": "yesterday"}, ["created_from"]),
        ({"created_from": "0001-01-01T00:00:00+14:00"}, ["created_from", "out of range"]),
        ({"never_logged_in": "perhaps"}, ["never_logged_in"]),
        ({"q": "x" * 201}, ["q"]),
        ({"q": "ab\x00cd"}, ["q", "NUL"]),
        ({"role": ["admin\x00"]}, ["role", "NUL"]),
        ({"field.unit": "3\x00B"}, ["field.unit", "NUL"]),
        ({"field.unit": ["a", "b"]}, ["field.unit", "one value"]),
    ],
)
def test_bad_filters_are_refused_saying_which_and_why(data: Any, words: list[str]) -> None:
    message = refused(data)
    for word in words:
        assert word in message


def test_custom_field_filters_mean_what_the_fields_type_says() -> None:
    filters = UserFilters.from_query(
        [("field.department", "TI"), ("field.badge", "7"), ("field.remote", "oui")]
    )
    assert filters.custom_field_values(FIELDS) == {"department": "TI", "badge": 7, "remote": True}


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (("field.unknown", "1"), "field.unknown: there is no custom field with this key."),
        (("field.department", "Ventes"), "field.department: expected one of TI."),
        (("field.badge", "seven"), "field.badge: expected a number."),
        (("field.remote", "maybe"), "field.remote: expected true or false."),
    ],
)
def test_a_custom_field_filter_that_cannot_mean_anything_is_invalid(
    given: tuple[str, str], message: str
) -> None:
    filters = UserFilters.from_query([given])
    with pytest.raises(Invalid) as error:
        filters.custom_field_values(FIELDS)
    assert error.value.detail == message


def test_sort_orders_say_their_key_and_direction() -> None:
    assert UserSort("-last_login_at").key == "last_login_at"
    assert UserSort("-last_login_at").descending
    assert not UserSort.NAME.descending
    assert {s.key for s in UserSort} == {"name", "email", "created_at", "last_login_at"}
