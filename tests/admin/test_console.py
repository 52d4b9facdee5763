"""The console against a real directory: what it shows and refuses, its cookie and CSRF
protection, the rules' refusals in words, and the services that are absent."""

import re
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from services.admin.adapters.sealing import CookieSealer
from services.admin.domain.filters import PAGE_SIZE
from services.directory.settings import DirectorySettings
from tests.support.admin import COOKIE_SECRET, ConsoleBrowser, admin_settings, start_admin
from tests.support.bus import BusSpy
from tests.support.directory import Tenant, directory_settings, start_directory
from tests.support.servers import RunningServer


def rows(html: str) -> list[str]:
    return re.findall(r'<tr id="user-([0-9a-f-]+)"', html)


async def test_login_refusal_says_what_to_check(browser: ConsoleBrowser, tenant: Tenant) -> None:
    await browser.get("/login")
    refused = await browser.post(
        "/login", {"tenant": tenant.slug, "email": tenant.admin_email, "password": "wrong"}
    )
    assert refused.status_code == 401
    assert "Wrong platform, e-mail address or password." in refused.text


async def test_the_cookie_is_sealed_httponly_and_strict(
    browser: ConsoleBrowser, tenant: Tenant
) -> None:
    response = await browser.log_in(tenant)
    assert response.status_code == 303
    header = response.headers["set-cookie"]
    assert "HttpOnly" in header
    assert "SameSite=strict" in header
    value = browser.http.cookies["lms-admin"]
    assert tenant.admin_email not in value  # encrypted, not merely signed
    session = CookieSealer(COOKIE_SECRET, 3600).open(value)
    assert session is not None
    assert session.directory_session  # what lets the console renew the access token


async def test_every_form_needs_the_csrf_token(signed_in: ConsoleBrowser, tenant: Tenant) -> None:
    user = await tenant.invite()
    forged = await signed_in.http.post(f"/users/{user['id']}/deactivate", data={"reason": "x"})
    assert forged.status_code == 403
    assert "The form has expired" in forged.text
    stranger = ConsoleBrowser(str(signed_in.http.base_url))  # another browser's token
    await stranger.get("/login")
    replayed = await signed_in.http.post(
        f"/users/{user['id']}/deactivate", data={"csrf_token": stranger.csrf}
    )
    await stranger.aclose()
    assert replayed.status_code == 403
    assert (await tenant.admin.get(f"/api/v1/users/{user['id']}")).json()["status"] == "invited"


async def test_pages_have_a_strict_policy_and_nothing_inline(signed_in: ConsoleBrowser) -> None:
    page = await signed_in.get("/users")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    assert "unsafe" not in policy
    assert re.search(r"<script(?![^>]*\bsrc=)", page.text) is None, "no inline script"
    assert " style=" not in page.text
    assert "<style" not in page.text
    assert page.headers["cache-control"] == "no-store"
    htmx = await signed_in.get("/static/htmx.min.js")
    assert htmx.status_code == 200
    assert "htmx" in htmx.text[:100]


async def test_filters_live_in_the_url_and_htmx_gets_only_the_table(
    signed_in: ConsoleBrowser, tenant: Tenant
) -> None:
    lea = await tenant.invite("lea.roy@example.com", first_name="Léa", last_name="Roy")
    await tenant.invite("marc@example.com", first_name="Marc", last_name="Gagnon")
    page = await signed_in.get("/users?q=roy&status=invited")
    assert rows(page.text) == [lea["id"]]
    assert 'value="roy"' in page.text  # the search box keeps the filter
    assert "1 user" in page.text
    partial = await signed_in.get(
        "/users?q=gagnon", headers={"HX-Request": "true", "HX-Target": "results"}
    )
    assert "<html" not in partial.text
    assert len(rows(partial.text)) == 1
    by_email = await signed_in.get("/users?sort=-email")
    emails = re.findall(r'class="email">([^<]+)<', by_email.text)
    assert emails == sorted(emails, reverse=True)


async def test_a_filter_the_api_refuses_is_said_not_crashed(signed_in: ConsoleBrowser) -> None:
    page = await signed_in.get("/users?created_from=yesterday")
    assert page.status_code == 200
    assert "Not accepted" in page.text


