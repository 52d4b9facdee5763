"""What e-mail providers reported (through the bounces service): bounces, complaints and
deliveries, matched to the user by Message-ID, else by address; the envelope icons."""

import uuid
from datetime import timedelta
from typing import Any

from shared.contracts.suppressions import SUPPRESSION_LIFTED, SuppressionLifted
from shared.contracts.users import BounceKind
from tests.support.bus import DeadLetters
from tests.support.directory import Lms, now, parse


async def sent_invitation(lms: Lms) -> tuple[dict[str, Any], str]:
    user = await lms.invite()
    sent = await lms.invitation_sent(user, sent_at=now() - timedelta(hours=1))
    return user, sent.message_id


async def test_a_bounce_is_matched_by_the_invitations_message_id(lms: Lms) -> None:
    user, message_id = await sent_invitation(lms)
    bounce = lms.bounce(user, BounceKind.HARD, message_id=message_id)

    seen = await lms.publish_and_wait("email.bounced", bounce, user["id"])

    profile = await lms.profile(user["id"])
    assert profile["envelope"] == "orange"
    assert profile["email_status"]["state"] == "bounced"
    assert profile["email_status"]["bounce_kind"] == "hard"
    assert parse(profile["email_status"]["changed_at"]) == bounce.occurred_at
    assert profile["invitation"]["state"] == "bounced"
    assert seen.data["email_status"]["state"] == "bounced"
    activity = profile["recent_activities"][0]
    assert (activity["kind"], activity["details"]["kind"]) == ("email.bounced", "hard")
    assert activity["details"]["reason"] == bounce.reason
    listed = await lms.admin.get("/api/v1/users", params={"email_status": "bounced"})
    assert [u["id"] for u in listed.json()["items"]] == [user["id"]]


async def test_a_bounce_without_message_id_is_matched_by_address(lms: Lms) -> None:
    user, _ = await sent_invitation(lms)
    bounce = lms.bounce(user, BounceKind.SOFT, email=user["email"].upper())
    await lms.publish_and_wait("email.bounced", bounce, user["id"])
    profile = await lms.profile(user["id"])
    assert profile["envelope"] == "orange"
    assert profile["email_status"]["bounce_kind"] == "soft"
    assert profile["invitation"]["state"] == "bounced"


async def test_a_bounce_of_another_message_marks_the_address_not_the_invitation(
    lms: Lms,
) -> None:
    user, _ = await sent_invitation(lms)
    bounce = lms.bounce(user, BounceKind.HARD, message_id="<newsletter-42@mail.example.com>")
    await lms.publish_and_wait("email.bounced", bounce, user["id"])
    profile = await lms.profile(user["id"])
    assert profile["envelope"] == "orange"
    assert profile["invitation"]["state"] == "sent"


async def test_a_bounce_naming_the_user_is_matched_by_id(lms: Lms) -> None:
    user = await lms.invite()
    bounce = lms.bounce(user, BounceKind.UNDETERMINED, with_user_id=True)
    await lms.publish_and_wait("email.bounced", bounce, user["id"])
    assert (await lms.profile(user["id"]))["email_status"]["bounce_kind"] == "undetermined"


async def test_a_soft_bounce_is_cleared_by_a_later_delivery(lms: Lms) -> None:
    user, message_id = await sent_invitation(lms)
    bounced_at = now() - timedelta(minutes=30)
    bounce = lms.bounce(user, BounceKind.SOFT, message_id=message_id, occurred_at=bounced_at)
    await lms.publish_and_wait("email.bounced", bounce, user["id"])
    # A delivery from before the bounce changes nothing.
    earlier = lms.delivery(user, occurred_at=bounced_at - timedelta(minutes=5))
    await lms.publish_and_wait("email.delivered", earlier, user["id"])
    assert (await lms.profile(user["id"]))["envelope"] == "orange"

    later = lms.delivery(user, message_id=message_id, occurred_at=bounced_at + timedelta(minutes=5))
    seen = await lms.publish_and_wait("email.delivered", later, user["id"])

    profile = await lms.profile(user["id"])
    assert profile["envelope"] == "blue"
    assert profile["email_status"]["state"] == "ok"
    assert profile["email_status"]["bounce_kind"] is None
    assert parse(profile["email_status"]["delivered_at"]) == later.occurred_at
    assert seen.data["email_status"]["state"] == "ok"


