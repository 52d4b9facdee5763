"""Which language a page or an e-mail speaks: the user's choice, their account's locale,
then their browser's preference (Babel negotiates; French when nothing matches)."""

from enum import StrEnum

from babel import negotiate_locale


class Language(StrEnum):
    FR = "fr"
    EN = "en"


DEFAULT_LANGUAGE = Language.FR
AVAILABLE = [language.value for language in Language]


def choose_language(
    asked: str | None, user_locale: str | None, accept_language: str | None
) -> Language:
    """The `?lang=` switch first, then the user's locale, then Accept-Language."""
    preferred = [tag.lower() for tag in (asked, user_locale) if tag]
    preferred += accepted_languages(accept_language or "")
    chosen = negotiate_locale(preferred, AVAILABLE, sep="-")
    return Language(chosen) if chosen else DEFAULT_LANGUAGE


def accepted_languages(header: str) -> list[str]:
    """The language tags of an Accept-Language header, most wanted first (RFC 9110 q)."""
    weighted: list[tuple[float, str]] = []
    for part in header.split(",")[:20]:
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if tag and tag != "*" and quality > 0:
            weighted.append((quality, tag.lower()))
    return [tag for _, tag in sorted(weighted, key=lambda pair: -pair[0])]
