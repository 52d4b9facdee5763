"""E-mail addresses and text that ends up in mail headers."""

import re

from email_validator import EmailNotValidError, validate_email

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def normalize_email(email: str) -> str:
    return email.strip().lower()


def address_problem(email: str) -> str | None:
    """Why `email` can't be mailed (syntax only, no DNS), or None when it can."""
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as error:
        return str(error)
    return None


def header_safe(text: str, max_length: int = 200) -> str:
    """Text fit for a header: no line breaks or control characters, bounded length."""
    return _CONTROL.sub(" ", text).strip()[:max_length]


def wire_address(email: str) -> str:
    """The address as it goes to the SMTP server and into the To header: an
    internationalized domain in punycode (IDNA), which every server takes; a non-ASCII
    part before the @-sign as it is, in UTF-8 (it needs SMTPUTF8: `needs_smtputf8`).
    ValueError when it isn't an address."""
    try:
        valid = validate_email(email, check_deliverability=False, allow_smtputf8=True)
    except EmailNotValidError as error:
        raise ValueError(f"{email!r} can't be written as an address: {error}") from None
    return valid.ascii_email or f"{valid.local_part}@{valid.ascii_domain}"


def needs_smtputf8(address: str) -> bool:
    """Whether the SMTP server must offer SMTPUTF8 to take `address` (a `wire_address`)."""
    return not address.isascii()