async def test_a_hard_bounce_goes_with_a_later_delivery_never_an_earlier_one(lms: Lms) -> None:
    user, _ = await sent_invitation(lms)
    bounced_at = now() - timedelta(minutes=10)
    hard = lms.bounce(user, BounceKind.HARD, occurred_at=bounced_at)
    await lms.publish_and_wait("email.bounced", hard, user["id"])
    earlier = lms.delivery(user, occurred_at=bounced_at - timedelta(minutes=1))  # arrives late
    await lms.publish_and_wait("email.delivered", earlier, user["id"])  # delivered_at moves
    profile = await lms.profile(user["id"])
    assert profile["envelope"] == "orange"
    assert profile["email_status"]["bounce_kind"] == "hard"
    assert parse(profile["email_status"]["delivered_at"]) == earlier.occurred_at

    later = lms.delivery(user, occurred_at=bounced_at + timedelta(minutes=1))
    await lms.publish_and_wait("email.delivered", later, user["id"])
    status = (await lms.profile(user["id"]))["email_status"]
    assert (status["state"], status["bounce_kind"], status["reason"]) == ("ok", None, None)


async def test_a_bounce_that_happened_before_a_known_delivery_marks_nothing(lms: Lms) -> None:
    user, _ = await sent_invitation(lms)
    delivered = lms.delivery(user, occurred_at=now())
    await lms.publish_and_wait("email.delivered", delivered, user["id"])
    late = lms.bounce(user, BounceKind.HARD, occurred_at=now() - timedelta(minutes=5))
    await lms.publish("email.bounced", late, subject=user["id"])
    await lms.worked_off("directory.email")
    profile = await lms.profile(user["id"])
    assert profile["email_status"]["state"] == "ok"
    assert "email.bounced" in [a["kind"] for a in profile["recent_activities"]]


async def test_a_soft_bounce_does_not_soften_a_hard_one_a_hard_one_hardens_a_soft(
    lms: Lms,
) -> None:
    user = await lms.invite()
    t = now() - timedelta(hours=1)
    soft = lms.bounce(user, BounceKind.SOFT, occurred_at=t)
    await lms.publish_and_wait("email.bounced", soft, user["id"])
    hard = lms.bounce(user, BounceKind.HARD, occurred_at=t + timedelta(minutes=1))
    await lms.publish_and_wait("email.bounced", hard, user["id"])
    assert (await lms.profile(user["id"]))["email_status"]["bounce_kind"] == "hard"
    again = lms.bounce(user, BounceKind.SOFT, occurred_at=t + timedelta(minutes=2))
    await lms.publish("email.bounced", again, subject=user["id"])
    await lms.worked_off("directory.email")
    status = (await lms.profile(user["id"]))["email_status"]
    assert (status["bounce_kind"], status["reason"]) == ("hard", hard.reason)


async def test_an_older_bounce_arriving_late_does_not_replace_a_newer_one(lms: Lms) -> None:
    user = await lms.invite()
    t = now() - timedelta(days=1)
    newer = lms.bounce(user, BounceKind.SOFT, occurred_at=t + timedelta(hours=3))
    await lms.publish_and_wait("email.bounced", newer, user["id"])
    older = lms.bounce(user, BounceKind.UNDETERMINED, occurred_at=t)
    await lms.publish("email.bounced", older, subject=user["id"])
    await lms.worked_off("directory.email")
    status = (await lms.profile(user["id"]))["email_status"]
    assert (status["bounce_kind"], parse(status["changed_at"])) == ("soft", newer.occurred_at)


async def test_a_complaint_turns_the_envelope_orange_and_sticks(lms: Lms) -> None:
    user, message_id = await sent_invitation(lms)
    complaint = lms.complaint(user, occurred_at=now() - timedelta(minutes=1))
    seen = await lms.publish_and_wait("email.complained", complaint, user["id"])
    assert seen.data["email_status"]["state"] == "complained"
    await lms.publish_and_wait(
        "email.delivered", lms.delivery(user, message_id=message_id), user["id"]
    )
    profile = await lms.profile(user["id"])
    assert profile["envelope"] == "orange"
    assert profile["email_status"]["state"] == "complained"
    assert profile["invitation"]["state"] == "delivered"
    assert "email.complained" in [a["kind"] for a in profile["recent_activities"]]
    listed = await lms.admin.get("/api/v1/users", params={"email_status": "complained"})
    assert [u["id"] for u in listed.json()["items"]] == [user["id"]]


