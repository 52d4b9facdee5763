"""The directory's filters, read the directory's way (`shared.contracts.user_filters`),
against the custom fields the projection knows."""

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from pydantic import ValidationError

from shared.contracts.custom_fields import FieldDefinition, FieldType
from shared.contracts.user_filters import UserFilters, UserSort
from shared.errors import Invalid


class FieldRecord(Protocol):
    key: str
    label: str
    type: str
    choices: list[str]


def definitions(fields: Iterable[FieldRecord]) -> dict[str, FieldDefinition]:
    """The fields as filters read them. A choice field known only from snapshots (its
    definition, with the choices, not yet arrived) is read as text: a value no user has
    matches no user."""
    found = {}
    for field in fields:
        kind = FieldType(field.type)
        if kind is FieldType.CHOICE and not field.choices:
            kind = FieldType.TEXT
        found[field.key] = FieldDefinition(
            field.key, field.label, kind, choices=tuple(field.choices)
        )
    return found


def read_filters(given: Mapping[str, Any]) -> UserFilters:
    """The filters as UserFilters reads them, or Invalid naming each problem. A single value
    where a list is expected is taken as a list of one."""
    many = {n for n, f in UserFilters.model_fields.items() if _takes_many(f.annotation)}
    listed = {
        n: [v] if n in many and not isinstance(v, list | tuple) else v for n, v in given.items()
    }
    try:
        return UserFilters.model_validate(listed)
    except ValidationError as error:
        problems = [
            {"field": ".".join(["filters", *map(str, e["loc"])]), "message": e["msg"]}
            for e in error.errors()
        ]
        summary = "; ".join(f"{p['field']}: {p['message']}" for p in problems[:3])
        raise Invalid(f"Invalid filters: {summary}", errors=problems) from None


def read_sort(given: str | None) -> UserSort:
    if given is None:
        return UserSort.NAME
    try:
        return UserSort(given)
    except ValueError:
        known = ", ".join(s.value for s in UserSort)
        raise Invalid(f"sort: {given!r} is not a sort order; use one of {known}.") from None


def _takes_many(annotation: Any) -> bool:
    return getattr(annotation, "__origin__", None) is tuple
