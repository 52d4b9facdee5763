"""The admin console in real Chromium, through the gateway, against the whole stack
(`python -m stack`): what an administrator does in a day, an axe-core check of every page,
and screenshots at laptop and phone widths (kept as artefacts, listed at the end)."""

import asyncio
import os
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from shared.contracts.email import EmailBounced
from shared.contracts.users import BounceKind
from stack.services import SERVICES
from tests.support.browser import Screenshots, axe_violations, chromium
from tests.support.bus import EventPublisher
from tests.support.infra import Infrastructure
from tests.support.stack import RunningStack, create_admin, running_stack

TENANT = "browser-test"
ADMIN_EMAIL = "ada@browser.example.com"
PASSWORD = "a long passphrase for the admin"
RESEND_INTERVAL_SECONDS = 10
EXPORTS_EXIST = next(s for s in SERVICES if s.name == "exports").exists
WEBHOOKS_EXIST = next(s for s in SERVICES if s.name == "webhooks").exists
TIMEOUT_MS = 15_000
ACCOUNT_ACTIVE = re.compile("Your account is active|Votre compte est activé")


@dataclass
class World:
    stack: RunningStack
    browser: Browser
    context: BrowserContext
    page: Page
    tenant_id: uuid.UUID
    shots: Screenshots
    users: dict[str, dict[str, Any]]


@pytest.fixture(scope="module")
async def vhost(infra: Infrastructure) -> AsyncIterator[str]:
    assert infra.make_vhost is not None
    assert infra.drop_vhost is not None
    name = f"lms-test-{infra.run_id}-browser"
    await asyncio.to_thread(infra.make_vhost, name)
    yield infra.vhost_url(name)
    await asyncio.to_thread(infra.drop_vhost, name)


@pytest.fixture(scope="module")
def resend_interval() -> Iterator[None]:
    """A short resend interval, so that both the refusal and a resend fit in the test."""
    before = os.environ.get("INVITATION_RESEND_INTERVAL_SECONDS")
    os.environ["INVITATION_RESEND_INTERVAL_SECONDS"] = str(RESEND_INTERVAL_SECONDS)
    yield
    if before is None:
        del os.environ["INVITATION_RESEND_INTERVAL_SECONDS"]
    else:
        os.environ["INVITATION_RESEND_INTERVAL_SECONDS"] = before


@pytest.fixture(scope="module")
async def world(
    infra: Infrastructure,
    vhost: str,
    resend_interval: None,
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
) -> AsyncIterator[World]:
    state = tmp_path_factory.mktemp("admin-browser-stack")
    async with running_stack(infra, vhost, state) as stack:
        await asyncio.to_thread(create_admin, stack, TENANT, ADMIN_EMAIL, PASSWORD)
        tenant_id = await _tenant_id(stack)
        async with chromium() as browser:
            context = await browser.new_context(
                locale="en-CA", viewport={"width": 1366, "height": 768}
            )
            context.set_default_timeout(TIMEOUT_MS)
            page = await context.new_page()
            shots = Screenshots(tmp_path_factory.mktemp("screenshots"))
            yield World(stack, browser, context, page, tenant_id, shots, {})
            await context.close()
    # Listed in the run's output (outside pytest's capture), passed or failed.
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    lines = [f"admin console screenshots ({len(shots.taken)}): {shots.folder}"]
    lines += [f"  {path.name}" for path in shots.taken]
    if capture is not None:
        with capture.global_and_fixture_disabled():
            print("\n" + "\n".join(lines))  # noqa: T201
    else:
        print("\n".join(lines))  # noqa: T201


async def _tenant_id(stack: RunningStack) -> uuid.UUID:
    async with httpx.AsyncClient(base_url=stack.gateway) as client:
        login = await client.post(
            "/api/v1/auth/login",
            json={"tenant": TENANT, "email": ADMIN_EMAIL, "password": PASSWORD},
        )
        assert login.status_code == 200, login.text
        return uuid.UUID(login.json()["user"]["tenant_id"])


