"""A bounce, as people live it: the admin invites a user, the e-mail goes out, the provider
reports it bounced (its webhook carries the e-mail's tags or Message-ID), the admin sees the
orange envelope with the kind and the reason on the user, and the address is not mailed
again until a later delivery or the admin lifts its suppression (seen in the user's
activity). Directory, invitations and bounces, each running for real."""

import asyncio
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx

from tests.bounces.posters import Postmark, SendGrid
from tests.support.bounce_notices import Report, What
from tests.support.bounces import BouncesStack, post, wait_until_indexed
from tests.support.bus import BusSpy, drained
from tests.support.directory import ADMIN_PASSWORD, Tenant
from tests.support.invitations import ReceivedMail, SmtpSink, api_client, new_address
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


def _activities(profile: Profile, kind: str) -> list[dict[str, Any]]:
    return [a for a in profile["recent_activities"] if a["kind"] == kind]


async def _report(bounces: BouncesStack, bus: BusSpy, report: Report) -> None:
    """SendGrid reports it; wait until the bounces service published it."""
    signed = SendGrid(bounces.secrets).signed([report])
    response = await post(bounces.server.url, "sendgrid", signed)
    assert response.json()["published"] == 1, response.text
    routing_key = {What.DELIVERED: "email.delivered", What.COMPLAINT: "email.complained"}
    await bus.wait_for(
        routing_key.get(report.what, "email.bounced"), provider_event_id=report.event_id
    )


@dataclass
class MailedUser:
    """An invited user whose e-mail arrived and is in the bounces service's index, and the
    provider that reports on that e-mail (SendGrid, with its tags), minutes after `start`."""

    user: dict[str, Any]
    message_id: str
    tags: dict[str, str]
    bounces: BouncesStack
    bus: BusSpy
    start: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0))

    @property
    def id(self) -> str:
        return str(self.user["id"])

    async def report(self, what: What, minutes: int) -> None:
        at = self.start + timedelta(minutes=minutes)
        report = Report(what, self.user["email"], self.message_id, self.tags, occurred_at=at)
        await _report(self.bounces, self.bus, report)


async def mailed_and_indexed(
    tenant: Tenant, smtp: SmtpSink, bounces: BouncesStack, bus: BusSpy
) -> MailedUser:
    """Each notice applies at once: the e-mail is known to bounces before it is reported."""
    user, mail = await invite_and_receive(tenant, smtp)
    message_id = str(mail.message["Message-ID"])
    assert bounces.sql is not None
    await wait_until_indexed(bounces.sql, message_id)
    return MailedUser(user, message_id, _tags(mail), bounces, bus)


async def _resend(tenant: Tenant, directory_sql: asyncpg.Pool, user_id: str) -> None:
    await allow_resend(directory_sql, user_id)
    resent = await tenant.admin.post(f"/api/v1/users/{user_id}/invitation/resend")
    assert resent.status_code == 202, resent.text


async def _access_token(tenant: Tenant) -> str:
    """The admin's access token, as the directory gives it at login."""
    async with httpx.AsyncClient(base_url=tenant.base_url, timeout=30) as client:
        login = await client.post(
            "/api/v1/auth/login",
            json={"tenant": tenant.slug, "email": tenant.admin_email, "password": ADMIN_PASSWORD},
        )
    assert login.status_code == 200, login.text
    token: str = login.json()["access_token"]
    return token


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
    await _resend(tenant, directory_sql, user["id"])
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
    mailed = await mailed_and_indexed(tenant, smtp, bounces_stack, bus)
    user, report = mailed.user, mailed.report

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

    # A delivery after the hard bounce clears the mark, and lifts the suppression.
    await report(What.DELIVERED, 11)
    profile = await _profile_when(tenant, user["id"], lambda p: _state(p) == ("ok", None))
    assert profile["envelope"] == "blue"
    [lifted] = await bus.wait_for("suppression.lifted", email=user["email"])
    assert lifted.data["cause"] == "hard_bounce"
    assert lifted.data["lifted_by"] is None


