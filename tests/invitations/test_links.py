"""The link in the e-mail: single use, expiring, replaced by a newer request, revoked when
the user leaves or changes address; and the reminder before it expires."""

import html
import uuid
from datetime import UTC, datetime

import asyncpg

from services.invitations.workers.periodic import ReminderPlanner
from shared.contracts.users import USER_DEACTIVATED, USER_UPDATED, UserStatus
from shared.security.tokens import new_token
from tests.support.bus import BusSpy, EventPublisher
from tests.support.invitations import (
    Invitee,
    SmtpSink,
    choose_password,
    invite_and_receive,
    invitee_client,
    open_invite,
)
from tests.support.servers import RunningServer

INVALID_FR = "Ce lien n'est pas valide"
INVALID_EN = "This link is not valid"


async def _expire(invitations_sql: asyncpg.Pool, user_id: uuid.UUID) -> None:
    """Make the link's seven days pass."""
    await invitations_sql.execute(
        "UPDATE deliveries d SET token_expires_at = now() - interval '1 minute'"
        " FROM invitations i WHERE i.tenant_id = d.tenant_id AND i.id = d.invitation_id"
        " AND i.user_id = $1",
        user_id,
    )


async def test_an_expired_link_says_so(
    invitations: RunningServer,
    smtp: SmtpSink,
    events: EventPublisher,
    invitations_sql: asyncpg.Pool,
) -> None:
    invitee, mail = await invite_and_receive(events, smtp, Invitee(locale="en"))
    await _expire(invitations_sql, invitee.id)
    async with invitee_client() as browser:
        page = await open_invite(browser, mail.link)
        posted = await choose_password(browser, mail.link, csrf="anything")
    assert page.status == 410
    assert "This invitation has expired" in page.html
    assert posted.status_code in (403, 410)


async def test_a_used_link_and_an_unknown_one_get_the_same_answer(
    invitations: RunningServer, smtp: SmtpSink, events: EventPublisher
) -> None:
    _, mail = await invite_and_receive(events, smtp, Invitee(locale="fr"))
    forged_link = f"{invitations.url}/invite/{new_token()}"
    async with invitee_client() as browser:
        assert (await choose_password(browser, mail.link)).status_code == 200
        used = await open_invite(browser, mail.link, lang="fr")
        forged = await open_invite(browser, forged_link, lang="fr")
    assert used.status == forged.status == 404
    assert INVALID_FR in html.unescape(used.html)
    # The pages differ only by their own address, in the language switch.
    assert used.html.replace(mail.link, "LINK") == forged.html.replace(forged_link, "LINK")


async def test_forged_and_malformed_links(invitations: RunningServer) -> None:
    async with invitee_client() as browser:
        for token in ("short", "x" * 500, "a%2F..%2Fb", "a/b", "%00", "%FF", new_token()):
            page = await open_invite(browser, f"{invitations.url}/invite/{token}", lang="en")
            assert page.status == 404, token
            assert INVALID_EN in html.unescape(page.html)


async def test_a_used_link_cannot_set_a_second_password(
    invitations: RunningServer, smtp: SmtpSink, bus: BusSpy, events: EventPublisher
) -> None:
    invitee, mail = await invite_and_receive(events, smtp)
    async with invitee_client() as browser:
        page = await open_invite(browser, mail.link)
        first = await choose_password(browser, mail.link, csrf=page.csrf)
        second = await choose_password(
            browser, mail.link, "another long passphrase", csrf=page.csrf
        )
    assert first.status_code == 200
    assert second.status_code == 404
    [accepted] = await bus.wait_for("invitation.accepted", subject=invitee.id)
    assert accepted.data["email"] == invitee.email
    assert "$argon2id$" not in str(accepted.body), "the hash travels sealed"


