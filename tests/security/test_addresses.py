"""Addresses that can never be mailed are refused when typed in (issue 9.6), with the
field named; an internationalized domain is accepted and goes out as punycode."""

import pytest

from tests.support.directory import Lms, problem
from tests.support.invitations import SmtpSink


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
