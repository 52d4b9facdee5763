"""API keys as their owners see them, and telling them from access tokens."""

import uuid

from services.webhooks.domain.callers import (
    Caller,
    KeyIdentity,
    acting_admin,
    acting_via,
    invitation_request_id,
    looks_like_key,
    shown_prefix,
)

KEY = "lms_live_Xb3kQ9wPz0r1s2t3u4v5w6x7y8z9A0B1C2D3E4F5G6H"


def test_a_key_is_recognised_by_its_prefix_and_first_characters() -> None:
    assert shown_prefix(KEY, "lms_live_") == "lms_live_Xb3k"


def test_the_connection_label_names_the_key_without_revealing_it() -> None:
    identity = KeyIdentity(uuid.uuid4(), uuid.uuid4(), "Zapier", "lms_live_Xb3k")
    assert identity.label == "Zapier (lms_live_Xb3k…)"
    assert KEY not in identity.label


def test_a_bearer_credential_is_a_key_only_with_the_prefix() -> None:
    assert looks_like_key(KEY, "lms_live_")
    assert not looks_like_key("eyJhbGciOiJFZERTQSJ9.e30.sig", "lms_live_")


# --- whom an integration acts for in the directory -------------------------------------------

TENANT, ADMIN = uuid.uuid4(), uuid.uuid4()


def key_caller(created_by: uuid.UUID | None = ADMIN, key_id: uuid.UUID | None = None) -> Caller:
    key = KeyIdentity(TENANT, key_id or uuid.uuid4(), "Zapier", "lms_live_Xb3k", created_by)
    return Caller(TENANT, key=key)


def test_a_key_acts_for_the_admin_who_created_it_and_says_so() -> None:
    caller = key_caller()
    assert acting_admin(caller) == ADMIN
    assert acting_via(caller) == "API key lms_live_Xb3k"


def test_an_admin_with_an_access_token_acts_for_themselves() -> None:
    caller = Caller(TENANT, user_id=ADMIN)
    assert acting_admin(caller) == ADMIN
    assert acting_via(caller) == "webhooks API"


def test_a_key_nobody_created_acts_for_no_one() -> None:
    assert acting_admin(key_caller(created_by=None)) is None


def test_the_same_idempotency_key_of_the_same_caller_is_the_same_request() -> None:
    caller = key_caller()
    assert invitation_request_id(caller, "run-1") == invitation_request_id(caller, "run-1")
    assert invitation_request_id(caller, "run-1") != invitation_request_id(caller, "run-2")


def test_another_key_with_the_same_idempotency_key_is_another_request() -> None:
    assert invitation_request_id(key_caller(), "run-1") != invitation_request_id(
        key_caller(), "run-1"
    )


def test_without_an_idempotency_key_every_request_is_new() -> None:
    caller = key_caller()
    assert invitation_request_id(caller, None) != invitation_request_id(caller, None)
