"""The pages' HTML (Jinja2, autoescaped, in the reader's language) and the headers every
page sends."""

import base64
import hashlib
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import quote

from babel import Locale
from fastapi.responses import HTMLResponse
from jinja2 import Environment

from services.invitations.domain.languages import Language
from services.invitations.domain.password_form import FormProblem
from services.invitations.locales import N_, environment, translations
from shared.security.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH

HERE = Path(__file__).parent
CSS = (HERE / "static" / "invite.css").read_text()


def _csp() -> str:
    css_hash = base64.b64encode(hashlib.sha256(CSS.encode()).digest()).decode()
    return "; ".join(
        [
            "default-src 'none'",
            f"style-src 'sha256-{css_hash}'",
            "img-src 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        ]
    )


PAGE_HEADERS = {
    "Content-Security-Policy": _csp(),
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


class Notice(StrEnum):
    """A page that only says something."""

    DONE = "done"
    EXPIRED = "expired"
    INVALID = "invalid"
    CSRF = "csrf"
    THROTTLED = "throttled"
    BAD_FORM = "bad_form"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 - a page, not a secret
    RESET_EXPIRED = "reset_expired"


NOTICES = {
    Notice.DONE: (
        N_("Your account is active"),
        N_("Your password is saved. You can now log in."),
    ),
    Notice.EXPIRED: (
        N_("This invitation has expired"),
        N_("This link is no longer valid. Ask your administrator to send you a new invitation."),
    ),
    Notice.INVALID: (
        N_("This link is not valid"),
        N_(
            "This link was already used or does not exist. If you already chose your "
            "password, log in; otherwise ask your administrator for a new invitation."
        ),
    ),
    Notice.PASSWORD_CHANGED: (
        N_("Your password is changed"),
        N_("Log in with your new password. Every earlier session of your account was ended."),
    ),
    Notice.RESET_EXPIRED: (
        N_("This link has expired"),
        N_("This link is no longer valid. Ask for a new one on the login page."),
    ),
    Notice.CSRF: (N_("The form has expired"), N_("Reload the page, then try again.")),
    Notice.THROTTLED: (
        N_("Too many attempts"),
        N_("Wait %(minutes)s minute(s), then try again."),
    ),
    Notice.BAD_FORM: (
        N_("Invalid form"),
        N_("The form we received is incomplete. Reload the page, then try again."),
    ),
}
HEADING = N_("Choose your password")
RESET_HEADING = N_("Choose a new password")
LOG_IN = N_("Log in")
RELOAD = N_("Reload the page")

PROBLEMS = {
    FormProblem.MISSING: N_("Choose a password."),
    FormProblem.TOO_SHORT: N_("Use at least %(min)s characters."),
    FormProblem.TOO_LONG: N_("Use at most %(max)s characters."),
    FormProblem.TOO_FEW_DIFFERENT: N_("Use more different characters."),
    FormProblem.CONTAINS_EMAIL: N_("Don't use your e-mail address in your password."),
    FormProblem.DIFFERENT: N_("The two passwords are different."),
}
PROBLEM_VALUES = {"min": MIN_PASSWORD_LENGTH, "max": MAX_PASSWORD_LENGTH}


class PageRenderer:
    def __init__(self, public_url: str, timezone: str) -> None:
        self.public_url = public_url.rstrip("/")
        self._environments: dict[Language, Environment] = {
            language: environment(HERE / "templates", language, timezone) for language in Language
        }

    def link(self, token: str, language: Language | None = None) -> str:
        """Built from PUBLIC_URL, never from the request's Host header."""
        url = f"{self.public_url}/invite/{quote(token, safe='')}"
        return f"{url}?lang={language.value}" if language else url

    def text(self, language: Language, message: str, **values: Any) -> str:
        translated = translations(language).gettext(message)
        return translated % values if values else translated

    def problem(self, language: Language, problem: FormProblem) -> str:
        return self.text(language, PROBLEMS[problem], **PROBLEM_VALUES)

    def format_moment(self, language: Language, moment: Any) -> str:
        return str(self._environments[language].filters["moment"](moment))

    def page(
        self,
        template: str,
        *,
        language: Language,
        token: str,
        status: int,
        headers: dict[str, str] | None = None,
        **context: Any,
    ) -> HTMLResponse:
        other = Language.EN if language is Language.FR else Language.FR
        html = (
            self._environments[language]
            .get_template(template)
            .render(
                language=language.value,
                other_language=other.value,
                other_language_name=_own_name(other),
                switch_url=self.link(token, other),
                css=CSS,
                **context,
            )
        )
        return HTMLResponse(html, status, headers={**PAGE_HEADERS, **(headers or {})})

    def notice(
        self,
        notice: Notice,
        *,
        language: Language,
        token: str,
        status: int,
        button: tuple[str, str] | None = None,
        headers: dict[str, str] | None = None,
        **values: Any,
    ) -> HTMLResponse:
        heading, text = NOTICES[notice]
        return self.page(
            "message.html",
            language=language,
            token=token,
            status=status,
            headers=headers,
            heading=self.text(language, heading),
            text=self.text(language, text, **values),
            button_url=button[0] if button else None,
            button_label=button[1] if button else None,
        )


def _own_name(language: Language) -> str:
    """The language's name in itself (Babel's CLDR data): « Français », « English »."""
    name = Locale.parse(language.value).get_display_name(language.value) or language.value
    return name[:1].upper() + name[1:]
