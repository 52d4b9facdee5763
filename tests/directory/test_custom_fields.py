"""Custom fields: defining them, their values checked against their type, required fields,
filtering on a value, and deleting a field with its values."""

import uuid
from typing import Any

import pytest

from tests.support.directory import Lms, problem


async def define(lms: Lms, **field: Any) -> dict[str, Any]:
    body = {"label": field.get("key", "x").title(), **field}
    response = await lms.admin.post("/api/v1/custom-fields", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def fields(lms: Lms) -> list[dict[str, Any]]:
    response = await lms.admin.get("/api/v1/custom-fields")
    assert response.status_code == 200
    listed: list[dict[str, Any]] = response.json()
    return listed


async def set_values(lms: Lms, user_id: str, values: dict[str, Any]) -> Any:
    version = await lms.version(user_id)
    return await lms.admin.patch(
        f"/api/v1/users/{user_id}",
        json={"custom_fields": values},
        headers={"If-Match": f'"{version}"'},
    )


async def test_define_list_change_delete(lms: Lms) -> None:
    hired = await define(lms, key="hire_date", label="Date d'embauche", type="date", position=2)
    level = await define(
        lms, key="level", label="Niveau", type="choice", choices=["A", "B"], required=True
    )
    await define(lms, key="badge", label="Badge", type="number", position=2)
    assert (hired["key"], hired["type"], hired["required"], hired["choices"]) == (
        "hire_date",
        "date",
        False,
        [],
    )
    assert [f["key"] for f in await fields(lms)] == ["level", "badge", "hire_date"]

    response = await lms.admin.patch(
        f"/api/v1/custom-fields/{level['id']}",
        json={"label": "Niveau atteint", "choices": ["A", "B", "C"], "required": False,
              "position": 5},
    )  # fmt: skip
    assert response.status_code == 200, response.text
    changed = response.json()
    assert (changed["label"], changed["choices"], changed["required"], changed["position"]) == (
        "Niveau atteint",
        ["A", "B", "C"],
        False,
        5,
    )
    assert (changed["key"], changed["type"]) == ("level", "choice")
    assert [f["key"] for f in await fields(lms)] == ["badge", "hire_date", "level"]

    assert (await lms.admin.delete(f"/api/v1/custom-fields/{hired['id']}")).status_code == 204
    assert [f["key"] for f in await fields(lms)] == ["badge", "level"]


async def test_a_label_change_shows_on_profiles(lms: Lms) -> None:
    field = await define(lms, key="unit", label="Unité", type="text")
    user = await lms.invite(custom_fields={"unit": "3B"})
    await lms.admin.patch(f"/api/v1/custom-fields/{field['id']}", json={"label": "Unité de soins"})
    profile = await lms.profile(user["id"])
    assert profile["custom_field_details"] == [
        {"key": "unit", "label": "Unité de soins", "type": "text", "value": "3B"}
    ]


async def test_a_key_is_unique(lms: Lms) -> None:
    await define(lms, key="badge", type="number")
    response = await lms.admin.post(
        "/api/v1/custom-fields", json={"key": "badge", "label": "Other", "type": "text"}
    )
    problem(response, 409, "already exists")
    assert len(await fields(lms)) == 1


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"key": "Badge", "type": "text"}, ["key", "lower-case"]),
        ({"key": "1st", "type": "text"}, ["key"]),
        ({"key": "has space", "type": "text"}, ["key"]),
        ({"key": "x" * 65, "type": "text"}, ["key"]),
        ({"key": "ok", "type": "colour"}, ["type"]),
        ({"key": "ok", "type": "choice"}, ["choices", "at least one"]),
        ({"key": "ok", "type": "choice", "choices": ["a", "a"]}, ["choices", "different"]),
        ({"key": "ok", "type": "text", "choices": ["a"]}, ["choices", "only a choice field"]),
        ({"key": "ok", "type": "text", "position": -1}, ["position"]),
        ({"key": "ok", "type": "text", "required": "sometimes"}, ["required"]),
        ({"key": "ok", "type": "text", "id": str(uuid.uuid4())}, ["id"]),
        ({"type": "text"}, ["key"]),
    ],
)
async def test_bad_definitions_are_refused(
    lms: Lms, body: dict[str, Any], words: list[str]
) -> None:
    response = await lms.admin.post("/api/v1/custom-fields", json={"label": "L", **body})
    problem(response, 422, *words)
    assert await fields(lms) == []


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"key": "other"}, ["key"]),
        ({"type": "number"}, ["type"]),
        ({"choices": ["a"]}, ["choices", "only a choice field"]),
        ({"label": ""}, ["label"]),
        ({"position": 10_001}, ["position"]),
    ],
)
async def test_bad_changes_to_a_definition_are_refused(
    lms: Lms, body: dict[str, Any], words: list[str]
) -> None:
    field = await define(lms, key="unit", label="Unité", type="text")
    response = await lms.admin.patch(f"/api/v1/custom-fields/{field['id']}", json=body)
    problem(response, 422, *words)
    assert await fields(lms) == [field]


