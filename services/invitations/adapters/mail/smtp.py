"""Sending over SMTP with aiosmtplib; a session keeps one connection for a burst of e-mails
(each sending worker has its own, closed when the worker finds nothing to send).

A kept connection may have been dropped by the server meanwhile (its idle time-out, a
restart): when it breaks before the message was sent (the server closed it, or answered
421 "closing"), it is dropped and the e-mail is tried at once on a fresh connection. Nothing
can be sent twice that way: the message itself (DATA) had not been sent."""

import time
from dataclasses import dataclass
from types import TracebackType

import aiosmtplib

from services.invitations.adapters.mail.message import MimeMessage
from services.invitations.domain.retry import FailureKind, SendFailure
from shared.logging import get_logger

log = get_logger(__name__)


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    starttls: bool = False
    implicit_tls: bool = False
    username: str = ""
    password: str = ""
    timeout_seconds: float = 30.0
    validate_certs: bool = True


class SmtpSession:
    """Connects on the first e-mail, reuses the connection, reconnects after an error."""

    def __init__(self, config: SmtpConfig) -> None:
        self._config = config
        self._client: aiosmtplib.SMTP | None = None
        self._last_used = time.monotonic()

    async def __aenter__(self) -> "SmtpSession":
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def send(self, mail: MimeMessage) -> SendFailure | None:
        """None once the server accepted the message; else why it did not, and whether it
        surely did not (the conversation broke before the message was sent) or may have
        (the reply to DATA was lost: a timeout or a disconnect after the whole message)."""
        reused = self._client is not None and self._client.is_connected
        failure = await self._send(mail)
        if reused and isinstance(failure, _BrokeBeforeMessage):
            log.info("the kept SMTP connection was closed by the server; sending on a new one")
            failure = await self._send(mail)
        self._last_used = time.monotonic()
        if isinstance(failure, _BrokeBeforeMessage):
            return SendFailure(failure.reason, failure.kind)
        return failure

    async def _send(self, mail: MimeMessage) -> SendFailure | None:
        try:
            client = await self._connected()
        except (aiosmtplib.SMTPException, OSError) as error:
            await self.close()
            return SendFailure(_describe(error), FailureKind.UNREACHABLE)
        options, encoding = (["SMTPUTF8"], "utf-8") if mail.smtputf8 else ([], "ascii")
        try:
            if mail.smtputf8 and not await _offers_smtputf8(client):
                reason = "the mail server does not offer SMTPUTF8, needed for a non-ASCII address"
                return SendFailure(reason, FailureKind.REFUSED)
            await client.mail(mail.sender, options=options, encoding=encoding)
            await client.rcpt(mail.recipient, encoding=encoding)
        except (aiosmtplib.SMTPServerDisconnected, ConnectionError) as error:
            await self.close()
            return _BrokeBeforeMessage(_describe(error))
        except aiosmtplib.SMTPRecipientRefused as error:
            await self.close()
            return _refused(f"the server refused the address: {error.code} {error.message}", error)
        except aiosmtplib.SMTPResponseException as error:
            await self.close()
            reason = f"{error.code} {error.message}"
            return _BrokeBeforeMessage(reason) if error.code == _CLOSING else SendFailure(reason)
        except (aiosmtplib.SMTPException, OSError) as error:
            await self.close()
            return SendFailure(_describe(error))
        try:
            await client.data(mail.data)
        except aiosmtplib.SMTPResponseException as error:
            await self.close()
            return _refused(f"{error.code} {error.message}", error)
        except (aiosmtplib.SMTPException, OSError) as error:
            await self.close()
            reason = f"no answer to the message, it may have been accepted: {_describe(error)}"
            return SendFailure(reason, FailureKind.UNKNOWN)
        return None

    def idle_seconds(self) -> float:
        return time.monotonic() - self._last_used

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None and client.is_connected:
            try:
                await client.quit()
            except (aiosmtplib.SMTPException, OSError):
                client.close()

    async def _connected(self) -> aiosmtplib.SMTP:
        if self._client is not None and self._client.is_connected:
            return self._client
        config = self._config
        client = aiosmtplib.SMTP(
            hostname=config.host,
            port=config.port,
            use_tls=config.implicit_tls,
            start_tls=True if config.starttls else (None if config.implicit_tls else False),
            username=config.username or None,
            password=config.password or None,
            timeout=config.timeout_seconds,
            validate_certs=config.validate_certs,
        )
        await client.connect()
        self._client = client
        return client


async def _offers_smtputf8(client: aiosmtplib.SMTP) -> bool:
    if client.is_ehlo_or_helo_needed:
        await client.ehlo()
    return client.supports_extension("smtputf8")


_CLOSING = 421  # "service not available, closing transmission channel"


@dataclass(frozen=True)
class _BrokeBeforeMessage(SendFailure):
    """The connection broke before the message was sent: worth one try on a fresh one."""


def _refused(reason: str, error: aiosmtplib.SMTPResponseException) -> SendFailure:
    """A 5xx is for good; a 4xx means "try later"."""
    return SendFailure(reason, FailureKind.REFUSED if error.code >= 500 else FailureKind.TEMPORARY)


def _describe(error: BaseException) -> str:
    text = str(error).strip()
    if isinstance(error, ConnectionRefusedError | aiosmtplib.SMTPConnectError):
        return f"the mail server could not be reached ({text or type(error).__name__})"
    return text or type(error).__name__
