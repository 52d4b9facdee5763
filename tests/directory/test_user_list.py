"""The directory list: every filter, their combinations, every sort, and the total.

One tenant is populated once for the module (the tests only read it): users in every
status, role, invitation and e-mail state, in groups, with custom-field values."""

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import asyncpg
import pytest

from services.directory.api.schemas import UserSummary
from services.directory.settings import DirectorySettings
from shared.contracts.invitations import InvitationFailed, InvitationRevoked
from shared.contracts.users import BounceKind
from shared.schemas import Page
from tests.support.bus import BusSpy, EventPublisher
from tests.support.directory import (
    ADMIN_PASSWORD,
    Lms,
    Tenant,
    directory_settings,
    log_in,
    new_tenant,
    now,
    parse,
    problem,
    start_directory,
)
from tests.support.servers import RunningServer


@dataclass
class Population:
    lms: Lms
    users: dict[str, dict[str, Any]]  # by nickname, as the profile shows them
    groups: dict[str, str]  # name -> id

    def ids(self, *nicknames: str) -> set[str]:
        return {self.users[n]["id"] for n in nicknames}

    def nickname(self, user_id: str) -> str:
        return next(n for n, u in self.users.items() if u["id"] == user_id)


@pytest.fixture(scope="module")
async def population(
    directory: RunningServer,
    directory_config: DirectorySettings,
    bus: BusSpy,
    events: EventPublisher,
    amqp_url: str,
    directory_sql: asyncpg.Pool,
) -> AsyncIterator[Population]:
    tenant = await new_tenant(directory_config, directory.url, name="listing")
    lms = Lms(tenant, bus, events, amqp_url)
    admin = tenant.admin
    groups = {}
    for name in ("Montréal", "Québec"):
        response = await admin.post("/api/v1/groups", json={"name": name})
        groups[name] = response.json()["id"]
    fields = [
        {"key": "dept", "label": "Department", "type": "choice", "choices": ["sales", "support"]},
        {"key": "hired", "label": "Hired on", "type": "date"},
        {"key": "badge", "label": "Badge", "type": "number"},
        {"key": "remote", "label": "Remote", "type": "yes_no"},
        {"key": "nickname", "label": "Nickname", "type": "text"},
    ]
    for field in fields:
        assert (await admin.post("/api/v1/custom-fields", json=field)).status_code == 201
    mtl, qc = groups["Montréal"], groups["Québec"]

    invited: dict[str, tuple[str, str, str, dict[str, Any]]] = {
        "marie": ("Marie", "Tremblay", "marie.tremblay@example.com", {"group_ids": [mtl],
                  "custom_fields": {"dept": "sales", "remote": True, "badge": 7}}),
        "jean": ("Jean", "Gagnon", "jean.gagnon@acme.ca", {"group_ids": [qc],
                 "custom_fields": {"dept": "support", "hired": "2020-01-15", "badge": "7.0"}}),
        "sophie": ("Sophie", "Roy", "sophie.roy@example.com", {"role": "admin",
                   "group_ids": [mtl, qc], "custom_fields": {"remote": "non"}}),
        "luc": ("Luc", "Côté", "luc.cote@other.org", {"custom_fields": {"nickname": "Lucky"}}),
        "emilie": ("Émilie", "Bouchard", "emilie.bouchard@example.com", {"group_ids": [mtl]}),
        "paul": ("Paul", "Lévesque", "paul_levesque@example.com", {"group_ids": [qc]}),
        "nina": ("Nina", "Morin", "nina@example.com", {}),
        "lea": ("Léa", "Pelletier", "lea@example.com", {}),
        "max": ("Max", "Girard", "max@example.com", {}),
    }  # fmt: skip
    users: dict[str, dict[str, Any]] = {}
    for nick, (first, last, email, extra) in invited.items():
        users[nick] = await lms.invite(email, first_name=first, last_name=last, **extra)

    # Invitation and e-mail states, as the other services report them.
    await lms.invitation_sent(users["marie"])
    lea_sent = await lms.invitation_sent(users["lea"])
    await lms.publish_and_wait(
        "email.delivered", lms.delivery(users["lea"], message_id=lea_sent.message_id),
        users["lea"]["id"],
    )  # fmt: skip
    long_ago = now() - timedelta(days=10)
    await lms.invitation_sent(
        users["sophie"], sent_at=long_ago, expires_at=long_ago + timedelta(days=7)
    )
    failed = InvitationFailed(
        request_id=uuid.UUID(await lms.request_id(users["jean"]["id"])),
        user_id=uuid.UUID(users["jean"]["id"]),
        email=users["jean"]["email"],
        reason="550 mailbox does not exist",
        failed_at=now(),
    )
    await lms.publish_and_wait("invitation.failed", failed, users["jean"]["id"])
    paul_sent = await lms.invitation_sent(users["paul"])
    bounce = lms.bounce(users["paul"], BounceKind.HARD, message_id=paul_sent.message_id)
    await lms.publish_and_wait("email.bounced", bounce, users["paul"]["id"])
    await lms.publish_and_wait(
        "email.complained", lms.complaint(users["nina"]), users["nina"]["id"]
    )
    revoked = InvitationRevoked(
        request_id=None,
        user_id=uuid.UUID(users["max"]["id"]),
        email=users["max"]["email"],
        reason="deactivated",
        revoked_at=now(),
    )
    await lms.publish_and_wait("invitation.revoked", revoked, users["max"]["id"])
    await lms.accept(users["luc"])
    luc = await tenant.login(users["luc"]["email"], "a long learner passphrase")
    await luc.aclose()
    response = await admin.post(f"/api/v1/users/{users['emilie']['id']}/deactivate", json={})
    assert response.status_code == 200, response.text
    # Nina was invited three weeks ago (time passes: the only way is to move her back).
    await directory_sql.execute(
        "UPDATE users SET created_at = created_at - interval '21 days' "
        "WHERE tenant_id = $1 AND id = $2",
        tenant.id,
        uuid.UUID(users["nina"]["id"]),
    )

    users["ada"] = {"id": str(tenant.admin_id)}
    profiles = {nick: await lms.profile(u["id"]) for nick, u in users.items()}
    yield Population(lms, profiles, groups)
    await admin.aclose()


