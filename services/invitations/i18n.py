"""French and English: the page texts, and choosing the language."""

from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time

from services.invitations.domain.password_form import PASSWORD_MISSING, PASSWORDS_DIFFER
from shared.security.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH

Language = Literal["fr", "en"]
LANGUAGES: tuple[Language, ...] = ("fr", "en")
DEFAULT_LANGUAGE: Language = "fr"
BABEL_LOCALES: dict[Language, str] = {"fr": "fr_CA", "en": "en_CA"}


def choose_language(
    asked: str | None, user_locale: str | None, accept_language: str | None
) -> Language:
    """The `?lang=` switch first, then the user's locale, then the browser's preference."""
    for candidate in (asked, user_locale):
        if candidate in LANGUAGES:
            return candidate
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in LANGUAGES:
            return tag
    return DEFAULT_LANGUAGE


PAGE_TEXTS: dict[Language, dict[str, str]] = {
    "fr": {
        "title": "Choisissez votre mot de passe",
        "greeting": "Bonjour {name},",
        "intro": "Choisissez un mot de passe pour activer votre compte sur {tenant}.",
        "rules": f"Au moins {MIN_PASSWORD_LENGTH} caractères. Une phrase de passe est idéale.",
        "password": "Mot de passe",
        "confirmation": "Confirmez le mot de passe",
        "submit": "Activer mon compte",
        "expires": "Ce lien expire le {date}.",
        "errors": "Corrigez ceci :",
        "done_title": "Votre compte est activé",
        "done": "Votre mot de passe est enregistré. Vous pouvez maintenant vous connecter.",
        "login": "Se connecter",
        "expired_title": "Cette invitation a expiré",
        "expired": "Ce lien n'est plus valide. Demandez à votre administrateur de vous envoyer "
        "une nouvelle invitation.",
        "invalid_title": "Ce lien n'est pas valide",
        "invalid": "Ce lien a déjà été utilisé ou n'existe pas. Si vous avez déjà choisi votre "
        "mot de passe, connectez-vous ; sinon, demandez une nouvelle invitation à votre "
        "administrateur.",
        "csrf_title": "Le formulaire a expiré",
        "csrf": "Rechargez la page, puis recommencez.",
        "reload": "Recharger la page",
        "throttled_title": "Trop de tentatives",
        "throttled": "Patientez {minutes} minute(s), puis recommencez.",
        "bad_form_title": "Formulaire non valide",
        "bad_form": "Le formulaire reçu est incomplet. Rechargez la page, puis recommencez.",
        "switch": "English",
        "at": "à",
    },
    "en": {
        "title": "Choose your password",
        "greeting": "Hello {name},",
        "intro": "Choose a password to activate your account on {tenant}.",
        "rules": f"At least {MIN_PASSWORD_LENGTH} characters. A passphrase is ideal.",
        "password": "Password",
        "confirmation": "Confirm the password",
        "submit": "Activate my account",
        "expires": "This link expires on {date}.",
        "errors": "Please correct this:",
        "done_title": "Your account is active",
        "done": "Your password is saved. You can now log in.",
        "login": "Log in",
        "expired_title": "This invitation has expired",
        "expired": "This link is no longer valid. Ask your administrator to send you a new "
        "invitation.",
        "invalid_title": "This link is not valid",
        "invalid": "This link was already used or does not exist. If you already chose your "
        "password, log in; otherwise ask your administrator for a new invitation.",
        "csrf_title": "The form has expired",
        "csrf": "Reload the page, then try again.",
        "reload": "Reload the page",
        "throttled_title": "Too many attempts",
        "throttled": "Wait {minutes} minute(s), then try again.",
        "bad_form_title": "Invalid form",
        "bad_form": "The form we received is incomplete. Reload the page, then try again.",
        "switch": "Français",
        "at": "at",
    },
}

# The password rules' messages (shared.security.passwords, domain.password_form) in French.
PROBLEMS_FR = {
    f"Use at least {MIN_PASSWORD_LENGTH} characters.": (
        f"Utilisez au moins {MIN_PASSWORD_LENGTH} caractères."
    ),
    f"Use at most {MAX_PASSWORD_LENGTH} characters.": (
        f"Utilisez au plus {MAX_PASSWORD_LENGTH} caractères."
    ),
    "Use more different characters.": "Utilisez des caractères plus variés.",
    "Don't use your e-mail address in your password.": (
        "N'utilisez pas votre adresse courriel dans votre mot de passe."
    ),
    PASSWORDS_DIFFER: "Les deux mots de passe sont différents.",
    PASSWORD_MISSING: "Choisissez un mot de passe.",
}


def translate_problem(problem: str, language: Language) -> str:
    return PROBLEMS_FR.get(problem, problem) if language == "fr" else problem


def format_moment(moment: datetime, language: Language, timezone: str) -> str:
    """A date and time as people read them, e.g. « 8 décembre 2026 à 14 h 05 »."""
    locale = BABEL_LOCALES[language]
    local = moment.astimezone(ZoneInfo(timezone))
    date = format_date(local, "long", locale=locale)
    time = format_time(local, "short", locale=locale)
    zone = local.tzname() or timezone
    return f"{date} {PAGE_TEXTS[language]['at']} {time} ({zone})"
