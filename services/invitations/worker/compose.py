"""From a claimed job to the MIME message: render the templates, add the headers."""

from datetime import UTC, datetime

from services.invitations.i18n import choose_language
from services.invitations.mail.message import Envelope, OutgoingMail, Trace, build_message
from services.invitations.mail.render import InvitationMail, MailRenderer
from services.invitations.usecases.sending import MailJob


class MailComposer:
    def __init__(self, renderer: MailRenderer, sender_name: str, sender_address: str) -> None:
        self._renderer = renderer
        self._sender_name = sender_name
        self._sender_address = sender_address

    def compose(self, job: MailJob) -> OutgoingMail:
        invitation = job.claimed.invitation
        language = choose_language(invitation.locale, None, None)
        content = self._renderer.render(
            InvitationMail(
                kind=job.kind,
                language=language,
                first_name=invitation.first_name,
                tenant_name=invitation.tenant_name,
                token=job.token,
                expires_at=job.link_expires_at,
            )
        )
        envelope = Envelope(
            sender_name=self._sender_name or invitation.tenant_name,
            sender_address=self._sender_address,
            recipient_name=f"{invitation.first_name} {invitation.last_name}",
            recipient_address=invitation.email,
            message_id=job.message_id,
            date=datetime.now(UTC),
        )
        trace = Trace(invitation.tenant_id, invitation.user_id, invitation.id, job.kind.value)
        return build_message(content, envelope, trace)
