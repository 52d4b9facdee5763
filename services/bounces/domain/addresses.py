"""The forms of an address and a Message-ID that notices are matched on."""

import re
import unicodedata

_MESSAGE_ID_CORE = re.compile(r"[^\s<>]+")
_SPACE = re.compile(r"\s")  # str.isspace's characters (both are Py_UNICODE_ISSPACE)


def _unicode_label(label: str) -> str:
    """A domain label as Unicode: providers may report an IDN domain in its ASCII form
    (xn--...), while the directory keeps addresses as entered (Unicode)."""
    if not label.startswith("xn--"):
        return label
    try:
        decoded = label[4:].encode("ascii").decode("punycode")
    except (UnicodeError, ValueError):
        return label
    return label if decoded.isascii() else decoded  # an A-label encodes non-ASCII


def normalize_address(address: str) -> str:
    """Lower-case, NFC, IDN domain in Unicode. Raises ValueError when it isn't an address."""
    text = unicodedata.normalize("NFC", address.strip()).lower()
    local, at, domain = text.rpartition("@")
    if not at or not local or not domain or _SPACE.search(text):
        raise ValueError("not an e-mail address")
    labels = ".".join(_unicode_label(label) for label in domain.rstrip(".").split("."))
    return f"{local}@{unicodedata.normalize('NFC', labels).lower()}"


def normalize_message_id(value: str | None) -> str | None:
    """`<id@host>` whether or not the provider kept the angle brackets; None when empty or
    not a Message-ID (spaces or brackets inside)."""
    if value is None:
        return None
    core = value.strip().removeprefix("<").removesuffix(">").strip()
    return f"<{core}>" if _MESSAGE_ID_CORE.fullmatch(core) else None
