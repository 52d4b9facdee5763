"""Bad input on every endpoint of users, groups and custom fields: a 4xx (never a 500) whose
`detail` says what is wrong, and nothing half-written (no row changed, no event)."""

import base64
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest

from services.directory.settings import DirectorySettings
from tests.support.bus import BusSpy, EventPublisher
from tests.support.directory import Lms, new_tenant, problem
from tests.support.servers import RunningServer, api_routes

PREFIXES = ("/api/v1/users", "/api/v1/groups", "/api/v1/custom-fields")
# Routes that take no input but the caller's identity: nothing to get wrong.
NO_INPUT = {
    ("GET", "/api/v1/groups"),
    ("GET", "/api/v1/custom-fields"),
    ("GET", "/api/v1/users/bulk"),
}

NUL = "\u0000"
JSON_TYPE = {"content-type": "application/json"}
BROKEN_JSON: dict[str, Any] = {"content": b'{"name": "unfinished', "headers": JSON_TYPE}
NOT_AN_OBJECT: dict[str, Any] = {"content": b'["a", "list"]', "headers": JSON_TYPE}
AT_YEAR_ZERO = "0001-01-01T00:00:00+14:00"
AFTER_YEAR_9999 = "9999-12-31T23:59:59-14:00"
IF_MATCH = {"If-Match": '"{version}"'}


