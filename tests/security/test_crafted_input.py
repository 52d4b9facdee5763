"""Crafted input the black-box audit (issue 9) turned into 500s: each is now a 4xx that says
what is wrong."""

import base64
import uuid

import httpx
import pytest

from tests.support.directory import Lms, problem
from tests.support.servers import RunningServer


def cursor_of(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode("utf-8", "surrogatepass")).decode().rstrip("=")


CURSORS = {
    "a number": cursor_of("42"),
    "a list": cursor_of('["a", "b"]'),
    "an id that is a list": cursor_of('{"s": "name", "v": "a", "id": ["x"]}'),
    "an id that is a number": cursor_of('{"s": "name", "v": "a", "id": 7}'),
    "a time that is a list": cursor_of('{"t": ["x"], "id": "x"}'),
    "nested 2,000 deep": cursor_of("[" * 2000 + "]" * 2000),
    "nested objects 2,000 deep": cursor_of('{"a":' * 2000 + "1" + "}" * 2000),
    "a lone surrogate": cursor_of('{"s": "name", "v": "\\ud800", "id": "x"}'),
    "raw surrogate bytes": base64.urlsafe_b64encode(b'{"v": "\xed\xa0\x80"}').decode(),
}


@pytest.mark.parametrize("cursor", CURSORS.values(), ids=CURSORS.keys())
@pytest.mark.parametrize(
    "path", ["/api/v1/users", "/api/v1/users?sort=created_at", "/api/v1/users/{me}/activities"]
)
async def test_a_crafted_cursor_is_refused(lms: Lms, path: str, cursor: str) -> None:
    url = path.format(me=lms.tenant.admin_id)
    separator = "&" if "?" in url else "?"
    response = await lms.admin.get(f"{url}{separator}cursor={cursor}")
    problem(response, 400, "cursor")


@pytest.mark.parametrize("cursor", CURSORS.values(), ids=CURSORS.keys())
async def test_a_crafted_suppressions_cursor_is_refused(
    lms: Lms, invitations: RunningServer, cursor: str
) -> None:
    async with httpx.AsyncClient(base_url=invitations.url, headers=await bearer(lms)) as client:
        response = await client.get("/api/v1/suppressions", params={"cursor": cursor})
    problem(response, response.status_code, "cursor")
    assert response.status_code in (400, 422)


async def bearer(lms: Lms) -> dict[str, str]:
    response = await lms.admin.post("/api/v1/auth/token")
    if response.status_code == 200:
        return {"Authorization": f"Bearer {response.json()['access_token']}"}
    raise AssertionError(response.text)


@pytest.mark.parametrize("tag", ['"²"', '"' + "9" * 5000 + '"', '"٣"', '"-1"', '"1e3"'])
async def test_a_crafted_if_match_is_refused(lms: Lms, tag: str) -> None:
    user = await lms.invite()
    response = await lms.admin.patch(
        f"/api/v1/users/{user['id']}",
        json={"first_name": "Zoé"},
        headers={b"If-Match": tag.encode()},
    )
    assert response.status_code in (412, 422), response.text
    problem(response, response.status_code)
    assert (await lms.profile(user["id"]))["first_name"] == "Marie"


def nested(depth: int) -> str:
    return '{"a":' * depth + '"x"' + "}" * depth


@pytest.mark.parametrize("depth", [500, 950, 5000])
async def test_deeply_nested_custom_fields_are_refused(lms: Lms, depth: int) -> None:
    body = (
        f'{{"email": "n-{uuid.uuid4().hex[:8]}@example.com", "first_name": "A",'
        f' "last_name": "B", "custom_fields": {{"unit": {nested(depth)}}}}}'
    )
    response = await lms.admin.post(
        "/api/v1/users/invitations", content=body, headers={"Content-Type": "application/json"}
    )
    assert 400 <= response.status_code < 500, response.text
    problem(response, response.status_code)


async def test_a_lone_surrogate_in_a_text_field_is_refused(lms: Lms) -> None:
    created = await lms.admin.post(
        "/api/v1/custom-fields", json={"key": "unit", "label": "Unit", "type": "text"}
    )
    assert created.status_code == 201, created.text
    address = f"s-{uuid.uuid4().hex[:8]}@example.com"
    body = (
        f'{{"email": "{address}", "first_name": "A", "last_name": "B",'
        ' "custom_fields": {"unit": "\\ud800"}}'
    )
    response = await lms.admin.post(
        "/api/v1/users/invitations", content=body, headers={"Content-Type": "application/json"}
    )
    problem(response, 422, "custom_fields", "surrogate")
    named = body.replace('"first_name": "A"', '"first_name": "\\udfff"').replace("\\ud800", "x")
    response = await lms.admin.post(
        "/api/v1/users/invitations", content=named, headers={"Content-Type": "application/json"}
    )
    problem(response, 422, "first_name")


@pytest.mark.parametrize("csrf", ["é", "✓" * 43, "\U0001f600"])
async def test_a_non_ascii_csrf_value_is_refused(invitations: RunningServer, csrf: str) -> None:
    async with httpx.AsyncClient(base_url=invitations.url) as client:
        client.cookies.set("invite-csrf", "A" * 43)
        response = await client.post(
            f"/invite/{'t' * 43}",
            data={"csrf": csrf, "password": "x" * 20, "password_confirmation": "x" * 20},
        )
    assert response.status_code == 403, response.text
