"""A user's profile: groups, enrollments, recent activities, custom fields, invitation and
e-mail state (the envelope icons), and who deactivated the account, when and why."""

import uuid
from datetime import timedelta
from typing import Any

from shared.contracts.lms import EnrollmentChanged, LearningActivity
from shared.contracts.users import BounceKind
from tests.support.directory import LEARNER_PASSWORD, Lms, now, parse, problem


async def test_a_new_users_profile(lms: Lms) -> None:
    admin = lms.admin
    group = (await admin.post("/api/v1/groups", json={"name": "Infirmières"})).json()
    field = {"key": "employee_no", "label": "N° d'employé", "type": "number"}
    assert (await admin.post("/api/v1/custom-fields", json=field)).status_code == 201
    user = await lms.invite(
        "Marie.Tremblay@Example.com",
        phone="+1 418 555 0199",
        locale="en",
        group_ids=[group["id"]],
        custom_fields={"employee_no": 4021},
    )

    response = await admin.get(f"/api/v1/users/{user['id']}")

    assert response.status_code == 200
    profile = response.json()
    assert response.headers["etag"] == f'"{profile["version"]}"'
    assert profile["email"] == "Marie.Tremblay@example.com"  # the domain is case-blind
    assert (profile["first_name"], profile["last_name"]) == ("Marie", "Tremblay")
    assert (profile["phone"], profile["locale"], profile["role"]) == ("+1 418 555 0199", "en",
                                                                      "learner")  # fmt: skip
    assert profile["status"] == "invited"
    assert profile["groups"] == [{"id": group["id"], "name": "Infirmières"}]
    assert profile["custom_fields"] == {"employee_no": 4021}
    assert profile["custom_field_details"] == [
        {"key": "employee_no", "label": "N° d'employé", "type": "number", "value": 4021}
    ]
    assert profile["invitation"]["state"] == "pending"
    assert profile["invitation"]["requested_at"] is not None
    assert profile["invitation"]["first_sent_at"] is None
    assert profile["envelope"] is None
    assert profile["email_status"]["state"] == "ok"
    assert profile["deactivation"] is None
    assert profile["enrollments"] == []
    assert profile["last_login_at"] is None
    [invited] = profile["recent_activities"]
    assert invited["kind"] == "user.invited"
    assert invited["actor_id"] == str(lms.tenant.admin_id)


async def test_the_locale_defaults_to_the_tenants(lms: Lms) -> None:
    user = await lms.invite()
    assert user["locale"] == "fr"


async def test_enrollments_keep_the_newest_state_of_each_course(lms: Lms) -> None:
    user = await lms.invite()
    uid = uuid.UUID(user["id"])
    t0 = now() - timedelta(days=3)

    def change(course: str, status: str, progress: int | None, at: Any) -> EnrollmentChanged:
        return EnrollmentChanged(
            user_id=uid,
            course_id=course,
            course_title=f"Course {course}",
            status=status,
            progress_percent=progress,
            occurred_at=at,
        )

    await lms.publish("lms.enrollment.created", change("c-101", "enrolled", 0, t0))
    day_later = change("c-101", "in_progress", 40, t0 + timedelta(days=1))
    await lms.publish("lms.enrollment.progressed", day_later)
    await lms.publish("lms.enrollment.created", change("c-202", "enrolled", None, t0))
    await lms.worked_off("directory.lms")
    # An older notice arriving late changes nothing.
    hour_later = change("c-101", "in_progress", 10, t0 + timedelta(hours=1))
    await lms.publish("lms.enrollment.progressed", hour_later)
    await lms.worked_off("directory.lms")

    profile = await lms.profile(user["id"])
    enrollments = {e["course_id"]: e for e in profile["enrollments"]}
    assert set(enrollments) == {"c-101", "c-202"}
    assert (enrollments["c-101"]["status"], enrollments["c-101"]["progress_percent"]) == (
        "in_progress",
        40,
    )
    assert parse(enrollments["c-101"]["enrolled_at"]) == t0
    assert parse(enrollments["c-101"]["updated_at"]) == t0 + timedelta(days=1)
    assert enrollments["c-202"]["course_title"] == "Course c-202"


