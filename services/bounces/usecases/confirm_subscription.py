"""An SNS topic subscribing this endpoint: confirmed by visiting its SubscribeURL, or,
with outbound calls off, logged for an operator to visit."""

from typing import Protocol

from services.bounces.adapters.sns_subscriptions import ConfirmationFailed
from services.bounces.domain.providers.sns import SnsEnvelope
from services.bounces.domain.records import RawOutcome
from shared.errors import Unavailable
from shared.logging import get_logger

log = get_logger(__name__)


class SubscriptionConfirmer(Protocol):
    async def confirm(self, subscribe_url: str) -> None:
        """Raises NotAuthentic for a URL that isn't SNS's, ConfirmationFailed otherwise."""


async def confirm_subscription(
    envelope: SnsEnvelope, confirmer: SubscriptionConfirmer | None
) -> RawOutcome:
    """`envelope`: an authentic SubscriptionConfirmation of an allowed topic. Raises
    Unavailable when SNS can't be reached (the answer is a 5xx, so SNS sends it again)."""
    url = envelope.subscribe_url or ""
    if confirmer is None:
        log.warning(
            "SNS subscription waiting for confirmation: open the URL to confirm it "
            "(SNS_CONFIRM_SUBSCRIPTIONS is off)",
            topic_arn=envelope.topic_arn,
            subscribe_url=url,
        )
        return RawOutcome.SUBSCRIPTION_TO_CONFIRM
    try:
        await confirmer.confirm(url)
    except ConfirmationFailed as error:
        log.warning("SNS subscription confirmation failed", error=str(error))
        raise Unavailable("Confirming the SNS subscription failed; send it again.") from error
    log.info("SNS subscription confirmed", topic_arn=envelope.topic_arn)
    return RawOutcome.SUBSCRIPTION_CONFIRMED
