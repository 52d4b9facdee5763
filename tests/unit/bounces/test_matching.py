"""Matching a notice to a message the platform sent: tags, then Message-ID, then address
within 30 days; the tenant from the message, and a refusal when two tenants are named."""

import uuid
from datetime import UTC, datetime, timedelta

from services.bounces.domain.matching import (
    KnownMessages,
    Match,
    MatchedBy,
    SentMessage,
    TenantConflict,
    decide,
    message_rendezvous_keys,
    needs_address_lookup,
    rendezvous_keys,
    waits_for,
)
from services.bounces.domain.notices import Notice, NoticeType, Provider, ProviderTags
from shared.contracts.users import BounceKind

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
TENANT, OTHER_TENANT = uuid.uuid4(), uuid.uuid4()


def _sent(
    tenant: uuid.UUID = TENANT,
    address: str = "zoe@example.com",
    sent_at: datetime = NOW - timedelta(hours=1),
) -> SentMessage:
    return SentMessage(
        tenant, uuid.uuid4(), uuid.uuid4(), address, f"<{uuid.uuid4()}@lms>", sent_at
    )


def _notice(
    *,
    address: str = "zoe@example.com",
    message_id: str | None = None,
    tags: ProviderTags = ProviderTags(),
    at: datetime = NOW,
) -> Notice:
    return Notice(
        provider=Provider.SENDGRID,
        provider_event_id=uuid.uuid4().hex,
        type=NoticeType.BOUNCED,
        recipient=address,
        occurred_at=at,
        bounce_kind=BounceKind.HARD,
        message_id=message_id,
        tags=tags,
    )


def _tags(message: SentMessage, *, invitation: bool = True) -> ProviderTags:
    return ProviderTags(
        tenant_id=message.tenant_id,
        user_id=message.user_id,
        invitation_id=message.invitation_id if invitation else None,
    )


def test_tags_find_their_invitation_before_a_message_id() -> None:
    tagged, other = _sent(), _sent()
    notice = _notice(message_id=other.message_id, tags=_tags(tagged))
    assert decide(notice, [other, tagged]) == Match(tagged, MatchedBy.TAGS)


def test_tags_without_an_invitation_find_the_users_latest_message() -> None:
    first = _sent(sent_at=NOW - timedelta(days=2))
    later = SentMessage(
        TENANT, first.user_id, uuid.uuid4(), first.address, "<later@lms>", NOW - timedelta(days=1)
    )
    notice = _notice(tags=_tags(first, invitation=False))
    assert decide(notice, [first, later]) == Match(later, MatchedBy.TAGS)


def test_a_message_id_finds_its_message() -> None:
    message = _sent()
    assert decide(_notice(message_id=message.message_id), [message]) == Match(
        message, MatchedBy.MESSAGE_ID
    )


def test_by_address_the_latest_message_sent_before_the_notice_within_30_days() -> None:
    old = _sent(sent_at=NOW - timedelta(days=29))
    recent = _sent(tenant=OTHER_TENANT, sent_at=NOW - timedelta(days=2))
    after = _sent(sent_at=NOW + timedelta(hours=1))  # sent after the notice happened
    assert decide(_notice(), [old, recent, after]) == Match(recent, MatchedBy.ADDRESS)
    assert decide(_notice(), [old]) == Match(old, MatchedBy.ADDRESS)
    assert decide(_notice(), [_sent(sent_at=NOW - timedelta(days=31))]) is None


def test_a_provider_clock_a_little_behind_still_matches_by_address() -> None:
    message = _sent(sent_at=NOW + timedelta(minutes=2))
    assert decide(_notice(), [message]) == Match(message, MatchedBy.ADDRESS)


def test_an_address_never_mailed_matches_nothing() -> None:
    assert decide(_notice(address="nobody@example.com"), [_sent()]) is None


def test_tags_naming_another_tenant_than_the_message_id_are_a_conflict() -> None:
    ours, theirs = _sent(), _sent(tenant=OTHER_TENANT)
    notice = _notice(message_id=ours.message_id, tags=_tags(theirs))
    decision = decide(notice, [ours, theirs])
    assert decision == TenantConflict(frozenset({TENANT, OTHER_TENANT}))
    assert isinstance(decision, TenantConflict)
    assert str(TENANT) in decision.why


def test_tags_of_an_unknown_tenant_over_a_known_message_id_are_a_conflict() -> None:
    ours = _sent()
    stranger = ProviderTags(tenant_id=uuid.uuid4(), user_id=uuid.uuid4())
    assert isinstance(
        decide(_notice(message_id=ours.message_id, tags=stranger), [ours]), TenantConflict
    )


def test_tags_alone_never_give_a_tenant() -> None:
    """An address fallback stays within the tenant the tags name."""
    mailed_by_other = _sent(tenant=OTHER_TENANT)
    tags = ProviderTags(tenant_id=TENANT, user_id=uuid.uuid4(), invitation_id=uuid.uuid4())
    assert decide(_notice(tags=tags), [mailed_by_other]) is None


def test_the_address_lookup_is_needed_only_when_tags_and_message_id_find_nothing() -> None:
    message = _sent()
    assert not needs_address_lookup(_notice(message_id=message.message_id), [message])
    assert not needs_address_lookup(_notice(tags=_tags(message)), [message])
    assert needs_address_lookup(_notice(), [message])


def test_a_waiting_notice_waits_for_the_message_it_would_match() -> None:
    message = _sent(sent_at=NOW)
    assert waits_for(_notice(message_id=message.message_id), message)
    assert waits_for(_notice(tags=_tags(message)), message)
    assert waits_for(_notice(at=NOW + timedelta(days=1)), message)
    assert not waits_for(_notice(at=NOW - timedelta(hours=1)), message)  # happened before
    assert not waits_for(_notice(address="other@example.com"), message)


def test_a_notice_and_the_message_it_is_about_lock_a_key_in_common() -> None:
    message = _sent()
    for notice in (
        _notice(),
        _notice(address="alias@example.com", message_id=message.message_id),
        _notice(address="alias@example.com", tags=_tags(message)),
    ):
        assert rendezvous_keys(notice) & message_rendezvous_keys(message)
    assert not rendezvous_keys(_notice(address="other@example.com")) & message_rendezvous_keys(
        message
    )


def test_each_notice_is_decided_the_same_among_its_candidates_as_among_all() -> None:
    messages = [_sent(address=f"u{n}@example.com") for n in range(6)]
    messages += [_sent(tenant=OTHER_TENANT, address="u0@example.com")]
    first, second, third, fourth, *_ = messages
    conflicting = ProviderTags(tenant_id=OTHER_TENANT, invitation_id=uuid.uuid4())
    notices = [
        _notice(address=first.address, tags=_tags(first)),
        _notice(address="elsewhere@example.com", tags=_tags(second, invitation=False)),
        _notice(address="elsewhere@example.com", message_id=third.message_id),
        _notice(address=fourth.address),
        _notice(address="u0@example.com"),
        _notice(address="never@example.com"),
        _notice(address=first.address, message_id=first.message_id, tags=conflicting),
    ]
    index = KnownMessages(messages)
    decisions = [decide(notice, index.candidates(notice)) for notice in notices]
    assert decisions == [decide(notice, messages) for notice in notices]
    assert decisions[5] is None
    assert isinstance(decisions[6], TenantConflict)
    assert all(isinstance(d, Match) for d in decisions[:5])
