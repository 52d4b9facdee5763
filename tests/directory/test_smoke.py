from tests.support.bus import BusSpy
from tests.support.directory import Tenant


async def test_invited_user_appears_in_the_list(tenant: Tenant, bus: BusSpy) -> None:
    user = await tenant.invite("marie.tremblay@example.com")
    response = await tenant.admin.get("/api/v1/users", params={"q": "marie"})
    assert response.status_code == 200
    assert [u["id"] for u in response.json()["items"]] == [user["id"]]
    await bus.wait_for("user.created", subject=user["id"])
    await bus.wait_for("invitation.requested", subject=user["id"])
