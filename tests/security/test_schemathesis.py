"""Schemathesis over every API service's OpenAPI document (discovered from
stack/services.py), authenticated as tenant A's administrator: no 500, and every answer is
what the document says (status, content type, body, headers). Bounded: a few examples per
operation, so the whole audit fits in CI."""

import asyncio
import os
from collections.abc import Callable
from typing import Any

import httpx
import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.result import Err

from tests.security.conftest import api_service_names
from tests.support.directory import Tenant
from tests.support.servers import RunningServer

EXAMPLES = int(os.environ.get("AUDIT_EXAMPLES", "12"))  # per operation
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


def fuzz(document: dict[str, Any], base_url: str, headers: dict[str, str]) -> tuple[int, list[str]]:
    """Runs in a thread: schemathesis calls are blocking, the services run on the loop.
    Returns how many calls were made, and the failures."""
    schema = schemathesis.openapi.from_dict(document)
    failures = []
    calls = 0
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            failures.append(f"the document is invalid: {result.err()}")
            continue
        operation = result.ok()

        @hypothesis.given(case=operation.as_strategy())
        @hypothesis.settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def check(case: schemathesis.Case[Any]) -> None:
            nonlocal calls
            calls += 1
            case.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS, timeout=30)

        try:
            check()
        except Exception as error:
            failures.append(f"{operation.label}: {str(error)[:1500]}")
    return calls, failures


@pytest.mark.parametrize("service", api_service_names())
async def test_every_operation_answers_as_documented(
    service: str, running: Callable[[str], RunningServer], tenant: Tenant
) -> None:
    server = running(service)
    token = (await tenant.admin.post("/api/v1/auth/token")).json()["access_token"]
    async with httpx.AsyncClient(base_url=server.url) as client:
        document = (await client.get("/openapi.json")).json()
    headers = {"Authorization": f"Bearer {token}"}
    calls, failures = await asyncio.to_thread(fuzz, document, server.url, headers)
    assert failures == [], "\n\n".join(failures)
    assert calls >= len(document["paths"]), "every operation was called"
