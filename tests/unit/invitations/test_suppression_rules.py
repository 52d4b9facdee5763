"""The suppression list's rules: what lists an address, what lifts it, in the order things
happened (notices arrive late and out of order)."""

from datetime import UTC, datetime, timedelta

from services.invitations.domain import suppression
from services.invitations.domain.suppression import (
    BounceStreak,
    SuppressedAddress,
    SuppressionCause,
)
from shared.contracts.users import BounceKind

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)
HOUR = timedelta(hours=1)


def _soft_bounces(streak: BounceStreak, *hours: int) -> tuple[BounceStreak, list[bool]]:
    """The streak after soft bounces at T0 + each hour, and whether each listed it."""
    listed = []
    for hour in hours:
        streak, listing = suppression.after_bounce(
            streak, BounceKind.SOFT, "452 mailbox full", T0 + hour * HOUR
        )
        listed.append(listing is not None)
    return streak, listed


class TestBounces:
    def test_a_hard_bounce_lists_the_address_at_once(self) -> None:
        streak, listing = suppression.after_bounce(
            BounceStreak(), BounceKind.HARD, "550 no such user", T0
        )
        assert listing == SuppressedAddress(SuppressionCause.HARD_BOUNCE, "550 no such user", T0)
        assert streak == BounceStreak(hard_bounced_at=T0)

    def test_three_soft_bounces_in_a_row_list_it(self) -> None:
        streak, listed = _soft_bounces(BounceStreak(), 1, 2, 3)
        assert listed == [False, False, True]
        _, listing = suppression.after_bounce(streak, BounceKind.SOFT, "again", T0 + 4 * HOUR)
        assert listing is not None
        assert listing.cause is SuppressionCause.SOFT_BOUNCES
        assert listing.since == T0 + 4 * HOUR  # dated by the latest of the streak

    def test_an_undetermined_bounce_counts_as_a_soft_one(self) -> None:
        streak, _ = _soft_bounces(BounceStreak(), 1, 2)
        _, listing = suppression.after_bounce(streak, BounceKind.UNDETERMINED, "?", T0 + 3 * HOUR)
        assert listing is not None
        assert listing.cause is SuppressionCause.SOFT_BOUNCES

    def test_a_delivery_in_between_starts_the_count_again(self) -> None:
        streak, _ = _soft_bounces(BounceStreak(), 1, 2)
        streak = suppression.after_delivery(streak, T0 + 3 * HOUR)
        assert streak.soft_bounces == ()
        streak, listed = _soft_bounces(streak, 4, 5)
        assert listed == [False, False]
        _, listed = _soft_bounces(streak, 6)
        assert listed == [True]

    def test_a_delivery_that_happened_between_them_counts_even_when_it_arrives_last(
        self,
    ) -> None:
        streak, _ = _soft_bounces(BounceStreak(), 1, 3)
        streak = suppression.after_delivery(streak, T0 + 2 * HOUR)
        assert streak.soft_bounces == (T0 + 3 * HOUR,)  # the one after the delivery stays
        _, listed = _soft_bounces(streak, 4)
        assert listed == [False]

    def test_a_bounce_that_happened_before_a_known_delivery_counts_for_nothing(self) -> None:
        delivered = suppression.after_delivery(BounceStreak(), T0 + 10 * HOUR)
        for kind in (BounceKind.HARD, BounceKind.SOFT):
            streak, listing = suppression.after_bounce(delivered, kind, "late news", T0)
            assert (streak, listing) == (delivered, None)

    def test_soft_bounces_further_apart_than_the_window_are_not_in_a_row(self) -> None:
        window = suppression.SOFT_BOUNCE_WINDOW
        streak = BounceStreak()
        for at in (T0, T0 + window, T0 + 2 * window):
            streak, listing = suppression.after_bounce(streak, BounceKind.SOFT, "full", at)
            assert listing is None
        assert streak.soft_bounces == (T0 + 2 * window,)

    def test_a_lift_starts_the_count_again_and_older_bounces_stay_ignored(self) -> None:
        streak, _ = _soft_bounces(BounceStreak(), 1, 2, 3)
        lifted = suppression.after_lift(streak, T0 + 4 * HOUR)
        assert lifted.soft_bounces == ()
        _, listing = suppression.after_bounce(lifted, BounceKind.HARD, "old", T0 + 3 * HOUR)
        assert listing is None  # happened before the lift: the admin knew better


