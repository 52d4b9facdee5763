"""A bounce, as people live it: the admin invites a user, the e-mail goes out, the provider
reports it bounced (its webhook carries the e-mail's tags or Message-ID), the admin sees the
orange envelope with the kind and the reason on the user, and the address is not mailed
again. Directory, invitations and bounces, each running for real."""

import asyncio
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from tests.bounces.posters import Postmark, SendGrid
from tests.support.bounce_notices import Report, What
from tests.support.bounces import BouncesStack, post, wait_until_indexed
from tests.support.bus import BusSpy, drained
from tests.support.directory import Tenant
from tests.support.invitations import ReceivedMail, SmtpSink, new_address
from tests.support.servers import RunningServer

Profile = dict[str, Any]


async def invite_and_receive(
    tenant: Tenant, smtp: SmtpSink, email: str | None = None, **fields: Any
) -> tuple[dict[str, Any], ReceivedMail]:
    """Invite through the directory's API and wait for the e-mail to arrive."""
    address = email or new_address()
    user = await tenant.invite(address, **fields)
    mail = (await smtp.wait_for(address))[-1]
    return user, mail


async def allow_resend(directory_sql: asyncpg.Pool, user_id: str) -> None:
    """Make the directory's resend interval pass (back-date the last request)."""
    await directory_sql.execute(
        "UPDATE users SET invitation_requested_at = invitation_requested_at - interval '1 day'"
        " WHERE id = $1",
        uuid.UUID(user_id),
    )


def _tags(mail: ReceivedMail) -> dict[str, str]:
    """What SendGrid hands back: the custom args the e-mail's X-SMTPAPI header carried."""
    tags: dict[str, str] = json.loads(str(mail.message["X-SMTPAPI"]))["unique_args"]
    return tags


async def _profile_when(
    tenant: Tenant, user_id: str, condition: Callable[[Profile], bool], within: float = 20
) -> Profile:
    async with asyncio.timeout(within):
        while True:
            profile: Profile = (await tenant.admin.get(f"/api/v1/users/{user_id}")).json()
            if condition(profile):
                return profile
            await asyncio.sleep(0.1)


def _state(profile: Profile) -> tuple[str, str | None]:
    return profile["email_status"]["state"], profile["email_status"]["bounce_kind"]


async def test_a_hard_bounce_shows_on_the_user_and_suppresses_the_address(
    tenant: Tenant,
    invitations: RunningServer,
    smtp: SmtpSink,
    bounces_stack: BouncesStack,
    bus: BusSpy,
    directory_sql: asyncpg.Pool,
    amqp_url: str,
) -> None:
    user, mail = await invite_and_receive(tenant, smtp)
    message_id = str(mail.message["Message-ID"])
    when = datetime.now(UTC).replace(microsecond=0)
    report = Report(What.HARD_BOUNCE, user["email"], message_id, _tags(mail), occurred_at=when)
    sendgrid = SendGrid(bounces_stack.secrets)

    response = await post(bounces_stack.server.url, "sendgrid", sendgrid.signed([report]))
    assert response.status_code == 200, response.text

    [bounced] = await bus.wait_for("email.bounced", provider_event_id=report.event_id)
    assert bounced.body["tenantid"] == str(tenant.id)
    assert bounced.data["user_id"] == user["id"]
    assert bounced.data["message_id"] == message_id
    profile = await _profile_when(tenant, user["id"], lambda p: _state(p) == ("bounced", "hard"))
    assert profile["envelope"] == "orange"
    assert profile["email_status"]["reason"] == "500 unknown recipient"  # SendGrid's documented one
    assert datetime.fromisoformat(profile["email_status"]["changed_at"]) == when
    assert profile["invitation"]["state"] == "bounced"
    assert any(a["kind"] == "email.bounced" for a in profile["recent_activities"])

    await drained(amqp_url, "invitations.email")
    await allow_resend(directory_sql, user["id"])
    resent = await tenant.admin.post(f"/api/v1/users/{user['id']}/invitation/resend")
    assert resent.status_code == 202, resent.text
    [failed] = await bus.wait_for("invitation.failed", subject=user["id"])
    assert failed.data["suppressed"] is True
    assert "bounced permanently" in failed.data["reason"]
    profile = await _profile_when(
        tenant, user["id"], lambda p: p["invitation"]["state"] == "failed"
    )
    assert "suppression list" in profile["invitation"]["failure_reason"]
    assert len(smtp.to(user["email"])) == 1  # only the first e-mail went out


