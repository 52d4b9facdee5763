"""The suppression list: addresses that must not be mailed again, what puts an address on
it and what takes it off (the policy: docs/invitations.md, "The suppression list";
the conventions behind it: PROVIDERS.md §9).

Provider notices arrive late and out of order, so every rule compares when things
*happened* (the notice's `occurred_at`), never when we heard of them.

- A hard bounce lists the address at once; so do soft bounces, SOFT_BOUNCES_TO_SUPPRESS
  in a row (no delivery in between) within SOFT_BOUNCE_WINDOW.
- A complaint lists it at once and for good: a person said "stop", and a later delivery
  says nothing about their wish. Only an administrator lifts it.
- A delivery that happened after the bounce that listed an address lifts it (the
  mailbox works again), and so does one that happened between the soft bounces that
  listed it; a bounce that happened before a delivery we know of lists nothing. An
  administrator may lift any listing; bounces that happened before the lift count no
  more.
"""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from shared.contracts.users import BounceKind

SOFT_BOUNCES_TO_SUPPRESS = 3
# Mailchimp allows 7 to 15 soft bounces for marketing lists; an invitation is mailed a few
# times at most, so 3 in a row is already the address failing (PROVIDERS.md §9.2).
SOFT_BOUNCE_WINDOW = timedelta(days=30)


class SuppressionCause(StrEnum):
    HARD_BOUNCE = "hard_bounce"
    SOFT_BOUNCES = "soft_bounces"  # SOFT_BOUNCES_TO_SUPPRESS in a row
    COMPLAINT = "complaint"


@dataclass(frozen=True)
class SuppressedAddress:
    """The address is on the tenant's suppression list: why and since when (the time the
    notice that listed it happened)."""

    cause: SuppressionCause
    detail: str
    since: datetime


@dataclass(frozen=True)
class NoticeSource:
    """The provider notice (as the bounces service published it) that listed an address."""

    event_id: str
    event_type: str
    provider: str
    provider_event_id: str


class SuppressionRecord(Protocol):
    """A listed address as the admin's list shows it (the ORM's `Suppression` is one)."""

    email_normalized: str
    cause: SuppressionCause
    detail: str
    since: datetime
    created_at: datetime
    source_event_id: str | None
    source_event_type: str | None
    provider: str | None
    provider_event_id: str | None


@dataclass(frozen=True)
class BounceStreak:
    """What counts about one address's recent mail: the moment before which bounces no
    longer count (its latest delivery, or an administrator lifting its suppression), and
    the bounces since then: the soft ones in a row, the latest hard one."""

    reset_at: datetime | None = None
    soft_bounces: tuple[datetime, ...] = ()
    hard_bounced_at: datetime | None = None

    def reset_after(self, at: datetime) -> bool:
        # A bounce at the very moment of a delivery counts (so in the directory's envelope).
        return self.reset_at is not None and self.reset_at > at


def after_bounce(
    streak: BounceStreak, kind: BounceKind, reason: str, at: datetime
) -> tuple[BounceStreak, SuppressedAddress | None]:
    """The streak after a bounce that happened at `at`, and the listing it calls for
    (None: not listed). Undetermined bounces count as soft ones."""
    if streak.reset_after(at):
        return streak, None  # the address took a delivery (or was lifted) after it
    if kind is BounceKind.HARD:
        latest = at if streak.hard_bounced_at is None else max(streak.hard_bounced_at, at)
        streak = replace(streak, hard_bounced_at=latest)
        return streak, SuppressedAddress(SuppressionCause.HARD_BOUNCE, reason, at)
    bounces = sorted((*streak.soft_bounces, at))
    newest = bounces[-1]
    streak = replace(
        streak, soft_bounces=tuple(t for t in bounces if newest - t < SOFT_BOUNCE_WINDOW)
    )
    if len(streak.soft_bounces) < SOFT_BOUNCES_TO_SUPPRESS:
        return streak, None
    return streak, SuppressedAddress(SuppressionCause.SOFT_BOUNCES, reason, newest)


def after_complaint(feedback_type: str | None, at: datetime) -> SuppressedAddress:
    return SuppressedAddress(SuppressionCause.COMPLAINT, feedback_type or "", at)


def after_delivery(streak: BounceStreak, at: datetime) -> BounceStreak:
    """A delivery ends the streak of the soft bounces that happened before it."""
    return _reset(streak, at)


def after_lift(streak: BounceStreak, at: datetime) -> BounceStreak:
    """An administrator lifted the address: the bounces before count no more."""
    return _reset(streak, at)


def _reset(streak: BounceStreak, at: datetime) -> BounceStreak:
    reset_at = at if streak.reset_at is None else max(streak.reset_at, at)
    soft = tuple(t for t in streak.soft_bounces if t >= reset_at)
    hard = streak.hard_bounced_at
    return BounceStreak(reset_at, soft, hard if hard is not None and hard >= reset_at else None)


def listing_after(
    current: SuppressedAddress | None, notice: SuppressedAddress
) -> SuppressedAddress | None:
    """What the listing becomes after `notice`; None: it stays as it is.

    A complaint outranks any bounce and keeps its first date. Between bounces the latest
    tells the story: a delivery lifts the listing only if it happened after it."""
    if current is None:
        return notice
    if current.cause is SuppressionCause.COMPLAINT:
        return None
    if notice.cause is SuppressionCause.COMPLAINT or notice.since > current.since:
        return notice
    return None


def lifted_by_delivery(
    current: SuppressedAddress, delivered_at: datetime, streak: BounceStreak
) -> bool:
    """Whether a delivery lifts the listing; `streak` is the address's streak after it.

    Never a complaint. A bounce listing, when nothing that listed it happened after the
    delivery: no hard bounce (also by the listing's own date: listings from before the
    counters were kept), no soft bounces in a row (the delivery, maybe arriving late,
    may have happened between them)."""
    if current.cause is SuppressionCause.COMPLAINT:
        return False
    if current.cause is SuppressionCause.HARD_BOUNCE and delivered_at <= current.since:
        return False
    return streak.hard_bounced_at is None and len(streak.soft_bounces) < SOFT_BOUNCES_TO_SUPPRESS


def failure_reason(email: str, cause: SuppressionCause, detail: str, since: datetime) -> str:
    what = {
        SuppressionCause.HARD_BOUNCE: "bounced permanently",
        SuppressionCause.SOFT_BOUNCES: (
            f"bounced {SOFT_BOUNCES_TO_SUPPRESS} times in a row (temporary failures, "
            "no delivery in between), the last time"
        ),
        SuppressionCause.COMPLAINT: "reported our e-mail as spam",
    }[cause]
    day = since.date().isoformat()
    detail_part = f" ({detail})" if detail else ""
    return (
        f"Not sent: {email} {what} on {day}{detail_part}, so it is on the suppression list. "
        "Correct the address, or have an administrator lift the suppression, then send "
        "the invitation again."
    )
