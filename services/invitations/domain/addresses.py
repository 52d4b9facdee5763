"""E-mail addresses and text that ends up in mail headers."""

import functools
import re

from email_validator import EmailNotValidError, ValidatedEmail, validate_email

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def normalize_email(email: str) -> str:
    return email.strip().lower()


@functools.lru_cache(maxsize=1024)
def _validated(email: str) -> ValidatedEmail | str:
    """The address checked (syntax only, no DNS), or why it is not one. Cached: every
    e-mail's address is checked when it is claimed and again when it is written, ~0.1 ms
    each (email_validator's IDNA checks)."""
    try:
        return validate_email(email, check_deliverability=False, allow_smtputf8=True)
    except EmailNotValidError as error:
        return str(error)


def address_problem(email: str) -> str | None:
    """Why `email` can't be mailed (syntax only, no DNS), or None when it can."""
    valid = _validated(email)
    return valid if isinstance(valid, str) else None


def header_safe(text: str, max_length: int = 200) -> str:
    """Text fit for a header: no line breaks or control characters, bounded length."""
    return _CONTROL.sub(" ", text).strip()[:max_length]


def wire_address(email: str) -> str:
    """The address as it goes to the SMTP server and into the To header: an
    internationalized domain in punycode (IDNA), which every server takes; a non-ASCII
    part before the @-sign as it is, in UTF-8 (it needs SMTPUTF8: `needs_smtputf8`).
    ValueError when it isn't an address."""
    valid = _validated(email)
    if isinstance(valid, str):
        raise ValueError(f"{email!r} can't be written as an address: {valid}")
    return valid.ascii_email or f"{valid.local_part}@{valid.ascii_domain}"


def needs_smtputf8(address: str) -> bool:
    """Whether the SMTP server must offer SMTPUTF8 to take `address` (a `wire_address`)."""
    return not address.isascii()
