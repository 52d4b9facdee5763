"""Every page of the console renders for a logged-in admin."""

from tests.support.admin import ConsoleBrowser
from tests.support.directory import Tenant


async def test_every_page_renders(signed_in: ConsoleBrowser, tenant: Tenant) -> None:
    user = await tenant.invite("lea@example.com", first_name="Léa", last_name="Roy")
    for path in (
        "/users",
        "/users?q=roy&status=invited&sort=-created_at",
        "/users/new",
        "/imports",
        f"/users/{user['id']}",
        "/groups",
        "/custom-fields",
        "/exports",
        "/integrations",
        "/suppressions",
        f"/users/{user['id']}/deactivate",
    ):
        page = await signed_in.get(path)
        assert page.status_code == 200, (path, page.text[:3000])
