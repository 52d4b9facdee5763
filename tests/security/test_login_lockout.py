"""Login throttling that gives attackers no lockout (issue 9.1, 9.7): failures count per
account and client address, per client address, and per account from unknown devices; a
device the user logged in from before (its cookie) still gets in with the right password;
the user hears about repeated failures; unknown tenants are throttled like known ones."""

import asyncio
import hashlib
import itertools
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx

from tests.support.bus import BusSpy
from tests.support.directory import ADMIN_PASSWORD, Tenant
from tests.support.servers import RunningServer

DEVICE_COOKIE = "lms_device"
TIMEOUT = 120  # dozens of argon2 checks at once on a busy machine
_addresses = itertools.count(1)


def new_address() -> str:
    """A client address of its own (the test server trusts X-Forwarded-For from 127.0.0.1)."""
    n = next(_addresses) + 1000 * (uuid.uuid4().int % 60)
    return f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"


async def attempt(
    client: httpx.AsyncClient,
    tenant: str,
    email: str,
    password: str,
    address: str,
    device_cookie: bytes | None = None,
) -> httpx.Response:
    headers = {b"X-Forwarded-For": address.encode()}
    if device_cookie is not None:
        headers[b"Cookie"] = DEVICE_COOKIE.encode() + b"=" + device_cookie
    return await client.post(
        "/api/v1/auth/login",
        json={"tenant": tenant, "email": email, "password": password},
        headers=headers,
    )


async def guess_from(base_url: str, tenant: str, email: str, address: str, times: int) -> list[int]:
    async with httpx.AsyncClient(base_url=base_url, timeout=TIMEOUT) as attacker:
        return [
            (await attempt(attacker, tenant, email, f"wrong guess {n}", address)).status_code
            for n in range(times)
        ]


async def test_an_attacker_elsewhere_does_not_lock_the_user_out(
    tenant: Tenant, directory: RunningServer
) -> None:
    statuses = await guess_from(
        directory.url, tenant.slug, tenant.admin_email, new_address(), times=12
    )
    assert statuses[:5] == [401] * 5
    assert 429 in statuses, "the attacker's own address is slowed down"

    async with httpx.AsyncClient(base_url=directory.url, timeout=TIMEOUT) as user:
        login = await attempt(user, tenant.slug, tenant.admin_email, ADMIN_PASSWORD, new_address())
    assert login.status_code == 200, login.text


async def test_a_known_device_gets_in_while_the_account_is_attacked_from_everywhere(
    tenant: Tenant, directory: RunningServer
) -> None:
    home = new_address()
    async with httpx.AsyncClient(base_url=directory.url, timeout=TIMEOUT) as browser:
        first = await attempt(browser, tenant.slug, tenant.admin_email, ADMIN_PASSWORD, home)
        assert first.status_code == 200
        cookie = next(c for c in first.headers.get_list("set-cookie") if DEVICE_COOKIE in c)
        assert "httponly" in cookie.lower()
        assert "path=/api/v1/auth" in cookie.lower()

        # Many addresses, a few guesses each: the account's allowance for unknown devices
        # (50 failures) runs out, so even the right password from a new device waits.
        await asyncio.gather(
            *(
                guess_from(directory.url, tenant.slug, tenant.admin_email, new_address(), 3)
                for _ in range(18)
            )
        )
        async with httpx.AsyncClient(base_url=directory.url, timeout=TIMEOUT) as new_device:
            elsewhere = await attempt(
                new_device, tenant.slug, tenant.admin_email, ADMIN_PASSWORD, new_address()
            )
        assert elsewhere.status_code == 429

        again = await attempt(browser, tenant.slug, tenant.admin_email, ADMIN_PASSWORD, home)
        assert again.status_code == 200, "the known device still gets in"
        travelling = await attempt(
            browser, tenant.slug, tenant.admin_email, ADMIN_PASSWORD, new_address()
        )
        assert travelling.status_code == 200, "from any address: the device is what is known"


