"""Issue 9.10: X-Forwarded-For is believed only from the gateway (FORWARDED_ALLOW_IPS). A
caller that reaches a service directly cannot name a fresh client address in the header
and so buy a fresh login budget: it is counted as the address it connects from."""

from collections.abc import AsyncIterator

import httpx
import pytest

from services.directory.settings import DirectorySettings
from tests.security.conftest import OwnDirectory, own_directory
from tests.support.directory import Tenant, new_tenant
from tests.support.infra import Infrastructure
from tests.support.servers import RunningServer

ATTEMPTS_PER_CLIENT = 30  # failed logins a client address gets before it is slowed down
GATEWAY = "10.255.255.254"  # not this test's address: the test is a caller from outside


async def guesses_each_from_a_forged_address(base_url: str, tenant: str) -> list[int]:
    async with httpx.AsyncClient(base_url=base_url, timeout=120) as caller:
        return [
            (
                await caller.post(
                    "/api/v1/auth/login",
                    json={"tenant": tenant, "email": f"user{n}@example.com", "password": "x"},
                    headers={"X-Forwarded-For": f"10.77.{n // 256}.{n % 256}"},
                )
            ).status_code
            for n in range(ATTEMPTS_PER_CLIENT + 1)
        ]


@pytest.fixture
async def directory_behind_its_gateway(
    infra: Infrastructure, private_vhost: str, directory_config: DirectorySettings
) -> AsyncIterator[OwnDirectory]:
    key = directory_config.jwt_private_key
    async with own_directory(infra, private_vhost, key, "forwarded_for") as own:
        await own.start(forwarded_allow_ips=GATEWAY)
        yield own


async def test_a_direct_caller_forging_the_header_is_counted_as_itself(
    directory_behind_its_gateway: OwnDirectory,
) -> None:
    own = directory_behind_its_gateway
    assert own.settings is not None
    tenant = await new_tenant(own.settings, own.url, "forwarded")
    statuses = await guesses_each_from_a_forged_address(own.url, tenant.slug)
    assert statuses == [401] * ATTEMPTS_PER_CLIENT + [429]


async def test_from_the_gateway_the_header_names_the_client(
    tenant: Tenant, directory: RunningServer
) -> None:
    """The same calls through a trusted gateway (the test directory trusts 127.0.0.1) are
    as many clients, none of which is slowed down."""
    statuses = await guesses_each_from_a_forged_address(directory.url, tenant.slug)
    assert statuses == [401] * (ATTEMPTS_PER_CLIENT + 1)