async def listed(tenant: Tenant, params: Any) -> tuple[list[str], dict[str, Any]]:
    """Every user the list gives for these parameters (all pages), and the first page."""
    response = await tenant.admin.get("/api/v1/users", params=params)
    assert response.status_code == 200, response.text
    first = response.json()
    ids = [u["id"] for u in first["items"]]
    page = first
    while page["next_cursor"]:
        next_params = [*_pairs(params), ("cursor", page["next_cursor"])]
        response = await tenant.admin.get("/api/v1/users", params=next_params)
        assert response.status_code == 200, response.text
        page = response.json()
        ids.extend(u["id"] for u in page["items"])
    return ids, first


def _pairs(params: Any) -> list[tuple[str, Any]]:
    return list(params.items()) if isinstance(params, dict) else list(params)


EVERYONE = {"ada", "marie", "jean", "sophie", "luc", "emilie", "paul", "nina", "lea", "max"}
INVITED = {"marie", "jean", "sophie", "paul", "nina", "lea", "max"}


def groups(pop: Population, *names: str) -> list[tuple[str, str]]:
    return [("group", pop.groups[n]) for n in names]


FILTERS: list[tuple[str, Callable[[Population], list[tuple[str, str]]], set[str]]] = [
    ("no filter", lambda p: [], EVERYONE),
    ("one group", lambda p: groups(p, "Montréal"), {"marie", "sophie", "emilie"}),
    (
        "any of two groups",
        lambda p: groups(p, "Montréal", "Québec"),
        {"marie", "sophie", "emilie", "jean", "paul"},
    ),
    ("role", lambda p: [("role", "admin")], {"ada", "sophie"}),
    ("any of two roles", lambda p: [("role", "admin"), ("role", "learner")], EVERYONE),
    ("unknown role", lambda p: [("role", "astronaut")], set()),
    ("status active", lambda p: [("status", "active")], {"ada", "luc"}),
    ("status invited", lambda p: [("status", "invited")], INVITED),
    ("status deactivated", lambda p: [("status", "deactivated")], {"emilie"}),
    (
        "any of two statuses",
        lambda p: [("status", "active"), ("status", "deactivated")],
        {"ada", "luc", "emilie"},
    ),
    ("invitation none", lambda p: [("invitation", "none")], {"ada"}),
    ("invitation pending", lambda p: [("invitation", "pending")], {"emilie", "nina"}),
    ("invitation sent", lambda p: [("invitation", "sent")], {"marie"}),
    ("invitation delivered", lambda p: [("invitation", "delivered")], {"lea"}),
    ("invitation bounced", lambda p: [("invitation", "bounced")], {"paul"}),
    ("invitation failed", lambda p: [("invitation", "failed")], {"jean"}),
    ("invitation expired", lambda p: [("invitation", "expired")], {"sophie"}),
    ("invitation accepted", lambda p: [("invitation", "accepted")], {"luc"}),
    ("invitation revoked", lambda p: [("invitation", "revoked")], {"max"}),
    (
        "any of two invitation states",
        lambda p: [("invitation", "sent"), ("invitation", "expired")],
        {"marie", "sophie"},
    ),
    ("e-mail ok", lambda p: [("email_status", "ok")], EVERYONE - {"paul", "nina"}),
    ("e-mail bounced", lambda p: [("email_status", "bounced")], {"paul"}),
    ("e-mail complained", lambda p: [("email_status", "complained")], {"nina"}),
    (
        "e-mail contains a domain",
        lambda p: [("email", "@example.com")],
        {"marie", "sophie", "emilie", "paul", "nina", "lea", "max"},
    ),
    ("e-mail contains, any case", lambda p: [("email", "MARIE.T")], {"marie"}),
    ("e-mail contains an underscore, literally", lambda p: [("email", "_")], {"paul"}),
    ("e-mail contains a percent sign, literally", lambda p: [("email", "%")], set()),
    ("text: last name", lambda p: [("q", "tremblay")], {"marie"}),
    ("text: both names, any order", lambda p: [("q", "Tremblay MARIE")], {"marie"}),
    ("text: accented, any case", lambda p: [("q", "ÉMILIE")], {"emilie"}),
    ("text: accented last name", lambda p: [("q", "côté")], {"luc"}),
    ("text: e-mail", lambda p: [("q", "other.org")], {"luc"}),
    ("text: every word must match", lambda p: [("q", "sophie gagnon")], set()),
    ("text: part of a word", lambda p: [("q", "vesq")], {"paul"}),
    ("custom choice", lambda p: [("field.dept", "sales")], {"marie"}),
    ("custom yes", lambda p: [("field.remote", "true")], {"marie"}),
    ("custom no", lambda p: [("field.remote", "no")], {"sophie"}),
    ("custom number, 7 equals 7.0", lambda p: [("field.badge", "7")], {"marie", "jean"}),
    ("custom date", lambda p: [("field.hired", "2020-01-15")], {"jean"}),
    ("custom text", lambda p: [("field.nickname", "Lucky")], {"luc"}),
    (
        "two custom fields",
        lambda p: [("field.dept", "sales"), ("field.remote", "yes")],
        {"marie"},
    ),
    (
        "two custom fields, nobody has both",
        lambda p: [("field.dept", "support"), ("field.remote", "true")],
        set(),
    ),
    ("never logged in", lambda p: [("never_logged_in", "true")], EVERYONE - {"ada", "luc"}),
    ("has logged in", lambda p: [("never_logged_in", "false")], {"ada", "luc"}),
    (
        "invited more than two weeks ago and never activated",
        lambda p: [("status", "invited"), ("created_to", (now() - timedelta(days=14)).isoformat())],
        {"nina"},
    ),
    (
        "invited, in a group",
        lambda p: [("status", "invited"), *groups(p, "Québec")],
        {"jean", "paul", "sophie"},
    ),
    (
        "learners whose invitation went out",
        lambda p: [("role", "learner"), ("invitation", "sent"), ("invitation", "delivered")],
        {"marie", "lea"},
    ),
    (
        "group, e-mail state and text",
        lambda p: [*groups(p, "Montréal"), ("email_status", "ok"), ("q", "example")],
        {"marie", "sophie", "emilie"},
    ),
    (
        "group, custom field and role",
        lambda p: [*groups(p, "Montréal", "Québec"), ("field.badge", "7"), ("role", "learner")],
        {"marie", "jean"},
    ),
    (
        "bounced learners in a group",
        lambda p: [("email_status", "bounced"), ("role", "learner"), *groups(p, "Québec")],
        {"paul"},
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("params", "expected"), [f[1:] for f in FILTERS], ids=[f[0] for f in FILTERS]
)
async def test_filter(
    population: Population,
    params: Callable[[Population], list[tuple[str, str]]],
    expected: set[str],
) -> None:
    ids, first = await listed(population.lms.tenant, [*params(population), ("limit", "3")])
    assert {population.nickname(i) for i in ids} == expected
    assert len(ids) == len(set(ids))
    assert first["total"] == len(expected)
    assert first["total_is_exact"] is True


async def test_created_range_includes_from_and_excludes_to(population: Population) -> None:
    users = population.users
    for pivot in ("jean", "luc", "max"):
        at = users[pivot]["created_at"]
        after, _ = await listed(population.lms.tenant, {"created_from": at})
        before, _ = await listed(population.lms.tenant, {"created_to": at})
        pivot_at = parse(at)
        expected_after = {n for n, u in users.items() if parse(u["created_at"]) >= pivot_at}
        assert pivot in expected_after
        assert {population.nickname(i) for i in after} == expected_after
        assert {population.nickname(i) for i in before} == EVERYONE - expected_after
    window, _ = await listed(
        population.lms.tenant,
        {"created_from": users["jean"]["created_at"], "created_to": users["luc"]["created_at"]},
    )
    assert {population.nickname(i) for i in window} == {"jean", "sophie"}


async def test_last_login_range_includes_from_and_excludes_to(population: Population) -> None:
    luc_login = population.users["luc"]["last_login_at"]
    ada_login = population.users["ada"]["last_login_at"]
    assert parse(ada_login) < parse(luc_login)
    since, _ = await listed(population.lms.tenant, {"last_login_from": luc_login})
    until, _ = await listed(population.lms.tenant, {"last_login_to": luc_login})
    both, _ = await listed(
        population.lms.tenant, {"last_login_from": ada_login, "last_login_to": luc_login}
    )
    assert {population.nickname(i) for i in since} == {"luc"}
    assert {population.nickname(i) for i in until} == {"ada"}
    assert {population.nickname(i) for i in both} == {"ada"}


async def test_dates_without_a_zone_are_utc(population: Population) -> None:
    at = parse(population.users["luc"]["created_at"])
    naive = at.replace(tzinfo=None).isoformat()
    ids, _ = await listed(population.lms.tenant, {"created_from": naive})
    aware, _ = await listed(population.lms.tenant, {"created_from": at.isoformat()})
    assert set(ids) == set(aware)
    assert population.users["luc"]["id"] in ids


def _name_key(u: dict[str, Any]) -> tuple[str, uuid.UUID]:
    return (f"{u['last_name']} {u['first_name']}".lower(), uuid.UUID(u["id"]))


def _epoch_if_none(value: str | None) -> str:
    return value or "1970-01-01T00:00:00+00:00"


SORTS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "name": _name_key,
    "email": lambda u: (u["email"].lower(), uuid.UUID(u["id"])),
    "created_at": lambda u: (parse(u["created_at"]), uuid.UUID(u["id"])),
    "last_login_at": lambda u: (parse(_epoch_if_none(u["last_login_at"])), uuid.UUID(u["id"])),
}


