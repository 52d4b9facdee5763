"""The service's pure rules: link lifecycle, whether to send, retries, suppression,
throttling, the password form and languages."""

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from services.invitations.domain.addresses import address_problem, header_safe
from services.invitations.domain.links import (
    LinkFacts,
    LinkStatus,
    link_status,
    token_has_valid_shape,
)
from services.invitations.domain.password_form import PASSWORDS_DIFFER, form_problems
from services.invitations.domain.retry import (
    GiveUp,
    RetryAt,
    RetryPolicy,
    SendFailure,
    after_failure,
)
from services.invitations.domain.sending import (
    Action,
    KnownUser,
    MailKind,
    Outgoing,
    Suppression,
    decide,
)
from services.invitations.domain.suppression import SuppressionCause, suppresses
from services.invitations.domain.throttle import wait_needed
from services.invitations.i18n import PROBLEMS_FR, choose_language, format_moment
from services.invitations.settings import InvitationsSettings
from shared.contracts.users import BounceKind
from shared.security.passwords import password_problems
from shared.security.tokens import new_token

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=7)


class TestLinks:
    def test_a_fresh_link_is_usable_until_it_expires(self) -> None:
        facts = LinkFacts(accepted_at=None, revoked_at=None, expires_at=LATER)
        assert link_status(facts, NOW) is LinkStatus.USABLE
        assert link_status(facts, LATER) is LinkStatus.EXPIRED

    @pytest.mark.parametrize(
        "facts",
        [
            None,
            LinkFacts(accepted_at=NOW, revoked_at=None, expires_at=LATER),
            LinkFacts(accepted_at=None, revoked_at=NOW, expires_at=LATER),
            LinkFacts(accepted_at=NOW, revoked_at=None, expires_at=NOW - timedelta(days=1)),
            LinkFacts(accepted_at=None, revoked_at=None, expires_at=None),
        ],
    )
    def test_used_revoked_and_unknown_links_look_the_same(self, facts: LinkFacts | None) -> None:
        assert link_status(facts, NOW) is LinkStatus.UNUSABLE

    def test_token_shape(self) -> None:
        assert token_has_valid_shape(new_token())
        assert len(new_token()) * 6 >= 256
        for bad in ("", "short", "a/b" * 20, "x" * 129, "é" * 43):
            assert not token_has_valid_shape(bad)


def _mail(kind: MailKind = MailKind.INVITATION, **changes: object) -> Outgoing:
    values: dict[str, object] = {
        "kind": kind,
        "email": "marie@example.com",
        "requested_at": NOW,
        "invitation_open": True,
        "link_expires_at": NOW + timedelta(hours=20),
        **changes,
    }
    return Outgoing(**values)  # type: ignore[arg-type]


BOUNCED = Suppression(SuppressionCause.HARD_BOUNCE, "550 no such user", NOW - timedelta(days=2))


class TestSendDecision:
    def test_an_open_invitation_is_sent(self) -> None:
        decision = decide(_mail(), NOW, suppression=None, user=None, reminders_on=True)
        assert decision.action is Action.SEND

    def test_a_closed_invitation_is_cancelled(self) -> None:
        decision = decide(
            _mail(invitation_open=False), NOW, suppression=None, user=None, reminders_on=True
        )
        assert decision.action is Action.CANCEL

    def test_a_suppressed_address_fails_and_says_why(self) -> None:
        decision = decide(_mail(), NOW, suppression=BOUNCED, user=None, reminders_on=True)
        assert decision.action is Action.FAIL
        assert decision.suppressed
        assert "marie@example.com bounced permanently" in decision.reason
        assert "550 no such user" in decision.reason

    def test_a_suppressed_reminder_is_dropped_quietly(self) -> None:
        reminder = _mail(MailKind.REMINDER)
        decision = decide(reminder, NOW, suppression=BOUNCED, user=None, reminders_on=True)
        assert decision.action is Action.CANCEL

    def test_an_invalid_address_fails(self) -> None:
        decision = decide(
            _mail(email="not an address"), NOW, suppression=None, user=None, reminders_on=True
        )
        assert decision.action is Action.FAIL
        assert not decision.suppressed

    def test_a_newer_snapshot_with_another_address_revokes(self) -> None:
        moved = KnownUser("new@example.com", deactivated=False, updated_at=NOW + timedelta(1))
        decision = decide(_mail(), NOW, suppression=None, user=moved, reminders_on=True)
        assert decision.action is Action.REVOKE

    def test_a_newer_deactivation_revokes(self) -> None:
        gone = KnownUser("marie@example.com", deactivated=True, updated_at=NOW + timedelta(1))
        decision = decide(_mail(), NOW, suppression=None, user=gone, reminders_on=True)
        assert decision.action is Action.REVOKE

    def test_an_older_snapshot_does_not_count(self) -> None:
        old = KnownUser("old@example.com", deactivated=True, updated_at=NOW - timedelta(1))
        decision = decide(_mail(), NOW, suppression=None, user=old, reminders_on=True)
        assert decision.action is Action.SEND

    def test_reminders_off_by_setting(self) -> None:
        reminder = _mail(MailKind.REMINDER)
        assert decide(reminder, NOW, suppression=None, user=None, reminders_on=False).action is (
            Action.CANCEL
        )
        assert decide(reminder, NOW, suppression=None, user=None, reminders_on=True).action is (
            Action.SEND
        )

    def test_no_reminder_for_a_link_about_to_die(self) -> None:
        reminder = _mail(MailKind.REMINDER, link_expires_at=NOW + timedelta(minutes=5))
        decision = decide(reminder, NOW, suppression=None, user=None, reminders_on=True)
        assert decision.action is Action.CANCEL


