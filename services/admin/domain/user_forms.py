"""The invite and edit forms read back into what the users API takes: custom fields by
type, groups as ids; for an edit, only what changed (so that an unchanged role is not a
role change the rules would look at)."""

from collections.abc import Mapping, Sequence
from typing import Any

FIELD_INPUT_PREFIX = "cf."
TEXT_FIELDS = ("first_name", "last_name", "email", "locale", "role")

Form = Mapping[str, Sequence[str]]


def _one(form: Form, name: str) -> str:
    values = form.get(name) or [""]
    return values[-1].strip()


def field_value(field: Mapping[str, Any], raw: str) -> Any:
    """A custom field's value as its type wants it; None clears it. A number that does not
    read as one is sent as typed: the API says what is wrong with it."""
    if raw == "":
        return None
    kind = field.get("type")
    if kind == "yes_no":
        return raw == "yes"
    if kind == "number":
        try:
            number = float(raw.replace(",", "."))
        except ValueError:
            return raw
        return int(number) if number.is_integer() else number
    return raw


def custom_values(fields: Sequence[Mapping[str, Any]], form: Form) -> dict[str, Any]:
    return {
        f["key"]: field_value(f, _one(form, f"{FIELD_INPUT_PREFIX}{f['key']}"))
        for f in fields
        if f"{FIELD_INPUT_PREFIX}{f['key']}" in form
    }


def invitation_of(form: Form, fields: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    invitation: dict[str, Any] = {name: _one(form, name) for name in TEXT_FIELDS}
    invitation["role"] = invitation["role"] or "learner"
    if not invitation["locale"]:
        del invitation["locale"]
    if phone := _one(form, "phone"):
        invitation["phone"] = phone
    invitation["group_ids"] = [g for g in form.get("group_ids", []) if g]
    invitation["custom_fields"] = {
        k: v for k, v in custom_values(fields, form).items() if v is not None
    }
    return invitation


def changes_of(
    user: Mapping[str, Any], form: Form, fields: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    changes: dict[str, Any] = {
        name: _one(form, name)
        for name in TEXT_FIELDS
        if name in form and _one(form, name) != (user.get(name) or "")
    }
    if "phone" in form and _one(form, "phone") != (user.get("phone") or ""):
        changes["phone"] = _one(form, "phone") or None
    if "groups_shown" in form:
        chosen = sorted(g for g in form.get("group_ids", []) if g)
        if chosen != sorted(str(g["id"]) for g in user.get("groups", [])):
            changes["group_ids"] = chosen
    current = user.get("custom_fields") or {}
    edited = {
        key: value
        for key, value in custom_values(fields, form).items()
        if value != current.get(key)
    }
    if edited:
        changes["custom_fields"] = edited
    return changes