async def test_unknown_fields(lms: Lms) -> None:
    nowhere = uuid.uuid4()
    problem(await lms.admin.patch(f"/api/v1/custom-fields/{nowhere}", json={"label": "x"}), 404)
    problem(await lms.admin.delete(f"/api/v1/custom-fields/{nowhere}"), 404, "custom field")
    problem(await lms.admin.delete("/api/v1/custom-fields/badge"), 422, "field_id")


FIELD_TYPES: dict[str, dict[str, Any]] = {
    "note": {"type": "text"},
    "size": {"type": "number"},
    "since": {"type": "date"},
    "shift": {"type": "choice", "choices": ["day", "night"]},
    "trained": {"type": "yes_no"},
}

VALID: list[tuple[str, Any, Any]] = [
    ("note", "  Ventes Est ", "Ventes Est"),
    ("note", "é" * 1000, "é" * 1000),
    ("size", 12, 12),
    ("size", "12", 12),
    ("size", 3.5, 3.5),
    ("size", "-0.25", -0.25),
    ("size", "1e3", 1000.0),
    ("since", "2024-02-29", "2024-02-29"),
    ("shift", "night", "night"),
    ("trained", True, True),
    ("trained", False, False),
    ("trained", "oui", True),
    ("trained", "No", False),
]


@pytest.mark.parametrize(("key", "given", "stored"), VALID)
async def test_valid_values_are_stored_in_their_type(
    lms: Lms, key: str, given: Any, stored: Any
) -> None:
    await define(lms, key=key, **FIELD_TYPES[key])
    user = await lms.invite(custom_fields={key: given})
    assert user["custom_fields"] == {key: stored}
    assert (await lms.profile(user["id"]))["custom_field_details"][0]["value"] == stored
    [created] = await lms.bus.wait_for("user.created", subject=user["id"])
    assert created.data["custom_fields"][0]["value"] == stored


INVALID: list[tuple[str, Any, str]] = [
    ("note", 42, "expected text"),
    ("note", ["a"], "expected text"),
    ("note", "x" * 1001, "at most 1000"),
    ("size", "twelve", "expected a number"),
    ("size", True, "expected a number"),
    ("size", "inf", "expected a number"),
    ("size", "nan", "expected a number"),
    ("size", {"n": 1}, "expected a number"),
    ("size", 10**400, "number"),
    ("size", "1" + "0" * 400, "number"),
    ("since", "2023-02-29", "YYYY-MM-DD"),
    ("since", "29/02/2024", "YYYY-MM-DD"),
    ("since", 20240229, "YYYY-MM-DD"),
    ("shift", "evening", "day, night"),
    ("shift", 1, "day, night"),
    ("trained", "maybe", "true or false"),
    ("trained", 1, "true or false"),
]


@pytest.mark.parametrize(("key", "given", "message"), INVALID)
async def test_invalid_values_are_refused_saying_what_is_expected(
    lms: Lms, key: str, given: Any, message: str
) -> None:
    await define(lms, key=key, **FIELD_TYPES[key])
    user = await lms.invite()
    response = await set_values(lms, user["id"], {key: given})
    body = problem(response, 422, f"custom_fields.{key}", message)
    assert body["errors"][0]["field"] == f"custom_fields.{key}"
    assert (await lms.profile(user["id"]))["version"] == user["version"]