async def test_a_forged_or_foreign_device_cookie_counts_for_nothing(
    tenant: Tenant, directory: RunningServer
) -> None:
    async with httpx.AsyncClient(base_url=directory.url, timeout=TIMEOUT) as browser:
        login = await attempt(
            browser, tenant.slug, tenant.admin_email, ADMIN_PASSWORD, new_address()
        )
        genuine = login.cookies[DEVICE_COOKIE]
    tenant_id, token, signature = genuine.split(".")
    forged = [
        f"{tenant_id}.{token[:-2]}AA.{signature}",  # another token, the old signature
        f"{uuid.uuid4()}.{token}.{signature}",  # another tenant
        "\u00e9t\u00e9.x.y",
    ]
    for value in forged:
        address = new_address()
        async with httpx.AsyncClient(base_url=directory.url, timeout=TIMEOUT) as attacker:
            statuses = [
                (
                    await attempt(
                        attacker, tenant.slug, tenant.admin_email, "x", address, value.encode()
                    )
                ).status_code
                for _ in range(6)
            ]
        assert statuses == [401] * 5 + [429], value


async def test_one_address_cannot_try_many_accounts(
    tenant: Tenant, directory: RunningServer
) -> None:
    address = new_address()
    async with httpx.AsyncClient(base_url=directory.url, timeout=TIMEOUT) as attacker:
        statuses = [
            (
                await attempt(attacker, tenant.slug, f"user{n}@example.com", "guess", address)
            ).status_code
            for n in range(31)
        ]
        blocked = await attempt(attacker, tenant.slug, tenant.admin_email, ADMIN_PASSWORD, address)
    assert statuses[:30] == [401] * 30
    assert statuses[30] == 429
    assert blocked.status_code == 429
    async with httpx.AsyncClient(base_url=directory.url, timeout=TIMEOUT) as neighbour:
        other = await attempt(
            neighbour, tenant.slug, tenant.admin_email, ADMIN_PASSWORD, new_address()
        )
    assert other.status_code == 200


async def test_the_user_is_told_when_logins_keep_failing(
    tenant: Tenant, directory: RunningServer, bus: BusSpy
) -> None:
    for _ in range(3):
        await guess_from(directory.url, tenant.slug, tenant.admin_email, new_address(), 3)
    assert bus.matching("login.failures_noticed", subject=str(tenant.admin_id)) == []

    await guess_from(directory.url, tenant.slug, tenant.admin_email, new_address(), 3)

    [notice] = await bus.wait_for("login.failures_noticed", subject=str(tenant.admin_id))
    assert notice.data["email"] == tenant.admin_email
    assert notice.data["failures"] == 10
    assert notice.data["tenant_slug"] == tenant.slug
    await guess_from(directory.url, tenant.slug, tenant.admin_email, new_address(), 3)
    await asyncio.sleep(0.5)
    assert len(bus.matching("login.failures_noticed", subject=str(tenant.admin_id))) == 1


async def test_an_unknown_tenant_is_throttled_like_a_known_one(
    tenant: Tenant, directory: RunningServer
) -> None:
    answers = {}
    for slug in (tenant.slug, f"no-such-{uuid.uuid4().hex[:8]}"):
        address = new_address()
        async with httpx.AsyncClient(base_url=directory.url, timeout=TIMEOUT) as client:
            responses = [
                await attempt(client, slug, "ghost@example.com", "guess", address) for _ in range(7)
            ]
        answers[slug] = [(r.status_code, r.json()["detail"]) for r in responses]
        assert [r.status_code for r in responses] == [401] * 5 + [429] * 2
    known, unknown = answers.values()
    assert known == unknown


async def test_counts_that_no_longer_matter_are_forgotten(
    tenant: Tenant, directory: RunningServer, directory_sql: asyncpg.Pool
) -> None:
    from services.directory.usecases.forget_login_failures import forget_login_failures

    address = new_address()
    await guess_from(directory.url, tenant.slug, tenant.admin_email, address, times=6)
    keys = [
        hashlib.sha256(key.encode()).digest()
        for key in (
            f"account-client:{tenant.slug}:{tenant.admin_email}:{address}",
            f"client:{address}",
        )
    ]
    count = "SELECT count(*) FROM login_failures WHERE key_hash = ANY($1::bytea[])"
    assert await directory_sql.fetchval(count, keys) == 2
    await directory_sql.execute(
        "UPDATE login_failures SET last_failure_at = last_failure_at - interval '13 hours',"
        " blocked_until = NULL WHERE key_hash = $1",
        keys[0],
    )
    async with directory.app.state.runtime.unit_of_work() as uow:
        await forget_login_failures(uow, datetime.now(UTC), timedelta(hours=12))

    assert await directory_sql.fetchval(count, keys[:1]) == 0, "over and blocking nobody"
    assert await directory_sql.fetchval(count, keys[1:]) == 1, "still counting"
