"""Keyset pagination of the list: walking the pages gives every matching user once, in
order, for every sort; and rows that change between two pages cause no duplicate and no
gap (what OFFSET pagination gets wrong)."""

import unicodedata
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import httpx
import pytest

from tests.support.directory import Lms, parse

Page = dict[str, Any]


async def walk(
    client: httpx.AsyncClient,
    params: dict[str, Any],
    between: Callable[[int, Page], Awaitable[None]] | None = None,
) -> tuple[list[dict[str, Any]], list[Page]]:
    """Every item of every page; `between(n, page)` runs after page n is read."""
    items: list[dict[str, Any]] = []
    pages: list[Page] = []
    cursor = None
    while True:
        response = await client.get(
            "/api/v1/users", params={**params, **({"cursor": cursor} if cursor else {})}
        )
        assert response.status_code == 200, response.text
        page = response.json()
        pages.append(page)
        items.extend(page["items"])
        assert len(page["items"]) <= params["limit"]
        if between is not None:
            await between(len(pages), page)
        cursor = page["next_cursor"]
        if cursor is None:
            return items, pages


def _when(value: str | None) -> datetime:
    return parse(value or "1970-01-01T00:00:00+00:00")


KEYS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "name": lambda u: (f"{u['last_name']} {u['first_name']}".lower(), uuid.UUID(u["id"])),
    "email": lambda u: (u["email"].lower(), uuid.UUID(u["id"])),
    "created_at": lambda u: (parse(u["created_at"]), uuid.UUID(u["id"])),
    "last_login_at": lambda u: (_when(u["last_login_at"]), uuid.UUID(u["id"])),
}


def in_order(items: list[dict[str, Any]], sort: str) -> bool:
    keys = [KEYS[sort.lstrip("-")](u) for u in items]
    return keys == sorted(keys, reverse=sort.startswith("-"))


def ids(items: list[dict[str, Any]]) -> list[str]:
    return [u["id"] for u in items]


@pytest.mark.parametrize(
    "sort",
    [
        "name",
        "-name",
        "email",
        "-email",
        "created_at",
        "-created_at",
        "last_login_at",
        "-last_login_at",
    ],
)
async def test_walking_the_pages_gives_every_user_once_in_order(lms: Lms, sort: str) -> None:
    # Many users share a name (ties broken by id), some logged in, most never did.
    for i in range(9):
        await lms.invite(f"marie.{i}@example.com", first_name="Marie", last_name="Tremblay")
    others = [("Jean", "Gagnon", "jg"), ("Zoé", "Allard", "za"), ("Éric", "Zorro", "ez")]
    for first, last, local in [*others, ("Al", "Bo", "ab")]:
        await lms.invite(f"{local}@example.ca", first_name=first, last_name=last)
    for _ in range(2):
        await lms.learner(first_name="Luc", last_name="Tremblay")
    everyone = await lms.admin.get("/api/v1/users", params={"limit": 200, "sort": sort})
    all_ids = ids(everyone.json()["items"])
    assert len(all_ids) == 16  # with the admin

    items, pages = await walk(lms.admin, {"sort": sort, "limit": 3})

    assert ids(items) == all_ids
    assert len(set(ids(items))) == 16
    assert in_order(items, sort)
    assert len(pages) == 6
    assert all(p["total"] == 16 and p["total_is_exact"] for p in pages)


async def test_walking_a_filtered_list(lms: Lms) -> None:
    group = (await lms.admin.post("/api/v1/groups", json={"name": "Cohorte A"})).json()["id"]
    members = {(await lms.invite(group_ids=[group]))["id"] for _ in range(7)}
    for _ in range(4):
        await lms.invite()
    items, pages = await walk(lms.admin, {"group": group, "sort": "-email", "limit": 2})
    assert set(ids(items)) == members
    assert len(ids(items)) == 7
    assert in_order(items, "-email")
    assert [len(p["items"]) for p in pages] == [2, 2, 2, 1]


def ascii_local_part(name: str) -> str:
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()


async def invite_named(lms: Lms, last_name: str, **fields: Any) -> dict[str, Any]:
    return await lms.invite(
        # ASCII before the @: addresses with accents there are refused (no SMTPUTF8).
        f"{ascii_local_part(last_name)}.{uuid.uuid4().hex[:6]}@example.com",
        first_name="Test",
        last_name=last_name,
        **fields,
    )


