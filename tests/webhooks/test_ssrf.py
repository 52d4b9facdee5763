"""SSRF: with production settings (https only, public addresses only) a target on a
non-public address is refused at subscription, whatever form the address takes and
whatever the name resolves to (a resolver the test controls), and again at delivery,
against the address about to be dialled (DNS that changes after the check)."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from shared.contracts.users import USER_CREATED
from tests.support.bus import EventPublisher
from tests.support.infra import Infrastructure
from tests.support.webhooks import (
    Integration,
    new_integration,
    own_database_and_vhost,
    start_webhooks,
    webhooks_settings,
)
from tests.webhooks.support import ScriptedResolver
from tests.webhooks.users import publish_user, snapshot

PUBLIC = "93.184.215.14"
RESOLVER = ScriptedResolver(
    {
        "public.example.com": [[PUBLIC]],
        "rebind.example.com": [[PUBLIC], ["127.0.0.1"]],
        "internal.example.com": [["10.0.0.5"]],
        "loop.example.com": [["127.0.0.1"]],
        "metadata.example.com": [["169.254.169.254"]],
        "v6loop.example.com": [["::1"]],
        "mapped.example.com": [["::ffff:10.0.0.1"]],
        "ula.example.com": [["fd00:ec2::254"]],
        "mixed.example.com": [[PUBLIC, "192.168.1.1"]],
    }
)


@pytest.fixture(scope="module")
async def strict(
    infra: Infrastructure, jwt_keys: tuple[str, str]
) -> AsyncIterator[tuple[Integration, EventPublisher]]:
    """A webhooks service with production rules, on a database and virtual host of its own."""
    async with own_database_and_vhost(infra, "strict") as (database_url, amqp_url):
        settings = webhooks_settings(
            database_url,
            amqp_url,
            jwt_keys[1],
            webhooks_allow_http_targets=False,
            webhooks_allow_private_targets=False,
        )
        server = await start_webhooks(settings, RESOLVER)
        integration = await new_integration(server.url, jwt_keys[0])
        publisher = await EventPublisher(amqp_url).start()
        yield integration, publisher
        await publisher.stop()
        await integration.aclose()
        await server.stop()


async def refusal(integration: Integration, url: str) -> httpx.Response:
    return await integration.client.post(
        "/api/v1/hooks", json={"target_url": url, "event": "user.created"}
    )


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://public.example.com/hook", "must use https"),
        ("https://127.0.0.1/hook", "127.0.0.1 (loopback)"),
        ("https://10.1.2.3/hook", "10.1.2.3 (private)"),
        ("https://169.254.169.254/latest/meta-data/", "169.254.169.254 (link-local)"),
        ("https://100.64.0.1/", "100.64.0.1 (shared address space)"),
        ("https://224.0.0.1/", "224.0.0.1 (multicast)"),
        ("https://240.0.0.1/", "240.0.0.1 (reserved)"),
        ("https://0.0.0.0/", "0.0.0.0 (unspecified)"),
        ("https://[::1]/hook", "::1 (loopback)"),
        ("https://[fe80::1]/hook", "fe80::1 (link-local)"),
        ("https://[fd00:ec2::254]/", "fd00:ec2::254 (unique-local)"),
        ("https://[::ffff:127.0.0.1]/", "carries 127.0.0.1: loopback"),
        ("https://[64:ff9b::a00:1]/", "carries 10.0.0.1: private"),
        ("https://2130706433/", "would be read as 127.0.0.1"),
        ("https://0177.0.0.1/", "would be read as 127.0.0.1"),
        ("https://0x7f.1/", "would be read as 127.0.0.1"),
        ("https://127.1/", "would be read as 127.0.0.1"),
        ("https://localhost/", "localhost is not a public host name"),
        ("https://db.localhost/", "db.localhost is a local name"),
        ("https://metadata.google.internal/", "is a local name"),
        ("https://internal.example.com/", "resolves to a non-public address: 10.0.0.5 (private)"),
        ("https://loop.example.com/", "127.0.0.1 (loopback)"),
        ("https://metadata.example.com/", "169.254.169.254 (link-local)"),
        ("https://v6loop.example.com/", "::1 (loopback)"),
        ("https://mapped.example.com/", "carries 10.0.0.1: private"),
        ("https://ula.example.com/", "fd00:ec2::254 (unique-local)"),
        ("https://mixed.example.com/", "192.168.1.1 (private)"),
        ("https://nowhere.example.com/", "nowhere.example.com can't be resolved"),
    ],
)
async def test_a_target_on_a_non_public_address_is_refused_at_subscription(
    strict: tuple[Integration, EventPublisher], url: str, says: str
) -> None:
    integration, _ = strict
    response = await refusal(integration, url)
    assert response.status_code == 422, response.text
    assert says in response.json()["detail"]
    assert response.json()["errors"][0]["field"] == "target_url"


async def test_a_public_target_is_accepted(strict: tuple[Integration, EventPublisher]) -> None:
    integration, _ = strict
    assert (await refusal(integration, "https://public.example.com/hook")).status_code == 201


async def test_dns_that_changes_after_the_subscription_is_refused_at_delivery(
    strict: tuple[Integration, EventPublisher],
) -> None:
    integration, events = strict
    hook = await integration.subscribe("https://rebind.example.com/hook", "user.created")

    await publish_user(events, USER_CREATED, snapshot(integration.tenant_id))

    first = await _first_attempt(integration, hook["id"])
    assert first["status"] is None
    assert first["outcome"] == "retrying"
    assert first["error"] == (
        "refused: rebind.example.com resolves to a non-public address: 127.0.0.1 (loopback)"
    )


async def _first_attempt(integration: Integration, hook_id: str) -> dict[str, Any]:
    async with asyncio.timeout(10):
        while True:
            page = (await integration.client.get(f"/api/v1/hooks/{hook_id}/attempts")).json()
            if page["items"]:
                first: dict[str, Any] = page["items"][-1]
                return first
            await asyncio.sleep(0.05)
