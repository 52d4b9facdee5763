"""POST /webhooks/email/{provider}: a provider's notices (sendgrid, mailgun, postmark, ses,
generic), answered with 2xx once stored, or with what is wrong."""

from datetime import UTC, datetime

from fastapi import Request, status
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from services.bounces.api.dependencies import Webhooks
from services.bounces.api.schemas import Received
from services.bounces.domain.errors import BatchTooLarge, MalformedNotice, NotAuthentic
from services.bounces.domain.notices import Provider
from services.bounces.domain.providers import LIMITS
from services.bounces.domain.records import RawOutcome
from services.bounces.usecases.ingest_request import IngestOutcome
from services.bounces.usecases.verify_request import WebhookRequest
from shared.errors import TooLarge
from shared.http.authentication import ServiceRouter
from shared.http.problems import problem_response
from shared.logging import get_logger

router = ServiceRouter(tags=["webhooks"])
log = get_logger(__name__)

UNREADABLE = (
    "The request is stored but could not be read; it will be read again once the service is fixed."
)


async def _body(request: Request, limit: int) -> bytes:
    """The body, refused as soon as it is larger than the provider ever sends."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TooLarge(f"The body has {declared} bytes; this provider sends at most {limit}.")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise TooLarge(f"The body is larger than {limit} bytes, the most this provider sends.")
    return bytes(body)


def _refusal(error: MalformedNotice | BatchTooLarge) -> JSONResponse:
    if isinstance(error, BatchTooLarge):
        return problem_response(413, "content-too-large", str(error))
    errors = [{"field": error.path, "message": error.problem}]
    return problem_response(400, "bad-request", f"Malformed: {error}", errors=errors)


def _unauthorized(provider: Provider, error: NotAuthentic) -> HTTPException:
    log.warning("webhook request refused", provider=provider.value, reason=error.reason)
    # Postmark sends the credentials of its URL; a challenge says which kind is expected.
    challenge = (
        {"WWW-Authenticate": 'Basic realm="bounces"'} if provider is Provider.POSTMARK else None
    )
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED,
        f"The request can't be shown to come from {provider.value}: check the webhook's "
        "secret, and this server's clock.",
        headers=challenge,
    )


def _answer(outcome: IngestOutcome) -> Received | JSONResponse:
    if outcome.refusal is not None:
        return _refusal(outcome.refusal)  # stored all the same (committed with the answer)
    if outcome.outcome is RawOutcome.FAILED:
        return problem_response(500, "internal-error", UNREADABLE)
    tally = outcome.tally
    return Received(
        outcome=outcome.outcome.value,
        published=tally.published,
        duplicates=tally.duplicates,
        unmatched=tally.unmatched,
        refused=tally.refused,
        ignored=tally.ignored,
    )


@router.post(
    "/webhooks/email/{provider}",
    summary="Receive a provider's delivery, bounce and complaint notices",
    response_model=Received,
    responses={
        400: {"description": "Authentic but malformed: the body says which field."},
        401: {"description": "Forged, unsigned, stale or replayed: nothing changed."},
        404: {"description": "No such provider, or it is not configured."},
        413: {"description": "Larger than the provider ever sends."},
        503: {"description": "SNS can't be reached to check or confirm: send it again."},
    },
)
async def receive_notices(
    provider: str, request: Request, webhooks: Webhooks
) -> Received | JSONResponse:
    accepted = webhooks.provider(provider)
    body = await _body(request, LIMITS[accepted].max_body_bytes)
    webhook = WebhookRequest(accepted, body, dict(request.headers), datetime.now(UTC))
    try:
        outcome = await webhooks.ingestion.ingest(webhook)
    except NotAuthentic as error:
        raise _unauthorized(accepted, error) from None  # rolled back: nothing changes
    return _answer(outcome)