async def patch(lms: Lms, user: dict[str, Any], **changes: Any) -> dict[str, Any]:
    version = await lms.version(user["id"])
    response = await lms.admin.patch(
        f"/api/v1/users/{user['id']}", json=changes, headers={"If-Match": f'"{version}"'}
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_sorted_by_name_rows_changing_between_pages_cause_no_duplicate_or_gap(
    lms: Lms,
) -> None:
    names = ["Bernier", "Caron", "Dion", "Fortin", "Gauthier", "Hébert", "Lavoie", "Morin"]
    start = {n: await invite_named(lms, n) for n in names}
    seen_after: dict[str, Any] = {}

    async def meanwhile(page_number: int, page: Page) -> None:
        if page_number != 1:
            return
        # The first page ends at Bernier, Caron, Dion (and the admin "Admin" before them).
        assert [u["last_name"] for u in page["items"]] == ["Admin", "Bernier", "Caron"]
        seen_after["before"] = await invite_named(lms, "Aubin")  # before the cursor
        seen_after["after"] = await invite_named(lms, "Ouellet")  # after the cursor
        seen_after["phone"] = await patch(lms, start["Gauthier"], phone="+1 514 555 0100")
        # Lavoie becomes Paradis: still after the cursor, at another place.
        await patch(lms, start["Lavoie"], last_name="Paradis")
        response = await lms.admin.post(f"/api/v1/users/{start['Fortin']['id']}/deactivate")
        assert response.status_code == 200

    items, _ = await walk(lms.admin, {"sort": "name", "limit": 3}, meanwhile)

    assert len(ids(items)) == len(set(ids(items))), "a user was listed twice"
    listed = [u["last_name"] for u in items]
    assert listed == [
        "Admin",
        "Bernier",
        "Caron",
        "Dion",
        "Fortin",
        "Gauthier",
        "Hébert",
        "Morin",
        "Ouellet",
        "Paradis",
    ]
    assert seen_after["before"]["id"] not in ids(items)
    gauthier = next(u for u in items if u["last_name"] == "Gauthier")
    assert gauthier["phone"] == "+1 514 555 0100"
    fortin = next(u for u in items if u["last_name"] == "Fortin")
    assert fortin["status"] == "deactivated"


async def test_newest_first_new_users_arriving_meanwhile_shift_nothing(lms: Lms) -> None:
    first = [await lms.invite() for _ in range(7)]
    arrived: list[dict[str, Any]] = []

    async def meanwhile(page_number: int, page: Page) -> None:
        if page_number <= 2:
            arrived.extend([await lms.invite(), await lms.invite()])

    items, _ = await walk(lms.admin, {"sort": "-created_at", "limit": 3}, meanwhile)

    expected = [u["id"] for u in reversed(first)] + [str(lms.tenant.admin_id)]
    assert ids(items) == expected
    assert not {u["id"] for u in arrived} & set(ids(items))


async def test_oldest_first_new_users_arriving_meanwhile_are_listed_at_the_end(
    lms: Lms,
) -> None:
    first = [await lms.invite() for _ in range(5)]
    arrived: list[dict[str, Any]] = []
    dropped: list[str] = []

    async def meanwhile(page_number: int, page: Page) -> None:
        if page_number == 1:
            arrived.append(await lms.invite())
            # One not yet listed leaves the filter (status invited) meanwhile.
            gone = first[3]["id"]
            assert (await lms.admin.post(f"/api/v1/users/{gone}/deactivate")).status_code == 200
            dropped.append(gone)

    items, pages = await walk(
        lms.admin, {"status": "invited", "sort": "created_at", "limit": 2}, meanwhile
    )

    expected = [u["id"] for u in first if u["id"] not in dropped] + [arrived[0]["id"]]
    assert ids(items) == expected
    assert pages[0]["total"] == 5
    assert pages[-1]["total"] == 5  # one left the filter, one came in


async def test_sorted_by_last_login_a_login_between_pages_lists_no_one_twice(
    lms: Lms,
) -> None:
    learners = []
    for _ in range(4):
        profile, client = await lms.learner()
        learners.append((profile, client))
    for _ in range(3):
        await lms.invite()
    everyone = await lms.admin.get("/api/v1/users", params={"limit": 200})
    assert everyone.json()["total"] == 8
    seen_first: list[str] = []

    async def meanwhile(page_number: int, page: Page) -> None:
        if page_number == 1:
            seen_first.extend(ids(page["items"]))
            # Everyone on the first page logs in again: they move to the front.
            for profile, _ in learners:
                if profile["id"] in seen_first:
                    again = await lms.tenant.login(profile["email"], "a long learner passphrase")
                    await again.aclose()

    items, _ = await walk(lms.admin, {"sort": "-last_login_at", "limit": 3}, meanwhile)

    assert len(seen_first) == 3
    assert len(ids(items)) == len(set(ids(items))), "a user was listed twice"
    assert set(ids(items)) == set(ids(everyone.json()["items"])), "a user was skipped"
    for _, client in learners:
        await client.aclose()


@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor",
        "e30",  # {}
        "WzEsMl0",  # [1,2]
        "eyJzIjoibmFtZSIsInYiOjUsImlkIjoieCJ9",  # {"s":"name","v":5,"id":"x"}
    ],
)
async def test_a_bad_cursor_is_refused(lms: Lms, cursor: str) -> None:
    response = await lms.admin.get("/api/v1/users", params={"cursor": cursor})
    assert response.status_code == 400, response.text
    assert "cursor" in response.json()["detail"]


async def test_a_cursor_of_another_sort_is_refused(lms: Lms) -> None:
    for _ in range(3):
        await lms.invite()
    page = (await lms.admin.get("/api/v1/users", params={"limit": 2})).json()
    response = await lms.admin.get(
        "/api/v1/users", params={"sort": "-created_at", "cursor": page["next_cursor"]}
    )
    assert response.status_code == 400
    assert "another sort" in response.json()["detail"]
