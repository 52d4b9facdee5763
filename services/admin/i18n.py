"""French and English for every string the console shows (Babel catalogues).

The catalogues are the .po files under locales/ (the source of truth, in git); they are
compiled in memory when the process starts, so no .mo file is committed or built.
Update them after changing a string (see the README):
    uv run pybabel extract -F services/admin/babel.cfg -o services/admin/locales/admin.pot \
        --no-location --sort-output .
    uv run pybabel update -i services/admin/locales/admin.pot -d services/admin/locales -D admin
then translate the new entries in fr/ and en/ (tests/unit/admin checks none is missing)."""

import io
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from services.admin.domain.session import LOCALES, Locale

LOCALES_DIR = Path(__file__).parent / "locales"
DOMAIN = "admin"

_catalogues: dict[str, NullTranslations] = {}
_current: ContextVar[Locale] = ContextVar("admin_locale", default="fr")


def load_catalogues(folder: Path = LOCALES_DIR) -> dict[str, NullTranslations]:
    """Each locale's .po file, compiled in memory (fuzzy entries are left out)."""
    loaded: dict[str, NullTranslations] = {}
    for locale in LOCALES:
        po = folder / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
        with po.open("rb") as source:
            catalogue = read_po(source, locale=locale, domain=DOMAIN)
        compiled = io.BytesIO()
        write_mo(compiled, catalogue, use_fuzzy=False)
        compiled.seek(0)
        loaded[locale] = Translations(compiled, domain=DOMAIN)
    _catalogues.update(loaded)
    return loaded


def use_locale(locale: Locale) -> None:
    """The language of what this request renders."""
    _current.set(locale)


def current_locale() -> Locale:
    return _current.get()


def _translations() -> NullTranslations:
    if not _catalogues:
        load_catalogues()
    return _catalogues[_current.get()]


def raw_gettext(message: str) -> str:
    """For Jinja's i18n extension (newstyle: it fills the placeholders itself)."""
    return _translations().gettext(message)


def raw_ngettext(singular: str, plural: str, count: int) -> str:
    return _translations().ngettext(singular, plural, count)


def gettext(message: str, **params: Any) -> str:
    text = _translations().gettext(message)
    return text % params if params else text


def ngettext(singular: str, plural: str, count: int, **params: Any) -> str:
    text = _translations().ngettext(singular, plural, count)
    return text % {"num": count, **params}
