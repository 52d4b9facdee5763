"""Messages the directory consumes: a redelivered message has exactly one effect; one it
can never apply (unknown user, data breaking its contract, not an event at all) is parked
in its queue's dead-letter queue with the error, unchanged, and the queue moves on."""

import json
import uuid
from datetime import timedelta
from typing import Any

import pytest

from shared.contracts.invitations import InvitationAccepted
from shared.contracts.lms import EnrollmentChanged, LearningActivity
from shared.contracts.users import BounceKind
from shared.security.sealing import seal
from tests.support.bus import DeadLetters, Parked
from tests.support.directory import Lms, now
from tests.support.keys import SEALING_PUBLIC_KEY


async def test_an_invitation_report_delivered_three_times_counts_once(lms: Lms) -> None:
    user = await lms.invite()
    version = await lms.version(user["id"])
    sent = lms.sent(user, await lms.request_id(user["id"]))
    event_id = str(uuid.uuid4())

    for _ in range(3):
        await lms.publish("invitation.sent", sent, subject=user["id"], event_id=event_id)
    await lms.worked_off("directory.invitations")

    profile = await lms.profile(user["id"])
    assert profile["invitation"]["send_count"] == 1
    assert profile["version"] == version + 1
    kinds = [a["kind"] for a in profile["recent_activities"]]
    assert kinds.count("invitation.sent") == 1
    await lms.bus.wait_for("user.updated", subject=user["id"], version=version + 1)


async def test_a_bounce_delivered_three_times_is_one_bounce(lms: Lms) -> None:
    user = await lms.invite()
    version = await lms.version(user["id"])
    bounce = lms.bounce(user, BounceKind.HARD)
    event_id = str(uuid.uuid4())
    for _ in range(3):
        await lms.publish("email.bounced", bounce, subject=user["id"], event_id=event_id)
    await lms.worked_off("directory.email")
    profile = await lms.profile(user["id"])
    assert profile["version"] == version + 1
    assert [a["kind"] for a in profile["recent_activities"]].count("email.bounced") == 1


async def test_learning_activity_delivered_three_times_shows_once(lms: Lms) -> None:
    user = await lms.invite()
    activity = LearningActivity(
        activity_id="quiz-7",
        user_id=uuid.UUID(user["id"]),
        title="Quiz 7",
        occurred_at=now(),
    )
    enrollment = EnrollmentChanged(
        user_id=uuid.UUID(user["id"]),
        course_id="c-7",
        course_title="Cours 7",
        status="enrolled",
        occurred_at=now() - timedelta(minutes=1),
    )
    ids = [str(uuid.uuid4()), str(uuid.uuid4())]
    for _ in range(3):
        await lms.publish("lms.activity.answered", activity, event_id=ids[0])
        await lms.publish("lms.enrollment.created", enrollment, event_id=ids[1])
    await lms.worked_off("directory.lms")
    profile = await lms.profile(user["id"])
    kinds = [a["kind"] for a in profile["recent_activities"]]
    assert kinds.count("lms.activity.answered") == 1
    assert kinds.count("lms.enrollment.created") == 1
    assert len(profile["enrollments"]) == 1


def assert_parked_as_sent(
    parked: Parked, queue: str, envelope: dict[str, Any], *words: str
) -> None:
    assert parked.queue == queue
    assert parked.message_id == envelope["id"]
    assert json.loads(parked.body) == envelope  # the message itself, unchanged
    assert parked.headers["x-original-routing-key"] == envelope["type"]
    error = str(parked.headers["x-error"])
    for word in words:
        assert word in error, error


async def test_a_report_about_an_unknown_user_is_parked(
    lms: Lms, dead_letters: DeadLetters
) -> None:
    ghost = {"id": str(uuid.uuid4()), "email": "ghost@example.com"}
    envelope = await lms.publish("invitation.sent", lms.sent(ghost, str(uuid.uuid4())))
    parked = await dead_letters.wait_for(envelope["id"])
    assert_parked_as_sent(parked, "directory.invitations", envelope, ghost["id"])


