"""What the webhook route needs, set up once by the composition root."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from services.bounces.domain.notices import Provider
from services.bounces.usecases.ingest_request import Ingestion
from shared.errors import NotFound


@dataclass(frozen=True)
class WebhookContext:
    ingestion: Ingestion

    def provider(self, name: str) -> Provider:
        """The provider a path names; NotFound when unknown or not configured."""
        try:
            provider = Provider(name)
        except ValueError:
            provider = None
        if provider is None or provider not in self.ingestion.verifier.keys.configured:
            raise NotFound(f"No webhook for the provider {name[:40]!r} is configured here.")
        return provider


async def webhook_context(request: Request) -> WebhookContext:
    """`async`: FastAPI runs a plain function dependency in a worker thread."""
    context: WebhookContext = request.app.state.webhooks
    return context


Webhooks = Annotated[WebhookContext, Depends(webhook_context)]