async def test_notices_are_applied_in_the_order_they_happened(
    tenant: Tenant,
    invitations: RunningServer,
    smtp: SmtpSink,
    bounces_stack: BouncesStack,
    bus: BusSpy,
) -> None:
    """A soft bounce is cleared by a delivery that happened after it; a delivery that
    happened before a hard bounce never clears it, even when it arrives after it."""
    user, mail = await invite_and_receive(tenant, smtp)
    message_id, tags = str(mail.message["Message-ID"]), _tags(mail)
    assert bounces_stack.sql is not None
    await wait_until_indexed(bounces_stack.sql, message_id)  # each notice applies at once
    sendgrid = SendGrid(bounces_stack.secrets)
    start = datetime.now(UTC).replace(microsecond=0)

    async def report(what: What, minutes: int) -> None:
        sent = Report(
            what, user["email"], message_id, tags, occurred_at=start + timedelta(minutes=minutes)
        )
        response = await post(bounces_stack.server.url, "sendgrid", sendgrid.signed([sent]))
        assert response.json()["published"] == 1, response.text
        routing_key = {What.DELIVERED: "email.delivered"}.get(what, "email.bounced")
        await bus.wait_for(routing_key, provider_event_id=sent.event_id)

    await report(What.SOFT_BOUNCE, 1)
    await _profile_when(tenant, user["id"], lambda p: _state(p) == ("bounced", "soft"))
    await report(What.DELIVERED, 2)
    profile = await _profile_when(tenant, user["id"], lambda p: _state(p) == ("ok", None))
    assert profile["envelope"] == "blue"

    await report(What.HARD_BOUNCE, 10)
    await _profile_when(tenant, user["id"], lambda p: _state(p) == ("bounced", "hard"))
    await report(What.DELIVERED, 5)  # happened before the hard bounce, arrives after it
    profile = await _profile_when(
        tenant,
        user["id"],
        lambda p: sum(a["kind"] == "email.delivered" for a in p["recent_activities"]) == 2,
    )
    assert _state(profile) == ("bounced", "hard")
    kinds = [a["kind"] for a in profile["recent_activities"]]
    assert kinds.count("email.bounced") == 2  # the activity shows each notice


async def test_a_notice_days_later_carrying_only_the_address_lands_on_the_user(
    tenant: Tenant,
    invitations: RunningServer,
    smtp: SmtpSink,
    bounces_stack: BouncesStack,
    bus: BusSpy,
) -> None:
    """Postmark reports its own message id, not ours; without metadata only the address
    is left, which the platform mailed 20 days ago (time travel in the index)."""
    user, mail = await invite_and_receive(tenant, smtp, f"late-{uuid.uuid4().hex[:8]}@example.com")
    assert bounces_stack.sql is not None
    message_id = str(mail.message["Message-ID"])
    await wait_until_indexed(bounces_stack.sql, message_id)
    await bounces_stack.sql.execute(
        "UPDATE sent_messages SET sent_at = sent_at - interval '20 days' WHERE message_id = $1",
        message_id,
    )
    report = Report(What.COMPLAINT, user["email"].upper())
    response = await post(
        bounces_stack.server.url, "postmark", Postmark(bounces_stack.secrets).signed([report])
    )
    assert response.json()["published"] == 1, response.text
    await bus.wait_for("email.complained", subject=user["id"])
    profile = await _profile_when(
        tenant, user["id"], lambda p: p["email_status"]["state"] == "complained"
    )
    assert profile["envelope"] == "orange"


async def test_the_mark_goes_when_the_admin_corrects_the_address(
    tenant: Tenant,
    invitations: RunningServer,
    smtp: SmtpSink,
    bounces_stack: BouncesStack,
    bus: BusSpy,
    directory_sql: asyncpg.Pool,
) -> None:
    user, mail = await invite_and_receive(tenant, smtp)
    report = Report(What.HARD_BOUNCE, user["email"], str(mail.message["Message-ID"]), _tags(mail))
    sendgrid = SendGrid(bounces_stack.secrets)
    await post(bounces_stack.server.url, "sendgrid", sendgrid.signed([report]))
    profile = await _profile_when(tenant, user["id"], lambda p: _state(p) == ("bounced", "hard"))

    corrected = f"fixed-{uuid.uuid4().hex[:8]}@example.com"
    changed = await tenant.admin.patch(
        f"/api/v1/users/{user['id']}",
        json={"email": corrected},
        headers={"If-Match": f'"{profile["version"]}"'},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["email_status"]["state"] == "ok"
    assert changed.json()["envelope"] != "orange"

    await allow_resend(directory_sql, user["id"])
    resent = await tenant.admin.post(f"/api/v1/users/{user['id']}/invitation/resend")
    assert resent.status_code == 202, resent.text
    await smtp.wait_for(corrected)  # the new address is not on the suppression list
