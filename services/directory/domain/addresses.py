"""Which e-mail addresses can ever be mailed, decided when they are typed in rather than
found out at every send (issue 9.6)."""

import unicodedata
from collections.abc import Iterable
from functools import cache

from confusable_homoglyphs.confusables import confusables_data
from email_validator import EmailNotValidError, validate_email

MAX_LOCAL_PART_OCTETS = 64  # RFC 5321, 4.5.3.1.1
# Scripts whose letters pass for Latin ones: mixed with Latin in one part of an address,
# they make a look-alike of another address (Cyrillic "а" in "аdmin").
LOOK_ALIKE_SCRIPTS = ("CYRILLIC", "GREEK", "ARMENIAN", "CHEROKEE")


def address_problem(email: str, *, smtputf8: bool) -> str | None:
    """Why `email` can't be accepted, or None. Non-ASCII before the @ only when the SMTP
    server offers SMTPUTF8 (`smtputf8`); an internationalized domain is fine (it is sent
    as punycode)."""
    try:
        validate_email(email, check_deliverability=False, allow_smtputf8=smtputf8)
    except EmailNotValidError as error:
        return str(error)
    local, _, domain = email.rpartition("@")
    if len(local.encode()) > MAX_LOCAL_PART_OCTETS:
        return f"The part before the @-sign is longer than {MAX_LOCAL_PART_OCTETS} characters."
    if unicodedata.normalize("NFKC", local) != local:
        return "The part before the @-sign holds fullwidth or compatibility characters."
    if any(_mixes_look_alikes(part) for part in (local, *domain.split("."))):
        return "The address mixes Latin letters with look-alikes from another alphabet."
    return None


def _mixes_look_alikes(text: str) -> bool:
    scripts = {_script(char) for char in text if char.isalpha()}
    return "LATIN" in scripts and any(s in scripts for s in LOOK_ALIKE_SCRIPTS)


def _script(char: str) -> str:
    return unicodedata.name(char, "UNKNOWN").split(" ")[0]


LOOKS_LIKE_ANOTHER = (
    "email: this address looks like another user's address in this tenant (the same "
    'characters from another alphabet, or look-alikes such as "rn" for "m"): check it.'
)


def looks_like_another(email: str, others: Iterable[str]) -> bool:
    """Whether `email` passes for one of `others` (other users' addresses): the same
    skeleton, and not the same address."""
    skeletons, itself = address_skeletons(email), email.strip().lower()
    return any(
        address_skeleton(other) in skeletons and other.strip().lower() != itself for other in others
    )


def address_skeleton(email: str) -> str:
    """What `email` looks like, as each user's is kept: the Unicode TR39 skeleton of the
    address in lower case. Two addresses with the same skeleton pass for one another
    ("аdmin" in Cyrillic, "admin" in Latin; "rn" and "m"), whatever their alphabets.
    Folded first because addresses are compared without case: "Іvan" (Cyrillic І) must
    meet "ivan" as "іvan", not as "lvan"."""
    return _skeleton(email.strip().casefold()).casefold()


def address_skeletons(email: str) -> set[str]:
    """The skeletons a new address may be taken for: in lower case, and as typed (Greek
    "ΑΝΝΑ" passes for "ANNA", while "αννα" looks like "avva")."""
    return {address_skeleton(email), _skeleton(email.strip()).casefold()}


def _skeleton(text: str) -> str:
    table = _prototypes()
    mapped = "".join(table.get(char, char) for char in unicodedata.normalize("NFD", text))
    return unicodedata.normalize("NFD", mapped)


@cache
def _prototypes() -> dict[str, str]:
    """Each confusable character's prototype, from Unicode's confusables data (as kept by
    the confusable-homoglyphs package, which lists each pair both ways: a source's one entry
    is its prototype, a prototype lists its sources). A pair whose two sides list only each
    other can't be told apart: both get the lower code point, which compares the same."""
    pairs = {
        _plain(key): [_plain(e["c"]) for e in entries] for key, entries in confusables_data.items()
    }
    table: dict[str, str] = {}
    for char, entries in pairs.items():
        if len(char) != 1 or len(entries) != 1:
            continue  # a prototype (of several characters, or with several sources)
        target = entries[0]
        if len(target) > 1 or len(pairs.get(target, ())) > 1:
            table[char] = target
        elif pairs.get(target) == [char]:
            table[char] = min(char, target)
    # Some characters map to another source ("ｍ" to "m", itself "rn"): follow the chain.
    for char, target in table.items():
        for _ in range(3):
            target = "".join(table.get(c, c) for c in target)
        table[char] = target
    return table


def _plain(text: str) -> str:
    return text.replace("\u200e", "")  # the data wraps right-to-left characters in LRMs
