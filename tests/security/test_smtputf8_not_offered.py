"""A non-ASCII address accepted (EMAIL_SMTPUTF8=true) whose mail server turns out not to
offer SMTPUTF8 (issue 9.6), through the real services: the directory takes the address,
the invitations service finds SMTPUTF8 missing in the server's EHLO answer and sends
nothing (no message in another encoding, which would reach someone else or nobody), gives
up at once rather than retrying, and the admin sees the invitation failed, saying why."""

import asyncio
import uuid
from typing import Any

import asyncpg
from httpx import AsyncClient

from services.directory.settings import DirectorySettings
from tests.security.conftest import own_directory
from tests.support.directory import new_tenant
from tests.support.infra import Infrastructure
from tests.support.invitations import running_invitations

ADDRESS = "josé.núñez@example.com"


async def test_a_server_without_smtputf8_fails_the_invitation_saying_why(
    infra: Infrastructure,
    private_vhost: str,
    directory_config: DirectorySettings,
    jwt_keys: tuple[str, str],
) -> None:
    key = directory_config.jwt_private_key
    async with (
        own_directory(infra, private_vhost, key, "directory_no_smtputf8") as directory,
        running_invitations(
            infra, private_vhost, "invitations_no_smtputf8", jwt_public_key=jwt_keys[1]
        ) as invitations,
    ):
        invitations.smtp.offers_smtputf8 = False
        settings = await directory.start(email_smtputf8=True)
        tenant = await new_tenant(settings, directory.url, "no-smtputf8")
        try:
            user = await tenant.invite(ADDRESS)
            assert user["email"] == ADDRESS
            invitation = await failed_invitation(tenant.admin, user["id"])
        finally:
            await tenant.admin.aclose()
        reason = invitation["failure_reason"]
        assert "does not offer SMTPUTF8" in reason, reason
        assert "non-ASCII address" in reason
        assert invitations.smtp.connections_opened >= 1  # it asked the server
        assert invitations.smtp.received == []  # and sent nothing
        deliveries = await deliveries_of(invitations.settings.database_url, user["id"])
        assert deliveries == [("failed", 1)]  # given up at the first attempt


async def failed_invitation(admin: AsyncClient, user_id: str) -> dict[str, Any]:
    """The invitation as the admin reads it on the profile, once it failed."""
    for _ in range(400):
        invitation: dict[str, Any] = (await admin.get(f"/api/v1/users/{user_id}")).json()[
            "invitation"
        ]
        if invitation["state"] not in ("pending", "sending"):
            assert invitation["state"] == "failed", invitation
            return invitation
        await asyncio.sleep(0.05)
    raise AssertionError(f"the invitation never failed: {invitation}")


async def deliveries_of(database_url: object, user_id: str) -> list[tuple[str, int]]:
    connection = await asyncpg.connect(str(database_url))
    try:
        rows = await connection.fetch(
            "SELECT d.state, d.attempts FROM deliveries d JOIN invitations i"
            " ON i.tenant_id = d.tenant_id AND i.id = d.invitation_id WHERE i.user_id = $1",
            uuid.UUID(user_id),
        )
    finally:
        await connection.close()
    return [(row["state"], row["attempts"]) for row in rows]
