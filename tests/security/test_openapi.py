"""The OpenAPI documents say what the API does (issue 9.9): errors are problem documents
with the Problem schema, the statuses each operation can give are there, the
choose-password form is described, a 405 names every allowed method, dates are dates."""

from collections.abc import Callable

import httpx
import pytest

from tests.security.conftest import api_service_names
from tests.support.directory import Lms, problem
from tests.support.servers import RunningServer

PROBLEM = "application/problem+json"


@pytest.mark.parametrize("service", api_service_names())
async def test_errors_are_documented_as_problems(
    service: str, running: Callable[[str], RunningServer]
) -> None:
    async with httpx.AsyncClient(base_url=running(service).url) as client:
        document = (await client.get("/openapi.json")).json()
    assert "HTTPValidationError" not in str(document)
    assert "Problem" in document["components"]["schemas"]
    for path, item in document["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            for status in ("400", "401", "403", "404", "409", "422", "429"):
                assert status in responses, (method, path, status)
            errors = [r for s, r in responses.items() if s[0] in "45"]
            assert all(PROBLEM in r["content"] or "text/html" in r["content"] for r in errors)
            if any(p["name"].lower() == "if-match" for p in operation.get("parameters", [])):
                assert {"412", "428"} <= set(responses), (method, path)


async def test_the_choose_password_form_is_described(invitations: RunningServer) -> None:
    async with httpx.AsyncClient(base_url=invitations.url) as client:
        document = (await client.get("/openapi.json")).json()
    form = document["paths"]["/invite/{token}"]["post"]["requestBody"]["content"]
    fields = form["application/x-www-form-urlencoded"]["schema"]["properties"]
    assert {"csrf", "password", "password_confirmation"} <= set(fields)


async def test_a_405_names_every_allowed_method(lms: Lms) -> None:
    response = await lms.admin.delete(f"/api/v1/users/{lms.tenant.admin_id}")
    assert response.status_code == 405
    assert set(response.headers["allow"].replace(" ", "").split(",")) == {"GET", "PATCH"}
    response = await lms.admin.put("/api/v1/groups")
    assert response.status_code == 405
    assert set(response.headers["allow"].replace(" ", "").split(",")) == {"GET", "POST"}


@pytest.mark.parametrize("value", ["0.5", "1700000000", "1e3", "-1"])
async def test_a_number_is_not_a_date(lms: Lms, value: str) -> None:
    response = await lms.admin.get("/api/v1/users", params={"last_login_to": value})
    problem(response, 422, "last_login_to", "ISO 8601")


async def test_a_date_is_a_date(lms: Lms) -> None:
    response = await lms.admin.get("/api/v1/users", params={"last_login_to": "2025-01-31"})
    assert response.status_code == 200, response.text
