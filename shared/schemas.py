"""Request and response conventions every API follows."""

import base64
import binascii
import json
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared.errors import Malformed

ItemT = TypeVar("ItemT")


class RequestModel(BaseModel):
    """Request bodies refuse unknown fields, so nobody slips `role` or `status` into an
    endpoint that should not change it (mass assignment); and text with NUL characters,
    which PostgreSQL can't store."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul_characters(cls, value: Any) -> Any:
        if contains_nul(value):
            raise ValueError("text cannot contain NUL (\\u0000) characters")
        return value


def contains_nul(value: Any) -> bool:
    """Whether a value, or any text nested in it, holds a NUL character."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(contains_nul(k) or contains_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        return any(contains_nul(v) for v in value)
    return False


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


def decode_cursor(cursor: str) -> dict[str, Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        position = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise Malformed("The cursor is not valid; start again from the first page.") from None
    if not isinstance(position, dict):
        raise Malformed("The cursor is not valid; start again from the first page.")
    return position


def as_utc(moment: datetime) -> datetime:
    """In UTC (a moment without a zone is taken as UTC already); OverflowError when that
    falls outside the calendar (0001-01-01T00:00+14:00)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
