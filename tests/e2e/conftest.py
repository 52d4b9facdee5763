"""The invitations service, running for real (see tests.support.invitations)."""

from tests.support.invitations import invitations, invitations_stack, smtp, smtp_proxy

__all__ = ["invitations", "invitations_stack", "smtp", "smtp_proxy"]
