"""The invitations and webhooks services, running for real (see tests.support)."""

from tests.support.invitations import invitations, invitations_stack, smtp, smtp_proxy
from tests.support.webhooks import hook_receiver, webhooks_stack

__all__ = [
    "hook_receiver",
    "invitations",
    "invitations_stack",
    "smtp",
    "smtp_proxy",
    "webhooks_stack",
]
