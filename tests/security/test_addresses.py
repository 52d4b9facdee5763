"""Addresses that can never be mailed are refused when typed in (issue 9.6), with the
field named; an internationalized domain is accepted and goes out as punycode."""

import pytest

from tests.support.bus import EventPublisher
from tests.support.directory import Lms, problem
from tests.support.invitations import Invitee, SmtpSink, invite_and_receive
from tests.support.servers import RunningServer


@pytest.mark.parametrize(
    "email",
    ["josé@example.com", "аdmin@example.com", "ａdmin@example.com", "a" * 65 + "@example.com"],
)
async def test_an_address_that_cannot_be_mailed_is_refused(lms: Lms, email: str) -> None:
    body = {"email": email, "first_name": "A", "last_name": "B"}
    problem(await lms.admin.post("/api/v1/users/invitations", json=body), 422, "email")
    user = await lms.invite()
    edit = await lms.admin.patch(
        f"/api/v1/users/{user['id']}",
        json={"email": email, "version": await lms.version(user["id"])},
    )
    problem(edit, 422, "email")


async def test_an_internationalized_domain_goes_out_as_punycode(lms: Lms, smtp: SmtpSink) -> None:
    user = await lms.invite("zoe@bücher.example.com")
    assert user["email"] == "zoe@bücher.example.com"
    mail = (await smtp.wait_for("zoe@xn--bcher-kva.example.com"))[-1]
    assert "xn--bcher-kva.example.com" in mail.message["To"]


async def test_an_address_that_looks_like_another_users_is_refused(lms: Lms) -> None:
    """Invited, edited or imported: an address that passes for a user's of the tenant
    (the same letters in another alphabet, or "rn" for "m") is refused with a 409."""
    await lms.invite("marie@example.com")
    await lms.invite("ops@pay.example.com")
    for look_alike in ("rnarie@example.com", "ops@рау.example.com"):  # р, а, у: Cyrillic
        body = {"email": look_alike, "first_name": "A", "last_name": "B"}
        invited = await lms.admin.post("/api/v1/users/invitations", json=body)
        problem(invited, 409, "looks like another user's address")
    paul = await lms.invite("paul@example.com")
    edit = await lms.admin.patch(
        f"/api/v1/users/{paul['id']}",
        json={"email": "rnarie@example.com", "version": await lms.version(paul["id"])},
    )
    problem(edit, 409, "looks like another user's address")
    assert (await lms.profile(paul["id"]))["email"] == "paul@example.com"

    csv = "email,first_name,last_name\nrnarie@example.com,A,B\nzoe@example.com,Z,B\n"
    csv += "ops@рау.example.com,C,D\nzoe@exarnple.com,E,F\n"  # "rn": like the row above
    upload = await lms.admin.post("/api/v1/imports", files={"file": ("people.csv", csv.encode())})
    assert upload.status_code == 201, upload.text
    plans = {row["email"]: (row["plan"], row["message"]) for row in upload.json()["rows"]}
    assert plans["zoe@example.com"][0] == "create"
    for refused in ("rnarie@example.com", "ops@рау.example.com", "zoe@exarnple.com"):
        assert plans[refused][0] == "error"
        assert "looks like another user's address" in plans[refused][1]


async def test_a_non_ascii_address_goes_out_over_smtputf8(
    invitations: RunningServer, smtp: SmtpSink, events: EventPublisher
) -> None:
    """With EMAIL_SMTPUTF8=true the directory takes "josé@…": the invitation then goes out
    in UTF-8 (RFC 6531/6532) to a server that offers SMTPUTF8."""
    invitee = Invitee(email="josé.núñez@example.com")
    _, mail = await invite_and_receive(events, smtp, invitee)
    assert mail.recipients == ["josé.núñez@example.com"]
    assert "josé.núñez@example.com" in str(mail.message["To"])
    assert "Marie" in mail.part("plain")