POLICY = RetryPolicy(max_attempts=4, base_seconds=30, max_seconds=300)


class TestRetry:
    def test_backoff_grows_then_caps(self) -> None:
        delays = [POLICY.delay(n, jitter=0.5).total_seconds() for n in range(1, 7)]
        assert delays == [30, 60, 120, 240, 300, 300]

    def test_jitter_stays_within_a_fifth(self) -> None:
        assert POLICY.delay(1, 0.0).total_seconds() == pytest.approx(24)
        assert POLICY.delay(1, 0.999).total_seconds() == pytest.approx(36, abs=0.1)

    def test_retry_until_the_last_attempt(self) -> None:
        failure = SendFailure("Connection refused")
        step = after_failure(POLICY, 1, failure, NOW, jitter=0.5)
        assert step == RetryAt(NOW + timedelta(seconds=30))
        last = after_failure(POLICY, 4, failure, NOW, jitter=0.5)
        assert isinstance(last, GiveUp)
        assert "after 4 attempts: Connection refused" in last.reason

    def test_a_permanent_refusal_gives_up_at_once(self) -> None:
        step = after_failure(POLICY, 1, SendFailure("550 no", permanent=True), NOW, 0.5)
        assert isinstance(step, GiveUp)


class TestSuppressionAndThrottle:
    def test_only_hard_bounces_suppress(self) -> None:
        assert suppresses(BounceKind.HARD)
        assert not suppresses(BounceKind.SOFT)
        assert not suppresses(BounceKind.UNDETERMINED)

    def test_throttle_waits_for_the_end_of_the_window(self) -> None:
        window = timedelta(minutes=15)
        assert wait_needed(10, 10, NOW, window, NOW + timedelta(minutes=5)) is None
        assert wait_needed(11, 10, NOW, window, NOW + timedelta(minutes=5)) == timedelta(minutes=10)
        assert wait_needed(11, 10, NOW, window, NOW + window) == timedelta(seconds=1)


class TestPasswordForm:
    def test_a_good_password_and_its_confirmation(self) -> None:
        assert form_problems("a long passphrase", "a long passphrase", email="m@x.io") == []

    def test_problems_are_reported_together(self) -> None:
        problems = form_problems("short", "other", email="m@x.io")
        assert problems == ["Use at least 10 characters.", PASSWORDS_DIFFER]

    def test_the_address_is_not_a_password(self) -> None:
        assert form_problems("marie.tremblay1", "marie.tremblay1", email="marie.tremblay@x.io")

    def test_every_rule_has_a_french_message(self) -> None:
        produced = {
            *password_problems("aaa"),
            *password_problems("x" * 2000),
            *password_problems("marie.tremblay-2026", email="marie.tremblay@x.io"),
            *form_problems("", "", email=""),
            *form_problems("a long passphrase", "nope", email=""),
        }
        assert produced <= set(PROBLEMS_FR)


class TestLanguages:
    def test_the_switch_wins_then_the_user_then_the_browser(self) -> None:
        assert choose_language("en", "fr", "fr-CA") == "en"
        assert choose_language(None, "en", "fr-CA") == "en"
        assert choose_language("de", None, "de-DE, en;q=0.8") == "en"
        assert choose_language(None, None, None) == "fr"

    def test_dates_read_naturally(self) -> None:
        moment = datetime(2026, 12, 8, 19, 5, tzinfo=UTC)
        assert format_moment(moment, "fr", "America/Toronto").startswith(
            "8 décembre 2026 à 14 h 05"
        )
        assert format_moment(moment, "en", "America/Toronto").startswith("December 8, 2026 at 2:05")


class TestAddresses:
    def test_header_text_has_no_line_breaks(self) -> None:
        assert header_safe("Marie\r\nBcc: victim@example.com") == "Marie Bcc: victim@example.com"

    def test_addresses(self) -> None:
        assert address_problem("marie@example.com") is None
        assert address_problem("marie@") is not None
        assert address_problem("a@b.c\r\nRCPT TO:<x@y.z>") is not None


class TestSettings:
    def test_settings_refuse_what_cannot_work(self) -> None:
        base = {"database_url": "postgresql://db/x"}
        with pytest.raises(ValidationError):
            InvitationsSettings(**base, public_url="learn.example.com")  # type: ignore[arg-type]
        with pytest.raises(ValidationError):
            InvitationsSettings(**base, csrf_secret="short")  # type: ignore[arg-type]
        with pytest.raises(ValidationError):
            InvitationsSettings(**base, smtp_starttls=True, smtp_implicit_tls=True)  # type: ignore[arg-type]

    def test_reminder_only_within_the_links_life(self) -> None:
        base = {"database_url": "postgresql://db/x"}
        assert InvitationsSettings(**base).reminder_before == timedelta(hours=24)  # type: ignore[arg-type]
        off = InvitationsSettings(**base, reminder_hours_before_expiry=0)  # type: ignore[arg-type]
        assert off.reminder_before is None
        too_long = InvitationsSettings(**base, token_ttl_hours=12)  # type: ignore[arg-type]
        assert too_long.reminder_before is None