@pytest.mark.parametrize("sort", [*SORTS, *(f"-{s}" for s in SORTS)])
async def test_sort(population: Population, sort: str) -> None:
    ids, _ = await listed(population.lms.tenant, {"sort": sort, "limit": 4})
    key = SORTS[sort.lstrip("-")]
    expected = sorted(population.users.values(), key=key, reverse=sort.startswith("-"))
    assert ids == [u["id"] for u in expected]


async def test_default_sort_is_by_name(population: Population) -> None:
    response = await population.lms.admin.get("/api/v1/users")
    names = [(u["last_name"], u["first_name"]) for u in response.json()["items"]]
    assert names[:3] == [("Admin", "Ada"), ("Bouchard", "Émilie"), ("Côté", "Luc")]


async def test_sorted_by_last_login_the_latest_come_first_descending(
    population: Population,
) -> None:
    response = await population.lms.admin.get("/api/v1/users", params={"sort": "-last_login_at"})
    ids = [u["id"] for u in response.json()["items"]]
    assert ids[:2] == [population.users["luc"]["id"], population.users["ada"]["id"]]


async def test_list_items_carry_what_the_table_shows(population: Population) -> None:
    _, first = await listed(population.lms.tenant, {"q": "tremblay"})
    (marie,) = first["items"]
    assert marie["email"] == "marie.tremblay@example.com"
    assert marie["groups"] == [{"id": population.groups["Montréal"], "name": "Montréal"}]
    assert marie["custom_fields"] == {"dept": "sales", "remote": True, "badge": 7}
    assert marie["invitation"]["state"] == "sent"
    assert marie["envelope"] == "blue"
    assert marie["status"] == "invited"