async def _log_in(page: Page, gateway: str, email: str, password: str) -> None:
    await page.goto(f"{gateway}/login")
    await page.get_by_label(re.compile("Platform|Plateforme")).fill(TENANT)
    await page.get_by_label(re.compile("E-mail address|Adresse courriel")).fill(email)
    await page.get_by_label(re.compile("Password|Mot de passe")).fill(password)
    await page.get_by_role("button", name=re.compile("Log in|Se connecter")).click()
    await page.wait_for_url(re.compile(r"/users"))


async def _invite(world: World, key: str, email: str, first: str, last: str) -> dict[str, Any]:
    page = world.page
    await page.goto(f"{world.stack.gateway}/users/new")
    await page.get_by_label("E-mail address").fill(email)
    await page.get_by_label("First name").fill(first)
    await page.get_by_label("Last name").fill(last)
    await page.get_by_role("button", name="Send the invitation").click()
    await expect(page.get_by_text("Invitation created: the e-mail is on its way.")).to_be_visible()
    user = {
        "id": page.url.split("/users/")[1].split("?")[0],
        "email": email,
        "name": f"{first} {last}",
    }
    world.users[key] = user
    return user


async def test_log_in_and_switch_language(world: World) -> None:
    page = world.page
    await page.goto(f"{world.stack.gateway}/")
    await expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    await world.shots.take(page, "login")
    await _log_in(page, world.stack.gateway, ADMIN_EMAIL, PASSWORD)
    # The admin's own locale (fr, from create-admin) once logged in; switchable.
    await expect(page.get_by_role("heading", name="Répertoire")).to_be_visible()
    await page.get_by_role("button", name="English").click()
    await expect(page.get_by_role("heading", name="Directory")).to_be_visible()
    await expect(page.get_by_role("button", name="Français")).to_be_visible()


async def test_invite_see_the_blue_envelope_and_resend(world: World) -> None:
    page = world.page
    lea = await _invite(world, "lea", "lea.roy@example.com", "Léa", "Roy")
    await _invite(world, "marc", "marc.gagnon@example.com", "Marc", "Gagnon")
    await world.stack.wait_for_line("mail to lea.roy@example.com: ", within=30)

    await page.goto(f"{world.stack.gateway}/users?q=roy")
    row = page.locator(f"#user-{lea['id']}")
    envelope = row.locator("details.envelope")
    await expect(envelope).to_have_class(re.compile("blue"))
    await envelope.locator("summary").click()
    popover = envelope.locator(".popover")
    await expect(popover.get_by_text("First invitation")).to_be_visible()
    await expect(popover.get_by_text("Last sent")).to_be_visible()
    await world.shots.take(page, "envelope-popover")

    # Resending within the interval: the directory's rate limit, in words.
    await popover.get_by_role("link", name="Send the invitation again…").click()
    await page.get_by_role("button", name="Send the invitation").click()
    await expect(
        page.get_by_text(re.compile(r"Too soon: an invitation was sent a moment ago"))
    ).to_be_visible()
    # Once the interval has passed, the same button sends it.
    sent = row.get_by_text("A new invitation is on its way.")
    for _ in range(RESEND_INTERVAL_SECONDS + 5):
        await asyncio.sleep(1)
        if await sent.count():
            break
        await page.get_by_role("button", name="Send the invitation").click()
    await expect(sent).to_be_attached()


