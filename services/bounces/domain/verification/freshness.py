"""The timestamp window that keeps a captured request from being replayed later."""

import re
from datetime import UTC, datetime, timedelta

from services.bounces.domain.errors import NotAuthentic

DEFAULT_TOLERANCE = timedelta(minutes=5)

_UNIX_SECONDS = re.compile(r"\d{1,12}")


def unix_seconds(value: str | None, what: str) -> datetime:
    """A signed timestamp in whole Unix seconds, as the schemes send it."""
    if value is None or not value:
        raise NotAuthentic(f"no {what}")
    if not _UNIX_SECONDS.fullmatch(value):
        raise NotAuthentic(f"{what} {value[:40]!r} is not Unix seconds")
    return datetime.fromtimestamp(int(value), tz=UTC)


def check_fresh(signed_at: datetime, now: datetime, tolerance: timedelta) -> None:
    gap = signed_at - now
    if abs(gap) > tolerance:
        direction = "old" if gap < timedelta(0) else "far in the future"
        raise NotAuthentic(
            f"signed at {signed_at.isoformat()}, {abs(gap).total_seconds():.0f} s {direction}"
            f" (tolerance {tolerance.total_seconds():.0f} s)"
        )