async def test_list_items_show_each_user_as_the_profile_does(population: Population) -> None:
    admin = population.lms.admin
    response = await admin.get("/api/v1/users", params={"limit": "200"})
    assert response.headers["content-type"] == "application/json"
    page = response.json()
    Page[UserSummary].model_validate(page)
    assert len(page["items"]) == len(population.users)
    for item in page["items"]:
        assert set(item) == set(UserSummary.model_fields)
        profile = (await admin.get(f"/api/v1/users/{item['id']}")).json()
        assert item == {key: profile[key] for key in item}


@pytest.mark.parametrize(
    "params",
    [
        {"colour": "blue"},
        {"Status": "active"},
        {"status": "active", "page": "2"},
        {"offset": "10"},
    ],
)
async def test_unknown_query_parameters_are_refused(
    population: Population, params: dict[str, str]
) -> None:
    response = await population.lms.admin.get("/api/v1/users", params=params)
    unknown = next(k for k in params if k != "status")
    problem(response, 422, unknown)


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"status": "asleep"}, ["status"]),
        ({"invitation": "lost"}, ["invitation"]),
        ({"email_status": "sad"}, ["email_status"]),
        ({"sort": "age"}, ["sort"]),
        ({"group": "not-a-uuid"}, ["group"]),
        ({"limit": "0"}, ["limit"]),
        ({"limit": "201"}, ["limit"]),
        ({"created_from": "yesterday"}, ["created_from"]),
        ({"last_login_to": "2024-13-01"}, ["last_login_to"]),
        ({"never_logged_in": "perhaps"}, ["never_logged_in"]),
        ({"field.unknown": "1"}, ["field.unknown"]),
        ({"field.dept": "marketing"}, ["field.dept", "sales"]),
        ({"field.badge": "seven"}, ["field.badge", "number"]),
        ({"field.hired": "15/01/2020"}, ["field.hired", "YYYY-MM-DD"]),
        ({"field.remote": "maybe"}, ["field.remote", "true or false"]),
        ({"q": "x" * 201}, ["q"]),
    ],
)
async def test_bad_filters_are_refused_saying_why(
    population: Population, params: dict[str, str], words: list[str]
) -> None:
    response = await population.lms.admin.get("/api/v1/users", params=params)
    problem(response, 422, *words)