async def test_an_event_about_another_tenants_user_is_parked(
    lms: Lms, dead_letters: DeadLetters
) -> None:
    other_tenant_user = await lms.invite()
    activity = LearningActivity(
        activity_id="a-1",
        user_id=uuid.UUID(other_tenant_user["id"]),
        title="Not yours",
        occurred_at=now(),
    )
    envelope = await lms.events.publish("lms.activity.viewed", uuid.uuid4(), activity)
    parked = await dead_letters.wait_for(envelope["id"])
    assert_parked_as_sent(parked, "directory.lms", envelope, other_tenant_user["id"])
    await lms.worked_off("directory.lms")
    assert (await lms.profile(other_tenant_user["id"]))["recent_activities"][0]["kind"] == (
        "user.invited"
    )


BROKEN: list[tuple[str, str, dict[str, Any], str]] = [
    ("invitation.sent", "directory.invitations", {"user_id": "USER", "email": "x@example.com"},
     "breaks its contract"),
    ("invitation.accepted", "directory.invitations",
     {"user_id": "USER", "email": "x@example.com", "sealed_password_hash": "plain-text-password",
      "accepted_at": "2024-01-01T00:00:00Z"}, "password hash"),
    ("invitation.failed", "directory.invitations",
     {"request_id": "not-a-uuid", "user_id": "USER", "email": "x@example.com", "reason": "x",
      "failed_at": "2024-01-01T00:00:00Z"}, "request_id"),
    ("email.bounced", "directory.email",
     {"provider": "p", "provider_event_id": "1", "email": "x@example.com",
      "occurred_at": "2024-01-01T00:00:00Z", "kind": "very hard", "reason": "r"}, "kind"),
    ("lms.enrollment.progressed", "directory.lms",
     {"user_id": "USER", "course_id": "c", "course_title": "C", "status": "in_progress",
      "progress_percent": 140, "occurred_at": "2024-01-01T00:00:00Z"}, "progress_percent"),
    ("lms.activity.viewed", "directory.lms",
     {"activity_id": "", "user_id": "USER", "title": "T", "occurred_at": "2024-01-01T00:00:00Z"},
     "activity_id"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("event_type", "queue", "data", "error"), BROKEN, ids=[b[0] for b in BROKEN]
)
async def test_data_breaking_its_contract_is_parked_and_changes_nothing(
    lms: Lms,
    dead_letters: DeadLetters,
    event_type: str,
    queue: str,
    data: dict[str, Any],
    error: str,
) -> None:
    user = await lms.invite()
    data = {k: (user["id"] if v == "USER" else v) for k, v in data.items()}
    envelope = await lms.publish(event_type, data, subject=user["id"])
    parked = await dead_letters.wait_for(envelope["id"])
    assert_parked_as_sent(parked, queue, envelope, error)
    profile = await lms.profile(user["id"])
    assert (profile["version"], profile["status"]) == (user["version"], "invited")
    assert [a["kind"] for a in profile["recent_activities"]] == ["user.invited"]


@pytest.mark.parametrize(
    "body",
    [b"not json at all", b'{"specversion": "1.0"}', b"[]", b'{"id": 1, "type": 2}'],
)
async def test_a_message_that_is_not_an_event_is_parked(
    lms: Lms, dead_letters: DeadLetters, body: bytes
) -> None:
    message_id = str(uuid.uuid4())
    await lms.events.send_to_queue("directory.invitations", body, message_id)
    parked = await dead_letters.wait_for(message_id)
    assert parked.queue == "directory.invitations"
    assert parked.body == body
    assert "not a valid CloudEvent" in str(parked.headers["x-error"])


async def test_the_queue_moves_on_after_a_parked_message(
    lms: Lms, dead_letters: DeadLetters
) -> None:
    user = await lms.invite()
    bad = InvitationAccepted(
        user_id=uuid.UUID(user["id"]),
        email=user["email"],
        sealed_password_hash=seal("md5:5f4dcc3b5aa765d61d8327deb882cf99", SEALING_PUBLIC_KEY),
        accepted_at=now(),
    )
    envelope = await lms.publish("invitation.accepted", bad, subject=user["id"])
    await dead_letters.wait_for(envelope["id"])
    assert (await lms.profile(user["id"]))["status"] == "invited"
    activated = await lms.accept(user)
    assert activated.data["status"] == "active"
