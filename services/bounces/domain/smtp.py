"""SMTP status codes found in providers' free text."""

import re

_ENHANCED = re.compile(r"(?<![\d.])([245]\.\d{1,3}\.\d{1,3})(?![\d.])")


def enhanced_status(text: str | None) -> str | None:
    """The first RFC 3463 status code (5.1.1) in a diagnostic, if there is one."""
    found = _ENHANCED.search(text or "")
    return found.group(1) if found else None
