"""The invitation, reminder and password-reset e-mails, rendered from the templates beside
this file in the invitee's language."""

from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment

from services.invitations.domain.emails import Email, MailKind
from services.invitations.domain.languages import Language, choose_language
from services.invitations.locales import N_, environment, translations

TEMPLATES = Path(__file__).parent / "templates"

SUBJECTS = {
    MailKind.INVITATION: N_("You are invited to join %(tenant)s"),
    MailKind.REMINDER: N_("Reminder: your invitation to %(tenant)s expires soon"),
    MailKind.PASSWORD_RESET: N_("Choose a new password for %(tenant)s"),
    MailKind.LOGIN_ALERT: N_("Failed logins to your account on %(tenant)s"),
}


@dataclass(frozen=True)
class MailContent:
    subject: str
    text: str
    html: str


class MailRenderer:
    def __init__(self, public_url: str, timezone: str) -> None:
        self._public_url = public_url.rstrip("/")
        self._environments: dict[Language, Environment] = {
            language: environment(TEMPLATES, language, timezone, keep_trailing_newline=True)
            for language in Language
        }

    def link(self, token: str) -> str:
        """Built from PUBLIC_URL only, never from anything a request said."""
        return f"{self._public_url}/invite/{token}"

    def render(self, email: Email, token: str) -> MailContent:
        assert email.link is not None
        language = choose_language(email.locale, None, None)
        env = self._environments[language]
        subject = translations(language).gettext(SUBJECTS[email.kind]) % {
            "tenant": email.tenant_name
        }
        context = {
            "language": language.value,
            "subject": subject,
            "first_name": email.first_name,
            "tenant_name": email.tenant_name,
            "link": self.link(token),
            "expires": env.filters["moment"](email.link.issued.expires_at),
        }
        return MailContent(
            subject=subject,
            text=env.get_template(f"{email.kind.value}.txt").render(context),
            html=env.get_template(f"{email.kind.value}.html").render(context),
        )
