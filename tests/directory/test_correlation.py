"""A correlation id follows a request into the events it causes."""

from tests.support.bus import BusSpy
from tests.support.directory import Tenant


async def test_the_request_id_becomes_the_events_correlation_id(
    tenant: Tenant, bus: BusSpy
) -> None:
    response = await tenant.admin.post(
        "/api/v1/users/invitations",
        json={"email": "suivi@example.com", "first_name": "Léa", "last_name": "Roy"},
        headers={"X-Request-ID": "trace-4242"},
    )
    assert response.headers["x-request-id"] == "trace-4242"
    user_id = response.json()["id"]

    [created] = await bus.wait_for("user.created", subject=user_id)
    [requested] = await bus.wait_for("invitation.requested", subject=user_id)
    assert created.correlation_id == requested.correlation_id == "trace-4242"


async def test_a_request_without_an_id_gets_one(tenant: Tenant) -> None:
    response = await tenant.admin.get("/api/v1/users", headers={"X-Request-ID": "bad id <script>"})
    assert response.headers["x-request-id"] != "bad id <script>"
    assert len(response.headers["x-request-id"]) == 32
