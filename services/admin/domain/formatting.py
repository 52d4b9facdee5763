"""Dates in the tenant's time zone and numbers in the admin's language (Babel)."""

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from babel.numbers import format_decimal

BABEL_LOCALES = {"fr": "fr_CA", "en": "en_CA"}


def parse_moment(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def moment(value: str | None, locale: str, zone: ZoneInfo) -> str:
    """An API timestamp as the admin reads it, in the tenant's zone ("" when absent)."""
    parsed = parse_moment(value)
    if parsed is None:
        return ""
    local, babel_locale = parsed.astimezone(zone), BABEL_LOCALES[locale]
    day = format_date(local, "medium", locale=babel_locale)
    return f"{day}, {format_time(local, 'short', locale=babel_locale)}"


def number(value: int, locale: str) -> str:
    return format_decimal(value, locale=BABEL_LOCALES[locale])


def byte_size(value: int | None, locale: str) -> str:
    if value is None:
        return ""
    for unit, size in (("GB", 1 << 30), ("MB", 1 << 20), ("kB", 1 << 10)):
        if value >= size:
            shown = format_decimal(round(value / size, 1), locale=BABEL_LOCALES[locale])
            return f"{shown} {unit}"
    return f"{format_decimal(value, locale=BABEL_LOCALES[locale])} B"