class TestListing:
    HARD = SuppressedAddress(SuppressionCause.HARD_BOUNCE, "550", T0)
    SOFT = SuppressedAddress(SuppressionCause.SOFT_BOUNCES, "452", T0 + HOUR)
    COMPLAINT = SuppressedAddress(SuppressionCause.COMPLAINT, "abuse", T0 + 2 * HOUR)

    def test_a_first_notice_lists_the_address(self) -> None:
        assert suppression.listing_after(None, self.HARD) == self.HARD

    def test_a_complaint_outranks_bounces_and_keeps_its_first_date(self) -> None:
        assert suppression.listing_after(self.HARD, self.COMPLAINT) == self.COMPLAINT
        later_bounce = SuppressedAddress(SuppressionCause.HARD_BOUNCE, "550", T0 + 9 * HOUR)
        assert suppression.listing_after(self.COMPLAINT, later_bounce) is None
        second = SuppressedAddress(SuppressionCause.COMPLAINT, "abuse", T0 + 9 * HOUR)
        assert suppression.listing_after(self.COMPLAINT, second) is None

    def test_between_bounces_the_latest_tells_the_story(self) -> None:
        assert suppression.listing_after(self.HARD, self.SOFT) == self.SOFT
        assert suppression.listing_after(self.SOFT, self.HARD) is None

    def test_a_complaint_without_feedback_type_is_still_one(self) -> None:
        listing = suppression.after_complaint(None, T0)
        assert listing == SuppressedAddress(SuppressionCause.COMPLAINT, "", T0)


def _hard_bounced(at: datetime) -> tuple[BounceStreak, SuppressedAddress]:
    streak, listing = suppression.after_bounce(BounceStreak(), BounceKind.HARD, "550", at)
    assert listing is not None
    return streak, listing


class TestLiftedByDelivery:
    def test_a_delivery_after_the_bounce_lifts_it(self) -> None:
        streak, hard = _hard_bounced(T0)
        delivered = suppression.after_delivery(streak, T0 + HOUR)
        assert delivered.hard_bounced_at is None
        assert suppression.lifted_by_delivery(hard, T0 + HOUR, delivered)
        streak, _ = _soft_bounces(BounceStreak(), -2, -1, 0)
        soft = SuppressedAddress(SuppressionCause.SOFT_BOUNCES, "452", T0)
        delivered = suppression.after_delivery(streak, T0 + HOUR)
        assert suppression.lifted_by_delivery(soft, T0 + HOUR, delivered)

    def test_a_delivery_before_the_bounce_never_lifts_it(self) -> None:
        streak, hard = _hard_bounced(T0)
        for at in (T0 - HOUR, T0):
            delivered = suppression.after_delivery(streak, at)
            assert delivered.hard_bounced_at == T0
            assert not suppression.lifted_by_delivery(hard, at, delivered)
        streak, _ = _soft_bounces(BounceStreak(), 1, 2, 3)
        soft = SuppressedAddress(SuppressionCause.SOFT_BOUNCES, "452", T0 + 3 * HOUR)
        delivered = suppression.after_delivery(streak, T0)
        assert not suppression.lifted_by_delivery(soft, T0, delivered)

    def test_a_delivery_arriving_late_between_the_soft_bounces_lifts_them(self) -> None:
        streak, listed = _soft_bounces(BounceStreak(), 1, 2, 4)
        assert listed == [False, False, True]
        soft = SuppressedAddress(SuppressionCause.SOFT_BOUNCES, "452", T0 + 4 * HOUR)
        delivered = suppression.after_delivery(streak, T0 + 3 * HOUR)
        assert suppression.lifted_by_delivery(soft, T0 + 3 * HOUR, delivered)

    def test_a_hard_bounce_after_the_delivery_keeps_a_soft_listing(self) -> None:
        """Soft bounces at 1, 2, 4 list the address; a hard one at 3 (older: the listing
        stays the soft one); a delivery at 2.5 breaks the soft streak, not the hard bounce."""
        streak, _ = _soft_bounces(BounceStreak(), 1, 2, 4)
        soft = SuppressedAddress(SuppressionCause.SOFT_BOUNCES, "452", T0 + 4 * HOUR)
        streak, hard = suppression.after_bounce(streak, BounceKind.HARD, "550", T0 + 3 * HOUR)
        assert hard is not None
        assert suppression.listing_after(soft, hard) is None
        between = T0 + 2.5 * HOUR
        assert not suppression.lifted_by_delivery(
            soft, between, suppression.after_delivery(streak, between)
        )
        later = T0 + 5 * HOUR
        assert suppression.lifted_by_delivery(
            soft, later, suppression.after_delivery(streak, later)
        )

    def test_a_listing_from_before_the_counters_goes_by_its_date(self) -> None:
        hard = SuppressedAddress(SuppressionCause.HARD_BOUNCE, "550", T0)
        assert not suppression.lifted_by_delivery(hard, T0 - HOUR, BounceStreak(T0 - HOUR))
        assert suppression.lifted_by_delivery(hard, T0 + HOUR, BounceStreak(T0 + HOUR))

    def test_no_delivery_lifts_a_complaint(self) -> None:
        complaint = SuppressedAddress(SuppressionCause.COMPLAINT, "abuse", T0)
        later = T0 + 300 * HOUR
        assert not suppression.lifted_by_delivery(complaint, later, BounceStreak(later))


def test_the_failure_says_what_happened_and_what_to_do() -> None:
    reason = suppression.failure_reason(
        "marie@example.com", SuppressionCause.SOFT_BOUNCES, "452 mailbox full", T0
    )
    assert "marie@example.com bounced 3 times in a row" in reason
    assert "2026-03-01" in reason
    assert "452 mailbox full" in reason
    assert "lift the suppression" in reason