async def test_every_wrong_value_is_reported(lms: Lms) -> None:
    for key in ("size", "since", "shift"):
        await define(lms, key=key, **FIELD_TYPES[key])
    user = await lms.invite()
    response = await set_values(lms, user["id"], {"size": "x", "since": "x", "shift": "x"})
    body = problem(response, 422, "size", "since", "shift")
    assert {e["field"] for e in body["errors"]} == {
        "custom_fields.size",
        "custom_fields.since",
        "custom_fields.shift",
    }


async def test_a_required_field_cannot_be_cleared_or_left_blank(lms: Lms) -> None:
    await define(lms, key="employer", type="text", required=True)
    user = await lms.invite(custom_fields={"employer": "CIUSSS"})
    for blank in (None, "", "   "):
        response = await set_values(lms, user["id"], {"employer": blank})
        problem(response, 422, "custom_fields.employer", "required")
    profile = await lms.profile(user["id"])
    assert profile["custom_fields"] == {"employer": "CIUSSS"}
    response = await lms.admin.post(
        "/api/v1/users/invitations",
        json={"email": "blank@example.com", "first_name": "B", "last_name": "L",
              "custom_fields": {"employer": "  "}},
    )  # fmt: skip
    problem(response, 422, "custom_fields.employer", "required")


async def test_an_optional_value_cleared_by_null_or_blank(lms: Lms) -> None:
    await define(lms, key="note", type="text")
    await define(lms, key="size", type="number")
    user = await lms.invite(custom_fields={"note": "keep me?", "size": 3})
    response = await set_values(lms, user["id"], {"note": "  ", "size": None})
    assert response.status_code == 200, response.text
    assert response.json()["custom_fields"] == {}
    assert response.json()["custom_field_details"] == []


async def test_a_field_made_required_later_does_not_block_other_edits(lms: Lms) -> None:
    field = await define(lms, key="site", type="text")
    user = await lms.invite()
    await lms.admin.patch(f"/api/v1/custom-fields/{field['id']}", json={"required": True})
    version = await lms.version(user["id"])
    response = await lms.admin.patch(
        f"/api/v1/users/{user['id']}", json={"first_name": "Ok"}, headers={"If-Match": str(version)}
    )
    assert response.status_code == 200, response.text


async def test_users_are_found_by_a_custom_field_value(lms: Lms) -> None:
    await define(lms, key="site", type="choice", choices=["Laval", "Lévis"])
    await define(lms, key="seniority", type="number")
    laval = await lms.invite(custom_fields={"site": "Laval", "seniority": 3})
    levis = await lms.invite(custom_fields={"site": "Lévis", "seniority": 3.0})
    await lms.invite()

    found = await lms.admin.get("/api/v1/users", params={"field.site": "Lévis"})
    assert [u["id"] for u in found.json()["items"]] == [levis["id"]]
    found = await lms.admin.get("/api/v1/users", params={"field.seniority": "3"})
    assert {u["id"] for u in found.json()["items"]} == {laval["id"], levis["id"]}


async def test_deleting_a_field_removes_its_values(lms: Lms) -> None:
    doomed = await define(lms, key="locker", type="number")
    await define(lms, key="unit", type="text")
    holder = await lms.invite(custom_fields={"locker": 12, "unit": "3B"})
    other = await lms.invite(custom_fields={"unit": "4C"})

    assert (await lms.admin.delete(f"/api/v1/custom-fields/{doomed['id']}")).status_code == 204

    profile = await lms.profile(holder["id"])
    assert profile["custom_fields"] == {"unit": "3B"}
    assert [d["key"] for d in profile["custom_field_details"]] == ["unit"]
    assert profile["version"] == holder["version"] + 1
    [event] = await lms.bus.wait_for(
        "user.updated", subject=holder["id"], version=profile["version"]
    )
    assert [v["key"] for v in event.data["custom_fields"]] == ["unit"]
    assert await lms.version(other["id"]) == other["version"]
    # A new field with the same key starts empty: the old values are gone for good.
    await define(lms, key="locker", type="number")
    assert (await lms.profile(holder["id"]))["custom_fields"] == {"unit": "3B"}
    response = await lms.admin.get("/api/v1/users", params={"field.locker": "12"})
    assert response.json()["total"] == 0
