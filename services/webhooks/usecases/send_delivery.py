"""One attempt: POST the payload, signed with the hook's secret, to its URL."""

from datetime import UTC, datetime

from services.webhooks.adapters.http_delivery import WebhookSender
from services.webhooks.domain.claims import ClaimedDelivery, FinishedAttempt


async def send_delivery(sender: WebhookSender, delivery: ClaimedDelivery) -> FinishedAttempt:
    result = await sender.send(
        delivery.target_url,
        event_id=delivery.event_id,
        payload=delivery.payload,
        secret=delivery.secret,
    )
    return FinishedAttempt(delivery, result, datetime.now(UTC))
