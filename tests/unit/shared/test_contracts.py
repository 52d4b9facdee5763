import uuid
from datetime import UTC, datetime

import pytest

from shared.contracts import CATALOG, RawCloudEvent, new_event, spec_for, topic_matches
from shared.contracts.invitations import InvitationSent


@pytest.mark.parametrize(
    ("pattern", "key", "matches"),
    [
        ("user.created", "user.created", True),
        ("user.*", "user.created", True),
        ("user.*", "user.created.extra", False),
        ("lms.activity.*", "lms.activity.completed", True),
        ("lms.#", "lms.activity.completed", True),
        ("#", "anything.at.all", True),
        ("user.*", "invitation.sent", False),
    ],
)
def test_topic_patterns_match_like_rabbitmq(pattern: str, key: str, matches: bool) -> None:
    assert topic_matches(pattern, key) is matches


def test_every_event_type_has_one_contract() -> None:
    names = [spec.name for spec in CATALOG]
    assert len(names) == len(set(names))
    assert spec_for("lms.enrollment.completed") is not None
    assert spec_for("no.such.event") is None


def test_an_event_round_trips_as_a_cloudevent() -> None:
    now = datetime.now(UTC)
    data = InvitationSent(
        request_id=uuid.uuid4(),
        user_id=uuid.uuid4(),
        email="a@example.com",
        message_id="<m@example.com>",
        first_sent_at=now,
        sent_at=now,
        expires_at=now,
        attempt=1,
    )
    event = new_event("invitation.sent", source="/tests", tenant_id=uuid.uuid4(), data=data)

    raw = RawCloudEvent.model_validate_json(event.model_dump_json())

    assert raw.specversion == "1.0"
    assert raw.type == "invitation.sent"
    assert raw.tenantid == event.tenantid
    assert InvitationSent.model_validate(raw.data) == data