async def test_deactivation_with_a_reason_and_the_rules_refusals(
    signed_in: ConsoleBrowser, tenant: Tenant
) -> None:
    user = await tenant.invite()
    done = await signed_in.post(
        f"/users/{user['id']}/deactivate", {"reason": "Left", "origin": "profile"}
    )
    assert done.status_code == 303
    profile = await signed_in.get(done.headers["location"])
    assert "The user is deactivated." in profile.text
    assert "Left" in profile.text
    myself = await signed_in.post(f"/users/{tenant.admin_id}/deactivate", {"origin": "profile"})
    assert myself.status_code == 409
    assert "You cannot deactivate yourself." in myself.text


async def test_self_demotion_and_stale_version_are_said_next_to_the_form(
    signed_in: ConsoleBrowser, tenant: Tenant
) -> None:
    me = (await tenant.admin.get(f"/api/v1/users/{tenant.admin_id}")).json()
    demoted = await signed_in.post(
        f"/users/{tenant.admin_id}", {"version": str(me["version"]), "role": "learner"}
    )
    assert demoted.status_code == 409
    assert 'id="role-error">You cannot remove your own administrator role.' in demoted.text

    user = await tenant.invite()
    await tenant.admin.patch(
        f"/api/v1/users/{user['id']}",
        json={"first_name": "Other"},
        headers={"If-Match": f'"{user["version"]}"'},
    )
    stale = await signed_in.post(
        f"/users/{user['id']}", {"version": str(user["version"]), "last_name": "Changed"}
    )
    assert stale.status_code == 409
    assert "Someone changed this user after you opened the page." in stale.text
    granted = await signed_in.post(
        f"/users/{user['id']}", {"version": str(user["version"] + 1), "role": "admin"}
    )
    assert granted.status_code == 303
    assert (await tenant.admin.get(f"/api/v1/users/{user['id']}")).json()["role"] == "admin"


async def test_invite_with_groups_and_custom_fields(
    signed_in: ConsoleBrowser, tenant: Tenant
) -> None:
    group = (await tenant.admin.post("/api/v1/groups", json={"name": "Sales"})).json()
    await tenant.admin.post(
        "/api/v1/custom-fields", json={"key": "team", "label": "Team", "type": "text"}
    )
    form = await signed_in.get("/users/new")
    assert "Sales" in form.text
    assert 'name="cf.team"' in form.text
    invited = await signed_in.post(
        "/users/new",
        [
            ("email", "nina@example.com"),
            ("first_name", "Nina"),
            ("last_name", "Simard"),
            ("role", "learner"),
            ("group_ids", group["id"]),
            ("cf.team", "Red"),
        ],
    )
    assert invited.status_code == 303, invited.text
    user_id = invited.headers["location"].split("/users/")[1].split("?")[0]
    user = (await tenant.admin.get(f"/api/v1/users/{user_id}")).json()
    assert [g["name"] for g in user["groups"]] == ["Sales"]
    assert user["custom_fields"] == {"team": "Red"}
    again = await signed_in.post(
        "/users/new", {"email": "nina@example.com", "first_name": "N", "last_name": "S"}
    )
    assert again.status_code == 422
    assert "Another user already has this e-mail address." in again.text


async def test_absent_services_show_not_available_and_nothing_breaks(
    signed_in: ConsoleBrowser,
) -> None:
    for path, words in (
        ("/exports", "Exporting is not available on this platform right now."),
        ("/integrations", "API keys is not available on this platform right now."),
        ("/suppressions", "The suppression list is not available on this platform right now."),
    ):
        page = await signed_in.get(path)
        assert page.status_code == 200, path
        assert words in page.text, path
    started = await signed_in.post("/exports", {"format": "csv", "filters": "status=invited"})
    assert started.status_code == 503
    assert "Not available" in started.text
    assert (await signed_in.get("/users")).status_code == 200


async def test_language_switch_and_french_dates(signed_in: ConsoleBrowser) -> None:
    switched = await signed_in.post("/language", {"locale": "fr", "next": "/users"})
    assert switched.status_code == 303
    page = await signed_in.get("/users")
    assert '<html lang="fr">' in page.text
    assert "Répertoire" in page.text
    assert "Se déconnecter" in page.text
    not_elsewhere = await signed_in.post("/language", {"locale": "en", "next": "//evil.example"})
    assert not_elsewhere.headers["location"] == "/users"