async def test_an_enrollment_first_heard_of_late_keeps_its_first_date(lms: Lms) -> None:
    user = await lms.invite()
    t0 = now() - timedelta(days=30)

    def change(status: str, at: Any) -> EnrollmentChanged:
        return EnrollmentChanged(
            user_id=uuid.UUID(user["id"]),
            course_id="c-9",
            course_title="Sécurité au travail",
            status=status,
            progress_percent=100 if status == "completed" else 0,
            occurred_at=at,
        )

    # The completion overtakes the enrollment on its way.
    await lms.publish("lms.enrollment.completed", change("completed", t0 + timedelta(days=5)))
    await lms.worked_off("directory.lms")
    await lms.publish("lms.enrollment.created", change("enrolled", t0))
    await lms.worked_off("directory.lms")

    [enrollment] = (await lms.profile(user["id"]))["enrollments"]
    assert enrollment["status"] == "completed"
    assert enrollment["progress_percent"] == 100
    assert parse(enrollment["enrolled_at"]) == t0
    assert parse(enrollment["updated_at"]) == t0 + timedelta(days=5)


async def test_recent_activities_tell_the_users_story_newest_first(lms: Lms) -> None:
    user = await lms.invite()
    sent = await lms.invitation_sent(user)
    await lms.publish_and_wait(
        "email.delivered", lms.delivery(user, message_id=sent.message_id), user["id"]
    )
    await lms.accept(user)
    client = await lms.tenant.login(user["email"], LEARNER_PASSWORD)
    await client.aclose()
    activity = LearningActivity(
        activity_id=f"act-{uuid.uuid4().hex}",
        user_id=uuid.UUID(user["id"]),
        title="Module 1 terminé",
        course_id="c-101",
        occurred_at=now(),
        details={"score": 92},
    )
    await lms.publish("lms.activity.completed", activity)
    await lms.worked_off("directory.lms")
    version = await lms.version(user["id"])
    response = await lms.admin.patch(
        f"/api/v1/users/{user['id']}", json={"phone": "514 555 0000", "version": version}
    )
    assert response.status_code == 200
    response = await lms.admin.post(
        f"/api/v1/users/{user['id']}/deactivate", json={"reason": "Left the company"}
    )
    assert response.status_code == 200

    activities = (await lms.profile(user["id"]))["recent_activities"]

    kinds = [a["kind"] for a in activities]
    assert kinds == [
        "user.deactivated",
        "user.updated",
        "lms.activity.completed",
        "login",
        "invitation.accepted",
        "email.delivered",
        "invitation.sent",
        "user.invited",
    ]
    by_kind = {a["kind"]: a for a in activities}
    admin = str(lms.tenant.admin_id)
    assert by_kind["user.deactivated"]["actor_id"] == admin
    assert by_kind["user.deactivated"]["details"]["reason"] == "Left the company"
    assert by_kind["user.updated"]["details"]["changed"] == ["phone"]
    assert by_kind["lms.activity.completed"]["details"]["title"] == "Module 1 terminé"
    assert by_kind["lms.activity.completed"]["details"]["score"] == 92
    assert by_kind["login"]["actor_id"] == user["id"]
    assert by_kind["invitation.sent"]["details"]["email"] == user["email"]
    times = [parse(a["occurred_at"]) for a in activities]
    assert times == sorted(times, reverse=True)


async def test_bounces_and_complaints_show_in_the_activities(lms: Lms) -> None:
    user = await lms.invite()
    await lms.publish_and_wait("email.bounced", lms.bounce(user, BounceKind.SOFT), user["id"])
    await lms.publish_and_wait("email.complained", lms.complaint(user), user["id"])
    activities = (await lms.profile(user["id"]))["recent_activities"]
    assert [a["kind"] for a in activities][:2] == ["email.complained", "email.bounced"]
    assert activities[1]["details"]["kind"] == "soft"
    assert activities[1]["details"]["provider"] == "postmark"


