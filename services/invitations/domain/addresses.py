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
