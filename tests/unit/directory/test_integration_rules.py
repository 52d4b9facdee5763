"""An integration invites as the administrator who created its key, with their rights as
they are now."""

import uuid

from services.directory.domain.integrations import (
    ADMIN_MAY_NOT_INVITE,
    ADMIN_NOT_ACTIVE,
    acting_admin_refusal,
    integration_powers,
    replay_refusal,
)
from shared.security.access_tokens import Principal
from shared.security.permissions import Permission


def principal(*permissions: Permission) -> Principal:
    return Principal(uuid.uuid4(), uuid.uuid4(), "role", frozenset(p.value for p in permissions))


def test_an_active_admin_who_may_invite_is_acted_for() -> None:
    assert acting_admin_refusal(principal(Permission.USERS_INVITE)) is None


def test_an_admin_no_longer_active_in_the_tenant_is_not() -> None:
    assert acting_admin_refusal(None) == ADMIN_NOT_ACTIVE


def test_a_demoted_admin_is_not() -> None:
    assert acting_admin_refusal(principal()) == ADMIN_MAY_NOT_INVITE
    assert acting_admin_refusal(principal(Permission.USERS_READ)) == ADMIN_MAY_NOT_INVITE


def test_a_request_id_seen_before_answers_for_the_same_address() -> None:
    assert replay_refusal("lea@example.com", "lea@example.com") is None


def test_a_request_id_reused_for_another_address_is_refused_naming_the_first() -> None:
    refusal = replay_refusal("lea@example.com", "zoe@example.com")
    assert refusal is not None
    assert "lea@example.com" in refusal
    assert "unique to each user" in refusal


def test_an_integration_may_do_what_its_admin_may_but_grant_an_administrative_role() -> None:
    admin = principal(Permission.USERS_INVITE, Permission.ROLES_ASSIGN, Permission.USERS_READ)

    powers = integration_powers(admin)

    assert not powers.can(Permission.ROLES_ASSIGN)
    assert powers.can(Permission.USERS_INVITE)
    assert powers.can(Permission.USERS_READ)
    assert (powers.user_id, powers.tenant_id) == (admin.user_id, admin.tenant_id)
