"""Every string the console shows is in the French and the English catalogue."""

from pathlib import Path
from typing import Any

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from services.admin import i18n

ROOT = Path(__file__).resolve().parents[3]
ADMIN = ROOT / "services" / "admin"
METHOD_MAP = [("**.py", "python"), ("templates/**.html", "jinja2")]


def _source_messages() -> set[str]:
    """What pybabel extracts with services/admin/babel.cfg (the same map)."""
    found: set[str] = set()
    for _, _, message, _, _ in extract_from_dir(str(ADMIN), METHOD_MAP):
        found.add(message if isinstance(message, str) else message[0])
    return found


def _catalogue(locale: str) -> dict[str, Any]:
    with (ADMIN / "locales" / locale / "LC_MESSAGES" / "admin.po").open("rb") as po:
        catalogue = read_po(po, locale=locale)
    return {
        (m.id if isinstance(m.id, str) else m.id[0]): m for m in catalogue if m.id and not m.fuzzy
    }


def _translated(entry: Any) -> bool:
    strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
    return all(strings)


def test_the_sources_have_strings_to_translate() -> None:
    assert len(_source_messages()) > 150
    assert "Deactivate %(name)s? They will no longer be able to log in; nothing is deleted." in (
        _source_messages()
    )


def test_every_string_is_translated_in_french_and_english() -> None:
    wanted = _source_messages()
    for locale in ("fr", "en"):
        catalogue = _catalogue(locale)
        missing = sorted(m for m in wanted if m not in catalogue)
        assert not missing, f"{locale}: not in the catalogue: {missing}"
        untranslated = sorted(m for m in wanted if not _translated(catalogue[m]))
        assert not untranslated, f"{locale}: no translation for {untranslated}"


def test_french_placeholders_match_the_english_ones() -> None:
    french = _catalogue("fr")
    for message_id, entry in french.items():
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        for placeholder in ("%(name)s", "%(email)s", "%(count)s", "%(num)s", "%(reason)s"):
            if placeholder in message_id:
                assert all(placeholder in s for s in strings), message_id


def test_the_console_speaks_the_chosen_language() -> None:
    i18n.load_catalogues()
    i18n.use_locale("fr")
    assert i18n.gettext("Log out") == "Se déconnecter"
    assert i18n.ngettext("%(num)s user", "%(num)s users", 2) == "2 utilisateurs"
    i18n.use_locale("en")
    assert i18n.gettext("Log out") == "Log out"
