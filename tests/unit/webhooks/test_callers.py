"""API keys as their owners see them, and telling them from access tokens."""

import uuid

from services.webhooks.domain.callers import KeyIdentity, looks_like_key, shown_prefix

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