def cursor(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


@dataclass(frozen=True)
class Case:
    method: str
    path: str
    request: dict[str, Any]
    status: int
    words: tuple[str, ...]

    @property
    def id(self) -> str:
        return f"{self.method} {self.path} {'/'.join(self.words)}"


def case(method: str, path: str, status: int, *words: str, **request: Any) -> Case:
    return Case(method, path, request, status, words)


USERS, USER = "/api/v1/users", "/api/v1/users/{user_id}"
GROUP, FIELD = "/api/v1/groups/{group_id}", "/api/v1/custom-fields/{field_id}"
MEMBER = "/api/v1/groups/{group_id}/members/{user_id}"
BULK = "/api/v1/users/bulk"
NEW_USER = {"email": "new@example.com", "first_name": "New", "last_name": "User"}

CASES = [
    # POST /api/v1/users/invitations
    case("POST", f"{USERS}/invitations", 422, "JSON", **BROKEN_JSON),
    case("POST", f"{USERS}/invitations", 422, "dictionary", **NOT_AN_OBJECT),
    case("POST", f"{USERS}/invitations", 422, "email", "required", json={"first_name": "A"}),
    case("POST", f"{USERS}/invitations", 422, "first_name", "NUL",
         json={**NEW_USER, "first_name": f"Ma{NUL}rie"}),
    case("POST", f"{USERS}/invitations", 422, "custom_fields", "NUL",
         json={**NEW_USER, "custom_fields": {"unit": f"3{NUL}B"}}),
    case("POST", f"{USERS}/invitations", 422, "custom_fields.unit", "expected text",
         json={**NEW_USER, "custom_fields": {"unit": {"deep": ["er"]}}}),
    case("POST", f"{USERS}/invitations", 422, "locale", json={**NEW_USER, "locale": "FR"}),
    case("POST", f"{USERS}/invitations", 422, "group_ids",
         json={**NEW_USER, "group_ids": "{group_id}"}),
    case("POST", f"{USERS}/invitations", 409, "already exists",
         json={**NEW_USER, "email": "{email}"}),
    # GET /api/v1/users
    case("GET", USERS, 422, "q", "NUL", params={"q": f"ab{NUL}cd"}),
    case("GET", USERS, 422, "email", "NUL", params={"email": NUL}),
    case("GET", USERS, 422, "role", "NUL", params={"role": f"admin{NUL}"}),
    case("GET", USERS, 422, "field.unit", "NUL", params={"field.unit": f"3{NUL}B"}),
    case("GET", USERS, 422, "created_from", "out of range", params={"created_from": AT_YEAR_ZERO}),
    case("GET", USERS, 422, "created_to", "out of range", params={"created_to": AFTER_YEAR_9999}),
    case("GET", USERS, 422, "last_login_from", "out of range",
         params={"last_login_from": AT_YEAR_ZERO}),
    case("GET", USERS, 422, "last_login_to", "out of range",
         params={"last_login_to": AFTER_YEAR_9999}),
    case("GET", USERS, 422, "limit", params={"limit": "10" * 30}),
    case("GET", USERS, 422, "unknown", "colour", params={"colour": "blue"}),
    case("GET", USERS, 400, "cursor",
         params={"cursor": cursor({"s": "name", "v": f"a{NUL}", "id": str(uuid.uuid4())})}),
    case("GET", USERS, 400, "cursor", params={"sort": "created_at", "cursor": cursor(
        {"s": "created_at", "v": AT_YEAR_ZERO, "id": str(uuid.uuid4())})}),
    case("GET", USERS, 400, "cursor", params={"sort": "-last_login_at", "cursor": cursor(
        {"s": "-last_login_at", "v": None, "id": str(uuid.uuid4())})}),
    # GET /api/v1/users/{user_id}
    case("GET", "/api/v1/users/not-a-uuid", 422, "user_id"),
    case("GET", f"{USERS}/{uuid.uuid4()}", 404, "no such user"),
    # GET /api/v1/users/{user_id}/activities
    case("GET", f"{USER}/activities", 422, "limit", params={"limit": 0}),
    case("GET", f"{USER}/activities", 400, "cursor", params={"cursor": "%%%"}),
    case("GET", f"{USER}/activities", 400, "cursor",
         params={"cursor": cursor({"t": AT_YEAR_ZERO, "id": str(uuid.uuid4())})}),
    case("GET", "/api/v1/users/0/activities", 422, "user_id"),
    # PATCH /api/v1/users/{user_id}
    case("PATCH", USER, 422, "JSON", headers={**BROKEN_JSON["headers"], **IF_MATCH},
         content=BROKEN_JSON["content"]),
    case("PATCH", USER, 422, "dictionary", headers={**NOT_AN_OBJECT["headers"], **IF_MATCH},
         content=NOT_AN_OBJECT["content"]),
    case("PATCH", USER, 422, "last_name", "NUL", json={"last_name": NUL}, headers=IF_MATCH),
    case("PATCH", USER, 422, "custom_fields", "NUL", json={"custom_fields": {NUL: 1}},
         headers=IF_MATCH),
    case("PATCH", USER, 422, "status", json={"status": "active"}, headers=IF_MATCH),
    case("PATCH", USER, 422, "If-Match", json={"first_name": "X"}, headers={"If-Match": "*"}),
    case("PATCH", USER, 428, "If-Match", json={"first_name": "X"}),
    case("PATCH", USER, 412, "changed meanwhile", json={"first_name": "X"},
         headers={"If-Match": '"99999999999999999999"'}),
    # POST /api/v1/users/{user_id}/deactivate
    case("POST", f"{USER}/deactivate", 422, "JSON", **BROKEN_JSON),
    case("POST", f"{USER}/deactivate", 422, "reason", "NUL", json={"reason": f"a{NUL}"}),
    case("POST", f"{USER}/deactivate", 422, "reason", json={"reason": ["a"]}),
    # POST /api/v1/users/{user_id}/reactivate
    case("POST", f"{USER}/reactivate", 409, "only a deactivated user"),
    case("POST", "/api/v1/users/me/reactivate", 422, "user_id"),
    # POST /api/v1/users/{user_id}/invitation/resend
    case("POST", "/api/v1/users/{admin_id}/invitation/resend", 409, "not accepted"),
    case("POST", "/api/v1/users/me/invitation/resend", 422, "user_id"),
    # POST /api/v1/users/{user_id}/password-reset
    case("POST", f"{USER}/password-reset", 409, "only an active user"),
    case("POST", "/api/v1/users/me/password-reset", 422, "user_id"),
    # POST /api/v1/groups
    case("POST", "/api/v1/groups", 422, "JSON", **BROKEN_JSON),
    case("POST", "/api/v1/groups", 422, "name", "NUL", json={"name": f"A{NUL}"}),
    case("POST", "/api/v1/groups", 409, "already exists", json={"name": "  EXISTING  "}),
    # PATCH /api/v1/groups/{group_id}
    case("PATCH", GROUP, 422, "name", "NUL", json={"name": NUL}),
    case("PATCH", GROUP, 422, "dictionary", **NOT_AN_OBJECT),
    case("PATCH", "/api/v1/groups/existing", 422, "group_id", json={"name": "X"}),
    # DELETE /api/v1/groups/{group_id}
    case("DELETE", "/api/v1/groups/1", 422, "group_id"),
    case("DELETE", f"/api/v1/groups/{uuid.uuid4()}", 404, "no such group"),
    # PUT and DELETE /api/v1/groups/{group_id}/members/{user_id}
    case("PUT", "/api/v1/groups/{group_id}/members/x", 422, "user_id"),
    case("PUT", "/api/v1/groups/x/members/{user_id}", 422, "group_id"),
    case("DELETE", "/api/v1/groups/{group_id}/members/x", 422, "user_id"),
    case("DELETE", f"/api/v1/groups/{{group_id}}/members/{uuid.uuid4()}", 404, "no such user"),
    # POST /api/v1/custom-fields
    case("POST", "/api/v1/custom-fields", 422, "JSON", **BROKEN_JSON),
    case("POST", "/api/v1/custom-fields", 422, "label", "NUL",
         json={"key": "k", "label": f"L{NUL}", "type": "text"}),
    case("POST", "/api/v1/custom-fields", 422, "choices", "blank",
         json={"key": "k", "label": "L", "type": "choice", "choices": ["a", " "]}),
    case("POST", "/api/v1/custom-fields", 409, "already exists",
         json={"key": "unit", "label": "L", "type": "text"}),
    # PATCH /api/v1/custom-fields/{field_id}
    case("PATCH", FIELD, 422, "label", "NUL", json={"label": f"{NUL}"}),
    case("PATCH", FIELD, 422, "JSON", **BROKEN_JSON),
    case("PATCH", "/api/v1/custom-fields/unit", 422, "field_id", json={"label": "X"}),
    # DELETE /api/v1/custom-fields/{field_id}
    case("DELETE", "/api/v1/custom-fields/unit", 422, "field_id"),
    # POST /api/v1/users/bulk (a preview: nothing is written either way)
    case("POST", BULK, 422, "JSON", **BROKEN_JSON),
    case("POST", BULK, 422, "action", json={"action": "delete", "filters": {}}),
    case("POST", BULK, 422, "filters", "user_ids", json={"action": "reactivate"}),
    case("POST", BULK, 422, "Unknown parameter", "colour",
         json={"action": "reactivate", "filters": {"colour": "red"}}),
    case("POST", BULK, 422, "status",
         json={"action": "reactivate", "filters": {"status": ["asleep"]}}),
    case("POST", BULK, 404, "no such group",
         json={"action": "add_to_group", "filters": {}, "params": {"group_id": str(uuid.uuid4())}}),
    case("POST", BULK, 422, "params.key",
         json={"action": "set_custom_field", "filters": {}, "params": {"key": "nope"}}),
    case("POST", BULK, 422, "role", json={"action": "change_role", "filters": {},
         "params": {"role": "emperor"}}),
    case("POST", BULK, 422, "reason",
         json={"action": "deactivate", "filters": {}, "params": {"reason": "x" * 501}}),
    # /api/v1/users/bulk/{job_id}...
    case("GET", f"{BULK}/{uuid.uuid4()}", 404, "no such job"),
    case("GET", f"{BULK}/not-a-job", 422, "job_id"),
    case("POST", f"{BULK}/{uuid.uuid4()}/cancel", 404, "no such job"),
    case("GET", f"{BULK}/{uuid.uuid4()}/results.csv", 404, "no such job"),
]  # fmt: skip


@dataclass
class World:
    lms: Lms
    values: dict[str, str]

    def fill(self, value: Any) -> Any:
        if isinstance(value, str):
            for key, replacement in self.values.items():
                value = value.replace("{" + key + "}", replacement)
            return value
        if isinstance(value, dict):
            return {k: self.fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.fill(v) for v in value]
        return value


@pytest.fixture(scope="module")
async def world(
    directory: RunningServer,
    directory_config: DirectorySettings,
    bus: BusSpy,
    events: EventPublisher,
    amqp_url: str,
) -> AsyncIterator[World]:
    """One tenant for the module: no case may change it, which each case checks."""
    tenant = await new_tenant(directory_config, directory.url, name="bad-input")
    lms = Lms(tenant, bus, events, amqp_url)
    group = (await lms.admin.post("/api/v1/groups", json={"name": "Existing"})).json()
    field = {"key": "unit", "label": "Unité", "type": "text"}
    field_id = (await lms.admin.post("/api/v1/custom-fields", json=field)).json()["id"]
    user = await lms.invite(group_ids=[group["id"]], custom_fields={"unit": "2A"})
    values = {
        "user_id": user["id"],
        "group_id": group["id"],
        "field_id": field_id,
        "email": user["email"],
        "version": str(user["version"]),
        "admin_id": str(tenant.admin_id),
    }
    yield World(lms, values)
    await tenant.admin.aclose()


async def fingerprint(world: World, directory_sql: asyncpg.Pool) -> Any:
    """Everything the bad request might have half-written: the tenant's users, groups and
    fields as the API shows them, and the events written for it."""
    admin = world.lms.admin
    users = (await admin.get("/api/v1/users", params={"limit": 200})).json()["items"]
    groups = (await admin.get("/api/v1/groups")).json()
    fields = (await admin.get("/api/v1/custom-fields")).json()
    events = await directory_sql.fetchval(
        "SELECT count(*) FROM outbox WHERE position($1 in body) > 0", str(world.lms.tenant.id)
    )
    return users, groups, fields, events


@pytest.mark.parametrize("bad", CASES, ids=[c.id for c in CASES])
async def test_bad_input_is_refused_saying_why_and_changes_nothing(
    world: World, directory_sql: asyncpg.Pool, bad: Case
) -> None:
    before = await fingerprint(world, directory_sql)
    request = world.fill(bad.request)
    if "json" in request:
        request["content"] = json.dumps(request.pop("json")).encode()
        request["headers"] = {"content-type": "application/json", **request.get("headers", {})}

    response = await world.lms.admin.request(bad.method, world.fill(bad.path), **request)

    problem(response, bad.status, *bad.words)
    assert await fingerprint(world, directory_sql) == before


def test_every_endpoint_has_bad_input_cases(directory: RunningServer) -> None:
    routes = {
        (method, path)
        for method, path in api_routes(directory.app)
        if path.startswith(PREFIXES) and method != "HEAD"
    }
    covered = {(c.method, _template(c.path)) for c in CASES} | NO_INPUT
    assert routes - covered == set()


def _template(path: str) -> str:
    """The route a concrete path of the cases belongs to."""
    parts = path.split("/")
    names = {3: {"users": "{user_id}", "groups": "{group_id}", "custom-fields": "{field_id}"}}
    if len(parts) > 5 and parts[4] == "bulk":
        parts[5] = "{job_id}"
    elif len(parts) > 4 and parts[4] not in ("invitations", "bulk"):
        parts[4] = names[3][parts[3]]
    if len(parts) > 6 and parts[5] == "members":
        parts[6] = "{user_id}"
    return "/".join(parts)
