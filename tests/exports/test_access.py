"""Only an administrator of the tenant, with exports:create, sees its jobs and files; bad
requests are refused with what is wrong."""

import uuid

import httpx
import pytest

from shared.security.permissions import Permission
from tests.exports.conftest import Population
from tests.support.exports import ExportsStack, export_and_wait


async def test_another_tenant_sees_nothing(population: Population) -> None:
    await population.add([population.make.user()])
    stack = population.stack
    async with stack.admin(population.tenant_id, population.admin_id) as admin:
        job = await export_and_wait(admin, {"format": "csv"})
    async with stack.admin(uuid.uuid4(), population.admin_id) as stranger:
        assert (await stranger.get(f"/api/v1/exports/{job['id']}")).status_code == 404
        assert (await stranger.get(f"/api/v1/exports/{job['id']}/file")).status_code == 404
        assert (await stranger.get("/api/v1/exports")).json()["items"] == []
        other = await export_and_wait(stranger, {"format": "csv"})
    assert other["row_count"] == 0  # the stranger's tenant has no users here


async def test_the_permission_is_needed(exports_stack: ExportsStack) -> None:
    tenant = uuid.uuid4()
    reader = frozenset({Permission.USERS_READ.value})
    async with exports_stack.admin(tenant, permissions=reader) as client:
        refused = await client.post("/api/v1/exports", json={"format": "csv"})
        assert refused.status_code == 403
        assert "exports:create" in refused.json()["detail"]
        assert (await client.get("/api/v1/exports")).status_code == 403
    async with httpx.AsyncClient(base_url=exports_stack.url) as anonymous:
        assert (await anonymous.get("/api/v1/exports")).status_code == 401
        assert (await anonymous.post("/api/v1/exports", json={"format": "csv"})).status_code == 401


@pytest.mark.parametrize(
    ("body", "said"),
    [
        ({"format": "pdf"}, "format"),
        ({"format": "csv", "filters": {"colour": "red"}}, "colour"),
        ({"format": "csv", "filters": {"status": ["asleep"]}}, "status"),
        ({"format": "csv", "filters": {"created_from": "yesterday"}}, "created_from"),
        ({"format": "csv", "filters": {"field.nope": "x"}}, "field.nope"),
        ({"format": "csv", "sort": "height"}, "height"),
        ({"format": "csv", "delimiter": "|"}, "delimiter"),
        ({"format": "csv", "role": "admin"}, "role"),
    ],
)
async def test_bad_requests_say_what_is_wrong(
    exports_stack: ExportsStack, body: dict[str, object], said: str
) -> None:
    async with exports_stack.admin(uuid.uuid4()) as admin:
        answer = await admin.post("/api/v1/exports", json=body)
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert said in answer.text
        assert (await admin.get("/api/v1/exports")).json()["items"] == []  # nothing queued


async def test_unknown_and_unfinished_jobs(population: Population) -> None:
    async with population.stack.admin(population.tenant_id) as admin:
        assert (await admin.get(f"/api/v1/exports/{uuid.uuid4()}")).status_code == 404
        assert (await admin.get("/api/v1/exports/not-an-id")).status_code == 422
