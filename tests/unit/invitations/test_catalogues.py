"""Every word the pages and e-mails show is in every catalogue: a string added to a
template or marked in the code without running `pybabel update` (docs/invitations.md)
fails here, and so does a French text left untranslated, fuzzy, or with other
placeholders than its English source."""

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from services.invitations.domain.languages import Language
from services.invitations.locales import catalogue_path

ROOT = Path(__file__).resolve().parents[3]
CONFIG = ROOT / "services" / "invitations" / "babel.cfg"


def _extracted() -> set[str]:
    with CONFIG.open() as config:
        method_map, options_map = parse_mapping_cfg(config, filename=str(CONFIG))  # type: ignore[no-untyped-call]
    found = extract_from_dir(str(ROOT), method_map, options_map)
    return {message for _, _, message, _, _ in found if isinstance(message, str)}


EXTRACTED = _extracted()


def _catalogue(language: Language) -> Catalog:
    with catalogue_path(language).open("rb") as source:
        return read_po(source, locale=language.value)


def test_the_extraction_finds_the_templates_and_the_code() -> None:
    assert "Hello %(first_name)s," in EXTRACTED  # e-mail and page templates
    assert "Use at least %(min)s characters." in EXTRACTED  # api/rendering.py
    assert "You are invited to join %(tenant)s" in EXTRACTED  # the subject


@pytest.mark.parametrize("language", list(Language))
def test_every_message_is_in_the_catalogue(language: Language) -> None:
    catalogue = _catalogue(language)
    missing = sorted(m for m in EXTRACTED if m not in catalogue)
    assert missing == [], f"run pybabel extract + update (docs/invitations.md): {missing}"
    fuzzy = sorted(str(m.id) for m in catalogue if m.id and m.fuzzy)
    assert fuzzy == [], f"check and unmark these fuzzy translations: {fuzzy}"
    problems = [(str(m.id), [str(e) for e in errors]) for m, errors in catalogue.check()]
    assert problems == []


def test_french_translates_everything() -> None:
    catalogue = _catalogue(Language.FR)
    untranslated = sorted(m for m in EXTRACTED if not catalogue[m].string)
    assert untranslated == []