async def test_an_expired_access_token_is_renewed_from_the_session(
    signed_in: ConsoleBrowser,
) -> None:
    sealer = CookieSealer(COOKIE_SECRET, 3600)
    session = sealer.open(signed_in.http.cookies["lms-admin"])
    assert session is not None
    signed_in.http.cookies.set("lms-admin", sealer.seal(session.with_token("expired", 0)))
    page = await signed_in.get("/users")
    assert page.status_code == 200
    renewed = sealer.open(page.cookies["lms-admin"])
    assert renewed is not None
    assert renewed.access_token not in (None, "expired")


async def test_after_logout_the_old_cookie_opens_nothing(signed_in: ConsoleBrowser) -> None:
    old = signed_in.http.cookies["lms-admin"]
    await signed_in.post("/logout")
    replay = httpx.AsyncClient(base_url=str(signed_in.http.base_url), cookies={"lms-admin": old})
    sealer = CookieSealer(COOKIE_SECRET, 3600)
    session = sealer.open(old)
    assert session is not None
    replay.cookies.set("lms-admin", sealer.seal(session.with_token("expired", 0)))
    page = await replay.get("/users")
    await replay.aclose()
    assert page.status_code == 303
    assert page.headers["location"].startswith("/login")


@pytest.fixture
async def estimating_console(
    directory_config: DirectorySettings, private_vhost: str
) -> AsyncIterator[RunningServer]:
    """A directory that estimates any total above 1, and a console in front of it."""
    settings = directory_settings(
        str(directory_config.database_url),
        private_vhost,
        directory_config.jwt_private_key,
        list_exact_total_limit=1,
    )
    directory = await start_directory(settings)
    console = await start_admin(admin_settings(directory.url))
    yield console
    await console.stop()
    await directory.stop()


async def test_an_estimated_total_reads_about_n(
    estimating_console: RunningServer, tenant: Tenant
) -> None:
    for _ in range(PAGE_SIZE + 1):  # more than a page: the total is not the page's length
        await tenant.invite(f"u-{uuid.uuid4().hex[:8]}@example.com")
    browser = ConsoleBrowser(estimating_console.url)
    await browser.log_in(tenant)
    await browser.post("/language", {"locale": "en", "next": "/users"})
    page = await browser.get("/users")
    await browser.aclose()
    assert re.search(r"about \d+ users", page.text)
    assert "Next page" in page.text


async def test_a_browser_that_logged_in_before_gets_in_while_the_account_is_attacked(
    console: RunningServer, tenant: Tenant
) -> None:
    known = ConsoleBrowser(console.url)
    first = await known.log_in(tenant)
    assert first.status_code == 303
    assert known.http.cookies.get("lms-admin-device"), "the directory's device cookie, relayed"
    await known.post("/logout", {})

    # Guesses from many addresses spend the account's allowance for unknown devices.
    async with httpx.AsyncClient(base_url=tenant.base_url) as attacker:
        for n in range(60):
            await attacker.post(
                "/api/v1/auth/login",
                json={"tenant": tenant.slug, "email": tenant.admin_email, "password": f"x{n}"},
                headers={"X-Forwarded-For": f"10.200.{n // 8}.{n % 8 + 1}"},
            )
    stranger = ConsoleBrowser(console.url)
    try:
        refused = await stranger.log_in(tenant)
        assert refused.status_code == 401, "a new device waits"
        again = await known.log_in(tenant)
        assert again.status_code == 303, "the known browser gets in"
    finally:
        await stranger.aclose()
        await known.aclose()


async def test_an_admin_sends_a_password_reset_from_the_profile(
    signed_in: ConsoleBrowser, tenant: Tenant, bus: BusSpy
) -> None:
    profile = await signed_in.get(f"/users/{tenant.admin_id}")
    assert "Send a password reset…" in profile.text
    confirm = await signed_in.get(f"/users/{tenant.admin_id}/password-reset?origin=profile")
    assert "a link to choose a new password" in confirm.text
    done = await signed_in.post(f"/users/{tenant.admin_id}/password-reset", {"origin": "profile"})
    assert done.status_code == 303
    shown = await signed_in.get(done.headers["location"])
    assert "A link to choose a new password is on its way." in shown.text
    await bus.wait_for("password_reset.requested", subject=str(tenant.admin_id))

    invited = await tenant.invite()
    page = await signed_in.get(f"/users/{invited['id']}")
    assert "Send a password reset…" not in page.text
    refused = await signed_in.post(f"/users/{invited['id']}/password-reset", {"origin": "profile"})
    assert refused.status_code == 409
    assert "Only an active user" in refused.text