async def test_filter_search_and_share_the_url(world: World) -> None:
    page = world.page
    await page.goto(f"{world.stack.gateway}/users")
    await page.evaluate("window.stillTheSamePage = true")
    await page.get_by_label("Search names and e-mail").fill("gagnon")
    await expect(page.locator("table.users tbody tr")).to_have_count(1)
    await expect(page).to_have_url(re.compile(r"[?&]q=gagnon"))
    assert await page.evaluate("window.stillTheSamePage === true"), "the table updated in place"
    await page.get_by_text("Filters", exact=True).click()
    await page.get_by_label("Invited", exact=True).check()
    await expect(page).to_have_url(re.compile(r"status=invited"))
    await expect(page.get_by_role("status").first).to_have_text(re.compile("1 user"))
    shared = page.url

    other = await world.context.new_page()  # a colleague opening the shared link
    await other.goto(shared)
    await expect(other.get_by_label("Search names and e-mail")).to_have_value("gagnon")
    await expect(other.locator("table.users tbody tr")).to_have_count(1)
    await expect(other.get_by_text("marc.gagnon@example.com")).to_be_visible()
    await other.close()

    await page.get_by_role("link", name="E-mail").click()  # sort by e-mail
    await expect(page).to_have_url(re.compile(r"sort=email"))
    await world.shots.take(page, "directory-filtered")


async def test_a_bounce_turns_the_envelope_orange(world: World) -> None:
    lea = world.users["lea"]
    publisher = await EventPublisher(world.stack.env["AMQP_URL"]).start()
    try:
        bounce = EmailBounced(
            provider="postmark",
            provider_event_id=uuid.uuid4().hex,
            email=lea["email"],
            occurred_at=datetime.now(UTC),
            kind=BounceKind.HARD,
            reason="550 5.1.1 mailbox unknown",
        )
        await publisher.publish("email.bounced", world.tenant_id, bounce, subject=lea["id"])
    finally:
        await publisher.stop()
    page = world.page
    envelope = page.locator(f"#user-{lea['id']} details.envelope")
    for _ in range(50):
        await page.goto(f"{world.stack.gateway}/users?q=roy")
        if "orange" in (await envelope.get_attribute("class") or ""):
            break
        await asyncio.sleep(0.2)
    await expect(envelope).to_have_class(re.compile("orange"))
    await expect(envelope.locator("summary .sr-only")).to_have_text("E-mail bounced")
    await envelope.locator("summary").click()
    await expect(envelope.get_by_text("Permanent bounce")).to_be_visible()
    await expect(envelope.get_by_text("550 5.1.1 mailbox unknown")).to_be_visible()


async def test_the_suppressions_screen_lists_and_lifts(world: World) -> None:
    """Lea's hard bounce put her address on the suppression list (invitations); the admin
    lifts it there, and her profile's activity says so."""
    page, gateway = world.page, world.stack.gateway
    lea = world.users["lea"]
    row = page.locator("tbody tr", has_text=lea["email"])
    for _ in range(50):
        await page.goto(f"{gateway}/suppressions")
        if await row.count():
            break
        await asyncio.sleep(0.2)
    await expect(row.get_by_text("Permanent bounce")).to_be_visible()
    await expect(row.get_by_text("550 5.1.1 mailbox unknown")).to_be_visible()
    await world.shots.take(page, "suppressions-list")
    await row.locator("summary").click()
    await row.get_by_role("button", name="Lift the suppression").click()
    await expect(page.get_by_text("Done.", exact=True)).to_be_visible()
    await expect(page.locator("tbody tr", has_text=lea["email"])).to_have_count(0)

    lifted = page.locator("code", has_text="suppression.lifted")
    for _ in range(50):
        await page.goto(f"{gateway}/users/{lea['id']}")
        if await lifted.count():
            break
        await asyncio.sleep(0.2)
    await expect(lifted).to_be_visible()


