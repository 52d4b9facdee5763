"""Is a request really from its provider? Each provider's check, with every key of a
rotation, against the time the request arrived."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from standardwebhooks.webhooks import Webhook

from services.bounces.adapters.sns_certificates import CertificateUnavailable
from services.bounces.domain.errors import BatchTooLarge, MalformedNotice, NotAuthentic
from services.bounces.domain.notices import Provider
from services.bounces.domain.providers.sns import SnsEnvelope, parse_envelope
from services.bounces.domain.verification import (
    mailgun,
    postmark,
    sendgrid,
    sns,
    standard_webhooks,
)
from shared.errors import Unavailable


@dataclass(frozen=True)
class WebhookRequest:
    provider: Provider
    body: bytes
    headers: Mapping[str, str]  # names in lower case
    received_at: datetime


@dataclass(frozen=True)
class ProviderKeys:
    """The keys of every provider, loaded once (several per provider during a rotation)."""

    sendgrid: tuple[ec.EllipticCurvePublicKey, ...] = ()
    mailgun: tuple[str, ...] = ()
    postmark: tuple[tuple[str, str], ...] = ()
    sns_topics: frozenset[str] = frozenset()
    generic: tuple[Webhook, ...] = ()
    tolerance: timedelta = timedelta(minutes=5)

    @property
    def configured(self) -> frozenset[Provider]:
        present = {
            Provider.SENDGRID: self.sendgrid,
            Provider.MAILGUN: self.mailgun,
            Provider.POSTMARK: self.postmark,
            Provider.SES: self.sns_topics,
            Provider.GENERIC: self.generic,
        }
        return frozenset(provider for provider, keys in present.items() if keys)


class CertificateSource(Protocol):
    async def for_url(self, url: str) -> tuple[x509.Certificate, ...]: ...


@dataclass(frozen=True)
class Proof:
    """What the check established beyond "authentic"."""

    mailgun_token: str | None = None  # single-use: the caller refuses one seen before
    sns: SnsEnvelope | None = None  # the SNS envelope, already parsed


class RequestVerifier:
    def __init__(self, keys: ProviderKeys, certificates: CertificateSource) -> None:
        self.keys = keys
        self._certificates = certificates

    async def verify(self, request: WebhookRequest) -> Proof:
        """Raises NotAuthentic (401), also for an SNS envelope that can't be read (so can't
        be checked); Unavailable when an SNS certificate can't be fetched right now."""
        keys, now, body, headers = self.keys, request.received_at, request.body, request.headers
        match request.provider:
            case Provider.SENDGRID:
                sendgrid.verify(
                    body,
                    signature=headers.get(sendgrid.SIGNATURE_HEADER.lower()),
                    timestamp=headers.get(sendgrid.TIMESTAMP_HEADER.lower()),
                    keys=keys.sendgrid,
                    now=now,
                    tolerance=keys.tolerance,
                )
            case Provider.MAILGUN:
                token = mailgun.verify(
                    body, signing_keys=keys.mailgun, now=now, tolerance=keys.tolerance
                )
                return Proof(mailgun_token=token)
            case Provider.POSTMARK:
                postmark.verify(headers.get("authorization"), credentials=keys.postmark)
            case Provider.SES:
                return Proof(sns=await self._verify_sns(request))
            case Provider.GENERIC:
                standard_webhooks.verify(
                    body, headers, secrets=keys.generic, now=now, tolerance=keys.tolerance
                )
        return Proof()

    async def _verify_sns(self, request: WebhookRequest) -> SnsEnvelope:
        try:
            envelope = parse_envelope(request.body)
        except (MalformedNotice, BatchTooLarge) as error:  # unsigned, or not SNS's at all
            raise NotAuthentic(f"not a readable SNS message: {error}") from None
        if envelope.topic_arn not in self.keys.sns_topics:  # before fetching anything
            raise NotAuthentic(f"topic {envelope.topic_arn[:200]!r} is not in SNS_TOPIC_ARNS")
        try:
            certificates = await self._certificates.for_url(envelope.signing_cert_url)
        except CertificateUnavailable as error:
            raise Unavailable(
                "The SNS signing certificate can't be fetched right now; retry later."
            ) from error
        sns.verify(
            envelope,
            certificates,
            allowed_topics=self.keys.sns_topics,
            now=request.received_at,
            tolerance=self.keys.tolerance,
            message_type_header=request.headers.get("x-amz-sns-message-type"),
            message_id_header=request.headers.get("x-amz-sns-message-id"),
        )
        return envelope
