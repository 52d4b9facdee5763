"""/api/v1/api-keys: an administrator's integration keys."""

import uuid

from fastapi import Response, status

from services.webhooks.api.dependencies import AdminCaller, Settings
from services.webhooks.api.schemas import ApiKeyIn, ApiKeyOut, NewApiKeyOut
from services.webhooks.usecases.create_api_key import create_api_key
from services.webhooks.usecases.list_api_keys import list_api_keys
from services.webhooks.usecases.revoke_api_key import revoke_api_key
from shared.http.authentication import ServiceRouter
from shared.http.dependencies import UoW

router = ServiceRouter(prefix="/api/v1/api-keys", tags=["api keys"])


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create an API key (shown once)")
async def create_key(
    body: ApiKeyIn, admin: AdminCaller, uow: UoW, settings: Settings
) -> NewApiKeyOut:
    return NewApiKeyOut.of(await create_api_key(uow, admin, body.name, settings.api_key_prefix))


@router.get("", summary="The tenant's API keys, newest first (never the keys)")
async def list_keys(admin: AdminCaller, uow: UoW) -> list[ApiKeyOut]:
    return [ApiKeyOut.of(key) for key in await list_api_keys(uow, admin)]


@router.delete(
    "/{key_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Revoke a key: refused from the next request; the hooks it made are disabled",
)
async def revoke_key(key_id: uuid.UUID, admin: AdminCaller, uow: UoW) -> Response:
    await revoke_api_key(uow, admin, key_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
