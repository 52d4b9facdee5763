"""Headers in the requesting admin's language, from the Babel catalogues in `locales/`.

The `.po` files are read with `babel.messages.pofile.read_po` (no compiled `.mo` beside them to
keep in step): they are small, read once per language and kept.
"""

from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Literal

from babel.messages.pofile import read_po

from services.exports.domain.columns import SHEET_TITLE, Column
from services.exports.domain.formulas import neutralise

Language = Literal["fr", "en"]
LANGUAGES: tuple[Language, ...] = ("fr", "en")
LOCALES_DIR = Path(__file__).resolve().parent / "locales"


@cache
def messages(language: Language) -> dict[str, str]:
    """Message id -> its text in `language` (only messages that have a text)."""
    if language not in LANGUAGES:
        raise ValueError(f"No export headers in {language!r}; expected one of {LANGUAGES}.")
    path = LOCALES_DIR / language / "LC_MESSAGES" / "exports.po"
    with path.open("rb") as po:
        catalog = read_po(po, locale=language)
    return {
        m.id: m.string
        for m in catalog
        if isinstance(m.id, str) and m.id and isinstance(m.string, str) and m.string
    }


def translate(language: Language, message: str) -> str:
    return messages(language).get(message, message)


def header_row(columns: Sequence[Column], language: Language) -> list[str]:
    """The header cells: translated texts; a custom field's label as the tenant wrote it
    (neutralised: an admin's label is text like any other)."""
    return [
        translate(language, column.header) if column.translated else neutralise(column.header)
        for column in columns
    ]


def sheet_title(language: Language) -> str:
    return translate(language, SHEET_TITLE)