@pytest.fixture(scope="module")
async def small_exact_limit(
    directory_db: str, amqp_url: str, jwt_keys: tuple[str, str]
) -> AsyncIterator[RunningServer]:
    """A second directory process on the same database and broker, configured to count
    exactly only up to 3 matches (as it does up to 20,000 in production)."""
    settings = directory_settings(directory_db, amqp_url, jwt_keys[0], list_exact_total_limit=3)
    server = await start_directory(settings)
    yield server
    await server.stop()


async def test_total_is_an_estimate_marked_as_such_above_the_exact_limit(
    population: Population, small_exact_limit: RunningServer
) -> None:
    tenant = population.lms.tenant
    client = await log_in(small_exact_limit.url, tenant.slug, tenant.admin_email, ADMIN_PASSWORD)
    try:
        many = (await client.get("/api/v1/users", params={"limit": 2})).json()
        few = (await client.get("/api/v1/users", params={"role": "admin"})).json()
        active = (await client.get("/api/v1/users", params={"status": "active"})).json()
    finally:
        await client.aclose()
    assert many["total_is_exact"] is False
    assert many["total"] > 3
    assert len(many["items"]) == 2
    assert many["next_cursor"]
    assert (few["total"], few["total_is_exact"]) == (2, True)
    assert (active["total"], active["total_is_exact"]) == (2, True)


