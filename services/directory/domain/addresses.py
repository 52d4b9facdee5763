"""Which e-mail addresses can ever be mailed, decided when they are typed in rather than
found out at every send (issue 9.6)."""

import unicodedata

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
