"""Amazon SNS message signatures, versions 1 (SHA1withRSA) and 2 (SHA256withRSA)."""

import base64
import binascii
import re
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from services.bounces.domain.errors import InvalidKey, NotAuthentic
from services.bounces.domain.providers.sns import SnsEnvelope
from services.bounces.domain.verification.freshness import DEFAULT_TOLERANCE, check_fresh

# The AWS SDK for Ruby's AWS_HOSTNAMES, matched against the whole host part of the URL: no
# user info, no port, nothing before "sns." or after ".amazonaws.com(.cn)".
SIGNING_CERT_HOST = re.compile(r"sns\.[a-zA-Z0-9\-]{3,}\.amazonaws\.com(\.cn)?", re.ASCII)

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {"1": hashes.SHA1, "2": hashes.SHA256}

_NOTIFICATION_FIELDS = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
_CONFIRMATION_FIELDS = (
    "Message",
    "MessageId",
    "SubscribeURL",
    "Timestamp",
    "Token",
    "TopicArn",
    "Type",
)


def check_signing_cert_url(url: str) -> None:
    """Refuse before fetching anything: https, an SNS host, a .pem path, nothing else."""
    parts = urlsplit(url)
    if parts.scheme != "https":
        raise NotAuthentic(f"SigningCertURL {url[:200]!r} is not https")
    if not SIGNING_CERT_HOST.fullmatch(parts.netloc):
        raise NotAuthentic(f"SigningCertURL {url[:200]!r} is not on an Amazon SNS host")
    if not parts.path.endswith(".pem") or parts.query or parts.fragment:
        raise NotAuthentic(f"SigningCertURL {url[:200]!r} is not a .pem file")


def check_subscribe_url(url: str) -> None:
    """A SubscriptionConfirmation's SubscribeURL is visited only on an SNS host, over https:
    the signature covers it, but a GET to wherever a message says is not made lightly."""
    parts = urlsplit(url)
    if parts.scheme != "https":
        raise NotAuthentic(f"SubscribeURL {url[:200]!r} is not https")
    if not SIGNING_CERT_HOST.fullmatch(parts.netloc):
        raise NotAuthentic(f"SubscribeURL {url[:200]!r} is not on an Amazon SNS host")
    if parts.fragment:
        raise NotAuthentic(f"SubscribeURL {url[:200]!r} has a fragment")


def string_to_sign(envelope: SnsEnvelope) -> bytes:
    """`Name\\nvalue\\n` for each signed field present, in byte order of the names."""
    values = {
        "Message": envelope.message,
        "MessageId": envelope.message_id,
        "Subject": envelope.subject,
        "SubscribeURL": envelope.subscribe_url,
        "Timestamp": envelope.timestamp,
        "Token": envelope.token,
        "TopicArn": envelope.topic_arn,
        "Type": envelope.type.value,
    }
    names = _NOTIFICATION_FIELDS if envelope.is_notification else _CONFIRMATION_FIELDS
    return "".join(f"{n}\n{values[n]}\n" for n in names if values[n] is not None).encode()


def load_certificates(pem: bytes) -> tuple[x509.Certificate, ...]:
    """Every certificate of a PEM file (a fetched one, or SNS_CERTIFICATE_FILE)."""
    try:
        certificates = tuple(x509.load_pem_x509_certificates(pem))
    except ValueError as error:
        raise InvalidKey(f"not PEM certificates: {error}") from None
    if not certificates:
        raise InvalidKey("no certificate in the PEM")
    if not all(isinstance(c.public_key(), rsa.RSAPublicKey) for c in certificates):
        raise InvalidKey("an SNS signing certificate holds an RSA key")
    return certificates


def _check_headers(envelope: SnsEnvelope, message_type: str | None, message_id: str | None) -> None:
    if message_type is not None and message_type != envelope.type.value:
        raise NotAuthentic(f"x-amz-sns-message-type {message_type!r} differs from the body's Type")
    if message_id is not None and message_id != envelope.message_id:
        raise NotAuthentic("x-amz-sns-message-id differs from the body's MessageId")


def _signed_by(
    certificate: x509.Certificate,
    signature: bytes,
    content: bytes,
    hash_type: type[hashes.HashAlgorithm],
) -> bool:
    key = certificate.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        return False
    try:
        key.verify(signature, content, padding.PKCS1v15(), hash_type())
    except InvalidSignature:
        return False
    return True


def _valid_at(certificate: x509.Certificate, now: datetime) -> bool:
    return certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc


def verify(
    envelope: SnsEnvelope,
    certificates: Sequence[x509.Certificate],
    *,
    allowed_topics: Collection[str],
    now: datetime,
    tolerance: timedelta = DEFAULT_TOLERANCE,
    message_type_header: str | None = None,
    message_id_header: str | None = None,
) -> None:
    """`certificates`: the one fetched from the envelope's SigningCertURL, or the trusted
    ones of SNS_CERTIFICATE_FILE. A valid signature is not enough: anyone's SNS topic signs
    validly, so the topic must be one of ours."""
    if envelope.topic_arn not in allowed_topics:
        raise NotAuthentic(f"topic {envelope.topic_arn[:200]!r} is not in SNS_TOPIC_ARNS")
    _check_headers(envelope, message_type_header, message_id_header)
    check_signing_cert_url(envelope.signing_cert_url)
    hash_type = _HASHES.get(envelope.signature_version)
    if hash_type is None:
        raise NotAuthentic(f"SignatureVersion {envelope.signature_version[:10]!r} is unknown")
    check_fresh(envelope.sent_at, now, tolerance)
    try:
        signature = base64.b64decode(envelope.signature, validate=True)
    except binascii.Error:
        raise NotAuthentic("the Signature is not base64") from None
    usable = [c for c in certificates if _valid_at(c, now)]
    if not usable:
        raise NotAuthentic("no signing certificate valid now")
    content = string_to_sign(envelope)
    if not any(_signed_by(c, signature, content, hash_type) for c in usable):
        raise NotAuthentic("the Signature matches no signing certificate")
