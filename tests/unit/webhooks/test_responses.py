"""What a receiver's answer means."""

import pytest

from services.webhooks.domain.responses import AttemptResult, Verdict, status_error, verdict_for


@pytest.mark.parametrize("status", [200, 201, 202, 204, 299])
def test_2xx_means_delivered(status: int) -> None:
    assert verdict_for(status) is Verdict.DELIVERED
    assert status_error(status) is None


def test_410_gone_means_unsubscribe() -> None:
    result = AttemptResult(status=410, duration_ms=12.0, error=status_error(410))
    assert result.verdict is Verdict.UNSUBSCRIBE
    assert result.gone
    assert result.error == "HTTP 410 Gone: the subscriber asked to stop deliveries"


@pytest.mark.parametrize(
    "status", [301, 302, 303, 307, 308, 400, 401, 403, 404, 408, 429, 500, 502, 503, 504, 599]
)
def test_every_other_answer_is_a_failure_to_retry(status: int) -> None:
    assert verdict_for(status) is Verdict.RETRY
    assert not AttemptResult(status, 1.0).gone


def test_no_answer_is_a_failure_to_retry() -> None:
    result = AttemptResult(status=None, duration_ms=15000.0, error="timed out")
    assert result.verdict is Verdict.RETRY
    assert not result.gone


def test_a_redirect_is_reported_as_not_followed_with_its_destination() -> None:
    assert status_error(301, "https://new.example.com/hook") == (
        "HTTP 301 Moved Permanently: redirect to https://new.example.com/hook not followed; "
        "subscribe with the final URL"
    )
    assert (
        status_error(302) == "HTTP 302 Found: redirect not followed; subscribe with the final URL"
    )


def test_errors_name_the_status() -> None:
    assert status_error(503) == "HTTP 503 Service Unavailable"
    assert status_error(599) == "HTTP 599"
