"""What the sending use case is given: write an `Email` as MIME and send it over one of
the process's SMTP sessions, at the process's pace."""

import asyncio
from collections.abc import Callable
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
    """Writes and sends e-mails over at most `connections` SMTP sessions, kept between
    e-mails and shared by the callers: a caller holds a session only for its SMTP
    conversation (not while its outcome is recorded), so more e-mails can be under way
    than there are connections. The most recently used session is taken first: under a
    light load the others go unused and are closed (`close_if_idle`)."""

    def __init__(
        self, writer: MailWriter, smtp: SmtpConfig, pace: RateLimiter, connections: int = 1
    ) -> None:
        self._writer = writer
        self._smtp = smtp
        self._pace = pace
        self._free = asyncio.Semaphore(connections)
        self._idle: list[SmtpSession] = []  # a stack: the last one returned is on top

    async def send(self, email: Email) -> SendFailure | None:
        try:
            message = self._writer.write(email)
        except (ValueError, LookupError) as error:
            return SendFailure(f"the e-mail could not be written: {error}", FailureKind.REFUSED)
        await self._pace.wait()
        async with self._free:
            session = self._idle.pop() if self._idle else SmtpSession(self._smtp)
            try:
                return await session.send(message)
            except Exception as error:  # never leave a claim hanging on an unexpected error
                log.exception("unexpected error while sending", delivery_id=str(email.delivery_id))
                await session.close()
                # Where it broke is not known: resending the same e-mail is right either way.
                return SendFailure(repr(error), FailureKind.UNKNOWN)
            finally:
                self._idle.append(session)

    async def close(self) -> None:
        """Idle: don't hold connections the server would drop."""
        await self._close(lambda session: True)

    async def close_if_idle(self, seconds: float) -> None:
        await self._close(lambda session: session.idle_seconds() >= seconds)

    async def _close(self, which: Callable[[SmtpSession], bool]) -> None:
        # Only sessions not in use are here; each is taken off before it is closed, so a
        # sender can't pick up one that is closing.
        closing = [session for session in self._idle if which(session)]
        self._idle = [session for session in self._idle if session not in closing]
        for session in closing:
            await session.close()
