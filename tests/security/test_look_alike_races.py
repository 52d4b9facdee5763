"""Look-alike addresses written at the same time (issue 9.6): the look-alike check reads
the users committed so far, so two writers checking at once would each miss the other.
Invitations, e-mail changes and an import's batch hold the address (an advisory lock on
what it looks like) from the check to the commit: exactly one of the look-alikes gets in,
the others are told why."""

import asyncio
from typing import Any

import asyncpg
import httpx

from services.directory.domain.addresses import address_skeleton
from tests.support.directory import Lms, problem

# Twelve different addresses that all look like paypal@pay.example.com: "1" and "|" for
# "l", an all-Cyrillic "рау", "1" for "l" and "rn" for "m" in the domain.
LOOK_ALIKES = [
    f"{local}@{domain}"
    for local in ("paypal", "paypa1", "paypa|")
    for domain in ("pay.example.com", "рау.example.com", "pay.examp1e.com", "pay.exarnple.com")
]
LOOKS_LIKE = "looks like another user's address"
SAME_LOOK = "SELECT count(*) FROM users WHERE tenant_id = $1 AND email_skeleton = $2"


def invitation(email: str) -> dict[str, Any]:
    return {"email": email, "first_name": "Pay", "last_name": "Pal"}


async def same_look(sql: asyncpg.Pool, lms: Lms) -> int:
    skeleton = address_skeleton(LOOK_ALIKES[0])
    return int(await sql.fetchval(SAME_LOOK, lms.tenant.id, skeleton))


def one_in(responses: list[httpx.Response], accepted: int) -> None:
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [accepted] + [409] * (len(responses) - 1), statuses
    for refused in (r for r in responses if r.status_code == 409):
        problem(refused, 409, LOOKS_LIKE)


async def test_concurrent_invitations_of_look_alikes_let_exactly_one_in(
    lms: Lms, directory_sql: asyncpg.Pool
) -> None:
    post = lms.admin.post
    responses = await asyncio.gather(
        *(post("/api/v1/users/invitations", json=invitation(e)) for e in LOOK_ALIKES)
    )
    one_in(list(responses), 201)
    assert await same_look(directory_sql, lms) == 1


async def test_concurrent_changes_to_look_alike_addresses_let_exactly_one_in(
    lms: Lms, directory_sql: asyncpg.Pool
) -> None:
    users = [await lms.invite() for _ in LOOK_ALIKES]
    versions = [await lms.version(u["id"]) for u in users]
    responses = await asyncio.gather(
        *(
            lms.admin.patch(f"/api/v1/users/{user['id']}", json={"email": e, "version": v})
            for user, e, v in zip(users, LOOK_ALIKES, versions, strict=True)
        )
    )
    one_in(list(responses), 200)
    assert await same_look(directory_sql, lms) == 1


async def test_an_invitation_during_an_imports_batch_waits_for_it_and_is_refused(
    lms: Lms, directory_sql: asyncpg.Pool
) -> None:
    """The batch has judged its rows (paypal@… is to be created) and waits at its INSERT
    (another writer holds a row of the file's other address): an invitation of a
    look-alike sent now waits for the batch instead of passing the check beside it."""
    content = "email,first name,last name\ntaken@example.com,T,B\npaypal@pay.example.com,P,P\n"
    upload = await lms.admin.post(
        "/api/v1/imports", files={"file": ("people.csv", content.encode())}
    )
    assert upload.json()["counts"] == {"rows": 2, "create": 2}, upload.text
    async with directory_sql.acquire() as other_writer:
        meanwhile = other_writer.transaction()
        await meanwhile.start()
        await other_writer.execute(
            "INSERT INTO users (tenant_id, id, email, email_normalized, email_skeleton,"
            " first_name, last_name, locale, role, status) VALUES ($1, gen_random_uuid(), $2,"
            " $2, $3, 'Taken', 'Before', 'fr', 'learner', 'active')",
            lms.tenant.id,
            "taken@example.com",
            address_skeleton("taken@example.com"),
        )
        applied = await lms.admin.post(
            f"/api/v1/imports/{upload.json()['id']}/apply", json={"send_invitations": False}
        )
        assert applied.status_code == 202, applied.text
        await waiting(directory_sql, AT_THE_INSERT)
        invited = asyncio.create_task(
            lms.admin.post("/api/v1/users/invitations", json=invitation("paypa1@рау.example.com"))
        )
        await waiting(directory_sql, ON_AN_ADVISORY_LOCK, unless=invited)
        await meanwhile.rollback()  # the batch's INSERT goes through
    problem(await invited, 409, LOOKS_LIKE)
    outcomes = await import_outcomes(lms, upload.json()["id"])
    assert outcomes["paypal@pay.example.com"] == "created"
    assert await same_look(directory_sql, lms) == 1


WAITING = (  # in this test's database only: other tests' services may be waiting too
    "SELECT count(*) FROM pg_stat_activity"
    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
)
AT_THE_INSERT = WAITING + " AND query ILIKE 'INSERT INTO users %'"
ON_AN_ADVISORY_LOCK = WAITING + " AND wait_event = 'advisory'"


async def waiting(sql: asyncpg.Pool, query: str, unless: asyncio.Task[Any] | None = None) -> None:
    """Until a session waits as `query` counts, or `unless` ended (the request waited for
    nothing: its answer then fails the test)."""
    for _ in range(300):
        if await sql.fetchval(query) or (unless is not None and unless.done()):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"no session came to wait: {query}")


async def import_outcomes(lms: Lms, import_id: str) -> dict[str, str]:
    for _ in range(300):
        body = (await lms.admin.get(f"/api/v1/imports/{import_id}")).json()
        if body["job"]["state"] not in ("queued", "running"):
            return {row["email"]: row["outcome"] for row in body["rows"]}
        await asyncio.sleep(0.05)
    raise AssertionError(f"the import's job did not end: {body['job']}")
