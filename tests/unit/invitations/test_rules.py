"""The service's pure rules: link lifecycle, whether to send, retries, throttling,
the password form and languages (the suppression list: test_suppression_rules.py)."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from services.invitations.domain.addresses import (
    address_problem,
    header_safe,
    needs_smtputf8,
    wire_address,
)
from services.invitations.domain.emails import LatestUser, MailKind
from services.invitations.domain.languages import Language, accepted_languages, choose_language
from services.invitations.domain.links import (
    LinkedInvitation,
    LinkExpired,
    LinkMaker,
    LinkStatus,
    link_status,
    token_has_valid_shape,
    usable,
)
from services.invitations.domain.password_form import FormProblem, form_problems
from services.invitations.domain.retry import (
    FailureKind,
    GiveUp,
    RetryAt,
    RetryPolicy,
    SendFailure,
    after_failure,
)
from services.invitations.domain.sending import Action, decide
from services.invitations.domain.suppression import SuppressedAddress, SuppressionCause
from services.invitations.domain.throttle import wait_needed
from services.invitations.locales import format_moment
from services.invitations.settings import InvitationsSettings
from shared.errors import NotFound
from shared.security.tokens import new_token
from tests.unit.invitations.emails import NOW, email

LATER = NOW + timedelta(days=7)


def _invitation(**changes: object) -> LinkedInvitation:
    values: dict[str, object] = {
        "tenant_id": None,
        "invitation_id": None,
        "user_id": None,
        "email": "marie@example.com",
        "first_name": "Marie",
        "tenant_name": "Acme",
        "locale": "en",
        "accepted_at": None,
        "revoked_at": None,
        "expires_at": LATER,
        **changes,
    }
    return LinkedInvitation(**values)  # type: ignore[arg-type]


class TestLinks:
    def test_a_fresh_link_is_usable_until_it_expires(self) -> None:
        invitation = _invitation()
        assert link_status(invitation, NOW) is LinkStatus.USABLE
        assert link_status(invitation, LATER) is LinkStatus.EXPIRED
        assert usable(invitation, NOW) == invitation
        with pytest.raises(LinkExpired) as expired:
            usable(invitation, LATER)
        assert expired.value.locale == "en"

    @pytest.mark.parametrize(
        "invitation",
        [
            None,
            _invitation(accepted_at=NOW),
            _invitation(revoked_at=NOW),
            _invitation(accepted_at=NOW, expires_at=NOW - timedelta(days=1)),
            _invitation(expires_at=None),
        ],
    )
    def test_used_revoked_and_unknown_links_look_the_same(
        self, invitation: LinkedInvitation | None
    ) -> None:
        assert link_status(invitation, NOW) is LinkStatus.UNUSABLE
        with pytest.raises(NotFound):
            usable(invitation, NOW)

    def test_token_shape(self) -> None:
        assert token_has_valid_shape(new_token())
        assert token_has_valid_shape(LinkMaker(b"s" * 32).new(LATER).token)
        assert len(new_token()) * 6 >= 256
        for bad in ("", "short", "a/b" * 20, "x" * 129, "é" * 43):
            assert not token_has_valid_shape(bad)

    def test_a_resend_derives_the_same_link_and_only_with_the_same_secret(self) -> None:
        maker = LinkMaker(b"s" * 32)
        link = maker.new(LATER)
        again = maker.again(link.issued)
        assert again is not None
        assert again.token == link.token
        assert again.issued.expires_at == LATER
        assert LinkMaker(b"t" * 32).again(link.issued) is None
        assert maker.new(LATER).token != link.token  # every new link is its own

    def test_what_is_stored_never_shows_the_token(self) -> None:
        link = LinkMaker(b"s" * 32).new(LATER)
        assert link.token not in repr(link)
        assert link.token.encode() not in link.issued.token_hash + link.issued.nonce


BOUNCED = SuppressedAddress(
    SuppressionCause.HARD_BOUNCE, "550 no such user", NOW - timedelta(days=2)
)


class TestSendDecision:
    def test_an_open_invitation_is_sent(self) -> None:
        assert decide(email(), NOW, reminders_on=True).action is Action.SEND

    def test_a_closed_invitation_is_cancelled(self) -> None:
        decision = decide(email(invitation_open=False), NOW, reminders_on=True)
        assert decision.action is Action.CANCEL

    def test_a_suppressed_address_fails_and_says_why(self) -> None:
        decision = decide(email(suppressed=BOUNCED), NOW, reminders_on=True)
        assert decision.action is Action.FAIL
        assert decision.suppressed
        assert "marie@example.com bounced permanently" in decision.reason
        assert "550 no such user" in decision.reason

    def test_a_suppressed_reminder_is_dropped_quietly(self) -> None:
        reminder = email(MailKind.REMINDER, suppressed=BOUNCED)
        assert decide(reminder, NOW, reminders_on=True).action is Action.CANCEL

    def test_an_invalid_address_fails(self) -> None:
        decision = decide(email(address="not an address"), NOW, reminders_on=True)
        assert decision.action is Action.FAIL
        assert not decision.suppressed

    def test_a_newer_snapshot_with_another_address_revokes(self) -> None:
        moved = LatestUser("new@example.com", deactivated=False, updated_at=NOW + timedelta(1))
        decision = decide(email(latest_user=moved), NOW, reminders_on=True)
        assert decision.action is Action.REVOKE
        assert decision.reason == "e-mail address changed"

    def test_a_newer_deactivation_revokes(self) -> None:
        gone = LatestUser("marie@example.com", deactivated=True, updated_at=NOW + timedelta(1))
        decision = decide(email(latest_user=gone), NOW, reminders_on=True)
        assert decision.action is Action.REVOKE
        assert decision.reason == "user deactivated"

    def test_an_older_snapshot_does_not_count(self) -> None:
        old = LatestUser("old@example.com", deactivated=True, updated_at=NOW - timedelta(1))
        assert decide(email(latest_user=old), NOW, reminders_on=True).action is Action.SEND

    def test_reminders_off_by_setting(self) -> None:
        reminder = email(MailKind.REMINDER)
        assert decide(reminder, NOW, reminders_on=False).action is Action.CANCEL
        assert decide(reminder, NOW, reminders_on=True).action is Action.SEND

    def test_no_reminder_for_a_link_about_to_die(self) -> None:
        reminder = email(MailKind.REMINDER, invitation_expires_at=NOW + timedelta(minutes=5))
        assert decide(reminder, NOW, reminders_on=True).action is Action.CANCEL


POLICY = RetryPolicy(max_attempts=4, base_seconds=30, max_seconds=300)
REFUSED_FOR_NOW = SendFailure("Connection refused")


class TestRetry:
    def test_backoff_grows_then_caps(self) -> None:
        delays = [POLICY.delay(n, jitter=0.5).total_seconds() for n in range(1, 7)]
        assert delays == [30, 60, 120, 240, 300, 300]

    def test_jitter_stays_within_a_fifth(self) -> None:
        assert POLICY.delay(1, 0.0).total_seconds() == pytest.approx(24)
        assert POLICY.delay(1, 0.999).total_seconds() == pytest.approx(36, abs=0.1)

    def test_retry_until_the_last_attempt(self) -> None:
        step = after_failure(POLICY, email(attempts=1), REFUSED_FOR_NOW, NOW, jitter=0.5)
        assert step == RetryAt(NOW + timedelta(seconds=30), same_email=False)
        last = after_failure(POLICY, email(attempts=4), REFUSED_FOR_NOW, NOW, jitter=0.5)
        assert isinstance(last, GiveUp)
        assert "after 4 attempts: Connection refused" in last.reason

    def test_a_permanent_refusal_gives_up_at_once(self) -> None:
        refused = SendFailure("550 no", FailureKind.REFUSED)
        assert isinstance(after_failure(POLICY, email(), refused, NOW, 0.5), GiveUp)

    def test_a_lost_reply_after_data_resends_the_same_e_mail(self) -> None:
        lost = SendFailure("no answer to the message", FailureKind.UNKNOWN)
        step = after_failure(POLICY, email(), lost, NOW, 0.5)
        assert isinstance(step, RetryAt)
        assert step.same_email

    def test_once_a_copy_may_be_out_every_retry_resends_it(self) -> None:
        maker = LinkMaker(b"s" * 32)
        resend = email(issued=maker.new(LATER).issued)
        unreachable = SendFailure("down", FailureKind.UNREACHABLE)
        step = after_failure(POLICY, resend, unreachable, NOW, 0.5)
        assert isinstance(step, RetryAt)
        assert step.same_email
        assert replace(resend, issued=None).is_resend is False


class TestThrottle:
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
        assert problems == [FormProblem.TOO_SHORT, FormProblem.DIFFERENT]

    def test_nothing_typed(self) -> None:
        assert form_problems("", "", email="m@x.io") == [FormProblem.MISSING]

    def test_the_address_is_not_a_password(self) -> None:
        problems = form_problems("marie.tremblay1", "marie.tremblay1", email="marie.tremblay@x.io")
        assert problems == [FormProblem.CONTAINS_EMAIL]

    def test_too_long_and_too_plain(self) -> None:
        assert form_problems("x" * 2000, "x" * 2000, email="") == [
            FormProblem.TOO_LONG,
            FormProblem.TOO_FEW_DIFFERENT,
        ]


class TestLanguages:
    def test_the_switch_wins_then_the_user_then_the_browser(self) -> None:
        assert choose_language("en", "fr", "fr-CA") is Language.EN
        assert choose_language(None, "en", "fr-CA") is Language.EN
        assert choose_language("de", None, "de-DE, en;q=0.8") is Language.EN
        assert choose_language(None, None, "EN-gb") is Language.EN
        assert choose_language(None, None, None) is Language.FR
        assert choose_language("<script>", None, "*") is Language.FR

    def test_the_browsers_preferences_are_read_by_their_weight(self) -> None:
        assert accepted_languages("en;q=0.5, fr-CA, de;q=0.9, it;q=0") == ["fr-ca", "de", "en"]
        assert choose_language(None, None, "en;q=0.5, fr-CA;q=0.8") is Language.FR
        assert accepted_languages("fr;q=nope, , ;q=1") == []


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
        with pytest.raises(ValidationError, match="LINK_SECRET"):
            InvitationsSettings(**base, link_secret="short")  # type: ignore[arg-type]
        with pytest.raises(ValidationError):
            InvitationsSettings(**base, smtp_starttls=True, smtp_implicit_tls=True)  # type: ignore[arg-type]

    def test_reminder_only_within_the_links_life(self) -> None:
        base = {"database_url": "postgresql://db/x"}
        assert InvitationsSettings(**base).reminder_before == timedelta(hours=24)  # type: ignore[arg-type]
        off = InvitationsSettings(**base, reminder_hours_before_expiry=0)  # type: ignore[arg-type]
        assert off.reminder_before is None
        too_long = InvitationsSettings(**base, token_ttl_hours=12)  # type: ignore[arg-type]
        assert too_long.reminder_before is None


def test_dates_read_naturally() -> None:
    moment = datetime(2026, 12, 8, 19, 5, tzinfo=UTC)
    assert format_moment(moment, Language.FR, "America/Toronto") == "8 décembre 2026, 14 h 05 (HNE)"
    assert format_moment(moment, Language.EN, "America/Toronto").startswith(
        "December 8, 2026, 2:05"
    )


@pytest.mark.parametrize(
    ("typed", "wire", "smtputf8"),
    [
        ("zoe@bücher.example.com", "zoe@xn--bcher-kva.example.com", False),
        ("josé@example.com", "josé@example.com", True),
        ("josé@bücher.example.com", "josé@xn--bcher-kva.example.com", True),
    ],
)
def test_the_address_on_the_wire(typed: str, wire: str, smtputf8: bool) -> None:
    assert wire_address(typed) == wire
    assert needs_smtputf8(wire_address(typed)) is smtputf8


def test_what_is_no_address_is_not_written() -> None:
    with pytest.raises(ValueError, match="can't be written"):
        wire_address("not-an-address@")
