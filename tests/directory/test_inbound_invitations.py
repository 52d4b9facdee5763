"""What the invitations service reports: `invitation.sent`, `.failed`, `.revoked` and
`.accepted`, as the directory shows them (state, dates, counts, envelope, activation)."""

import uuid
from datetime import timedelta

import asyncpg
import httpx

from shared.contracts.invitations import InvitationFailed, InvitationRevoked
from tests.support.directory import LEARNER_PASSWORD, Lms, now, parse


async def test_sent_shows_the_first_and_last_dates_and_counts(lms: Lms) -> None:
    user = await lms.invite()
    first_at = now() - timedelta(days=2)
    first = await lms.invitation_sent(user, sent_at=first_at)
    profile = await lms.profile(user["id"])
    invitation = profile["invitation"]
    assert invitation["state"] == "sent"
    assert parse(invitation["first_sent_at"]) == first_at
    assert parse(invitation["last_sent_at"]) == first_at
    assert parse(invitation["expires_at"]) == first.expires_at
    assert invitation["send_count"] == 1
    assert profile["envelope"] == "blue"

    # A reminder of the same invitation goes out a day later.
    reminder_at = first_at + timedelta(days=1)
    seen = await lms.publish_and_wait(
        "invitation.sent",
        lms.sent(user, str(first.request_id), sent_at=reminder_at, first_sent_at=first_at,
                 attempt=2),
        user["id"],
    )  # fmt: skip
    invitation = (await lms.profile(user["id"]))["invitation"]
    assert parse(invitation["first_sent_at"]) == first_at
    assert parse(invitation["last_sent_at"]) == reminder_at
    assert invitation["send_count"] == 2
    assert seen.data["invitation"]["send_count"] == 2
    assert parse(seen.data["invitation"]["first_sent_at"]) == first_at


async def test_a_late_report_of_an_earlier_sending_does_not_go_back_in_time(lms: Lms) -> None:
    user = await lms.invite()
    request = await lms.request_id(user["id"])
    t = now() - timedelta(hours=5)
    newer = lms.sent(user, request, sent_at=t + timedelta(hours=2), first_sent_at=t)
    older = lms.sent(user, request, sent_at=t, first_sent_at=t)
    await lms.publish_and_wait("invitation.sent", newer, user["id"])
    await lms.publish_and_wait("invitation.sent", older, user["id"])
    invitation = (await lms.profile(user["id"]))["invitation"]
    assert parse(invitation["first_sent_at"]) == t
    assert parse(invitation["last_sent_at"]) == t + timedelta(hours=2)
    assert parse(invitation["expires_at"]) == newer.expires_at
    assert invitation["send_count"] == 2


async def test_a_report_about_a_replaced_invitation_does_not_mark_the_new_one_sent(
    lms: Lms, directory_sql: asyncpg.Pool
) -> None:
    user = await lms.invite()
    old_request = await lms.request_id(user["id"])
    await directory_sql.execute(
        "UPDATE users SET invitation_requested_at = invitation_requested_at - interval '2 min'"
        " WHERE tenant_id = $1 AND id = $2",
        lms.tenant.id,
        uuid.UUID(user["id"]),
    )
    response = await lms.admin.post(f"/api/v1/users/{user['id']}/invitation/resend")
    assert response.status_code == 202
    await lms.publish_and_wait("invitation.sent", lms.sent(user, old_request), user["id"])
    profile = await lms.profile(user["id"])
    assert profile["invitation"]["state"] == "pending"  # the new one has not gone out yet
    assert profile["invitation"]["send_count"] == 1
    assert profile["envelope"] == "blue"  # but an invitation did go out


async def test_failed_says_why(lms: Lms) -> None:
    user = await lms.invite()
    failed = InvitationFailed(
        request_id=uuid.UUID(await lms.request_id(user["id"])),
        user_id=uuid.UUID(user["id"]),
        email=user["email"],
        reason="Address on the suppression list",
        failed_at=now(),
        suppressed=True,
    )
    seen = await lms.publish_and_wait("invitation.failed", failed, user["id"])
    profile = await lms.profile(user["id"])
    assert profile["invitation"]["state"] == "failed"
    assert profile["invitation"]["failure_reason"] == "Address on the suppression list"
    assert seen.data["invitation"]["state"] == "failed"
    activity = profile["recent_activities"][0]
    assert activity["kind"] == "invitation.failed"
    assert activity["details"] == {"reason": "Address on the suppression list", "suppressed": True}
    listed = await lms.admin.get("/api/v1/users", params={"invitation": "failed"})
    assert [u["id"] for u in listed.json()["items"]] == [user["id"]]


async def test_revoked_links_show_as_revoked(lms: Lms) -> None:
    user = await lms.invite()
    await lms.invitation_sent(user)
    revoked = InvitationRevoked(
        request_id=uuid.UUID(await lms.request_id(user["id"])),
        user_id=uuid.UUID(user["id"]),
        email=user["email"],
        reason="address changed",
        revoked_at=now(),
    )
    seen = await lms.publish_and_wait("invitation.revoked", revoked, user["id"])
    assert seen.data["invitation"]["state"] == "revoked"
    profile = await lms.profile(user["id"])
    assert profile["invitation"]["state"] == "revoked"
    assert profile["recent_activities"][0]["details"] == {"reason": "address changed"}


async def test_revoking_an_older_invitation_leaves_the_current_one(lms: Lms) -> None:
    user = await lms.invite()
    await lms.invitation_sent(user)
    version = await lms.version(user["id"])
    revoked = InvitationRevoked(
        request_id=uuid.uuid4(),  # some earlier request, long replaced
        user_id=uuid.UUID(user["id"]),
        email=user["email"],
        reason="resent",
        revoked_at=now(),
    )
    await lms.publish("invitation.revoked", revoked, subject=user["id"])
    await lms.worked_off("directory.invitations")
    profile = await lms.profile(user["id"])
    assert profile["invitation"]["state"] == "sent"
    assert profile["version"] == version


async def test_accepted_activates_the_user_who_can_then_log_in(lms: Lms) -> None:
    user = await lms.invite()
    await lms.invitation_sent(user)
    before = now()

    activated = await lms.accept(user)

    assert activated.body["version"] == user["version"] + 2
    assert activated.data["status"] == "active"
    assert activated.data["invitation"]["state"] == "accepted"
    assert "password_hash" not in activated.data
    profile = await lms.profile(user["id"])
    assert profile["status"] == "active"
    assert profile["invitation"]["state"] == "accepted"
    assert before <= parse(profile["activated_at"]) <= now()
    assert profile["recent_activities"][0]["kind"] == "invitation.accepted"
    client = await lms.tenant.login(user["email"], LEARNER_PASSWORD)
    me = await client.get("/api/v1/auth/me")
    assert me.json()["id"] == user["id"]
    await client.aclose()
    listed = await lms.admin.get("/api/v1/users", params={"invitation": "accepted"})
    assert [u["id"] for u in listed.json()["items"]] == [user["id"]]


async def test_an_invited_user_cannot_log_in_before_accepting(lms: Lms) -> None:
    user = await lms.invite()
    async with httpx.AsyncClient(base_url=lms.tenant.base_url) as client:
        response = await client.post(
            "/api/v1/auth/login",
            json={"tenant": lms.tenant.slug, "email": user["email"], "password": LEARNER_PASSWORD},
        )
    assert response.status_code == 401
