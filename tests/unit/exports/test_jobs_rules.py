"""The rules of jobs and requests: byte ranges, filters read the directory's way, the
projection of a snapshot."""

import uuid
from datetime import UTC, datetime

import pytest

from services.exports.domain.filters import definitions, read_filters, read_sort
from services.exports.domain.jobs import byte_range, file_name
from services.exports.domain.projection import fields_seen, projected_user
from shared.contracts.user_filters import UserSort
from shared.errors import Invalid
from tests.support.exports import SnapshotMaker


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("bytes=0-9", (0, 9)),
        ("bytes=10-", (10, 99)),
        ("bytes=-5", (95, 99)),
        ("bytes=90-500", (90, 99)),
        ("bytes=100-", None),  # past the end: the whole file
        ("bytes=5-2", None),
        ("bytes=0-1,5-6", None),  # several ranges: the whole file
        ("items=0-1", None),
        ("bytes=x-y", None),
    ],
)
def test_byte_ranges(header: str | None, expected: tuple[int, int] | None) -> None:
    assert byte_range(header, 100) == expected


def test_a_single_value_is_a_list_of_one_and_unknown_names_are_named() -> None:
    assert read_filters({"status": "invited"}).status == ("invited",)
    with pytest.raises(Invalid, match="colour"):
        read_filters({"colour": "red"})
    with pytest.raises(Invalid, match=r"filters\.status"):
        read_filters({"status": ["asleep"]})


def test_sorts() -> None:
    assert read_sort(None) is UserSort.NAME
    assert read_sort("-created_at") is UserSort.CREATED_DESC
    with pytest.raises(Invalid, match="height"):
        read_sort("height")


class Field:
    def __init__(self, key: str, type: str, choices: tuple[str, ...] = ()) -> None:
        self.key, self.label, self.type, self.choices = key, key.title(), type, list(choices)


def test_custom_field_values_are_read_by_their_type() -> None:
    fields = definitions([Field("seniority", "number"), Field("level", "choice")])
    filters = read_filters({"field.seniority": "3.0", "field.level": " B "})
    assert filters.custom_field_values(fields) == {"seniority": 3.0, "level": "B"}
    with pytest.raises(Invalid, match=r"field\.nope"):
        read_filters({"field.nope": "1"}).custom_field_values(fields)


def test_a_defined_choice_field_refuses_a_value_that_is_not_a_choice() -> None:
    fields = definitions([Field("level", "choice", ("A", "B"))])
    assert read_filters({"field.level": "B"}).custom_field_values(fields) == {"level": "B"}
    with pytest.raises(Invalid, match="expected one of A, B"):
        read_filters({"field.level": "Z"}).custom_field_values(fields)


def test_a_snapshot_becomes_a_row_and_its_fields() -> None:
    make = SnapshotMaker(uuid.uuid4())
    user = make.user(
        email="  Lea.Roy@Example.com ",
        group_names=["Ventes"],
        fields=[("department", "text", "TI")],
        version=4,
    )
    row = projected_user(user)
    assert row["email_normalized"] == "lea.roy@example.com"
    assert row["groups"] == ["Ventes"]
    assert row["group_ids"] == [make.groups["Ventes"]]
    assert row["custom_fields"] == {"department": "TI"}
    assert row["version"] == 4
    assert [(f.key, f.position) for f in fields_seen(user)] == [("department", 0)]


def test_file_names_say_the_day_the_job_and_the_format() -> None:
    job = uuid.UUID("12345678-0000-0000-0000-000000000000")
    moment = datetime(2026, 12, 4, 9, 5, tzinfo=UTC)
    assert file_name(job, moment, "xlsx") == "users-2026-12-04-0905-12345678.xlsx"
