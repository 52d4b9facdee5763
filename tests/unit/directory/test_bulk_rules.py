"""Bulk-action rules, without I/O: the single-user routes' rules decide, with a reason code
for the preview's counts; the last-admin rule counted over many admins."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.directory.domain.bulk_rules import (
    BulkAction,
    BulkRules,
    Refusal,
    Target,
    admins_refused,
    counts_admins,
    judge_batch,
    refusal,
)
from shared.contracts.users import UserStatus

ACTOR = uuid.uuid4()
NOW = datetime(2026, 12, 4, tzinfo=UTC)


def rules(action: BulkAction, **kw: object) -> BulkRules:
    return BulkRules(action, ACTOR, NOW, timedelta(minutes=1), **kw)  # type: ignore[arg-type]


def target(status: UserStatus = UserStatus.ACTIVE, **kw: object) -> Target:
    values: dict[str, object] = {
        "id": uuid.uuid4(),
        "status": status,
        "role_is_admin": False,
        "address_suppressed": False,
        "invitation_requested_at": None,
        **kw,
    }
    return Target(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("action", "who", "others", "code"),
    [
        (BulkAction.DEACTIVATE, target(id=ACTOR), 5, Refusal.SELF),
        (BulkAction.DEACTIVATE, target(UserStatus.DEACTIVATED), 5, Refusal.ALREADY_DEACTIVATED),
        (BulkAction.DEACTIVATE, target(role_is_admin=True), 0, Refusal.LAST_ADMIN),
        (BulkAction.REACTIVATE, target(), 5, Refusal.NOT_DEACTIVATED),
        (BulkAction.RESEND_INVITATION, target(), 5, Refusal.NOT_INVITED),
        (
            BulkAction.RESEND_INVITATION,
            target(UserStatus.INVITED, address_suppressed=True),
            5,
            Refusal.SUPPRESSED,
        ),
        (
            BulkAction.RESEND_INVITATION,
            target(UserStatus.INVITED, invitation_requested_at=NOW - timedelta(seconds=5)),
            5,
            Refusal.INVITED_RECENTLY,
        ),
        (BulkAction.CHANGE_ROLE, target(id=ACTOR, role_is_admin=True), 5, Refusal.SELF),
        (BulkAction.CHANGE_ROLE, target(role_is_admin=True), 0, Refusal.LAST_ADMIN),
    ],
)
def test_each_refusal_has_its_reason(
    action: BulkAction, who: Target, others: int, code: Refusal
) -> None:
    refused = refusal(rules(action), who, others)
    assert refused is not None
    assert refused.code is code
    assert refused.message


def test_what_the_rules_allow() -> None:
    assert refusal(rules(BulkAction.DEACTIVATE), target(role_is_admin=True), 1) is None
    assert refusal(rules(BulkAction.REACTIVATE), target(UserStatus.DEACTIVATED), 0) is None
    assert refusal(rules(BulkAction.RESEND_INVITATION), target(UserStatus.INVITED), 0) is None
    promote = rules(BulkAction.CHANGE_ROLE, new_role_is_admin=True)
    assert refusal(promote, target(id=ACTOR, role_is_admin=True), 0) is None
    assert refusal(rules(BulkAction.ADD_TO_GROUP), target(id=ACTOR), 0) is None


def test_all_admins_but_one_may_go() -> None:
    assert admins_refused(admins_targeted=3, active_admins=3) == 1
    assert admins_refused(admins_targeted=2, active_admins=3) == 0  # the actor stays
    assert admins_refused(admins_targeted=0, active_admins=1) == 0


def test_a_batch_is_judged_as_if_done_one_user_after_the_other() -> None:
    """Three active admins of a tenant of three, a learner and the actor in one batch:
    two admins may go, the third is the last; the learner goes, the actor may not."""
    admins = [target(role_is_admin=True) for _ in range(3)]
    batch = [admins[0], target(), admins[1], target(id=ACTOR), admins[2]]
    verdicts = judge_batch(rules(BulkAction.DEACTIVATE), batch, active_admins=3)
    codes = [v.code if v else None for v in verdicts]
    assert codes == [None, None, None, Refusal.SELF, Refusal.LAST_ADMIN]


def test_the_admins_are_counted_only_for_a_batch_with_an_active_admin() -> None:
    assert not counts_admins([target(), target(UserStatus.INVITED)])
    assert not counts_admins([target(UserStatus.DEACTIVATED, role_is_admin=True)])
    assert counts_admins([target(), target(role_is_admin=True)])
