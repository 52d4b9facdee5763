"""A client (Zapier) subscribes a URL to an event: the URL is checked (https, a public
host: its name is resolved and every address judged), a signing secret is made and
returned once."""

import uuid
from dataclasses import dataclass

from services.webhooks.adapters.resolver import Resolver
from services.webhooks.adapters.signing import new_signing_secret
from services.webhooks.db import hooks as hooks_db
from services.webhooks.db.models import Hook
from services.webhooks.domain.callers import Caller
from services.webhooks.domain.events import parse_event
from services.webhooks.domain.states import HookState
from services.webhooks.domain.targets import (
    Target,
    TargetPolicy,
    UnsafeTarget,
    check_target_url,
    resolved_refusal,
)
from services.webhooks.usecases.views import HookView, NewHook
from shared.errors import Invalid, RuleViolation
from shared.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class SubscriptionRules:
    policy: TargetPolicy
    resolver: Resolver
    max_hooks_per_tenant: int


async def subscribe(
    uow: UnitOfWork, caller: Caller, target_url: str, event_name: str, rules: SubscriptionRules
) -> NewHook:
    try:
        event = parse_event(event_name)
    except ValueError as unknown:
        raise _invalid("event", str(unknown)) from None
    target = await checked_target(target_url, rules)
    if await hooks_db.count_hooks(uow.session, caller.tenant_id) >= rules.max_hooks_per_tenant:
        raise RuleViolation(
            f"This platform already has {rules.max_hooks_per_tenant} hooks, the most allowed: "
            "delete unused ones first."
        )
    secret = new_signing_secret()
    hook = await hooks_db.add_hook(
        uow.session,
        Hook(
            tenant_id=caller.tenant_id,
            id=uuid.uuid4(),
            event=event.value,
            target_url=target.url,
            target_key=target.key,
            secret=secret,
            state=HookState.ACTIVE,
            api_key_id=caller.key.id if caller.key else None,
            created_by=caller.user_id,
        ),
    )
    return NewHook(HookView.of(hook), secret)


async def checked_target(url: str, rules: SubscriptionRules) -> Target:
    """The target, or Invalid saying why it can't be one. Checked again before every
    delivery, against the address actually dialled (the name may resolve differently)."""
    try:
        target = check_target_url(url, rules.policy)
    except UnsafeTarget as unsafe:
        raise _invalid("target_url", str(unsafe)) from None
    if rules.policy.allow_private or target.address is not None:
        return target  # an IP literal was judged by check_target_url
    try:
        addresses = await rules.resolver.resolve(target.host, target.port)
    except (OSError, UnicodeError) as failure:
        raise _invalid(
            "target_url", f"The host {target.host} can't be resolved: {failure}."
        ) from None
    if refusal := resolved_refusal(target.host, addresses):
        raise _invalid("target_url", refusal)
    return target


def _invalid(field: str, message: str) -> Invalid:
    return Invalid(message, errors=[{"field": field, "message": message}])
