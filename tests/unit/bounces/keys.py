"""Keys made in the test, and requests signed with them as each provider signs."""

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
PAYLOADS = Path(__file__).parent / "payloads"


def payload(name: str) -> bytes:
    """A payload as the provider's documentation shows it (see payloads/README.md)."""
    return (PAYLOADS / name).read_bytes()


def unix(moment: datetime) -> str:
    return str(int(moment.timestamp()))


@dataclass(frozen=True)
class SendGridKey:
    private: ec.EllipticCurvePrivateKey

    @classmethod
    def new(cls) -> "SendGridKey":
        return cls(ec.generate_private_key(ec.SECP256R1()))

    @property
    def console_text(self) -> str:
        """The public key as SendGrid's console shows it: base64 DER, no PEM framing."""
        der = self.private.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return base64.b64encode(der).decode()

    def sign(self, timestamp: str, body: bytes) -> str:
        signature = self.private.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
        return base64.b64encode(signature).decode()


def mailgun_body(event_data: dict[str, Any], key: str, timestamp: str) -> bytes:
    token = secrets.token_hex(25)
    digest = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    signature = {"token": token, "timestamp": timestamp, "signature": digest}
    return json.dumps({"signature": signature, "event-data": event_data}).encode()


@dataclass(frozen=True)
class SnsSigner:
    """An RSA key and a self-signed certificate standing in for Amazon's."""

    private: rsa.RSAPrivateKey
    certificate: x509.Certificate

    @classmethod
    def new(cls, *, valid_from: datetime = NOW - timedelta(days=30)) -> "SnsSigner":
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(private.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(valid_from)
            .not_valid_after(valid_from + timedelta(days=365))
            .sign(private, hashes.SHA256())
        )
        return cls(private, certificate)

    @property
    def pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def sign(self, envelope: dict[str, str], version: str) -> dict[str, str]:
        """The envelope with its Signature: the string to sign written out as AWS's
        documentation lists the fields of each message type."""
        if envelope["Type"] == "Notification":
            names = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
        else:
            names = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn"]
            names.append("Type")
        text = "".join(f"{n}\n{envelope[n]}\n" for n in names if n in envelope)
        # SignatureVersion 1 is SHA1withRSA: what SNS sends unless a topic asks for 2.
        algorithm = hashes.SHA1() if version == "1" else hashes.SHA256()  # noqa: S303
        raw = self.private.sign(text.encode(), padding.PKCS1v15(), algorithm)
        signature = base64.b64encode(raw).decode()
        return {**envelope, "SignatureVersion": version, "Signature": signature}