async def test_a_complaint_stays_after_a_later_delivery(
    tenant: Tenant,
    invitations: RunningServer,
    smtp: SmtpSink,
    bounces_stack: BouncesStack,
    bus: BusSpy,
    directory_sql: asyncpg.Pool,
    amqp_url: str,
) -> None:
    """A complaint is a person saying "stop": a delivery says nothing about their wish."""
    mailed = await mailed_and_indexed(tenant, smtp, bounces_stack, bus)
    user = mailed.user
    for what, minutes in ((What.COMPLAINT, 1), (What.DELIVERED, 2)):
        await mailed.report(what, minutes)
    await _profile_when(tenant, user["id"], lambda p: bool(_activities(p, "email.delivered")))
    profile = (await tenant.admin.get(f"/api/v1/users/{user['id']}")).json()  # read after it
    assert profile["email_status"]["state"] == "complained"
    assert profile["envelope"] == "orange"

    await drained(amqp_url, "invitations.email")
    await _resend(tenant, directory_sql, user["id"])
    [failed] = await bus.wait_for("invitation.failed", subject=user["id"])
    assert failed.data["suppressed"] is True
    assert "reported our e-mail as spam" in failed.data["reason"]
    assert not bus.matching("suppression.lifted", email=user["email"])


async def test_an_admin_lifts_a_suppression_seen_in_the_activity_and_the_resend_goes_out(
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
    assert bounces_stack.sql is not None
    await wait_until_indexed(bounces_stack.sql, message_id)
    report = Report(What.HARD_BOUNCE, user["email"], message_id, _tags(mail))
    await _report(bounces_stack, bus, report)
    await _profile_when(tenant, user["id"], lambda p: _state(p) == ("bounced", "hard"))
    await drained(amqp_url, "invitations.email")
    await _resend(tenant, directory_sql, user["id"])
    [failed] = await bus.wait_for("invitation.failed", subject=user["id"])
    assert failed.data["suppressed"] is True

    async with api_client(invitations.url, await _access_token(tenant)) as api:
        [listed] = (await api.get("/api/v1/suppressions")).json()["items"]  # a fresh tenant
        assert (listed["email"], listed["kind"]) == (user["email"], "hard_bounce")
        assert listed["source_event"]["provider"] == "sendgrid"
        assert listed["source_event"]["provider_event_id"] == report.event_id
        lifted = await api.delete(f"/api/v1/suppressions/{user['email']}")
        assert lifted.status_code == 204, lifted.text
        assert (await api.get("/api/v1/suppressions")).json()["items"] == []

    # The admin says the address works again: the mark goes, and the activity says who.
    # (Both conditions are awaited: one profile read may see the user before the lift's
    # commit and the activities after it.)
    profile = await _profile_when(
        tenant,
        user["id"],
        lambda p: bool(_activities(p, "suppression.lifted")) and _state(p) == ("ok", None),
    )
    [audit] = _activities(profile, "suppression.lifted")
    assert audit["actor_id"] == str(tenant.admin_id)
    assert audit["details"]["cause"] == "hard_bounce"
    assert audit["details"]["reason"] == "500 unknown recipient"

    await _resend(tenant, directory_sql, user["id"])
    await smtp.wait_for(user["email"], count=2)
    await _profile_when(tenant, user["id"], lambda p: p["invitation"]["state"] == "sent")


async def test_three_soft_bounces_in_a_row_suppress_a_delivery_in_between_resets(
    tenant: Tenant,
    invitations: RunningServer,
    smtp: SmtpSink,
    bounces_stack: BouncesStack,
    bus: BusSpy,
    directory_sql: asyncpg.Pool,
    amqp_url: str,
) -> None:
    mailed = await mailed_and_indexed(tenant, smtp, bounces_stack, bus)
    user, report = mailed.user, mailed.report

    soft, delivered = What.SOFT_BOUNCE, What.DELIVERED
    for what, minutes in ((soft, 1), (soft, 2), (delivered, 3), (soft, 4), (soft, 5)):
        await report(what, minutes)
    await drained(amqp_url, "invitations.email")
    await _resend(tenant, directory_sql, user["id"])
    await smtp.wait_for(user["email"], count=2)  # two in a row since the delivery

    await report(soft, 6)
    await drained(amqp_url, "invitations.email")
    await _resend(tenant, directory_sql, user["id"])
    [failed] = await bus.wait_for("invitation.failed", subject=user["id"])
    assert failed.data["suppressed"] is True
    assert "3 times in a row" in failed.data["reason"]
    profile = await _profile_when(
        tenant, user["id"], lambda p: p["invitation"]["state"] == "failed"
    )
    assert "3 times in a row" in profile["invitation"]["failure_reason"]
    assert _state(profile) == ("bounced", "soft")


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

    await _resend(tenant, directory_sql, user["id"])
    await smtp.wait_for(corrected)  # the new address is not on the suppression list