async def test_deactivate_and_reactivate_from_the_row_menu(world: World) -> None:
    page = world.page
    marc = world.users["marc"]
    await page.goto(f"{world.stack.gateway}/users?q=gagnon")
    row = page.locator(f"#user-{marc['id']}")
    await row.get_by_text("Actions").click()
    await row.get_by_role("link", name="Deactivate…").click()
    await row.get_by_label("Reason (optional)").fill("Left the company")
    await world.shots.take(page, "deactivate-confirm")
    await row.get_by_role("button", name="Deactivate").click()
    row = page.locator(f"#user-{marc['id']}")
    await expect(row.locator(".badge")).to_have_text("Deactivated")
    await page.goto(f"{world.stack.gateway}/users?status=deactivated")
    await expect(page.get_by_text("marc.gagnon@example.com")).to_be_visible()
    await page.goto(f"{world.stack.gateway}/users/{marc['id']}")
    await expect(page.get_by_text("Left the company", exact=True)).to_be_visible()

    await page.get_by_role("link", name="Reactivate…").click()
    await page.get_by_role("button", name="Reactivate").click()
    await expect(page.get_by_text("The user is active again.")).to_be_visible()


async def test_grant_the_admin_role_and_see_the_rules_refusals(world: World) -> None:
    page, gateway = world.page, world.stack.gateway
    marc = world.users["marc"]
    await page.goto(f"{gateway}/users/{marc['id']}")
    await page.get_by_label("Role").select_option("admin")
    await page.get_by_role("button", name="Save the changes").click()
    await expect(page.get_by_text("Changes saved.")).to_be_visible()
    await expect(page.get_by_label("Role")).to_have_value("admin")

    # Demoting oneself: refused, next to the field.
    me = await _my_id(world)
    await page.goto(f"{gateway}/users/{me}")
    await page.get_by_label("Role").select_option("learner")
    await page.get_by_role("button", name="Save the changes").click()
    await expect(page.locator("#role-error")).to_have_text(
        "You cannot remove your own administrator role."
    )

    # The last active administrator, seen by a manager (a role that may assign roles):
    # Marc is an administrator but has not accepted his invitation, so Ada is the last.
    manager = await _active_manager(world)
    colleague = await world.context.browser.new_context(locale="en-CA")  # type: ignore[union-attr]
    colleague.set_default_timeout(TIMEOUT_MS)
    other = await colleague.new_page()
    await _log_in(other, gateway, manager["email"], manager["password"])
    await other.goto(f"{gateway}/users/{me}")
    if await other.get_by_role("button", name="English").count():
        await other.get_by_role("button", name="English").click()
    await other.get_by_label("Role").select_option("learner")
    await other.get_by_role("button", name="Save the changes").click()
    await expect(other.locator("#role-error")).to_have_text(
        "This is the last active administrator: make someone else an administrator first."
    )
    await world.shots.take(other, "profile-last-admin")
    await colleague.close()


async def _my_id(world: World) -> str:
    async with httpx.AsyncClient(base_url=world.stack.gateway) as client:
        login = await client.post(
            "/api/v1/auth/login",
            json={"tenant": TENANT, "email": ADMIN_EMAIL, "password": PASSWORD},
        )
        return str(login.json()["user"]["id"])


async def _active_manager(world: World) -> dict[str, str]:
    """A manager (users and roles, not an administrator) who accepted the invitation on
    the invitations service's page, as a person would."""
    connection = await asyncpg.connect(world.stack.database_url("directory"))
    try:
        await connection.execute(
            "INSERT INTO roles (key, is_admin, permissions, label_fr, label_en) "
            "VALUES ('manager', false, $1, 'Gestionnaire', 'Manager') ON CONFLICT (key) DO NOTHING",
            ["users:read", "users:write", "users:invite", "users:deactivate", "roles:assign"],
        )
    finally:
        await connection.close()
    email, password = "mia.manager@example.com", "a long manager passphrase"
    async with httpx.AsyncClient(base_url=world.stack.gateway) as client:
        await client.post(
            "/api/v1/auth/login",
            json={"tenant": TENANT, "email": ADMIN_EMAIL, "password": PASSWORD},
        )
        invited = await client.post(
            "/api/v1/users/invitations",
            json={"email": email, "first_name": "Mia", "last_name": "Manager", "role": "manager"},
        )
        assert invited.status_code == 201, invited.text
    line = await world.stack.wait_for_line(f"mail to {email}: ", within=30)
    link = line.split(" — ")[1].split(" ")[0]
    page = await world.context.new_page()
    await page.goto(link)
    await page.locator("input[name=password]").fill(password)
    await page.locator("input[name=password_confirmation]").fill(password)
    await page.locator("button[type=submit]").click()
    # The answer arrived before the page closes: Chromium never finished closing a page
    # in the middle of its form's navigation (page.close hung there, twice in full runs).
    await expect(page.get_by_role("heading", name=ACCOUNT_ACTIVE)).to_be_visible()
    await page.close()
    async with httpx.AsyncClient(base_url=world.stack.gateway) as client:
        for _ in range(100):
            login = await client.post(
                "/api/v1/auth/login", json={"tenant": TENANT, "email": email, "password": password}
            )
            if login.status_code == 200:
                break
            await asyncio.sleep(0.2)
        assert login.status_code == 200, login.text
    return {"email": email, "password": password}


