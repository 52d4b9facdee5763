"""Writing the e-mail: templates in both languages, escaping, headers."""

import email
import email.policy
import json
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest

from services.invitations.adapters.mail.mailer import MailWriter
from services.invitations.adapters.mail.message import MailFrom
from services.invitations.adapters.mail.render import TEMPLATES, MailRenderer
from services.invitations.domain.emails import Email, MailKind
from services.invitations.domain.languages import Language
from services.invitations.domain.links import LinkMaker
from services.invitations.locales import environment
from tests.unit.invitations.emails import email as claimed

RENDERER = MailRenderer("https://learn.example.com/", "America/Toronto")
EXPIRES = datetime(2026, 12, 8, 19, 5, tzinfo=UTC)
LINK = LinkMaker(b"s" * 32).new(EXPIRES)
URL = f"https://learn.example.com/invite/{LINK.token}"


def _mail(kind: MailKind, language: str, **changes: str) -> Email:
    values = {"first_name": "Zoé", "tenant_name": "Académie Nord", **changes}
    return claimed(kind, locale=language, link=LINK, **values)


def _parsed(data: bytes) -> EmailMessage:
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


@pytest.mark.parametrize("kind", list(MailKind))
@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_e_mail_has_text_html_link_and_tenant(kind: MailKind, language: str) -> None:
    content = RENDERER.render(_mail(kind, language), LINK.token)
    for body in (content.text, content.html):
        assert URL in body
        assert "Académie Nord" in body
        assert "Zoé" in body
    assert "Académie Nord" in content.subject
    assert f'<html lang="{language}">' in content.html


def test_each_language_reads_as_itself() -> None:
    french = RENDERER.render(_mail(MailKind.INVITATION, "fr"), LINK.token)
    assert french.subject == "Invitation à rejoindre Académie Nord"
    assert "Il expire le 8 décembre 2026, 14 h 05 (HNE)." in french.text
    english = RENDERER.render(_mail(MailKind.REMINDER, "en"), LINK.token)
    assert english.subject == "Reminder: your invitation to Académie Nord expires soon"
    assert "expires soon, on December 8, 2026, 2:05" in english.text


def test_names_are_escaped_in_html() -> None:
    mail = _mail(MailKind.INVITATION, "en", first_name="<script>x</script>", tenant_name="A&B")
    content = RENDERER.render(mail, LINK.token)
    assert "<script>" not in content.html
    assert "&lt;script&gt;" in content.html
    assert "A&amp;B" in content.html
    assert "<script>x</script>" in content.text  # plain text is not HTML


def test_the_message_carries_its_id_and_trace_and_no_injected_header() -> None:
    mail = _mail(
        MailKind.INVITATION,
        "fr",
        tenant_name="Acme\r\nBcc: x@y.z",
        first_name="Zoé\nBcc: victim@example.com",
        address="zoe@example.com",
    )
    writer = MailWriter(RENDERER, MailFrom("Acme", "no-reply@learn.example.com"))
    mime = writer.write(mail)
    assert mime.sender == "no-reply@learn.example.com"
    assert mime.recipient == "zoe@example.com"
    message = _parsed(mime.data)
    assert message["Message-ID"] == "<abc@learn.example.com>"
    assert message["X-LMS-Tenant"] == str(mail.tenant_id)
    assert message["X-LMS-User"] == str(mail.user_id)
    assert message["X-LMS-Invitation"] == str(mail.invitation_id)
    # SendGrid merges these custom args into each of its webhook events.
    assert json.loads(str(message["X-SMTPAPI"])) == {
        "unique_args": {
            "tenant_id": str(mail.tenant_id),
            "user_id": str(mail.user_id),
            "invitation_id": str(mail.invitation_id),
            "kind": "invitation",
        }
    }
    # Mailgun's variables: the same tags as compact JSON.
    assert json.loads(str(message["X-Mailgun-Variables"])) == {
        "tenant_id": str(mail.tenant_id),
        "user_id": str(mail.user_id),
        "invitation_id": str(mail.invitation_id),
        "kind": "invitation",
    }
    assert message["Bcc"] is None
    assert "\n" not in str(message["To"])
    assert message.get_content_type() == "multipart/alternative"
    assert message.get_body(("plain",)) is not None


def test_an_address_that_cannot_be_written_is_refused() -> None:
    writer = MailWriter(RENDERER, MailFrom("", "no-reply@learn.example.com"))
    with pytest.raises(ValueError, match="can't be written"):
        writer.write(_mail(MailKind.INVITATION, "en", address="a@b.c>, x@y.z"))


@pytest.mark.parametrize("kind", list(MailKind))
@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("first_name", ["Zoé", "<b>Ann</b> & 'Bo' \"C\"", "%(tenant)s {{ x }}"])
def test_e_mails_filled_from_a_rendered_skeleton_read_as_rendered_directly(
    kind: MailKind, language: str, first_name: str
) -> None:
    """The templates run once per tenant and expiry; each e-mail is filled in. The result
    is the very text the templates give with the invitee's own values."""
    renderer = MailRenderer("https://learn.example.com/", "America/Toronto")
    for name in ("Someone else", first_name):  # the second one is filled from the cache
        content = renderer.render(_mail(kind, language, first_name=name), LINK.token)
    env = environment(TEMPLATES, Language(language), "America/Toronto", keep_trailing_newline=True)
    context = {
        "language": language,
        "subject": content.subject,
        "first_name": first_name,
        "tenant_name": "Académie Nord",
        "link": URL,
        "expires": env.filters["moment"](EXPIRES),
    }
    assert content.text == env.get_template(f"{kind.value}.txt").render(context)
    assert content.html == env.get_template(f"{kind.value}.html").render(context)
