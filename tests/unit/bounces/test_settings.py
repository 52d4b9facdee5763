"""The service's settings: several secrets per provider, and which providers are open."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from services.bounces.domain.notices import Provider
from services.bounces.settings import BouncesSettings
from tests.unit.bounces.keys import SendGridKey

DATABASE = "postgresql://postgres@127.0.0.1:5432/bounces"


def _settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> BouncesSettings:
    monkeypatch.chdir(Path(__file__).parent)  # no .env file here
    monkeypatch.setenv("DATABASE_URL", DATABASE)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return BouncesSettings()


def test_nothing_configured_means_no_provider_is_open(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _settings(monkeypatch)
    assert settings.port == 8003
    assert not any(settings.is_configured(p) for p in Provider)
    assert settings.webhook_tolerance.total_seconds() == 300
    assert settings.sns_confirm_subscriptions is True


def test_comma_separated_values_for_rotation(monkeypatch: pytest.MonkeyPatch) -> None:
    old, new = SendGridKey.new(), SendGridKey.new()
    settings = _settings(
        monkeypatch,
        SENDGRID_VERIFICATION_KEY=f"{old.console_text}, {new.console_text}",
        MAILGUN_SIGNING_KEY="key-old,key-new",
        POSTMARK_WEBHOOK_USERNAME="postmark",
        POSTMARK_WEBHOOK_PASSWORD="old-password,new-password",
        SNS_TOPIC_ARNS="arn:aws:sns:us-east-1:123456789012:ses,arn:aws:sns:eu-west-1:123456789012:ses",
        GENERIC_WEBHOOK_SECRET="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        WEBHOOK_TOLERANCE_SECONDS="600",
    )
    assert all(settings.is_configured(p) for p in Provider)
    assert len(settings.sendgrid_public_keys()) == 2
    assert settings.mailgun_signing_key == ("key-old", "key-new")
    assert settings.postmark_credentials() == (
        ("postmark", "old-password"),
        ("postmark", "new-password"),
    )
    assert len(settings.sns_topic_arns) == 2
    assert len(settings.generic_webhooks()) == 1
    assert settings.webhook_tolerance.total_seconds() == 600
    assert "key-old" not in repr(settings)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SENDGRID_VERIFICATION_KEY": "not-a-key"}, "not a public key"),
        ({"GENERIC_WEBHOOK_SECRET": "whsec_"}, "not a Standard Webhooks secret"),
        ({"SNS_TOPIC_ARNS": "arn:aws:sqs:us-east-1:123456789012:q"}, "is not an SNS topic ARN"),
        ({"POSTMARK_WEBHOOK_USERNAME": "postmark"}, "set POSTMARK_WEBHOOK_USERNAME and"),
        ({"WEBHOOK_TOLERANCE_SECONDS": "0"}, "greater than or equal to 1"),
    ],
)
def test_unusable_settings_are_refused_at_start(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        _settings(monkeypatch, **env)
