"""Turning list positions into opaque cursors and back."""

import uuid
from datetime import datetime
from typing import Any

from services.directory.domain.listing import Position
from shared.contracts.user_filters import UserSort
from shared.errors import Malformed
from shared.schemas import as_utc, decode_cursor, encode_cursor

DATETIME_SORTS = {UserSort.CREATED.key, UserSort.LAST_LOGIN.key}


def user_cursor(sort: UserSort, position: Position | None) -> str | None:
    if position is None:
        return None
    value = position.sort_value
    return encode_cursor(
        {
            "s": sort.value,
            "v": value.isoformat() if isinstance(value, datetime) else value,
            "id": str(position.user_id),
        }
    )


def user_position(sort: UserSort, cursor: str | None) -> Position | None:
    if not cursor:
        return None
    data = decode_cursor(cursor)
    if data.get("s") != sort.value:
        raise Malformed("This cursor belongs to another sort order; start from the first page.")
    try:
        value: Any = data["v"]
        if sort.key in DATETIME_SORTS:
            value = as_utc(datetime.fromisoformat(value))
        elif not isinstance(value, str) or "\x00" in value:
            raise TypeError("sort value")
        return Position(value, uuid.UUID(data["id"]))
    except (KeyError, TypeError, ValueError, OverflowError):
        raise Malformed("The cursor is not valid; start again from the first page.") from None


def activity_cursor(occurred_at: datetime, activity_id: uuid.UUID) -> str:
    return encode_cursor({"t": occurred_at.isoformat(), "id": str(activity_id)})


def activity_position(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    if not cursor:
        return None
    data = decode_cursor(cursor)
    try:
        return as_utc(datetime.fromisoformat(data["t"])), uuid.UUID(data["id"])
    except (KeyError, TypeError, ValueError, OverflowError):
        raise Malformed("The cursor is not valid; start again from the first page.") from None


def job_cursor(created_at: datetime, job_id: uuid.UUID) -> str:
    return encode_cursor({"t": created_at.isoformat(), "id": str(job_id)})


def job_position(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    return activity_position(cursor)  # the same shape: a moment and an id
