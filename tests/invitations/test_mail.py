"""Writing the e-mail: templates in both languages, escaping, headers."""

import email
import email.policy
import json
import uuid
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest

from services.invitations.domain.sending import MailKind
from services.invitations.mail.message import Envelope, Trace, build_message
from services.invitations.mail.render import InvitationMail, MailRenderer

RENDERER = MailRenderer("https://learn.example.com/", "America/Toronto")
EXPIRES = datetime(2026, 12, 8, 19, 5, tzinfo=UTC)


def _mail(kind: MailKind, language: str, **changes: str) -> InvitationMail:
    values = {"first_name": "Zoé", "tenant_name": "Académie Nord", **changes}
    return InvitationMail(
        kind=kind,
        language=language,  # type: ignore[arg-type]
        token="T" * 43,
        expires_at=EXPIRES,
        **values,
    )


@pytest.mark.parametrize("kind", list(MailKind))
@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_e_mail_has_text_html_link_and_tenant(kind: MailKind, language: str) -> None:
    content = RENDERER.render(_mail(kind, language))
    link = "https://learn.example.com/invite/" + "T" * 43
    for body in (content.text, content.html):
        assert link in body
        assert "Académie Nord" in body
        assert "Zoé" in body
    assert "Académie Nord" in content.subject
    assert f'<html lang="{language}">' in content.html


def test_names_are_escaped_in_html() -> None:
    content = RENDERER.render(
        _mail(MailKind.INVITATION, "en", first_name="<script>x</script>", tenant_name="A&B")
    )
    assert "<script>" not in content.html
    assert "&lt;script&gt;" in content.html
    assert "A&amp;B" in content.html
    assert "<script>x</script>" in content.text  # plain text is not HTML


def test_the_message_carries_its_id_and_trace_and_no_injected_header() -> None:
    content = RENDERER.render(_mail(MailKind.INVITATION, "fr", tenant_name="Acme\r\nBcc: x@y.z"))
    tenant, user, invitation = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    mail = build_message(
        content,
        Envelope(
            sender_name="Acme",
            sender_address="no-reply@learn.example.com",
            recipient_name="Zoé\nBcc: victim@example.com",
            recipient_address="zoe@example.com",
            message_id="<abc@learn.example.com>",
            date=EXPIRES,
        ),
        Trace(tenant, user, invitation, "invitation"),
    )
    assert mail.sender == "no-reply@learn.example.com"
    assert mail.recipient == "zoe@example.com"
    message = email.message_from_bytes(mail.data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    assert message["Message-ID"] == "<abc@learn.example.com>"
    assert message["X-LMS-Tenant"] == str(tenant)
    assert message["X-LMS-User"] == str(user)
    assert message["X-LMS-Invitation"] == str(invitation)
    # SendGrid merges these custom args into each of its webhook events.
    assert json.loads(str(message["X-SMTPAPI"])) == {
        "unique_args": {
            "tenant_id": str(tenant),
            "user_id": str(user),
            "invitation_id": str(invitation),
            "kind": "invitation",
        }
    }
    assert message["Bcc"] is None
    assert "\n" not in str(message["To"])
    assert message.get_content_type() == "multipart/alternative"
    assert message.get_body(("plain",)) is not None
