"""`/api/v1/suppressions`: an administrator sees the tenant's suppression list, a page at a
time, and lifts one address; the lift is audited (`suppression.lifted` names them) and the
next invitation to the address goes out."""

import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from shared.contracts.email import EMAIL_BOUNCED, EMAIL_COMPLAINED, EmailBounced, EmailComplained
from shared.contracts.users import BounceKind
from tests.support.bus import BusSpy, EventPublisher, drained
from tests.support.invitations import (
    Invitee,
    SmtpSink,
    admin_token,
    api_client,
    invite_and_receive,
    new_address,
    request_invitation,
)
from tests.support.servers import RunningServer

PATH = "/api/v1/suppressions"


def _hard_bounce(invitee: Invitee, at: datetime | None = None) -> EmailBounced:
    return EmailBounced(
        provider="sendgrid",
        provider_event_id=uuid.uuid4().hex,
        email=invitee.email,
        occurred_at=at or datetime.now(UTC),
        kind=BounceKind.HARD,
        reason="550 5.1.1 unknown recipient",
        smtp_status="5.1.1",
    )


async def _suppress(
    events: EventPublisher, url: str, invitee: Invitee, at: datetime | None = None
) -> str:
    """A hard bounce for the address, applied; returns the event's id."""
    sent = await events.publish(EMAIL_BOUNCED, invitee.tenant_id, _hard_bounce(invitee, at))
    await drained(url, "invitations.email")
    event_id: str = sent["id"]
    return event_id


async def test_the_admin_sees_the_list_newest_first_a_page_at_a_time(
    invitations: RunningServer, events: EventPublisher, invitations_amqp_url: str
) -> None:
    tenant_id = uuid.uuid4()
    bounced = Invitee(tenant_id=tenant_id)
    complained = Invitee(tenant_id=tenant_id, email=new_address("Spam.Reporter"))
    bounce_id = await _suppress(events, invitations_amqp_url, bounced)
    complaint = EmailComplained(
        provider="postmark",
        provider_event_id="pm-42",
        email=complained.email,
        occurred_at=datetime.now(UTC),
        feedback_type="abuse",
    )
    complaint_id = (await events.publish(EMAIL_COMPLAINED, tenant_id, complaint))["id"]
    await drained(invitations_amqp_url, "invitations.email")

    async with api_client(invitations.url, admin_token(tenant_id)) as api:
        first = await api.get(PATH, params={"limit": 1})
        assert first.status_code == 200, first.text
        [newest] = first.json()["items"]
        assert newest["email"] == complained.email.lower()
        assert newest["kind"] == "complaint"
        assert newest["reason"] == "abuse"
        assert newest["source_event"] == {
            "id": complaint_id,
            "type": "email.complained",
            "provider": "postmark",
            "provider_event_id": "pm-42",
        }
        assert datetime.fromisoformat(newest["created_at"]) <= datetime.now(UTC)

        second = await api.get(PATH, params={"limit": 1, "cursor": first.json()["next_cursor"]})
        [older] = second.json()["items"]
        assert (older["email"], older["kind"]) == (bounced.email, "hard_bounce")
        assert older["reason"] == "550 5.1.1 unknown recipient"
        assert older["source_event"]["id"] == bounce_id
        assert second.json()["next_cursor"] is None

        everything = (await api.get(PATH)).json()
        assert [s["email"] for s in everything["items"]] == [newest["email"], older["email"]]

    async with api_client(invitations.url, admin_token(uuid.uuid4())) as other_tenant:
        assert (await other_tenant.get(PATH)).json() == {"items": [], "next_cursor": None}


async def test_only_an_administrator_sees_or_lifts(
    invitations: RunningServer, events: EventPublisher, invitations_amqp_url: str
) -> None:
    invitee = Invitee()
    await _suppress(events, invitations_amqp_url, invitee)
    learner = admin_token(invitee.tenant_id, permissions=frozenset({"users:read"}))
    for token, status in ((None, 401), ("not-a-token", 401), (learner, 403)):
        async with api_client(invitations.url, token) as api:
            listed = await api.get(PATH)
            lifted = await api.delete(f"{PATH}/{invitee.email}")
        assert (listed.status_code, lifted.status_code) == (status, status)
        assert listed.headers["content-type"].startswith("application/problem+json")
    forbidden = listed.json()["detail"]
    assert "suppressions:manage" in forbidden

    async with api_client(invitations.url, admin_token(invitee.tenant_id)) as api:
        assert [s["email"] for s in (await api.get(PATH)).json()["items"]] == [invitee.email]


async def test_a_malformed_cursor_limit_or_address_is_said(invitations: RunningServer) -> None:
    async with api_client(invitations.url, admin_token(uuid.uuid4())) as api:
        cursor = await api.get(PATH, params={"cursor": "not a cursor"})
        limit = await api.get(PATH, params={"limit": 0})
        no_address = await api.delete(f"{PATH}/")
    assert cursor.status_code == 400
    assert "cursor is not valid" in cursor.json()["detail"]
    assert limit.status_code == 422
    assert no_address.status_code == 422
    assert "address is missing" in no_address.json()["detail"]


async def test_an_admin_lifts_a_suppression_audited_and_the_resend_goes_out(
    invitations: RunningServer,
    smtp: SmtpSink,
    bus: BusSpy,
    events: EventPublisher,
    invitations_amqp_url: str,
) -> None:
    invitee = Invitee(email=f"o.brien+{uuid.uuid4().hex[:6]}@example.com")
    await invite_and_receive(events, smtp, invitee)
    bounced_at = datetime.now(UTC)
    await _suppress(events, invitations_amqp_url, invitee, bounced_at)
    admin_id = uuid.uuid4()

    async with api_client(invitations.url, admin_token(invitee.tenant_id, user_id=admin_id)) as api:
        lifted = await api.delete(f"{PATH}/{quote(invitee.email.upper(), safe='@')}")
        assert lifted.status_code == 204, lifted.text
        [audit] = await bus.wait_for("suppression.lifted", email=invitee.email)
        assert audit.body["tenantid"] == str(invitee.tenant_id)
        assert audit.data["lifted_by"] == str(admin_id)
        assert audit.data["cause"] == "hard_bounce"
        assert audit.data["reason"] == "550 5.1.1 unknown recipient"
        assert datetime.fromisoformat(audit.data["suppressed_since"]) == bounced_at
        assert (await api.get(PATH)).json()["items"] == []

        again = await api.delete(f"{PATH}/{quote(invitee.email, safe='@')}")
        assert again.status_code == 404
        assert again.json()["detail"] == f"{invitee.email} is not on the suppression list."

    await invite_and_receive(events, smtp, invitee, is_resend=True)
    # A bounce that happened before the lift, reported late, does not list it again.
    await _suppress(events, invitations_amqp_url, invitee, bounced_at + timedelta(milliseconds=1))
    before = len(smtp.to(invitee.email))
    await request_invitation(events, invitee, is_resend=True)
    await smtp.wait_for(invitee.email, count=before + 1)
