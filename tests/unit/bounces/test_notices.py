"""The normalised notice: address, Message-ID, time and kind invariants."""

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from services.bounces.domain.addresses import normalize_address, normalize_message_id
from services.bounces.domain.notices import Notice, NoticeType, Provider, ProviderTags
from services.bounces.domain.smtp import enhanced_status
from shared.contracts.users import BounceKind


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("  Zoe@Example.COM ", "zoe@example.com"),
        ("zoé@xn--bcher-kva.example", "zoé@bücher.example"),
        ("ZOÉ@BÜCHER.EXAMPLE", "zoé@bücher.example"),
        ("zoe@example.com.", "zoe@example.com"),
        ("zoe@xn--invalid-.example", "zoe@xn--invalid-.example"),  # not an A-label: as is
        ("zoe@xn--99999999999a.example", "zoe@xn--99999999999a.example"),  # undecodable
        ("ze\u0301@example.com", "zé@example.com"),  # decomposed é -> composed
        ('"a@b"@example.com', '"a@b"@example.com'),
    ],
)
def test_addresses_compare_as_the_directory_keeps_them(raw: str, normalized: str) -> None:
    assert normalize_address(raw) == normalized


@pytest.mark.parametrize("raw", ["", "zoe", "@example.com", "zoe@", "zo e@example.com"])
def test_what_is_not_an_address_is_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="not an e-mail address"):
        normalize_address(raw)


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("<abc@learn.example.com>", "<abc@learn.example.com>"),
        ("abc@learn.example.com", "<abc@learn.example.com>"),
        ("  <abc@learn.example.com> ", "<abc@learn.example.com>"),
        ("custom-message-ID", "<custom-message-ID>"),
        ("", None),
        ("<>", None),
        ("two words", None),
        (None, None),
    ],
)
def test_message_ids_get_their_angle_brackets(raw: str | None, normalized: str | None) -> None:
    assert normalize_message_id(raw) == normalized


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("smtp; 550 5.1.1 <jane@example.com>... User unknown", "5.1.1"),
        ("452 4.2.2 Mailbox full", "4.2.2"),
        ("250 2.0.0 OK", "2.0.0"),
        ("version 10.5.1.2 of the server", None),
        ("550 user unknown", None),
        (None, None),
    ],
)
def test_enhanced_status_codes_in_diagnostics(text: str | None, status: str | None) -> None:
    assert enhanced_status(text) == status


def _notice(**changes: object) -> Notice:
    fields: dict[str, object] = {
        "provider": Provider.GENERIC,
        "provider_event_id": "e-1",
        "type": NoticeType.BOUNCED,
        "recipient": "Zoe@Example.com",
        "occurred_at": datetime(2026, 3, 1, 7, 0, tzinfo=timezone(timedelta(hours=-5))),
        "bounce_kind": BounceKind.HARD,
        "message_id": "abc@learn.example.com",
        "reason": "  " + "x" * 5000,
    }
    return Notice(**{**fields, **changes})  # type: ignore[arg-type]


def test_a_notice_is_normalised_when_built() -> None:
    notice = _notice()
    assert notice.recipient == "zoe@example.com"
    assert notice.occurred_at == datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert notice.occurred_at.tzinfo is UTC
    assert notice.message_id == "<abc@learn.example.com>"
    assert notice.reason == "x" * 1000


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"bounce_kind": None}, "a bounce kind is given for bounces"),
        ({"type": NoticeType.DELIVERED}, "a bounce kind is given for bounces"),
        ({"occurred_at": datetime(2026, 3, 1)}, "timezone-aware"),
        ({"provider_event_id": ""}, "the provider's event id"),
        ({"recipient": "nobody"}, "not an e-mail address"),
    ],
)
def test_a_notice_that_breaks_its_rules_cannot_be_built(
    changes: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        _notice(**changes)


def test_tags_keep_only_what_is_well_formed() -> None:
    tenant = uuid.uuid4()
    tags = ProviderTags.from_values(
        {"tenant_id": str(tenant), "user_id": 43, "invitation_id": "nope", "kind": "k" * 65}
    )
    assert tags == ProviderTags(tenant_id=tenant)
    assert not tags.empty
    assert ProviderTags.from_values({}).empty
