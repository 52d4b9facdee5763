"""Submission throttling: how long to wait once a window's allowance is spent."""

from datetime import datetime, timedelta


def wait_needed(
    count: int, limit: int, window_started_at: datetime, window: timedelta, now: datetime
) -> timedelta | None:
    """None while `count` stays within `limit`; else the time left in the window."""
    if count <= limit:
        return None
    return max(timedelta(seconds=1), window_started_at + window - now)
