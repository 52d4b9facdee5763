from datetime import UTC, datetime, timedelta

from services.directory.domain import email_state, invitation_state
from services.directory.domain.email_state import EmailStatus
from shared.contracts.users import BounceKind, EmailState, InvitationState

T0 = datetime(2026, 1, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)


def test_an_accepted_invitation_is_never_undone_by_late_news() -> None:
    accepted = InvitationState.ACCEPTED
    assert invitation_state.after_sent(accepted) is accepted
    assert invitation_state.after_failure(accepted) is accepted
    assert invitation_state.after_bounce(accepted) is accepted
    assert invitation_state.after_revocation(accepted) is accepted


def test_the_invitation_goes_pending_sent_delivered() -> None:
    state = invitation_state.after_request(InvitationState.NONE)
    assert state is InvitationState.PENDING
    state = invitation_state.after_sent(state)
    assert invitation_state.after_delivery(state) is InvitationState.DELIVERED


def test_a_bounce_marks_a_sent_invitation_bounced() -> None:
    assert invitation_state.after_bounce(InvitationState.DELIVERED) is InvitationState.BOUNCED
    assert invitation_state.after_bounce(InvitationState.FAILED) is InvitationState.FAILED


def test_an_unused_link_past_its_expiry_is_expired() -> None:
    assert invitation_state.is_expired(InvitationState.SENT, T0, T0 + timedelta(seconds=1))
    assert not invitation_state.is_expired(InvitationState.SENT, T0, T0 - timedelta(seconds=1))
    assert not invitation_state.is_expired(InvitationState.ACCEPTED, T0, T0 + timedelta(days=9))


def test_resends_wait_for_the_interval() -> None:
    interval = timedelta(seconds=60)
    assert invitation_state.resend_wait(None, T0, interval) == timedelta(0)
    assert invitation_state.resend_wait(T0, T0 + timedelta(seconds=20), interval) == timedelta(
        seconds=40
    )
    assert invitation_state.resend_wait(T0, T0 + timedelta(minutes=5), interval) == timedelta(0)


def test_a_hard_bounce_goes_with_a_later_delivery_or_the_address() -> None:
    bounced = email_state.after_bounce(EmailStatus(), BounceKind.HARD, "550 no such user", T0)
    later = T0 + timedelta(days=1)
    assert email_state.after_bounce(bounced, BounceKind.SOFT, "mailbox full", later) == bounced
    cleared = email_state.after_delivery(bounced, later)
    assert (cleared.state, cleared.bounce_kind, cleared.reason) == (EmailState.OK, None, None)
    assert cleared.delivered_at == later
    assert email_state.after_address_change() == EmailStatus()


def test_a_delivery_never_clears_a_hard_bounce_that_happened_after_it() -> None:
    bounced = email_state.after_bounce(EmailStatus(), BounceKind.HARD, "550 no such user", T0)
    earlier = email_state.after_delivery(bounced, T0 - timedelta(minutes=5))  # arrives late
    assert (earlier.state, earlier.bounce_kind) == (EmailState.BOUNCED, BounceKind.HARD)
    assert earlier.delivered_at == T0 - timedelta(minutes=5)


def test_a_bounce_that_happened_before_a_known_delivery_marks_nothing() -> None:
    delivered = email_state.after_delivery(EmailStatus(), T0)
    for kind in (BounceKind.HARD, BounceKind.SOFT):
        late = email_state.after_bounce(delivered, kind, "old news", T0 - timedelta(hours=1))
        assert late == delivered


def test_a_soft_bounce_is_cleared_by_a_later_delivery_only() -> None:
    soft = email_state.after_bounce(EmailStatus(), BounceKind.SOFT, "mailbox full", T0)
    earlier = email_state.after_delivery(soft, T0 - timedelta(hours=1))
    assert earlier.state is EmailState.BOUNCED
    assert earlier.delivered_at == T0 - timedelta(hours=1)
    assert email_state.after_delivery(soft, T0 + timedelta(hours=1)).state is EmailState.OK


def test_a_late_older_bounce_does_not_replace_a_newer_one() -> None:
    newer = email_state.after_bounce(EmailStatus(), BounceKind.SOFT, "mailbox full", T0)
    older = email_state.after_bounce(newer, BounceKind.SOFT, "greylisted", T0 - timedelta(days=1))
    assert older.reason == "mailbox full"


def test_a_complaint_is_never_cleared_by_a_delivery_nor_replaced_by_a_bounce() -> None:
    complained = email_state.after_complaint(EmailStatus(), None, T0)
    assert complained.state is EmailState.COMPLAINED
    assert "spam" in (complained.reason or "")
    later = T0 + timedelta(days=1)
    assert email_state.after_delivery(complained, later).state is EmailState.COMPLAINED
    assert email_state.after_bounce(complained, BounceKind.HARD, "550", later) == complained
    second = email_state.after_complaint(complained, "abuse", later)
    assert second.changed_at == T0  # the first complaint is the one shown


def test_an_admin_lifting_the_suppression_clears_the_mark_set_before() -> None:
    lifted_at = T0 + timedelta(hours=1)
    complained = email_state.after_complaint(EmailStatus(), None, T0)
    cleared = email_state.after_suppression_lifted(complained, lifted_at, by_admin=True)
    assert (cleared.state, cleared.reason) == (EmailState.OK, None)
    by_delivery = email_state.after_suppression_lifted(complained, lifted_at, by_admin=False)
    assert by_delivery == complained  # the delivery's own notice decides
    newer = email_state.after_bounce(EmailStatus(), BounceKind.HARD, "550", lifted_at + HOUR)
    assert email_state.after_suppression_lifted(newer, lifted_at, by_admin=True) == newer


def test_the_list_shows_an_unused_expired_link_as_expired() -> None:
    past, future = T0 - timedelta(hours=1), T0 + timedelta(hours=1)
    assert invitation_state.displayed(InvitationState.DELIVERED, past, T0) == "expired"
    assert invitation_state.displayed(InvitationState.SENT, future, T0) is InvitationState.SENT
    accepted = InvitationState.ACCEPTED
    assert invitation_state.displayed(accepted, past, T0) is accepted


def test_the_envelope_is_orange_when_mail_went_wrong_blue_once_the_invitation_went_out() -> None:
    assert email_state.envelope(EmailState.BOUNCED, None) is email_state.Envelope.ORANGE
    assert email_state.envelope(EmailState.COMPLAINED, T0) is email_state.Envelope.ORANGE
    assert email_state.envelope(EmailState.OK, T0) is email_state.Envelope.BLUE
    assert email_state.envelope(EmailState.OK, None) is None
