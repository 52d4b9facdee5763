import uuid

import pytest

from services.directory.domain.users import (
    AdminChange,
    can_log_in,
    ensure_can_change_role,
    ensure_can_deactivate,
    ensure_can_reactivate,
    ensure_can_resend_invitation,
    normalize_email,
    status_after_reactivation,
)
from shared.contracts.users import UserStatus
from shared.errors import RuleViolation

ME, SOMEONE = uuid.uuid4(), uuid.uuid4()


def change(target: uuid.UUID, *, admin: bool = True, others: int = 1) -> AdminChange:
    return AdminChange(ME, target, target_is_active_admin=admin, other_active_admins=others)


def test_e_mail_addresses_compare_without_case_or_spaces() -> None:
    assert normalize_email("  Marie.Tremblay@Example.COM ") == "marie.tremblay@example.com"


def test_an_admin_cannot_remove_their_own_admin_role() -> None:
    with pytest.raises(RuleViolation, match="your own administrator role"):
        ensure_can_change_role(change(ME, others=3), new_role_is_admin=False)


def test_the_last_active_admin_cannot_be_demoted() -> None:
    with pytest.raises(RuleViolation, match="last active administrator"):
        ensure_can_change_role(change(SOMEONE, others=0), new_role_is_admin=False)


def test_an_admin_can_be_demoted_when_another_remains() -> None:
    ensure_can_change_role(change(SOMEONE, others=1), new_role_is_admin=False)


def test_promotions_and_learner_changes_are_always_allowed() -> None:
    ensure_can_change_role(change(SOMEONE, others=0), new_role_is_admin=True)
    ensure_can_change_role(change(SOMEONE, admin=False, others=0), new_role_is_admin=False)


def test_nobody_deactivates_themselves() -> None:
    with pytest.raises(RuleViolation, match="deactivate yourself"):
        ensure_can_deactivate(change(ME, admin=False), UserStatus.ACTIVE)


def test_the_last_active_admin_cannot_be_deactivated() -> None:
    with pytest.raises(RuleViolation, match="last active administrator"):
        ensure_can_deactivate(change(SOMEONE, others=0), UserStatus.ACTIVE)


def test_a_deactivated_user_is_not_deactivated_twice() -> None:
    with pytest.raises(RuleViolation, match="already deactivated"):
        ensure_can_deactivate(change(SOMEONE, admin=False), UserStatus.DEACTIVATED)


def test_learners_and_invited_users_can_be_deactivated() -> None:
    ensure_can_deactivate(change(SOMEONE, admin=False, others=0), UserStatus.ACTIVE)
    ensure_can_deactivate(change(SOMEONE, admin=False, others=0), UserStatus.INVITED)


def test_only_deactivated_users_are_reactivated() -> None:
    ensure_can_reactivate(UserStatus.DEACTIVATED)
    with pytest.raises(RuleViolation):
        ensure_can_reactivate(UserStatus.ACTIVE)


def test_reactivation_returns_to_where_the_user_was() -> None:
    assert status_after_reactivation(has_password=True) is UserStatus.ACTIVE
    assert status_after_reactivation(has_password=False) is UserStatus.INVITED


def test_only_invited_users_are_invited_again() -> None:
    ensure_can_resend_invitation(UserStatus.INVITED)
    for status in (UserStatus.ACTIVE, UserStatus.DEACTIVATED):
        with pytest.raises(RuleViolation):
            ensure_can_resend_invitation(status)


@pytest.mark.parametrize(
    ("status", "has_password", "allowed"),
    [
        (UserStatus.ACTIVE, True, True),
        (UserStatus.ACTIVE, False, False),
        (UserStatus.INVITED, True, False),
        (UserStatus.DEACTIVATED, True, False),
    ],
)
def test_who_may_log_in(status: UserStatus, has_password: bool, allowed: bool) -> None:
    assert can_log_in(status, has_password) is allowed
