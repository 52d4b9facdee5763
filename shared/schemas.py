"""Request and response conventions every API follows."""

import base64
import binascii
import json
import unicodedata
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, field_validator

from shared.contracts.users import Locale
from shared.errors import Malformed

ItemT = TypeVar("ItemT")


class RequestModel(BaseModel):
    """Request bodies refuse unknown fields, so nobody slips `role` or `status` into an
    endpoint that should not change it (mass assignment); and text with NUL characters,
    which PostgreSQL can't store."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _storable_text(cls, value: Any) -> Any:
        if (problem := unstorable(value)) is not None:
            raise ValueError(problem)
        return value


MAX_NESTING = 32


def unstorable(value: Any) -> str | None:
    """What makes a value unfit to store, or None: text with a NUL character (PostgreSQL
    can't hold it) or a lone surrogate (UTF-8 can't encode it), or nesting deeper than
    MAX_NESTING. Walked with a stack, not recursion: JSON 950 levels deep parses fine and
    would exhaust Python's recursion limit here."""
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if depth > MAX_NESTING:
            return f"values cannot be nested more than {MAX_NESTING} levels deep"
        if isinstance(item, str) and not is_storable_text(item):
            return "text cannot contain NUL (\\u0000) characters or lone surrogates (\\ud800)"
        if isinstance(item, dict):
            pending.extend((part, depth + 1) for pair in item.items() for part in pair)
        elif isinstance(item, list | tuple | set | frozenset):
            pending.extend((part, depth + 1) for part in item)
    return None


def contains_nul(value: Any) -> bool:
    """Whether a value, or any text nested in it, holds a NUL character."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(contains_nul(k) or contains_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        return any(contains_nul(v) for v in value)
    return False


# Joiners some scripts need inside a word (Persian, Indic, emoji sequences).
_JOINERS = {"\u200c", "\u200d"}


def _one_line_of_text(value: str) -> str:
    """Names go verbatim into plain-text e-mails and spreadsheets: no line breaks, tabs or
    other control characters, no invisible formatting (U+202E turns text around)."""
    if "\x00" in value:
        raise ValueError("text cannot contain NUL (\\u0000) characters")
    for char in value:
        if char not in _JOINERS and unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp"):
            raise ValueError(f"cannot contain control or formatting characters (U+{ord(char):04X})")
    return value


PlainName = Annotated[str, AfterValidator(_one_line_of_text)]
# An optional phone number, as every form takes it.
Phone = Field(default=None, max_length=40, pattern=r"^[0-9+().\- ]{3,40}$")


class InvitationIn(RequestModel):
    """A user to invite: the directory's own form and the integration API take the same."""

    email: EmailStr = Field(max_length=320)
    first_name: PlainName = Field(min_length=1, max_length=100)
    last_name: PlainName = Field(min_length=1, max_length=100)
    phone: str | None = Phone
    locale: Locale | None = Field(default=None, description="Defaults to the tenant's locale.")
    role: str = Field(default="learner", max_length=50)
    group_ids: list[uuid.UUID] = Field(default_factory=list, max_length=200)
    custom_fields: dict[str, Any] = Field(
        default_factory=dict, description="Values by custom field key."
    )


class Page(BaseModel, Generic[ItemT]):
    """One page of a list, read from a cursor (keyset pagination, never OFFSET)."""

    items: list[ItemT]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )
    total: int = Field(description="How many items match the filters.")
    total_is_exact: bool = Field(
        default=True, description="False when `total` is the database's estimate (large sets)."
    )


def encode_cursor(position: dict[str, Any]) -> str:
    raw = json.dumps(position, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


BAD_CURSOR = "The cursor is not valid; start again from the first page."


def decode_cursor(cursor: str) -> dict[str, Any]:
    """A cursor's position: a flat object of text (or null) values, as `encode_cursor` made
    it. Anything else (a number, a list, deep nesting, a lone surrogate) is refused here,
    so that no caller meets a shape it did not write."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        position = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError):
        raise Malformed(BAD_CURSOR) from None
    if not isinstance(position, dict) or not all(map(_plain_text, position.values())):
        raise Malformed(BAD_CURSOR)
    return position


def _plain_text(value: object) -> bool:
    return value is None or (isinstance(value, str) and is_storable_text(value))


def is_storable_text(text: str) -> bool:
    """Text PostgreSQL can store and UTF-8 can encode: no NUL, no lone surrogate."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


def as_utc(moment: datetime) -> datetime:
    """In UTC (a moment without a zone is taken as UTC already); OverflowError when that
    falls outside the calendar (0001-01-01T00:00+14:00)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
