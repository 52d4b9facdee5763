"""Importing users and acting on many at once, in real Chromium against the console and a
real directory (its job runner included): the main path of each, as an admin clicks it."""

import re
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, FilePayload, Page, expect

from tests.support.browser import axe_violations, chromium
from tests.support.directory import ADMIN_PASSWORD, Tenant
from tests.support.servers import RunningServer

TIMEOUT_MS = 15_000
COHORT = (
    "E-mail;First name;Last name;Groups\n"
    "ines.roy@example.com;Inès;Roy;\n"
    "noe.gagnon@example.com;Noé;Gagnon;\n"
    "not-an-address;Paul;Côté;\n"
)


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as running:
        yield running


@pytest.fixture
async def page(browser: Browser, console: RunningServer, tenant: Tenant) -> AsyncIterator[Page]:
    context = await browser.new_context(locale="en-CA", accept_downloads=True)
    context.set_default_timeout(TIMEOUT_MS)
    page = await context.new_page()
    await page.goto(f"{console.url}/login")
    await page.get_by_label(re.compile("Platform|Plateforme")).fill(tenant.slug)
    await page.get_by_label(re.compile("E-mail address|Adresse courriel")).fill(tenant.admin_email)
    await page.get_by_label(re.compile("Password|Mot de passe")).fill(ADMIN_PASSWORD)
    await page.get_by_role("button", name=re.compile("Log in|Se connecter")).click()
    await page.wait_for_url(re.compile(r"/users"))
    if await page.get_by_role("button", name="English").count():  # the admin reads French
        await page.get_by_role("button", name="English").click()
        await expect(page.get_by_role("heading", name="Directory")).to_be_visible()
    yield page
    await context.close()


async def test_an_import_is_previewed_applied_and_its_results_downloaded(
    page: Page, console: RunningServer, tenant: Tenant
) -> None:
    await page.goto(f"{console.url}/users")
    await page.get_by_role("link", name="Import users").click()
    async with page.expect_download() as template_download:
        await page.get_by_role("link", name="template in English").click()
    template = (await (await template_download.value).path()).read_text(encoding="utf-8-sig")
    assert await axe_violations(page) == []
    assert template.splitlines()[0].startswith("E-mail,First name,Last name")

    cohort = FilePayload(name="cohort.csv", mimeType="text/csv", buffer=COHORT.encode())
    await page.get_by_label(re.compile("^File")).set_input_files(files=[cohort])
    await page.get_by_role("button", name="Preview the import").click()

    await expect(page.get_by_role("heading", name="Import of cohort.csv")).to_be_visible()
    await expect(page.get_by_role("link", name="To create: 2")).to_be_visible()
    await expect(page.get_by_role("link", name="Error: 1")).to_be_visible()
    wrong = page.get_by_role("row").filter(has_text="not-an-address")
    await expect(wrong).to_contain_text("Error")
    await expect(wrong).to_contain_text("e-mail")
    assert await axe_violations(page) == []
    await page.get_by_role("link", name="Error: 1").click()
    await expect(page.get_by_role("row").filter(has_text="ines.roy@example.com")).to_have_count(0)

    await page.get_by_label("Send the invitations now to the users created").uncheck()
    await page.get_by_role("button", name="Apply the import").click()
    job = page.locator("#import-job")
    await expect(job).to_contain_text("Done")  # followed while it runs, by htmx
    await expect(job).to_contain_text("Created: 2")
    async with page.expect_download() as results_download:
        await page.get_by_role("link", name="Download the results (CSV)").click()
    results = (await (await results_download.value).path()).read_text(encoding="utf-8")
    assert re.search(r"ines\.roy@example\.com,create,.*,created,", results), results
    assert "not-an-address" in results

    found = (await tenant.admin.get("/api/v1/users", params={"q": "Gagnon"})).json()["items"]
    assert [(u["email"], u["status"]) for u in found] == [("noe.gagnon@example.com", "invited")]

    await page.get_by_role("link", name="Import", exact=True).click()
    listed = page.get_by_role("row").filter(has_text="cohort.csv")
    await expect(listed).to_contain_text("Done: 3 of 3 done")  # not "Preview": it was applied


async def test_a_bulk_deactivation_over_the_filters_is_previewed_confirmed_and_followed(
    page: Page, console: RunningServer, tenant: Tenant
) -> None:
    for _ in range(3):
        await tenant.invite(last_name="Lachance")

    await page.goto(f"{console.url}/users")
    assert await axe_violations(page) == []  # the bulk bar and the rows' checkboxes
    await page.get_by_label(re.compile("All 4 users matching the filters")).check()
    await page.get_by_label("Action", exact=True).select_option("deactivate")
    await page.get_by_role("button", name="Continue…").click()
    await page.get_by_label("Reason (optional, for a deactivation)").fill("Cohort ended")
    await page.get_by_role("button", name="Preview").click()

    preview = page.locator("#bulk-preview")
    await expect(preview).to_contain_text("4 users match.")
    await expect(preview).to_contain_text("3 will be changed.")
    await expect(preview).to_contain_text("1 — yourself")  # the admin is in the filter
    assert await axe_violations(page) == []
    await page.get_by_role("button", name="Confirm for 3 users").click()

    job = page.locator("#bulk-job")
    await expect(job).to_contain_text("Done")
    await expect(job).to_contain_text("Updated: 3")
    await expect(job).to_contain_text("Refused: 1")
    assert await axe_violations(page) == []
    listed = (await tenant.admin.get("/api/v1/users", params={"q": "Lachance"})).json()["items"]
    assert {u["status"] for u in listed} == {"deactivated"}
    me = (await tenant.admin.get(f"/api/v1/users/{tenant.admin_id}")).json()
    assert me["status"] == "active"

    await page.get_by_role("link", name="Bulk actions").click()
    listed = page.get_by_role("row").filter(has_text="Deactivate")
    await expect(listed).to_contain_text("Ada Admin")  # who started it
    await expect(listed).to_contain_text(tenant.admin_email)
    await expect(listed).to_contain_text("Done")
    await expect(listed).to_contain_text("4 of 4 done")
    await expect(listed).to_contain_text("Updated: 3, Refused: 1")
    assert await axe_violations(page) == []
    async with page.expect_download() as results_download:
        await listed.get_by_role("link", name=re.compile("Results \\(CSV\\)")).click()
    results = (await (await results_download.value).path()).read_text(encoding="utf-8")
    assert results.count(",updated,") == 3