async def test_export_or_not_available(world: World) -> None:
    page = world.page
    await page.goto(f"{world.stack.gateway}/users?status=invited")
    await page.get_by_role("button", name="CSV").click()
    await page.wait_for_url(re.compile(r"/exports"))
    if not EXPORTS_EXIST:
        await expect(page.get_by_role("heading", name="Not available")).to_be_visible()
        await page.goto(f"{world.stack.gateway}/exports")
        await expect(
            page.get_by_text("Exporting is not available on this platform")
        ).to_be_visible()
        return
    download_link = page.get_by_role("link", name="Download").first
    await expect(download_link).to_be_visible(timeout=60_000)
    async with page.expect_download() as arrival:
        await download_link.click()
    download = await arrival.value
    saved = Path(world.shots.folder) / download.suggested_filename
    await download.save_as(saved)
    assert "lea.roy@example.com" in saved.read_text(encoding="utf-8-sig")


async def test_api_keys_or_not_available(world: World) -> None:
    page = world.page
    await page.goto(f"{world.stack.gateway}/integrations")
    if not WEBHOOKS_EXIST:
        await expect(page.get_by_text("API keys is not available on this platform")).to_be_visible()
        await expect(page.get_by_text("Hooks is not available on this platform")).to_be_visible()
        return
    await page.get_by_label("Name of the new key (e.g. Zapier)").fill("Zapier")
    await page.get_by_role("button", name="Create a key").click()
    key = await page.get_by_label("The new key", exact=True).input_value()
    assert len(key) > 20
    await page.goto(f"{world.stack.gateway}/integrations")
    assert key not in await page.content(), "the key is shown once"


PAGES = (
    ("directory", "/users"),
    ("invite", "/users/new"),
    ("groups", "/groups"),
    ("custom-fields", "/custom-fields"),
    ("exports", "/exports"),
    ("integrations", "/integrations"),
    ("suppressions", "/suppressions"),
)


async def test_every_page_passes_axe_and_is_photographed(world: World) -> None:
    page, gateway = world.page, world.stack.gateway
    lea = world.users["lea"]
    pages = [
        *PAGES,
        ("profile", f"/users/{lea['id']}"),
        ("confirm", f"/users/{lea['id']}/deactivate"),
    ]
    found: dict[str, list[dict[str, Any]]] = {}
    for name, path in pages:
        await page.goto(f"{gateway}{path}")
        await page.wait_for_load_state("load")
        found[name] = await axe_violations(page)
        await world.shots.take(page, name)
    # The popover and the row menu open, the language switched, the login page.
    await page.goto(f"{gateway}/users")
    await page.locator("details.envelope summary").first.click()
    found["directory with a popover"] = await axe_violations(page)
    await page.get_by_role("button", name="Français").click()
    found["directory in French"] = await axe_violations(page)
    await page.get_by_role("button", name="Se déconnecter").click()
    await expect(page.get_by_role("heading", name="Se connecter")).to_be_visible()
    found["login"] = await axe_violations(page)
    assert {name: v for name, v in found.items() if v} == {}
