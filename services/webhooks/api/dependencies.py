"""Who is calling. Integrations send an API key (`X-API-Key: <key>`, or `Authorization:
Bearer <key>`), checked against the database on every request so a revoked key stops at
once; administrators send the directory's access token and need `hooks:manage`."""

from typing import Annotated

from fastapi import Depends, Request

from services.webhooks.domain.callers import Caller, looks_like_key
from services.webhooks.settings import WebhooksSettings
from services.webhooks.usecases.authenticate import authenticate_key
from services.webhooks.usecases.subscribe import SubscriptionRules
from shared.errors import Forbidden, Unauthenticated
from shared.http.authentication import authenticates_first
from shared.http.dependencies import UoW, bearer_token, require_permission
from shared.security.access_tokens import AccessTokenVerifier
from shared.security.permissions import Permission

API_KEY_HEADER = "X-API-Key"
NO_CREDENTIALS = (
    "Authentication required: send an API key (X-API-Key: <key>, or Authorization: "
    "Bearer <key>) or an administrator's access token."
)


def settings(request: Request) -> WebhooksSettings:
    value: WebhooksSettings = request.app.state.settings
    return value


def subscription_rules(request: Request) -> SubscriptionRules:
    value: SubscriptionRules = request.app.state.subscription_rules
    return value


def _presented_key(request: Request) -> str | None:
    """The API key the request carries, if it carries one."""
    if header := request.headers.get(API_KEY_HEADER, "").strip():
        return header
    token = bearer_token(request)
    if token and looks_like_key(token, settings(request).api_key_prefix):
        return token
    return None


@authenticates_first
async def key_caller(request: Request, uow: UoW) -> Caller:
    key = _presented_key(request)
    if key is None:
        raise Unauthenticated(f"Send your API key in the {API_KEY_HEADER} header.")
    identity = await authenticate_key(uow, key)
    return Caller(identity.tenant_id, key=identity)


@authenticates_first
async def admin_caller(request: Request) -> Caller:
    if _presented_key(request) is not None:
        raise Forbidden("An API key can't do this: an administrator's access token is needed.")
    verifier: AccessTokenVerifier = request.app.state.token_verifier
    principal = await require_permission(verifier, Permission.HOOKS_MANAGE)(request)
    return Caller(principal.tenant_id, user_id=principal.user_id)


@authenticates_first
async def any_caller(request: Request, uow: UoW) -> Caller:
    if _presented_key(request) is not None:
        return await key_caller(request, uow)
    if bearer_token(request) is None:
        raise Unauthenticated(NO_CREDENTIALS)
    return await admin_caller(request)


KeyCaller = Annotated[Caller, Depends(key_caller)]
AdminCaller = Annotated[Caller, Depends(admin_caller)]
AnyCaller = Annotated[Caller, Depends(any_caller)]
Rules = Annotated[SubscriptionRules, Depends(subscription_rules)]
Settings = Annotated[WebhooksSettings, Depends(settings)]