@pytest.fixture(scope="module")
async def no_exact_total(
    directory_db: str, amqp_url: str, jwt_keys: tuple[str, str]
) -> AsyncIterator[RunningServer]:
    """A directory process that counts no total exactly: every list past the first
    filter is read as one of many matches (walked, or for a text term in a text order,
    walked over a bounded span first and collected when no page fills within it)."""
    settings = directory_settings(directory_db, amqp_url, jwt_keys[0], list_exact_total_limit=0)
    server = await start_directory(settings)
    yield server
    await server.stop()


@pytest.mark.parametrize("sort", ["name", "-name", "email", "-email"])
@pytest.mark.parametrize(
    ("params", "matching"),
    [
        ({"q": "@example.com"}, {"marie", "sophie", "emilie", "paul", "nina", "lea", "max"}),
        ({"email": "@example.com"}, {"marie", "sophie", "emilie", "paul", "nina", "lea", "max"}),
        ({"q": "tremblay"}, {"marie"}),
    ],
)
async def test_a_text_search_read_as_many_matches_pages_through_every_match_in_order(
    population: Population,
    no_exact_total: RunningServer,
    params: dict[str, str],
    matching: set[str],
    sort: str,
) -> None:
    # A text search in a text order with many matches expected first walks a bounded span
    # of the order, and collects the matches when no page fills within it (here the span
    # is 3 rows: some pages fill within it, some do not): page after page gives every
    # match once, in order, as the list of everyone orders them.
    tenant = population.lms.tenant
    everyone, _ = await listed(tenant, {"sort": sort, "limit": 200})
    in_sort_order = [i for i in everyone if i in population.ids(*matching)]
    client = await log_in(no_exact_total.url, tenant.slug, tenant.admin_email, ADMIN_PASSWORD)
    try:
        pages, cursor = [], None
        while True:
            cursor_param: dict[str, str] = {"cursor": cursor} if cursor else {}
            response = await client.get(
                "/api/v1/users", params={**params, "sort": sort, "limit": 2, **cursor_param}
            )
            assert response.status_code == 200, response.text
            pages.append(response.json())
            cursor = pages[-1]["next_cursor"]
            if cursor is None:
                break
    finally:
        await client.aclose()
    assert [u["id"] for p in pages for u in p["items"]] == in_sort_order
    assert all(len(p["items"]) == 2 for p in pages[:-1])
