"""Which message the platform sent a notice is about, and so which tenant and user.

A notice is matched against the index of messages the platform sent (from
`invitation.sent`), never trusted on its own word: the tags only *find* an indexed
message, and the tenant and user always come from that message.

1. By the provider tags (the `X-LMS-*` values the e-mail carried): the tenant and the
   invitation (or, without one, the user).
2. Else by our Message-ID.
3. Else by the address, among the messages sent to it in the `MATCH_WINDOW` before the
   notice happened (the most recent one wins: a notice names no tenant, and the latest
   message to the address is the likeliest one it is about).

When the tags name a tenant, the Message-ID must belong to that same tenant: a notice
saying "tenant A" about a message tenant B sent is refused (kept, never published), and
an address fallback looks only in the tagged tenant.
"""

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from services.bounces.domain.notices import Notice

MATCH_WINDOW = timedelta(days=30)
# A provider's clock and ours differ a little: a delivery may be stamped a moment before
# the time we recorded the message as sent.
CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class SentMessage:
    """One e-mail the platform sent, as the index keeps it."""

    tenant_id: uuid.UUID
    user_id: uuid.UUID
    invitation_id: uuid.UUID | None
    address: str  # normalize_address
    message_id: str  # normalize_message_id: <id@host>
    sent_at: datetime


class MatchedBy(StrEnum):
    TAGS = "tags"
    MESSAGE_ID = "message_id"
    ADDRESS = "address"


@dataclass(frozen=True)
class Match:
    message: SentMessage
    by: MatchedBy

    @property
    def tenant_id(self) -> uuid.UUID:
        return self.message.tenant_id

    @property
    def user_id(self) -> uuid.UUID:
        return self.message.user_id


@dataclass(frozen=True)
class TenantConflict:
    """The notice points at two tenants: refused, kept for an operator to look at."""

    tenants: frozenset[uuid.UUID]

    @property
    def why(self) -> str:
        listed = ", ".join(sorted(str(t) for t in self.tenants))
        return f"its tags and its Message-ID name different tenants ({listed})"


Decision = Match | TenantConflict | None  # None: no message of ours is known for it


def _latest(messages: Iterable[SentMessage]) -> SentMessage | None:
    return max(messages, key=lambda m: m.sent_at, default=None)


def by_tags(notice: Notice, messages: Iterable[SentMessage]) -> list[SentMessage]:
    """The messages the tags point at: the tenant plus the invitation, else plus the user."""
    tags = notice.tags
    if tags.tenant_id is None or (tags.invitation_id is None and tags.user_id is None):
        return []
    return [
        m
        for m in messages
        if m.tenant_id == tags.tenant_id
        and (
            m.invitation_id == tags.invitation_id
            if tags.invitation_id is not None
            else m.user_id == tags.user_id
        )
    ]


def by_message_id(notice: Notice, messages: Iterable[SentMessage]) -> list[SentMessage]:
    if notice.message_id is None:
        return []
    return [m for m in messages if m.message_id == notice.message_id]


def by_address(notice: Notice, messages: Iterable[SentMessage]) -> list[SentMessage]:
    """Messages to the notice's address sent within the window before it happened."""
    earliest = notice.occurred_at - MATCH_WINDOW
    latest = notice.occurred_at + CLOCK_SKEW
    tenant = notice.tags.tenant_id
    return [
        m
        for m in messages
        if m.address == notice.recipient
        and earliest <= m.sent_at <= latest
        and (tenant is None or m.tenant_id == tenant)
    ]


def decide(notice: Notice, messages: Sequence[SentMessage]) -> Decision:
    """`messages`: indexed messages that may concern the notice (a superset is fine)."""
    tagged, identified = by_tags(notice, messages), by_message_id(notice, messages)
    named = {m.tenant_id for m in identified}
    if notice.tags.tenant_id is not None:
        named.add(notice.tags.tenant_id)
    if len(named) > 1:
        return TenantConflict(frozenset(named))
    if (found := _latest(tagged)) is not None:
        return Match(found, MatchedBy.TAGS)
    if (found := _latest(identified)) is not None:
        return Match(found, MatchedBy.MESSAGE_ID)
    if (found := _latest(by_address(notice, messages))) is not None:
        return Match(found, MatchedBy.ADDRESS)
    return None


def needs_address_lookup(notice: Notice, messages: Sequence[SentMessage]) -> bool:
    """Whether the tags and the Message-ID found nothing, so the address must be tried."""
    return not by_tags(notice, messages) and not by_message_id(notice, messages)


class KnownMessages:
    """Messages found for a batch of notices, indexed by what a notice finds them with:
    each notice is decided among its own few candidates (a superset of what `decide`
    keeps), not among every message the batch found (quadratic: 40 ms for four batches
    of 100 sharing a transaction)."""

    def __init__(self, messages: Iterable[SentMessage]) -> None:
        self._by: dict[tuple[object, ...], list[SentMessage]] = {}
        for m in messages:
            for key in (
                ("invitation", m.tenant_id, m.invitation_id),
                ("user", m.tenant_id, m.user_id),
                ("message-id", m.message_id),
                ("address", m.address),
            ):
                self._by.setdefault(key, []).append(m)

    def candidates(self, notice: Notice) -> list[SentMessage]:
        tags = notice.tags
        found: dict[int, SentMessage] = {}
        for key in (
            ("invitation", tags.tenant_id, tags.invitation_id),
            ("user", tags.tenant_id, tags.user_id),
            ("message-id", notice.message_id),
            ("address", notice.recipient),
        ):
            found.update((id(m), m) for m in self._by.get(key, ()))
        return list(found.values())


def address_window(notices: Iterable[Notice]) -> tuple[datetime, datetime] | None:
    """The range of send times an address lookup for these notices must cover."""
    times = [n.occurred_at for n in notices]
    if not times:
        return None
    return min(times) - MATCH_WINDOW, max(times) + CLOCK_SKEW


def waits_for(notice: Notice, message: SentMessage) -> bool:
    """Whether a notice nothing matched yet may be about a message recorded since (the
    notice can come before `invitation.sent` reaches this service)."""
    return bool(
        by_tags(notice, [message])
        or by_message_id(notice, [message])
        or by_address(notice, [message])
    )


def rendezvous_keys(notice: Notice) -> set[str]:
    """What a notice that found no message and the message it may be about both lock
    before looking for each other (see `usecases/record_notices.py`)."""
    keys = {f"address:{notice.recipient}"}
    if notice.message_id is not None:
        keys.add(f"message:{notice.message_id}")
    if notice.tags.tenant_id is not None and notice.tags.invitation_id is not None:
        keys.add(f"invitation:{notice.tags.tenant_id}:{notice.tags.invitation_id}")
    return keys


def message_rendezvous_keys(message: SentMessage) -> set[str]:
    keys = {f"address:{message.address}", f"message:{message.message_id}"}
    if message.invitation_id is not None:
        keys.add(f"invitation:{message.tenant_id}:{message.invitation_id}")
    return keys
