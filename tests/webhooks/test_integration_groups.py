"""The groups Zapier's "Invite User" offers by name: `GET /api/v1/integrations/groups` on
the webhooks service asks the directory over the bus (request/reply) for the caller's
tenant's groups. The real directory, webhooks service and RabbitMQ of the run."""

from typing import Any

import httpx

from services.directory.settings import DirectorySettings
from tests.support.directory import create_groups, new_tenant, problem
from tests.support.infra import Infrastructure
from tests.support.servers import RunningServer
from tests.webhooks.zapier import Zapier, webhooks_without_directory

GROUPS = "/api/v1/integrations/groups"


async def all_pages(client: httpx.AsyncClient, limit: int) -> list[dict[str, Any]]:
    pages: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": limit}
    while True:
        response = await client.get(GROUPS, params=params)
        assert response.status_code == 200, response.text
        pages.append(response.json())
        if pages[-1]["next_cursor"] is None:
            return pages
        params["cursor"] = pages[-1]["next_cursor"]


async def test_the_keys_tenants_groups_by_name(zapier: Zapier) -> None:
    ids = await create_groups(zapier.lms.admin, "zeta cohort", "Alpha team", "beta testers")

    response = await zapier.client.get(GROUPS)

    assert response.status_code == 200, response.text
    page = response.json()
    assert page["items"] == [
        {"id": ids["Alpha team"], "name": "Alpha team"},
        {"id": ids["beta testers"], "name": "beta testers"},
        {"id": ids["zeta cohort"], "name": "zeta cohort"},
    ], "sorted by name, case aside"
    assert (page["next_cursor"], page["total"]) == (None, 3)


async def test_pages_follow_each_other_by_name_to_the_end(zapier: Zapier) -> None:
    names = ["Éco", "delta", "Charlie", "bravo", "alpha"]
    await create_groups(zapier.lms.admin, *names)

    pages = await all_pages(zapier.client, limit=2)

    assert [[g["name"] for g in page["items"]] for page in pages] == [
        ["alpha", "bravo"],
        ["Charlie", "delta"],
        ["Éco"],
    ]
    assert {page["total"] for page in pages} == {5}


async def test_an_administrators_access_token_lists_them_too(zapier: Zapier) -> None:
    await create_groups(zapier.lms.admin, "Newcomers")

    response = await zapier.admin.get(GROUPS)

    assert response.status_code == 200, response.text
    assert [g["name"] for g in response.json()["items"]] == ["Newcomers"]


async def test_no_group_of_another_tenant_is_listed(
    zapier: Zapier, directory: RunningServer, directory_config: DirectorySettings
) -> None:
    other = await new_tenant(directory_config, directory.url, "other")
    try:
        theirs = await create_groups(other.admin, "Alpha team", "Secret board")
        ours = await create_groups(zapier.lms.admin, "Alpha team")

        listed = (await zapier.client.get(GROUPS)).json()
    finally:
        await other.admin.aclose()

    assert listed["items"] == [{"id": ours["Alpha team"], "name": "Alpha team"}]
    assert listed["total"] == 1
    assert not set(theirs.values()) & {g["id"] for g in listed["items"]}


async def test_a_revoked_key_lists_nothing(zapier: Zapier) -> None:
    await create_groups(zapier.lms.admin, "Newcomers")
    revoked = await zapier.admin.delete(f"/api/v1/api-keys/{zapier.key['id']}")
    assert revoked.status_code == 204

    response = await zapier.client.get(GROUPS)

    problem(response, 401, "revoked")


async def test_a_cursor_that_is_not_one_is_refused_in_words(zapier: Zapier) -> None:
    forged = "eyJhZnRlciI6IiJ9"  # {"after":""}

    for cursor in ["not-a-cursor", forged]:
        problem(await zapier.client.get(GROUPS, params={"cursor": cursor}), 400, "cursor")
    problem(await zapier.client.get(GROUPS, params={"limit": 0}), 422, "limit")


async def test_no_directory_answering_is_503_not_a_hang_or_a_500(
    infra: Infrastructure, jwt_keys: tuple[str, str], zapier: Zapier
) -> None:
    async with webhooks_without_directory(infra, jwt_keys, zapier, "nogroups") as admin:
        response = await admin.get(GROUPS)

    problem(response, 503, "did not answer", "try again")


async def test_a_broker_that_is_away_is_503(
    infra: Infrastructure, jwt_keys: tuple[str, str], zapier: Zapier
) -> None:
    async with webhooks_without_directory(
        infra, jwt_keys, zapier, "nogroupsbroker", broker_away=True
    ) as admin:
        response = await admin.get(GROUPS)

    problem(response, 503, "broker", "try again")