async def test_a_newer_request_makes_the_old_link_useless(
    invitations: RunningServer, smtp: SmtpSink, bus: BusSpy, events: EventPublisher
) -> None:
    invitee, first = await invite_and_receive(events, smtp)
    _, second = await invite_and_receive(events, smtp, invitee, is_resend=True)
    assert second.link != first.link
    async with invitee_client() as browser:
        assert (await open_invite(browser, first.link)).status == 404
        assert (await open_invite(browser, second.link)).status == 200
    sent = await bus.wait_for("invitation.sent", subject=invitee.id, count=2)
    assert sent[0].data["first_sent_at"] == sent[1].data["first_sent_at"]
    assert sent[0].data["request_id"] != sent[1].data["request_id"]


async def test_deactivation_revokes_the_link(
    invitations: RunningServer, smtp: SmtpSink, bus: BusSpy, events: EventPublisher
) -> None:
    invitee, mail = await invite_and_receive(events, smtp)
    gone = invitee.snapshot(2, status=UserStatus.DEACTIVATED)
    await events.publish(USER_DEACTIVATED, invitee.tenant_id, gone, subject=str(invitee.id))
    [revoked] = await bus.wait_for("invitation.revoked", subject=invitee.id)
    assert revoked.data["reason"] == "user deactivated"
    async with invitee_client() as browser:
        assert (await open_invite(browser, mail.link)).status == 404


async def test_a_new_address_revokes_links_sent_to_the_old_one(
    invitations: RunningServer, smtp: SmtpSink, bus: BusSpy, events: EventPublisher
) -> None:
    invitee, mail = await invite_and_receive(events, smtp)
    moved = invitee.snapshot(2, email=f"moved-{invitee.email}")
    await events.publish(USER_UPDATED, invitee.tenant_id, moved, subject=str(invitee.id))
    [revoked] = await bus.wait_for("invitation.revoked", subject=invitee.id)
    assert revoked.data["reason"] == "e-mail address changed"
    assert revoked.data["email"] == invitee.email
    async with invitee_client() as browser:
        assert (await open_invite(browser, mail.link)).status == 404


async def test_other_changes_and_older_snapshots_leave_the_link_alone(
    invitations: RunningServer, smtp: SmtpSink, bus: BusSpy, events: EventPublisher
) -> None:
    invitee, mail = await invite_and_receive(events, smtp)
    before = datetime(2020, 1, 1, tzinfo=UTC)
    older = invitee.snapshot(1, status=UserStatus.DEACTIVATED, updated_at=before)
    renamed = invitee.snapshot(3, first_name="Renamed")
    for snapshot in (renamed, older):  # the older one arrives last: it changes nothing
        await events.publish(USER_UPDATED, invitee.tenant_id, snapshot, subject=str(invitee.id))
    await bus.wait_for("user.updated", subject=invitee.id, count=2)
    async with invitee_client() as browser:
        assert (await open_invite(browser, mail.link)).status == 200
    assert bus.matching("invitation.revoked", subject=invitee.id) == []


async def test_a_reminder_goes_out_before_the_link_expires(
    invitations: RunningServer,
    smtp: SmtpSink,
    bus: BusSpy,
    events: EventPublisher,
    invitations_sql: asyncpg.Pool,
) -> None:
    invitee, first = await invite_and_receive(events, smtp, Invitee(locale="en"))
    await bus.wait_for("invitation.sent", subject=invitee.id)  # recorded, with its expiry
    await invitations_sql.execute(  # the link now expires in 20 hours: reminder time
        "UPDATE invitations SET expires_at = now() + interval '20 hours' WHERE user_id = $1",
        invitee.id,
    )
    planner: ReminderPlanner = invitations.app.state.planner
    assert await planner.run_once() >= 1
    [reminder] = (await smtp.wait_for(invitee.email, count=2))[1:]
    assert reminder.subject.startswith("Reminder: your invitation")
    sent = await bus.wait_for("invitation.sent", subject=invitee.id, is_reminder=True)
    assert sent[0].data["message_id"] == reminder.message["Message-ID"]
    assert await planner.run_once() == 0  # one reminder per invitation
    async with invitee_client() as browser:
        assert (await open_invite(browser, first.link)).status == 200
        assert (await choose_password(browser, reminder.link)).status_code == 200
        assert (await open_invite(browser, first.link)).status == 404