async def test_all_activities_page_by_page(lms: Lms) -> None:
    user = await lms.invite()
    base = now() - timedelta(hours=1)
    for minute in range(7):
        await lms.publish(
            "lms.activity.viewed",
            LearningActivity(
                activity_id=f"view-{minute}",
                user_id=uuid.UUID(user["id"]),
                title=f"Page {minute}",
                occurred_at=base + timedelta(minutes=minute),
            ),
        )
    await lms.worked_off("directory.lms")
    seen: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        response = await lms.admin.get(f"/api/v1/users/{user['id']}/activities", params=params)
        assert response.status_code == 200, response.text
        seen.extend(response.json()["items"])
        cursor = response.json()["next_cursor"]
        if cursor is None:
            break
    titles = [a["details"].get("title") for a in seen]
    assert titles == [None] + [f"Page {m}" for m in reversed(range(7))]  # user.invited first
    assert len({a["id"] for a in seen}) == 8


async def test_an_invitation_nobody_used_in_time_shows_as_expired(lms: Lms) -> None:
    user = await lms.invite()
    sent_at = now() - timedelta(days=8)
    await lms.invitation_sent(user, sent_at=sent_at, expires_at=sent_at + timedelta(days=7))
    profile = await lms.profile(user["id"])
    assert profile["invitation"]["state"] == "expired"
    assert parse(profile["invitation"]["expires_at"]) == sent_at + timedelta(days=7)
    assert profile["envelope"] == "blue"  # it did go out


async def test_an_invitation_still_valid_is_not_expired(lms: Lms) -> None:
    user = await lms.invite()
    await lms.invitation_sent(user, expires_at=now() + timedelta(minutes=5))
    assert (await lms.profile(user["id"]))["invitation"]["state"] == "sent"


async def test_envelope_blue_once_sent_orange_after_a_bounce(lms: Lms) -> None:
    user = await lms.invite()
    assert (await lms.profile(user["id"]))["envelope"] is None
    sent_at = now() - timedelta(minutes=5)
    sent = await lms.invitation_sent(user, sent_at=sent_at)
    profile = await lms.profile(user["id"])
    assert profile["envelope"] == "blue"
    assert parse(profile["invitation"]["first_sent_at"]) == sent_at
    bounce = lms.bounce(user, BounceKind.HARD, message_id=sent.message_id)
    await lms.publish_and_wait("email.bounced", bounce, user["id"])
    profile = await lms.profile(user["id"])
    assert profile["envelope"] == "orange"
    assert profile["email_status"]["state"] == "bounced"
    assert profile["email_status"]["bounce_kind"] == "hard"
    assert profile["email_status"]["reason"] == bounce.reason


async def test_envelope_orange_after_a_complaint(lms: Lms) -> None:
    user = await lms.invite()
    await lms.invitation_sent(user)
    await lms.publish_and_wait("email.complained", lms.complaint(user), user["id"])
    profile = await lms.profile(user["id"])
    assert profile["envelope"] == "orange"
    assert profile["email_status"]["state"] == "complained"


async def test_the_profile_says_who_deactivated_when_and_why(lms: Lms) -> None:
    user = await lms.invite()
    before = now()
    response = await lms.admin.post(
        f"/api/v1/users/{user['id']}/deactivate", json={"reason": "Contrat terminé"}
    )
    profile = (await lms.admin.get(f"/api/v1/users/{user['id']}")).json()
    assert response.json()["deactivation"] == profile["deactivation"]
    assert profile["status"] == "deactivated"
    assert profile["deactivation"]["by"] == str(lms.tenant.admin_id)
    assert profile["deactivation"]["reason"] == "Contrat terminé"
    assert before <= parse(profile["deactivation"]["at"]) <= now()


async def test_unknown_users_have_no_profile(lms: Lms) -> None:
    response = await lms.admin.get(f"/api/v1/users/{uuid.uuid4()}")
    problem(response, 404, "no such user")
    response = await lms.admin.get(f"/api/v1/users/{uuid.uuid4()}/activities")
    problem(response, 404, "no such user")
