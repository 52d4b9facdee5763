"""Standard Webhooks signatures, through the `standardwebhooks` package."""

import base64
from datetime import UTC, datetime, timedelta, timezone

import pytest
from standardwebhooks import Webhook

from services.webhooks.adapters.signing import new_signing_secret, signature_headers

# The published Standard Webhooks / Svix example vector.
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
MESSAGE_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
TIMESTAMP = datetime.fromtimestamp(1614265330, UTC)
BODY = b'{"test": 2432232314}'


def test_headers_match_the_published_example() -> None:
    assert signature_headers(SECRET, MESSAGE_ID, TIMESTAMP, BODY) == {
        "webhook-id": MESSAGE_ID,
        "webhook-timestamp": "1614265330",
        "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    }


def test_any_time_zone_gives_the_same_signature() -> None:
    paris = TIMESTAMP.astimezone(timezone(timedelta(hours=1)))
    assert signature_headers(SECRET, MESSAGE_ID, paris, BODY) == signature_headers(
        SECRET, MESSAGE_ID, TIMESTAMP, BODY
    )


def test_a_fresh_signature_verifies_with_the_library() -> None:
    secret = new_signing_secret()
    headers = signature_headers(secret, "evt-1", datetime.now(UTC), b'{"a":"\xc3\xa9"}')
    assert Webhook(secret).verify(b'{"a":"\xc3\xa9"}', headers) == {"a": "é"}


def test_secrets_are_32_random_bytes_with_the_whsec_prefix() -> None:
    first, second = new_signing_secret(), new_signing_secret()
    assert first.startswith("whsec_")
    assert len(base64.b64decode(first.removeprefix("whsec_"))) == 32
    assert first != second


@pytest.mark.parametrize("message_id", ["", "evt.1"])
def test_ids_that_would_make_the_signed_text_ambiguous_are_refused(message_id: str) -> None:
    with pytest.raises(ValueError, match="webhook id"):
        signature_headers(SECRET, message_id, TIMESTAMP, BODY)


def test_a_naive_timestamp_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        signature_headers(SECRET, MESSAGE_ID, datetime(2025, 1, 1), BODY)
