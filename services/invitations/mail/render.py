"""The invitation and reminder e-mails, rendered from the templates beside this file."""

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from services.invitations.domain.sending import MailKind
from services.invitations.i18n import Language, format_moment

TEMPLATES = Path(__file__).parent / "templates"

SUBJECTS: dict[tuple[Language, MailKind], str] = {
    ("fr", MailKind.INVITATION): "Invitation à rejoindre {tenant}",
    ("en", MailKind.INVITATION): "You are invited to join {tenant}",
    ("fr", MailKind.REMINDER): "Rappel : votre invitation à {tenant} expire bientôt",
    ("en", MailKind.REMINDER): "Reminder: your invitation to {tenant} expires soon",
}


@dataclass(frozen=True)
class MailContent:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class InvitationMail:
    kind: MailKind
    language: Language
    first_name: str
    tenant_name: str
    token: str
    expires_at: datetime


class MailRenderer:
    def __init__(self, public_url: str, timezone: str) -> None:
        self._public_url = public_url.rstrip("/")
        self._timezone = timezone
        self._env = Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=select_autoescape(["html"]),
            undefined=StrictUndefined,
            keep_trailing_newline=True,
        )

    def link(self, token: str) -> str:
        """Built from PUBLIC_URL only, never from anything a request said."""
        return f"{self._public_url}/invite/{token}"

    def render(self, mail: InvitationMail) -> MailContent:
        subject = SUBJECTS[(mail.language, mail.kind)].format(tenant=mail.tenant_name)
        context = {
            "language": mail.language,
            "subject": subject,
            "first_name": mail.first_name,
            "tenant_name": mail.tenant_name,
            "link": self.link(mail.token),
            "expires": format_moment(mail.expires_at, mail.language, self._timezone),
        }
        name = f"{mail.language}/{mail.kind.value}"
        return MailContent(
            subject=subject,
            text=self._env.get_template(f"{name}.txt").render(context),
            html=self._env.get_template(f"{name}.html").render(context),
        )
