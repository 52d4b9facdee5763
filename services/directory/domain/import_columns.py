"""Which column of an imported file is which: headers in French or English, matched whatever
their case, accents or punctuation ("Prénom", "PRENOM", "first_name" are one column), and
custom fields by key or label."""

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypeVar


class Column(StrEnum):
    EMAIL = "email"
    FIRST_NAME = "first_name"
    LAST_NAME = "last_name"
    PHONE = "phone"
    LOCALE = "locale"
    ROLE = "role"
    GROUPS = "groups"


# The template's headers, in each language (the first alias of each column is English).
TEMPLATE_HEADERS = {
    "en": {
        Column.EMAIL: "E-mail",
        Column.FIRST_NAME: "First name",
        Column.LAST_NAME: "Last name",
        Column.PHONE: "Phone",
        Column.LOCALE: "Language",
        Column.ROLE: "Role",
        Column.GROUPS: "Groups",
    },
    "fr": {
        Column.EMAIL: "Courriel",
        Column.FIRST_NAME: "Prénom",
        Column.LAST_NAME: "Nom",
        Column.PHONE: "Téléphone",
        Column.LOCALE: "Langue",
        Column.ROLE: "Rôle",
        Column.GROUPS: "Groupes",
    },
}

_ALIASES: dict[Column, tuple[str, ...]] = {
    Column.EMAIL: (
        "email",
        "e-mail",
        "email address",
        "e-mail address",
        "courriel",
        "adresse courriel",
        "adresse e-mail",
        "adresse électronique",
        "mail",
    ),
    Column.FIRST_NAME: ("first name", "firstname", "given name", "prénom"),
    Column.LAST_NAME: ("last name", "lastname", "surname", "family name", "nom", "nom de famille"),
    Column.PHONE: ("phone", "phone number", "telephone", "téléphone", "numéro de téléphone", "tel"),
    Column.LOCALE: ("locale", "language", "langue"),
    Column.ROLE: ("role", "rôle", "access", "accès"),
    Column.GROUPS: ("groups", "group", "groupes", "groupe"),
}
_NOT_WORD = re.compile(r"[^a-z0-9]+")


def header_key(text: str) -> str:
    """A header as compared: no accents, lower case, words separated by one space."""
    decomposed = unicodedata.normalize("NFKD", text.replace("\ufeff", ""))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NOT_WORD.sub(" ", plain.lower()).strip()


_BY_KEY = {header_key(alias): column for column, names in _ALIASES.items() for alias in names}


def known_header(text: str) -> bool:
    """Whether a header names one of the known columns (in any of its spellings)."""
    return header_key(text) in _BY_KEY


K = TypeVar("K", bound=str)


class HeaderProblem(ValueError):
    """The header row can't be used; the message says why."""


@dataclass(frozen=True)
class HeaderMap:
    """Where each known column is (index in the row), and the custom fields' columns."""

    columns: Mapping[Column, int]
    custom_fields: Mapping[str, int] = field(default_factory=dict)  # field key -> index
    ignored: tuple[str, ...] = ()


def match_headers(headers: Sequence[str], field_labels: Mapping[str, str]) -> HeaderMap:
    """`field_labels`: the tenant's custom fields, label by key."""
    fields_by_header = {header_key(k): k for k in field_labels}
    fields_by_header.update({header_key(label): k for k, label in field_labels.items()})
    columns: dict[Column, int] = {}
    custom: dict[str, int] = {}
    ignored: list[str] = []
    for index, header in enumerate(headers):
        key = header_key(header)
        if not key:
            continue
        if key in _BY_KEY:
            _place(columns, _BY_KEY[key], index, header)
        elif key in fields_by_header:
            _place(custom, fields_by_header[key], index, header)
        else:
            ignored.append(header)
    if Column.EMAIL not in columns:
        raise HeaderProblem(
            "The first row must name the columns, one of them the e-mail address "
            "(E-mail or Courriel); found: " + ", ".join(h for h in headers if h.strip())[:300]
        )
    return HeaderMap(columns, custom, tuple(ignored))


def _place(found: dict[K, int], name: K, index: int, header: str) -> None:
    if name in found:
        raise HeaderProblem(f"Two columns mean the same thing: {header!r} (column {index + 1}).")
    found[name] = index
