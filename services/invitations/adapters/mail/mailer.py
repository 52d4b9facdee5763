"""What the sending use case is given: write an `Email` as MIME and send it over this
worker's SMTP session, at the process's pace."""

from datetime import UTC, datetime

from services.invitations.adapters.mail.message import MailFrom, MimeMessage, build_message
from services.invitations.adapters.mail.rate import RateLimiter
from services.invitations.adapters.mail.render import MailRenderer
from services.invitations.adapters.mail.smtp import SmtpConfig, SmtpSession
from services.invitations.domain.emails import Email
from services.invitations.domain.retry import FailureKind, SendFailure
from shared.logging import get_logger

log = get_logger(__name__)


class MailWriter:
    def __init__(self, renderer: MailRenderer, sender: MailFrom) -> None:
        self._renderer = renderer
        self._sender = sender

    def write(self, email: Email) -> MimeMessage:
        """Raises ValueError (an address that can't be written) or LookupError."""
        assert email.link is not None, "an e-mail is written once claimed, with its link"
        content = self._renderer.render(email, email.link.token)
        return build_message(email, content, self._sender, datetime.now(UTC))


class SmtpMailer:
    def __init__(self, writer: MailWriter, smtp: SmtpConfig, pace: RateLimiter) -> None:
        self._writer = writer
        self._session = SmtpSession(smtp)
        self._pace = pace

    async def send(self, email: Email) -> SendFailure | None:
        try:
            message = self._writer.write(email)
        except (ValueError, LookupError) as error:
            return SendFailure(f"the e-mail could not be written: {error}", FailureKind.REFUSED)
        await self._pace.wait()
        try:
            return await self._session.send(message)
        except Exception as error:  # never leave a claim hanging on an unexpected error
            log.exception("unexpected error while sending", delivery_id=str(email.delivery_id))
            await self._session.close()
            # Where it broke is not known: resending the same e-mail is right either way.
            return SendFailure(repr(error), FailureKind.UNKNOWN)

    async def close(self) -> None:
        """Idle: don't hold a connection the server would drop."""
        await self._session.close()

    async def close_if_idle(self, seconds: float) -> None:
        if self._session.idle_seconds() >= seconds:
            await self._session.close()