async def test_a_lifted_suppression_is_in_the_activity_an_admins_lift_clears_the_mark(
    lms: Lms,
) -> None:
    user, _ = await sent_invitation(lms)
    complained_at = now() - timedelta(minutes=5)
    complaint = lms.complaint(user, occurred_at=complained_at)
    await lms.publish_and_wait("email.complained", complaint, user["id"])
    lifted = SuppressionLifted(
        email=user["email"].upper(),
        cause="complaint",
        reason="abuse",
        suppressed_since=complained_at,
        lifted_at=now(),
        lifted_by=lms.tenant.admin_id,
    )
    await lms.publish_and_wait(SUPPRESSION_LIFTED, lifted, user["id"])
    profile = await lms.profile(user["id"])
    assert (profile["email_status"]["state"], profile["envelope"]) == ("ok", "blue")
    [audit] = [a for a in profile["recent_activities"] if a["kind"] == SUPPRESSION_LIFTED]
    assert audit["actor_id"] == str(lms.tenant.admin_id)
    assert audit["details"] == {
        "email": user["email"].upper(),
        "cause": "complaint",
        "reason": "abuse",
        "suppressed_since": complained_at.isoformat(),
        "by": "admin",
    }


async def test_a_suppression_lifted_by_a_delivery_leaves_a_complaint_shown(lms: Lms) -> None:
    user, _ = await sent_invitation(lms)
    complaint = lms.complaint(user, occurred_at=now() - timedelta(minutes=5))
    await lms.publish_and_wait("email.complained", complaint, user["id"])
    lifted = SuppressionLifted(
        email=user["email"],
        cause="hard_bounce",
        reason="550",
        suppressed_since=now() - timedelta(hours=1),
        lifted_at=now(),
    )
    await lms.publish(SUPPRESSION_LIFTED, lifted, subject=user["id"])
    await lms.worked_off("directory.email")
    profile = await lms.profile(user["id"])
    assert profile["email_status"]["state"] == "complained"
    [audit] = [a for a in profile["recent_activities"] if a["kind"] == SUPPRESSION_LIFTED]
    assert (audit["actor_id"], audit["details"]["by"]) == (None, "delivery")


async def test_delivery_of_the_invitation(lms: Lms) -> None:
    user, message_id = await sent_invitation(lms)
    delivered = lms.delivery(user, message_id=message_id)
    seen = await lms.publish_and_wait("email.delivered", delivered, user["id"])
    profile = await lms.profile(user["id"])
    assert profile["invitation"]["state"] == "delivered"
    assert parse(profile["email_status"]["delivered_at"]) == delivered.occurred_at
    assert profile["envelope"] == "blue"
    assert seen.data["invitation"]["state"] == "delivered"
    listed = await lms.admin.get("/api/v1/users", params={"invitation": "delivered"})
    assert [u["id"] for u in listed.json()["items"]] == [user["id"]]


async def test_a_notice_about_an_address_nobody_has_is_set_aside(
    lms: Lms, dead_letters: DeadLetters
) -> None:
    user = await lms.invite()
    stranger = {"id": str(uuid.uuid4()), "email": "nobody-here@example.com"}
    notice = await lms.publish("email.bounced", lms.bounce(stranger, BounceKind.HARD))
    await lms.worked_off("directory.email")
    await dead_letters.caught_up("directory.email")
    assert dead_letters.about(notice["id"]) == []
    assert (await lms.profile(user["id"]))["email_status"]["state"] == "ok"


async def test_a_notice_naming_an_unknown_user_is_parked(
    lms: Lms, dead_letters: DeadLetters
) -> None:
    stranger = {"id": str(uuid.uuid4()), "email": "ghost@example.com"}
    notice = await lms.publish(
        "email.bounced", lms.bounce(stranger, BounceKind.HARD, with_user_id=True)
    )
    parked = await dead_letters.wait_for(notice["id"])
    assert parked.queue == "directory.email"
    assert stranger["id"] in str(parked.headers["x-error"])
