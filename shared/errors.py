"""The errors a use case raises when it can't do what was asked, in words the caller can act on.

They say nothing about HTTP or messaging: an HTTP app maps each kind to a problem response
(`shared.http.problems`), a message consumer parks the message with the reason (it will
never succeed by retrying).
"""

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any


class DomainError(Exception):
    """The request can't be done as asked; `detail` says why, `errors` which fields."""

    def __init__(self, detail: str, *, errors: Sequence[Mapping[str, Any]] = ()) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = list(errors)


class Malformed(DomainError):
    """The input can't even be read (a bad cursor, a body that is not what it claims)."""


class Invalid(DomainError):
    """The input is readable but breaks a rule about its values."""


class Unauthenticated(DomainError):
    """Who is calling is unknown: no, expired or forged credentials."""


class Forbidden(DomainError):
    """The caller is known but may not do this."""


class NotFound(DomainError):
    """The thing does not exist (or is not the caller's to see: same answer)."""


class Conflict(DomainError):
    """The thing's current state does not allow it (a name taken, a concurrent change)."""


class ChangedMeanwhile(Conflict):
    """Another transaction changed the thing between reading and writing it. Trying again
    works: an HTTP caller is told to; a message consumer retries the message."""


class RuleViolation(Conflict):
    """A business rule forbids the change (e.g. demoting the last administrator)."""


class Gone(DomainError):
    """The thing existed and is no more (an expired export, a used link)."""


class TooLarge(DomainError):
    """The input is larger than allowed."""


class StaleVersion(DomainError):
    """The caller changed a version of the thing that is no longer the current one."""


class VersionRequired(DomainError):
    """The caller must say which version of the thing it changes (If-Match)."""


class RateLimited(DomainError):
    """Too many attempts: try again after `retry_after`."""

    def __init__(self, detail: str, *, retry_after: timedelta) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class Unavailable(DomainError):
    """Something this depends on does not answer right now; trying later may work."""
